# feedpipe-clean over the real corpus (rsshub/*.md and the seed post): no
# crash, no boilerplate residue, every content paragraph kept (checked by
# tests/e2e/clean_retention.py with Python's own HTML parser), the seed's
# captured fields, first and last sentence.
. "$(dirname "$0")/lib.sh"
need_corpus
command -v python3 > /dev/null || skip "python3 is needed for the retention check"
check="$(dirname "$0")/clean_retention.py"

{ feedpipe-extract "$FP_CORPUS/rsshub" && feedpipe-extract --glob '*.txt' "$FP_CORPUS/seed"; } > "$T/ex.jsonl"
feedpipe-clean --stats "$T/stats.json" < "$T/ex.jsonl" > "$T/cl.jsonl" 2> "$T/err" || fail "clean exited $?: $(cat "$T/err")"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"
[ "$(wc -l < "$T/cl.jsonl")" = "$(wc -l < "$T/ex.jsonl")" ] || fail "record count changed"
jq -s -e 'map(select(.reject)) | length == 0' "$T/cl.jsonl" > /dev/null || fail "rejects: $(jq -c 'select(.reject).reject' "$T/cl.jsonl")"
jq -e '.records_in == .records_out and .rejects == 0' "$T/stats.json" > /dev/null || fail "stats: $(cat "$T/stats.json")"

# Every record has the members clean owns, and no body.
jq -s -e 'map(has("body") or (.html|type) != "string" or (.text|type) != "string" or (.images|type) != "array"
       or (.links|type) != "array" or (.embeds|type) != "array" or (.found|type) != "object"
       or (.source|type) != "object" or (.meta|type) != "object" or (.warnings|type) != "array") | any' \
  "$T/cl.jsonl" > /dev/null && fail "record shape: $(jq -c 'del(.html,.text)' "$T/cl.jsonl" | head -3)"

# Retention 100%, residue 0 (the script prints both).
python3 "$check" "$T/ex.jsonl" "$T/cl.jsonl" | tee "$T/retention" || fail "retention check failed"
grep -q '(100.0%)' "$T/retention" && grep -q '^residue: 0$' "$T/retention" || fail "retention"

# The check itself catches residue: without the built-in rules it must fail.
feedpipe-clean --no-default-rules < "$T/ex.jsonl" > "$T/raw.jsonl"
python3 "$check" "$T/ex.jsonl" "$T/raw.jsonl" > "$T/retention-raw" && fail "the check passed without the site rules"
grep -q '海量资讯' "$T/retention-raw" || fail "no residue reported without the site rules"

# The seed post.
seed=$(jq -c 'select(.source.path | startswith("000_"))' "$T/cl.jsonl")
[ "$(jq -r .found.editor <<< "$seed")" = "蒋晓桐" ] || fail "editor: $(jq -c .found <<< "$seed")"
[ "$(jq -r .found.original_title <<< "$seed")" = "王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境" ] \
  || fail "original_title: $(jq -c .found <<< "$seed")"
jq -r .text <<< "$seed" > "$T/seed.txt"
head -n 1 "$T/seed.txt" | grep '^12月20日，国务委员兼外交部长王毅在北京出席' > /dev/null || fail "seed starts: $(head -c 120 "$T/seed.txt")"
tail -n 1 "$T/seed.txt" | grep '我们也决不会接受对中国进行任何胁迫和讹诈。$' > /dev/null || fail "seed ends: $(tail -c 120 "$T/seed.txt")"
[ "$(jq -r '.images | length' <<< "$seed")" = 0 ] || fail "seed images: boilerplate QR image kept"

# A few corpus specifics: LeetCode keeps its code braces and its playground
# embed; the podcast keeps its SoundCloud embed and nested list.
lc=$(jq -c 'select(.meta.categories | index("LeetCode"))' "$T/cl.jsonl")
jq -r .text <<< "$lc" | grep -F 's = "()[]{}"' > /dev/null || fail "LeetCode braces"
jq -e '.embeds == [{"src": "https://leetcode.com/playground/ML6oK7bJ/shared", "tag": "iframe"}]' <<< "$lc" > /dev/null \
  || fail "LeetCode embeds: $(jq -c .embeds <<< "$lc")"
jq -s -e 'map(select(.source.path == "0011.md"))[0].embeds[0].src | startswith("https://w.soundcloud.com/player/")' "$T/cl.jsonl" > /dev/null \
  || fail "SoundCloud embed"
echo "ok: $(wc -l < "$T/cl.jsonl") records"
