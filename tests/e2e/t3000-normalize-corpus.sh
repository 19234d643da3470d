# extract | clean | normalize over the corpus: every article passes the JSON
# Schema, the seed comes out exactly right, ids follow the archive's keys.
. "$(dirname "$0")/lib.sh"
need_corpus

feedpipe-extract "$FP_CORPUS/rsshub" "$FP_CORPUS"/seed/*.txt |
  feedpipe-clean |
  feedpipe-normalize --now 2026-11-26T00:00:00Z --stats "$T/stats.json" > "$T/out.jsonl" 2> "$T/err"
jq -e -s 'length > 0 and (map(select(.reject)) | length == 0)' "$T/out.jsonl" > /dev/null ||
  fail "rejects: $(jq -c 'select(.reject) | .reject' "$T/out.jsonl")"
[ ! -s "$T/err" ] || fail "stderr: $(cat "$T/err")"

# 1. Every article against lib/article.schema.json (python3-jsonschema when
#    installed; else the required members and their types with jq).
if python3 -c 'import jsonschema' 2> /dev/null; then
  python3 - "$FP_SOURCE/lib/article.schema.json" "$T/out.jsonl" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema)
bad = 0
for n, line in enumerate(open(sys.argv[2]), 1):
    rec = json.loads(line)
    if "reject" in rec:
        continue
    keys = list(rec.keys())
    if keys != schema["required"]:
        print(f"record {n}: members {keys}"); bad += 1
    for e in v.iter_errors(rec):
        print(f"record {n}: {list(e.path)}: {e.message[:200]}"); bad += 1
sys.exit(1 if bad else 0)
PY
else
  echo "note: python3-jsonschema not installed, checking types with jq"
  jq -e -s 'all(.[]; select(.reject | not) |
      (keys_unsorted == ["id","title","author","topic","site","feed","categories","published_at",
        "published_raw","image","thumbnail","comments","editor","original_title","lang","html","text",
        "chars","images","links","embeds","content_hash","source","warnings"])
      and (.id | test("^[0-9a-f]{16}$")) and (.title | type == "string" and length > 0)
      and all(.author, .topic, .site, .feed, .editor, .original_title, .image, .thumbnail,
              .published_raw; type == "string" or type == "null")
      and (.published_at == null or (.published_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")))
      and (.comments | type == "boolean" or type == "null")
      and (.lang | test("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
      and (.html | type == "string") and (.text | type == "string") and (.chars | type == "number")
      and all(.categories[]; type == "string") and all(.images[]; (.src | type == "string"))
      and all(.links[]; (.href | type == "string") and (.text | type == "string"))
      and all(.embeds[]; (.src | type == "string") and (.tag | type == "string"))
      and (.content_hash | test("^[0-9a-f]{64}$")) and (.source | type == "object")
      and all(.warnings[]; (.stage | type == "string") and (.code | type == "string")))' \
    "$T/out.jsonl" > /dev/null || fail "an article does not match the schema"
fi

# 2. The seed document.
jq -c 'select(.source.path | startswith("000_")) |
  [.published_at, .topic, .site, .feed, .editor, .lang, .title, .author, .comments, .warnings]' \
  "$T/out.jsonl" > "$T/seed"
echo '["2021-12-20T05:08:08Z","金融","新浪财经","新浪财经－国內","蒋晓桐","zh-Hans","王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境","新浪财经",false,[]]' > "$T/expect"
diff -u "$T/expect" "$T/seed"

# 3. Identity: the two versions of one upstream path share an id, every
#    other file has its own, and each id is the archive key's hash except
#    0019's (multi-line title folded by YAML: a documented limit).
id() { jq -r --arg p "$1" 'select(.source.path == $p) | .id' "$T/out.jsonl"; }
[ "$(id 0002.md)" = "$(id 0003.md)" ] || fail "0002 and 0003 differ: $(id 0002.md) $(id 0003.md)"
jq -r 'select(.source.path != "0003.md") | .id' "$T/out.jsonl" | sort | uniq -d > "$T/dups"
[ ! -s "$T/dups" ] || fail "duplicate ids: $(cat "$T/dups")"
tail -n +2 "$FP_CORPUS/rsshub/MANIFEST.tsv" | while IFS=$'\t' read -r file repo path commit chars notes; do
  key=${path#source/_posts/}
  key=${key%.md}
  want=$(printf '%s' "$key" | sha256sum | cut -c1-16)
  got=$(id "$file")
  if [ "$file" = 0019.md ]; then
    [ "$got" != "$want" ] || fail "0019: the known limit is gone, update the README"
  else
    [ "$got" = "$want" ] || fail "$file: id $got, archive key $key hashes to $want"
  fi
  # 4. The language the MANIFEST notes name first.
  lang=${notes%%[;/ ]*}
  case $lang in zh-Hans|zh-Hant|ja|en)
    [ "$(jq -r --arg p "$file" 'select(.source.path == $p) | .lang' "$T/out.jsonl")" = "$lang" ] ||
      fail "$file: lang is not $lang" ;;
  esac
done

# 5. Dates that cannot be used: null, a warning, the raw value kept.
jq -c 'select(.source.path == "0010.md" or .source.path == "0020.md") |
  [.source.path, .published_at, .published_raw, [.warnings[] | .code]]' "$T/out.jsonl" > "$T/dates"
cat > "$T/expect" <<'EOT'
["0010.md",null,"Wed, 08 Apr 2189 00:00:00 GMT",["taxonomy-repaired","date-implausible"]]
["0020.md",null,"Invalid Date",["date-invalid"]]
EOT
diff -u "$T/expect" "$T/dates"
jq -e '.rejects == 0' "$T/stats.json" > /dev/null || fail "stats: $(cat "$T/stats.json")"
echo "ok: $(wc -l < "$T/out.jsonl") articles"
