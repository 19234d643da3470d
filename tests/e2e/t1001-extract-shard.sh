# Shards are disjoint and together give exactly the unsharded records, from
# a directory argument and from find -print0 on stdin.
. "$(dirname "$0")/lib.sh"
need_corpus
c=$FP_CORPUS

feedpipe-extract "$c" > "$T/all.jsonl"
find "$c" -name '*.md' -print0 | feedpipe-extract -0 - > "$T/stdin-all.jsonl"
for k in 0 1; do
  find "$c" -name '*.md' -print0 | feedpipe-extract -0 - --shard $k/2 > "$T/stdin-$k.jsonl"
  find "$c" -name '*.md' -print0 | feedpipe-extract -0 --root "$c" - --shard $k/2 > "$T/root-$k.jsonl"
  feedpipe-extract --shard $k/2 "$c" > "$T/dir-$k.jsonl"
done
sort "$T/stdin-all.jsonl" > "$T/a"; sort "$T/stdin-0.jsonl" "$T/stdin-1.jsonl" > "$T/b"
diff -q "$T/a" "$T/b" > /dev/null || fail "stdin shards differ from the unsharded stdin run"
sort "$T/all.jsonl" > "$T/a"; sort "$T/root-0.jsonl" "$T/root-1.jsonl" > "$T/b"
diff -q "$T/a" "$T/b" > /dev/null || fail "--root shards differ from the directory run"
cat "$T/dir-0.jsonl" "$T/dir-1.jsonl" | sort > "$T/b"
diff -q "$T/a" "$T/b" > /dev/null || fail "directory shards differ from the directory run"
[ -s "$T/dir-0.jsonl" ] && [ -s "$T/dir-1.jsonl" ] || fail "a shard is empty"
# disjoint
n=$(cat "$T/dir-0.jsonl" "$T/dir-1.jsonl" | jq -r .source.path | sort | uniq -d | wc -l)
[ "$n" -eq 0 ] || fail "$n paths in both shards"
echo "ok: $(wc -l < "$T/dir-0.jsonl") + $(wc -l < "$T/dir-1.jsonl") = $(wc -l < "$T/all.jsonl")"
