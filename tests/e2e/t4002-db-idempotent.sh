#!/usr/bin/env bash
# A second identical load changes nothing (0 inserted, 0 updated, N
# unchanged, same table checksum); one changed body updates exactly one row.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'drop_schema "$s"; rm -rf "$T"' EXIT

gen_articles 1000 >"$T/a.ndjson"
gen_articles 1000 500 >"$T/b.ndjson"
n=$(grep -vc '"reject"' "$T/a.ndjson")
counts() { jq -r '[.inserted, .updated, .unchanged, .rejects_new] | @tsv' "$1"; }

feedpipe-load -q --pg "" --schema "$s" --batch-rows 128 --stats "$T/1.json" <"$T/a.ndjson"
[ "$(counts "$T/1.json")" = "$(printf '%s\t0\t0\t10' "$n")" ] || fail "first run: $(counts "$T/1.json")"
sum1=$(checksum "$s")

feedpipe-load -q --pg "" --schema "$s" --batch-rows 128 --stats "$T/2.json" <"$T/a.ndjson"
[ "$(counts "$T/2.json")" = "$(printf '0\t0\t%s\t0' "$n")" ] || fail "second run: $(counts "$T/2.json")"
[ "$(checksum "$s")" = "$sum1" ] || fail "second identical run changed the tables"
# The counts are in load_runs as well.
[ "$(q -c "SELECT inserted, updated, unchanged FROM \"$s\".load_runs ORDER BY id DESC LIMIT 1")" = "0|0|$n" ] ||
  fail "load_runs counts"

# Other batch sizes give the same state.
feedpipe-load -q --pg "" --schema "$s" --batch-rows 7 --batch-bytes 20K --stats "$T/3.json" <"$T/a.ndjson"
[ "$(checksum "$s")" = "$sum1" ] || fail "other batch sizes changed the tables"

feedpipe-load -q --pg "" --schema "$s" --stats "$T/4.json" <"$T/b.ndjson"
[ "$(counts "$T/4.json")" = "$(printf '0\t1\t%s\t0' $((n - 1)))" ] || fail "changed body: $(counts "$T/4.json")"
[ "$(q -c "SELECT count(*) FROM \"$s\".articles WHERE text LIKE '% 500 v1'")" = 1 ] || fail "body not updated"
[ "$(q -c "SELECT count(*) FROM \"$s\".article_images WHERE article_id = '$(printf %016x $((500 + 4096)))'")" = 2 ] ||
  fail "images of the updated article"
[ "$(checksum "$s")" != "$sum1" ] || fail "checksum did not change"
echo ok
