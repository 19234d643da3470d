# Every corpus file yields exactly one record or one reject; none is a reject;
# the seed document's front matter comes out exactly right.
. "$(dirname "$0")/lib.sh"
need_corpus

feedpipe-extract --stats "$T/stats.json" "$FP_CORPUS/rsshub" "$FP_CORPUS"/seed/*.txt > "$T/out.jsonl" 2> "$T/err"
files=$( (find "$FP_CORPUS/rsshub" -name '*.md'; ls "$FP_CORPUS"/seed/*.txt) | wc -l)
records=$(wc -l < "$T/out.jsonl")
[ "$records" -eq "$files" ] || fail "$records records for $files files"
jq -e -s 'map(select(.reject)) | length == 0' "$T/out.jsonl" > /dev/null || fail "rejects: $(jq -c 'select(.reject)' "$T/out.jsonl")"
jq -e '.rejects == 0 and .records_out == '"$files" "$T/stats.json" > /dev/null || fail "stats: $(cat "$T/stats.json")"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"

jq -c 'select(.source.path | startswith("000_")) | .meta | [.title, .categories, .author, .date, .comments]' \
  "$T/out.jsonl" > "$T/seed"
echo '["王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境",["金融","新浪财经","新浪财经－国內"],"新浪财经","Mon, 20 Dec 2021 05:08:08 GMT",false]' > "$T/expect"
diff -u "$T/expect" "$T/seed"

# The multi-line single-quoted title folds as YAML says.
jq -r 'select(.source.path == "0019.md") | .meta.title' "$T/out.jsonl" > "$T/t19"
[ "$(cat "$T/t19")" = "## 入手umi 对于路由的考虑真心全乎，666" ] || fail "0019 title: $(cat "$T/t19")"


# source.sha256 is the SHA-256 of the raw file, as sha256sum computes it.
jq -r '.source.sha256 + "  " + .source.root + "/" + .source.path' "$T/out.jsonl" > "$T/sums"
sha256sum --quiet -c "$T/sums" || fail "sha256 mismatch"
echo "ok: $records records, 0 rejects, checksums match"
