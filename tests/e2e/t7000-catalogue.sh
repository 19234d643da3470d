#!/usr/bin/env bash
# A catalogue of nasty inputs through the whole pipeline (extract | clean |
# normalize | load --out), and stage by stage where that is the point. Each
# input has its asserted outcome: a record (with a given warning) or a reject
# (stage and reason). Every stage exits 0, nothing crashes (timeout on every
# run), and outside ASan peak RSS stays bounded (/usr/bin/time -f %M).
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "no jq"

# Peak RSS is meaningless under ASan (shadow memory); time limits are wider.
asan=
[ -n "${ASAN_OPTIONS:-}${FP_SANITIZE:-}" ] && asan=1
limit=30
[ -n "$asan" ] && limit=120

# run NAME MAX_KIB CMD...: run CMD (a pipeline through sh -c, or one stage)
# under timeout; fail on a timeout or, outside ASan, when the largest process
# of CMD peaked above MAX_KIB. CMD's status is left in $rc.
run() {
  local name=$1 max=$2
  shift 2
  rc=0
  if [ -z "$asan" ] && [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$T/$name.rss" timeout "$limit" "$@" || rc=$?
    local rss
    rss=$(tail -1 "$T/$name.rss")
    case $rss in *[!0-9]*|'') rss=0 ;; esac
    [ "$rss" -le "$max" ] || fail "$name: peak RSS ${rss} KiB > ${max} KiB"
  else
    timeout "$limit" "$@" || rc=$?
  fi
  [ "$rc" != 124 ] || fail "$name: no result within ${limit}s"
  [ "$rc" -lt 128 ] || fail "$name: died with status $rc"
}

# pipeline OUT ARGS...: extract ARGS | clean | normalize > OUT.jsonl, and
# load --out OUT.load.jsonl.gz from it; every stage must exit 0.
pipeline() {
  local out=$1
  shift
  FP_OUT=$out run "$(basename "$out")" "${FP_MAX_KIB:-131072}" bash -c '
    set -o pipefail
    feedpipe-extract -q ${FP_EXTRACT_ARGS:-} "$@" | feedpipe-clean -q ${FP_CLEAN_ARGS:-} |
      feedpipe-normalize -q --now 2026-01-01T00:00:00Z | tee "$FP_OUT.jsonl" |
      feedpipe-load -q --out "$FP_OUT.load.jsonl.gz"
    s=("${PIPESTATUS[@]}")
    [ "${s[*]}" = "0 0 0 0 0" ] || { echo "stage statuses: ${s[*]}" >&2; exit 1; }' sh "$@"
  [ "$rc" = 0 ] || fail "$out: pipeline exit $rc"
  # The sink keeps every record: articles and rejects in their own files.
  local n_art n_rej
  n_art=$(jq -c 'select(.reject == null)' "$out.jsonl" | wc -l)
  n_rej=$(jq -c 'select(.reject != null)' "$out.jsonl" | wc -l)
  [ "$(zcat "$out.load.jsonl.gz" | wc -l)" = "$n_art" ] || fail "$out: articles lost by load"
  [ "$(zcat "$out.load.rejects.jsonl.gz" | wc -l)" = "$n_rej" ] || fail "$out: rejects lost by load"
}

# outcome FILE: one line per record: path, reject stage, reject reason, the
# warning codes of extract and clean (normalize's depend on dates and paths).
outcome() {
  jq -r '[.source.path, (.reject.stage // "-"), (.reject.reason // "-"),
          ([.warnings[]? | select(.stage != "normalize") | .code] | join(",") | if . == "" then "-" else . end)]
         | @tsv' "$1"
}

mkdir "$T/in"
# --- files for extract -------------------------------------------------------
: >"$T/in/empty.md"
printf -- '---\n' >"$T/in/dashes.md"
printf -- '---\n---\n' >"$T/in/dashes2.md"
head -c 65536 /dev/urandom >"$T/in/binary.md"
printf -- '---\ntitle: nul\n---\n<p>a\0b</p>\n' >"$T/in/nul.md"
printf -- '---\ntitle: bad \xff\xfe utf\n---\n<p>x\xc3\x28y</p>\n' >"$T/in/badutf.md"
printf -- '---\r\ntitle: crlf\r\ndate: 2024-01-02 03:04:05\r\ncategories:\r\n  - a\r\n---\r\n<p>one</p>\r\n<p>two</p>\r\n' >"$T/in/crlf.md"
# A 10 MB single line as the body.
{ printf -- '---\ntitle: long line\n---\n<p>'; head -c 10000000 /dev/zero | tr '\0' a; printf '</p>\n'; } >"$T/in/longline.md"
# 100k nested divs.
{ printf -- '---\ntitle: deep\n---\n'
  awk 'BEGIN { for (i = 0; i < 100000; i++) printf "<div>"; printf "deep text"
               for (i = 0; i < 100000; i++) printf "</div>"; print "" }'; } >"$T/in/deephtml.md"
# A YAML alias bomb (billion laughs) and an HTML entity bomb in the body.
{ echo '---'
  echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
  for x in b c d e f g h i; do
    p=$(printf '%s' "$x" | tr 'b-i' 'a-h')
    echo "$x: &$x [*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p,*$p]"
  done
  echo '---'; echo '<p>body</p>'; } >"$T/in/yamlbomb.md"
{ printf -- '---\ntitle: entity bomb\n---\n<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa">'
  prev=a
  for x in b c d e f g h i; do printf '<!ENTITY %s "%s">' "$x" "$(printf "&$prev;%.0s" 1 2 3 4 5 6 7 8 9 10)"; prev=$x; done
  printf ']>\n<p>before &i; after</p>\n'; } >"$T/in/entitybomb.md"
# A title of 1 MB (front matter over the default --max-frontmatter 1M).
{ printf -- '---\ntitle: "'; head -c 1048576 /dev/zero | tr '\0' t; printf '"\n---\n<p>big title</p>\n'; } >"$T/in/bigtitle.md"
# A 1 MB attribute.
{ printf -- '---\ntitle: big attr\n---\n<p>before <a href="https://example.com/x" title="'
  head -c 1048576 /dev/zero | tr '\0' q; printf '">link</a> after</p>\n'; } >"$T/in/bigattr.md"
# A directory named x.md is walked like any directory.
mkdir "$T/in/x.md"
printf -- '---\ntitle: inside\n---\n<p>inside</p>\n' >"$T/in/x.md/inner.md"
# Not regular files: a walk skips them; named explicitly they are rejects.
ln -s "$T/nonexistent" "$T/in/dangling.md"
mkfifo "$T/in/fifo.md"

# --- the whole directory through the pipeline -------------------------------
pipeline "$T/all" "$T/in"
outcome "$T/all.jsonl" >"$T/got"
printf '%s\t%s\t%s\t%s\n' \
  badutf.md - - invalid-utf8 \
  bigattr.md - - - \
  bigtitle.md extract yaml-too-large - \
  binary.md extract binary-file - \
  crlf.md - - - \
  dashes.md extract frontmatter-unterminated - \
  dashes2.md - - frontmatter-empty \
  deephtml.md clean html-too-deep - \
  empty.md - - no-frontmatter \
  entitybomb.md - - - \
  longline.md clean html-too-large - \
  nul.md - - nul-removed \
  x.md/inner.md - - - \
  yamlbomb.md extract yaml-too-many-nodes - >"$T/want"
diff -u "$T/want" "$T/got"

# Details of the records that survive.
get() { jq -r --arg p "$1" "select(.source.path == \$p) | $2" "$T/all.jsonl"; }
[ "$(get nul.md .text)" = ab ] || fail "nul: text $(get nul.md .text)"
[ "$(get badutf.md .title)" = "bad �� utf" ] || fail "badutf: title $(get badutf.md .title)"
[ "$(get badutf.md .text)" = "x�(y" ] || fail "badutf: text $(get badutf.md .text)"
[ "$(get crlf.md '[.title, .text, .published_at, (.categories | tostring)] | @tsv')" = \
  "$(printf 'crlf\tone\\n\\ntwo\t2024-01-02T03:04:05Z\t["a"]')" ] ||
  fail "crlf: $(get crlf.md '[.title, .text, .published_at, (.categories | tostring)] | @tsv')"
! get crlf.md '[.title, .html, .text] | .[]' | grep -q $'\r' || fail "crlf: a CR survived"
[ "$(get empty.md .text)" = "" ] || fail "empty: text"
[ "$(get entitybomb.md .text | tail -1)" = "before &i; after" ] || fail "entity bomb: $(get entitybomb.md .text | tail -c 200)"
[ "$(get entitybomb.md '.text | length')" -lt 2000 ] || fail "entity bomb: entities expanded"
[ "$(get bigattr.md .html)" = '<p>before <a href="https://example.com/x">link</a> after</p>' ] ||
  fail "bigattr: html $(get bigattr.md .html | head -c 300)"
[ "$(get x.md/inner.md .text)" = inside ] || fail "x.md/inner.md"
echo "catalogue through the pipeline: ok"

# --- raised limits: the same inputs become records ---------------------------
FP_CLEAN_ARGS="--max-html 16M" FP_MAX_KIB=262144 pipeline "$T/long" "$T/in/longline.md"
[ "$(jq -r '[.reject.reason // "-", (.text | length)] | @tsv' "$T/long.jsonl")" = "$(printf -- '-\t10000000')" ] ||
  fail "longline with --max-html 16M: $(jq -c '.reject // (.text | length)' "$T/long.jsonl")"
FP_EXTRACT_ARGS="--max-frontmatter 4M" pipeline "$T/title" "$T/in/bigtitle.md"
[ "$(jq -r '[.reject.reason // "-", (.title | length)] | @tsv' "$T/title.jsonl")" = "$(printf -- '-\t1048576')" ] ||
  fail "bigtitle with --max-frontmatter 4M: $(jq -c '.reject // (.title | length)' "$T/title.jsonl")"
# 100k divs plus html and body are deeper than the highest --max-depth: a reject,
# not a body silently cut at libxml2's own limit of 256.
FP_CLEAN_ARGS="--max-depth 100000" pipeline "$T/deep" "$T/in/deephtml.md"
jq -r '.reject.reason // .text' "$T/deep.jsonl" | grep -qx html-too-deep ||
  fail "deep html with --max-depth 100000: $(jq -c '.reject // .text' "$T/deep.jsonl")"
# 300 nested divs with --max-depth 1000: the whole body, tail included.
{ printf -- '---\ntitle: deep300\n---\n<p>head</p>'
  awk 'BEGIN { for (i = 0; i < 300; i++) printf "<div>"; printf "deep text"
               for (i = 0; i < 300; i++) printf "</div>"; print "<p>tail</p>" }'; } >"$T/deep300.md"
FP_CLEAN_ARGS="--max-depth 1000" pipeline "$T/deep300" "$T/deep300.md"
[ "$(jq -c '.reject // .text' "$T/deep300.jsonl")" = '"head\n\ndeep text\n\ntail"' ] ||
  fail "300 divs with --max-depth 1000: $(jq -c '.reject // .text' "$T/deep300.jsonl")"
echo "raised limits: ok"

# --- files named explicitly -------------------------------------------------
# explicit FILE STATUS: extract's exit status is STATUS (3 when its only
# input cannot be read), the record's path, stage and reason are printed.
explicit() {
  run "explicit-$1" 65536 bash -c 'feedpipe-extract -q "$1" > "$2"' sh "$T/in/$1" "$T/x.jsonl"
  [ "$rc" = "$2" ] || fail "extract $1: exit $rc"
  jq -r '[.source.path, .reject.stage // "-", .reject.reason // "-"] | @tsv' "$T/x.jsonl"
}
[ "$(explicit fifo.md 3)" = "$(printf 'fifo.md\textract\tnot-a-file')" ] || fail "fifo: $(cat "$T/x.jsonl")"
[ "$(explicit dangling.md 3)" = "$(printf 'dangling.md\textract\tread-error')" ] || fail "dangling: $(cat "$T/x.jsonl")"
[ "$(explicit x.md 0)" = "$(printf 'inner.md\t-\t-')" ] || fail "directory x.md: $(cat "$T/x.jsonl")"
if [ "$(id -u)" != 0 ]; then
  printf -- '---\ntitle: secret\n---\n' >"$T/unreadable.md"
  chmod 000 "$T/unreadable.md"
  feedpipe-extract -q "$T/unreadable.md" >"$T/x.jsonl" && fail "unreadable: exit 0"
  [ "$(jq -r .reject.reason "$T/x.jsonl")" = read-error ] || fail "unreadable: $(cat "$T/x.jsonl")"
else
  echo "(root: chmod 000 does not stop reads; the dangling symlink and the FIFO stand in for an unreadable file)"
fi
echo "explicit files: ok"

# --- NDJSON lines fed to the filter stages ----------------------------------
# A 10 MB single line: without --max-line it is read and rejected by clean's
# body limit; with --max-line 1M it is a line-too-long reject holding 64 KiB,
# and memory stays small.
{ printf '{"body":"'; head -c 10000000 /dev/zero | tr '\0' b
  printf '","meta":{},"source":{"path":"big.md","root":"r"},"warnings":[]}\n'; } >"$T/long.ndjson"
run clean-long 131072 bash -c 'feedpipe-clean -q < "$1" > "$2"' sh "$T/long.ndjson" "$T/c1.jsonl"
[ "$rc" = 0 ] || fail "clean 10 MB line: exit $rc"
[ "$(jq -r '[.reject.stage, .reject.reason] | @tsv' "$T/c1.jsonl")" = "$(printf 'clean\thtml-too-large')" ] ||
  fail "clean 10 MB line: $(jq -c .reject "$T/c1.jsonl")"
run clean-maxline 32768 bash -c 'feedpipe-clean -q --max-line 1M < "$1" > "$2"' sh "$T/long.ndjson" "$T/c2.jsonl"
[ "$rc" = 0 ] || fail "clean --max-line 1M: exit $rc"
[ "$(jq -r '[.reject.stage, .reject.reason, (.input | length)] | @tsv' "$T/c2.jsonl")" = "$(printf 'clean\tline-too-long\t65536')" ] ||
  fail "clean --max-line 1M: $(jq -c '[.reject, (.input | length)]' "$T/c2.jsonl")"
# A 10 MB line that is not JSON at all, then a good record: one reject, and
# the stream goes on.
{ head -c 10000000 /dev/zero | tr '\0' '{'; echo
  printf '{"body":"<p>after</p>","meta":{"title":"after"},"source":{"path":"after.md","root":"r"},"warnings":[]}\n'; } >"$T/garbage.ndjson"
run clean-garbage 131072 bash -c 'feedpipe-clean -q < "$1" > "$2"' sh "$T/garbage.ndjson" "$T/c3.jsonl"
[ "$rc" = 0 ] || fail "clean garbage line: exit $rc"
[ "$(jq -r '.reject.reason // .text' "$T/c3.jsonl" | tr '\n' ' ')" = "ndjson-invalid after " ] ||
  fail "clean garbage line: $(jq -c '.reject // .text' "$T/c3.jsonl")"

# A JSON line of 100k nested arrays, and an object holding one, to each stage
# that reads NDJSON: an ndjson-invalid reject of that stage.
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]"; print ""
             printf "{\"body\":"; for (i = 0; i < 100000; i++) printf "["
             for (i = 0; i < 100000; i++) printf "]"; print "}" }' >"$T/nest.ndjson"
for stage in clean normalize load; do
  out=$T/nest-$stage.jsonl
  args=()
  [ "$stage" = load ] && args=(--out "$T/nest-load.jsonl.gz")
  run "nest-$stage" 65536 bash -c 'in=$1 out=$2 st=$3; shift 3; "feedpipe-$st" -q "$@" < "$in" > "$out"' \
    sh "$T/nest.ndjson" "$out" "$stage" "${args[@]}"
  [ "$rc" = 0 ] || fail "$stage, nested arrays: exit $rc"
  [ "$stage" = load ] && out=$T/nest-load.rejects.jsonl.gz
  [ "$(zcat -f "$out" | jq -r '[.reject.stage, .reject.reason] | @tsv' | sort | uniq -c | tr -s ' ')" = \
    "$(printf ' 2 %s\tndjson-invalid' "$stage")" ] || fail "$stage, nested arrays: $(zcat -f "$out" | head -c 500)"
done
echo "NDJSON lines: ok"

# --- exit codes -------------------------------------------------------------
# Every reject above left exit 0; --max-rejects turns them into exit 1.
rc=0
feedpipe-extract -q --max-rejects 0 "$T/in" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 1 ] || fail "extract --max-rejects 0: exit $rc"
grep -q 'too many rejects' "$T/err" || fail "extract --max-rejects 0: $(cat "$T/err")"
echo ok
