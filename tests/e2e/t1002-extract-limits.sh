# Hostile inputs become rejects with a clear reason, in bounded time and memory:
# a YAML alias bomb, a 1,000-deep nested mapping, a 100 MB file.
. "$(dirname "$0")/lib.sh"
mkdir "$T/in"
{
  echo '---'
  echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
  for x in b c d e f g h i; do
    p=$(printf '%s' "$x" | tr 'b-i' 'a-h')
    echo "$x: &$x [*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p]"
  done
  echo '---'
} > "$T/in/bomb.md"
awk 'BEGIN { print "---"; for (i = 0; i < 1000; i++) { printf "%*sk%d:\n", i, "", i } printf "%*sv: 1\n", 1000, ""; print "---" }' > "$T/in/deep.md"
{ echo '---'; echo 'title: big'; echo '---'; head -c 100000000 /dev/zero | tr '\0' 'x'; } > "$T/in/huge.md"

start=$(date +%s)
if [ -x /usr/bin/time ]; then
  /usr/bin/time -f '%M' -o "$T/rss" feedpipe-extract "$T/in" > "$T/out.jsonl" 2> "$T/err"
else
  feedpipe-extract "$T/in" > "$T/out.jsonl" 2> "$T/err"
fi
elapsed=$(( $(date +%s) - start ))
jq -r '[.source.path, .reject.reason] | @tsv' "$T/out.jsonl" > "$T/got"
printf 'bomb.md\tyaml-too-many-nodes\ndeep.md\tyaml-too-deep\nhuge.md\tfile-too-large\n' > "$T/want"
diff -u "$T/want" "$T/got"
grep -Eq 'bomb.md:[0-9]+:[0-9]+: .*alias bomb' "$T/err" || fail "message: $(cat "$T/err")"
[ "$elapsed" -le 10 ] || fail "took ${elapsed}s"
if [ -f "$T/rss" ] && [ -z "${ASAN_OPTIONS:-}" ]; then
  rss=$(tail -1 "$T/rss")
  [ "$rss" -lt 65536 ] || fail "peak RSS ${rss} KiB"
  echo "peak RSS ${rss} KiB"
fi
echo "ok in ${elapsed}s"
