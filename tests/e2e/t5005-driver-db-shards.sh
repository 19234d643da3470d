# Scale-out on one machine: two `feedpipe run --shard K/2` processes at once
# into one schema give the database content of one unsharded run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
[ -n "${PGHOST:-}${PGDATABASE:-}" ] || skip "no test server (PGHOST unset; run scripts/test)"
command -v psql > /dev/null || skip "psql missing"
"$FP_SOURCE/scripts/gen-corpus" "$T/gen" 600 11 2> /dev/null || fail "gen-corpus"
one=fp_drv_one_$$ two=fp_drv_two_$$
trap 'for s in $one $two; do psql -qX -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1; done; rm -rf "$T"' EXIT

"$driver" run -q "$T/gen" --pg '' --schema "$one"
# The schema first, so that the two loaders do not race to create it.
feedpipe-load -q --pg '' --schema "$two" --migrate
"$driver" run -q --shard 0/2 "$T/gen" --pg '' --schema "$two" --batch-rows 50 & p0=$!
"$driver" run -q --shard 1/2 "$T/gen" --pg '' --schema "$two" --batch-rows 50 & p1=$!
wait $p0 || fail "shard 0/2 failed"
wait $p1 || fail "shard 1/2 failed"

content() {
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'first_seen_at' - 'load_run'
    FROM $1.articles a ORDER BY id" &&
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT article_id, position, src FROM $1.article_images
    ORDER BY 1, 2" &&
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT stage, reason, source_path FROM $1.rejects ORDER BY 3"
}
content "$one" > "$T/one"
content "$two" > "$T/two"
[ -s "$T/one" ] || fail "nothing loaded"
diff -q "$T/one" "$T/two" > /dev/null || fail "two shard runs differ from one run"
echo "ok: $(psql -qAtX -c "SELECT count(*) FROM $two.articles") articles"
