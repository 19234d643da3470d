#!/usr/bin/env bash
# The direct path: a batch whose ids are all new and distinct (a first load)
# is copied straight into articles, without staging and upsert; the tables
# end up exactly as through staging. When the direct COPY fails (here a
# trigger that refuses COPY into articles with unique_violation, as a
# concurrent loader storing one of the ids first would), the batch goes
# through staging instead and nothing is lost or doubled.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s1=$(new_schema) s2=${s1}_b s3=${s1}_c
trap 'drop_schema "$s1"; drop_schema "$s2"; drop_schema "$s3"; rm -rf "$T"' EXIT

gen_articles 1000 >"$T/a.ndjson"
n=$(grep -vc '"reject"' "$T/a.ndjson")
direct() { jq -r '[.batches_direct, .direct_fallbacks, .inserted, .updated, .unchanged] | @tsv' "$1"; }

# 1. A first load: every batch direct.
feedpipe-load -q --pg "" --schema "$s1" --batch-rows 128 --stats "$T/1.json" <"$T/a.ndjson"
batches=$(jq .batches "$T/1.json")
[ "$(direct "$T/1.json")" = "$(printf '%s\t0\t%s\t0\t0' "$batches" "$n")" ] ||
  fail "first load: $(direct "$T/1.json") (batches $batches)"

# 2. The same through staging, forced: the trigger refuses every COPY into
# articles, so each batch falls back. Same tables.
feedpipe-load -q --pg "" --schema "$s2" --migrate
q -c "CREATE FUNCTION \"$s2\".no_copy() RETURNS trigger LANGUAGE plpgsql AS \$\$
  BEGIN
    IF current_query() ~* '^\\s*COPY' THEN
      RAISE unique_violation USING MESSAGE = 'refused for the test';
    END IF;
    RETURN NEW;
  END \$\$;
  CREATE TRIGGER no_copy BEFORE INSERT ON \"$s2\".articles FOR EACH ROW EXECUTE FUNCTION \"$s2\".no_copy()" >/dev/null
feedpipe-load -q --pg "" --schema "$s2" --batch-rows 128 --stats "$T/2.json" <"$T/a.ndjson" ||
  fail "the load with the trigger failed"
[ "$(direct "$T/2.json")" = "$(printf '0\t%s\t%s\t0\t0' "$batches" "$n")" ] ||
  fail "fallback: $(direct "$T/2.json")"
q -c "DROP TRIGGER no_copy ON \"$s2\".articles; DROP FUNCTION \"$s2\".no_copy()" >/dev/null
[ "$(checksum "$s1")" = "$(checksum "$s2")" ] || fail "direct and staging loads differ"

# 3. A second load of the same into the direct schema: nothing is new, no
# batch direct, nothing changes.
feedpipe-load -q --pg "" --schema "$s1" --batch-rows 128 --stats "$T/3.json" <"$T/a.ndjson"
[ "$(direct "$T/3.json")" = "$(printf '0\t0\t0\t0\t%s' "$n")" ] || fail "second load: $(direct "$T/3.json")"
[ "$(checksum "$s1")" = "$(checksum "$s2")" ] || fail "the second load changed the tables"

# 4. Duplicated ids in a batch are never direct (the upsert picks the winner).
cat "$T/a.ndjson" "$T/a.ndjson" | feedpipe-load -q --pg "" --schema "$s3" --batch-rows 5000 --stats "$T/4.json"
[ "$(jq -r '[.batches_direct, .inserted, .duplicates] | @tsv' "$T/4.json")" = "$(printf '0\t%s\t%s' "$n" "$n")" ] ||
  fail "duplicates: $(cat "$T/4.json")"
echo "ok: $batches batches direct, $batches fallbacks"
