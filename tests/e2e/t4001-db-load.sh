#!/usr/bin/env bash
# feedpipe-load into PostgreSQL: the fixture articles arrive byte-exact
# (hostile COPY strings included), duplicates collapse to one winner
# whatever their order (latest mtime, then path, then content_hash),
# rejects (upstream, bad lines, invalid articles) land in the rejects table.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'drop_schema "$s"; rm -rf "$T"' EXIT
in=$FP_SOURCE/fixtures/load/articles.ndjson

feedpipe-load -q --pg "" --schema "$s" --stats "$T/stats.json" <"$in" ||
  fail "load failed"

# Counts: 5 distinct valid ids (one duplicate), 3 rejects.
jq -r '[.records_in, .records_out, .inserted, .updated, .unchanged, .duplicates,
        .rejects_stored, .rejects, .rejects_passed] | @tsv' "$T/stats.json" >"$T/counts"
printf '9\t6\t5\t0\t0\t1\t3\t2\t1\n' >"$T/counts.expect"
diff -u "$T/counts.expect" "$T/counts"

# Every stored value equals the input, byte for byte: the accepted records,
# the duplicates' winner, against the rows as JSON.
grep -v -e 2018-02-30 -e '^this is not json' "$in" | expect_json >"$T/expect.json"
rows_json "$s" >"$T/actual.json"
diff -u "$T/expect.json" "$T/actual.json"

# The hostile title, compared as raw bytes too (not through JSON).
grep -v '^this is not json' "$in" | jq 'select(.title? and (.title | startswith("tab"))) | .title' |
  jq -j . >"$T/title.expect"
q -c "SELECT title FROM \"$s\".articles WHERE title LIKE 'tab%'" | head -c -1 >"$T/title.actual"
cmp "$T/title.expect" "$T/title.actual"

# Images: one row per image, in order.
q -c "SELECT article_id, position, src, coalesce(alt, '<null>') FROM \"$s\".article_images
      WHERE article_id = (SELECT id FROM \"$s\".articles WHERE title = 'images')
      ORDER BY position" >"$T/images"
cat >"$T/images.expect" <<'X'
3f1fefa629233836|1|a.png|x	y
3f1fefa629233836|2|b.png|<null>
3f1fefa629233836|3|c\d.png|\N
X
diff -u "$T/images.expect" "$T/images"
[ "$(q -c "SELECT count(*) FROM \"$s\".article_images")" = 6 ] || fail "image rows"

# Rejects with their reasons, the raw record kept.
q -c "SELECT stage, reason, coalesce(source_path, '-'), coalesce(record_no::text, '-')
      FROM \"$s\".rejects ORDER BY stage, reason" >"$T/rejects"
cat >"$T/rejects.expect" <<'X'
extract|frontmatter-unterminated|posts/a.md|-
load|article-invalid|rsshub/0006.md|9
load|ndjson-invalid|-|7
X
diff -u "$T/rejects.expect" "$T/rejects"
[ "$(q -c "SELECT record->>'input' FROM \"$s\".rejects WHERE reason = 'ndjson-invalid'")" = "this is not json" ] ||
  fail "raw line of the bad record"

# The load run, the migration, the view, the indexes.
[ "$(q -c "SELECT status, inserted, duplicates, rejects, batches FROM \"$s\".load_runs")" = "ok|5|1|3|1" ] ||
  fail "load_runs row"
[ "$(q -c "SELECT string_agg(version, ' ' ORDER BY version) FROM \"$s\".feedpipe_migrations")" = "0001 0002 0003" ] ||
  fail "migrations"
[ "$(q -c "SELECT sum(articles) FROM \"$s\".articles_per_feed_day")" = 5 ] || fail "view"
q -c "SELECT indexname FROM pg_indexes WHERE schemaname = '$s' AND tablename = 'articles' ORDER BY 1" >"$T/idx"
grep -qx articles_title_trgm_idx "$T/idx" || fail "no trigram index"
grep -qx articles_published_at_idx "$T/idx" || fail "no published_at index"
# Substring search over Chinese titles goes through the trigram index.
[ "$(q -c "SET enable_seqscan = off; SELECT id FROM \"$s\".articles WHERE title LIKE '%标题%'")" = 320f7813ecceba79 ] ||
  fail "trigram search"
# A second run stores nothing new: both versions of the duplicate are sent
# (they differ), the stored one wins again.
sum=$(checksum "$s")
feedpipe-load -q --pg "" --schema "$s" --stats "$T/stats2.json" <"$in"
[ "$(jq -r '[.inserted, .updated, .unchanged, .duplicates] | @tsv' "$T/stats2.json")" = "$(printf '0\t0\t5\t1')" ] ||
  fail "second run: $(cat "$T/stats2.json")"
[ "$(checksum "$s")" = "$sum" ] || fail "second run changed the tables"
# The two versions in the other order: the same winner (one file, one
# mtime: the greater content_hash, "second version").
grep '"id":"f3436f50b2f7f161"' "$in" | tac >"$T/swapped.ndjson"
feedpipe-load -q --pg "" --schema "$s" --stats "$T/stats3.json" <"$T/swapped.ndjson"
[ "$(jq -r '[.inserted, .updated, .unchanged, .duplicates] | @tsv' "$T/stats3.json")" = "$(printf '0\t0\t1\t1')" ] ||
  fail "swapped duplicates: $(cat "$T/stats3.json")"
[ "$(q -c "SELECT title FROM \"$s\".articles WHERE id = 'f3436f50b2f7f161'")" = "Plain title, second version" ] ||
  fail "the order of duplicates chose the winner"
# A later run with a record from the stored row's own file replaces it (the
# file changed), whatever its content_hash.
grep '"id":"f3436f50b2f7f161"' "$in" | head -1 >"$T/first.ndjson"
feedpipe-load -q --pg "" --schema "$s" --stats "$T/stats4.json" <"$T/first.ndjson"
[ "$(jq -r '[.inserted, .updated, .unchanged] | @tsv' "$T/stats4.json")" = "$(printf '0\t1\t0')" ] ||
  fail "same file, later run: $(cat "$T/stats4.json")"
[ "$(q -c "SELECT title FROM \"$s\".articles WHERE id = 'f3436f50b2f7f161'")" = "Plain title" ] ||
  fail "a record from the row's own file must replace it"
echo ok
