#!/usr/bin/env bash
# The whole pipeline over the real corpus into PostgreSQL and JSONL: every
# accepted record is a row equal to the canonical record, the seed article's
# row has the right values, rejects are stored, a second run changes nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
need_corpus
for s in extract clean normalize; do
  command -v "feedpipe-$s" >/dev/null || skip "feedpipe-$s not built yet"
done
s=$(new_schema)
trap 'drop_schema "$s"; rm -rf "$T"' EXIT
seed=$FP_CORPUS/seed/000_0cca1a8520dcaf12.txt

feedpipe-extract "$FP_CORPUS/rsshub" "$seed" | feedpipe-clean -q | feedpipe-normalize -q |
  tee "$T/canonical.ndjson" |
  feedpipe-load -q --pg "" --schema "$s" --out "$T/articles.jsonl.gz" --stats "$T/1.json"

# Rows: one per distinct accepted id, each equal to its canonical record.
expect_json <"$T/canonical.ndjson" >"$T/expect.json"
rows_json "$s" >"$T/actual.json"
diff -u "$T/expect.json" "$T/actual.json"
[ "$(jq length "$T/expect.json")" -gt 20 ] || fail "too few articles"
[ "$(q -c "SELECT count(*) FROM \"$s\".rejects")" = "$(grep -c '"reject"' "$T/canonical.ndjson" || true)" ] ||
  fail "rejects table"
# The JSONL sink has every accepted record as it came.
zcat "$T/articles.jsonl.gz" | cmp - <(grep -v '^{"reject"' "$T/canonical.ndjson")

# The seed article.
q -c "SELECT title, author, array_to_string(categories, '|'), published_at AT TIME ZONE 'UTC',
             comments, image, thumbnail
        FROM \"$s\".articles WHERE source_path LIKE '%000_0cca1a8520dcaf12.txt'" >"$T/seed"
cat >"$T/seed.expect" <<'X'
王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境|新浪财经|金融|新浪财经|新浪财经－国內|2021-12-20 05:08:08|f|https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png|https://n.sinaimg.cn/finance/cece9e13/20200514/343233024.png
X
diff -u "$T/seed.expect" "$T/seed"
q -c "SELECT text FROM \"$s\".articles WHERE source_path LIKE '%000_0cca1a8520dcaf12.txt'" >"$T/seed.text"
grep -q '国务委员兼外交部长王毅在北京出席2021年国际形势与中国外交研讨会开幕式' "$T/seed.text" ||
  fail "seed text"

# Idempotent over the corpus too.
sum=$(checksum "$s")
feedpipe-load -q --pg "" --schema "$s" --stats "$T/2.json" <"$T/canonical.ndjson"
[ "$(jq -r '[.inserted, .updated] | @tsv' "$T/2.json")" = "$(printf '0\t0')" ] || fail "second run: $(cat "$T/2.json")"
[ "$(checksum "$s")" = "$sum" ] || fail "second run changed the tables"
# The repository's fixtures/ the same way: rows for the accepted records,
# every reject with its reason.
f=${s}_f
trap 'drop_schema "$s"; drop_schema "$f"; rm -rf "$T"' EXIT
feedpipe-extract -q "$FP_SOURCE/fixtures" | feedpipe-clean -q | feedpipe-normalize -q |
  tee "$T/fixtures.ndjson" | feedpipe-load -q --pg "" --schema "$f"
[ "$(q -c "SELECT count(*) FROM \"$f\".articles")" = "$(jq -r 'select(.reject == null) | .id' "$T/fixtures.ndjson" | sort -u | wc -l)" ] ||
  fail "fixtures: row count"
jq -r 'select(.reject) | "\(.reject.stage)|\(.reject.reason)"' "$T/fixtures.ndjson" | sort >"$T/frej.expect"
q -c "SELECT stage || '|' || reason FROM \"$f\".rejects" | sort >"$T/frej.actual"
diff -u "$T/frej.expect" "$T/frej.actual"
[ -s "$T/frej.actual" ] || fail "fixtures: no rejects stored"
echo ok
