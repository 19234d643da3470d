# Into PostgreSQL: `feedpipe run --pg` stores the articles that --out-dir
# writes, and -j 2 gives exactly the database content of -j 1.
#
# The -j comparison runs over the generated archive only: of two files with
# one id the loader keeps the later in the stream, and in the real corpus
# two versions of one post sit under different names (0002.md, 0003.md), so
# different shards, in an order -j does not fix. In a Hexo archive a post's
# path is made from its title, which the id is made from: one id, one path,
# one shard.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
[ -n "${PGHOST:-}${PGDATABASE:-}" ] || skip "no test server (PGHOST unset; run scripts/test)"
command -v psql > /dev/null || skip "psql missing"
gen_inputs 300
s1=fp_drv_all_$$ s2=fp_drv_j2_$$ s3=fp_drv_j1_$$
trap 'for s in $s1 $s2 $s3; do psql -qX -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1; done; rm -rf "$T"' EXIT

"$driver" run -q "${inputs[@]}" --pg '' --schema "$s1" --out-dir "$T/j1"
"$driver" run -q "$T/gen" --pg '' --schema "$s3"
"$driver" run -q -j 2 "$T/gen" --pg '' --schema "$s2"

# What a run put in a schema, without the columns that say when it ran.
content() {
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'load_run'
    FROM $1.articles a ORDER BY id" &&
  psql -qAtX -v ON_ERROR_STOP=1 -c "SELECT stage, reason, source_path, record_sha256
    FROM $1.rejects ORDER BY record_sha256"
}
content "$s3" > "$T/db1"
content "$s2" > "$T/db2"
[ -s "$T/db1" ] || fail "nothing loaded"
diff -q "$T/db1" "$T/db2" > /dev/null || fail "-j 2 loaded other content than -j 1"

# The same articles as the JSONL sink (which keeps every version of an id).
psql -qAtX -c "SELECT id FROM $s1.articles ORDER BY id" > "$T/ids.db"
articles "$T/j1" | jq -r .id | LC_ALL=C sort -u > "$T/ids.jsonl"
LC_ALL=C sort "$T/ids.db" > "$T/ids.db.sorted"
diff -u "$T/ids.jsonl" "$T/ids.db.sorted" || fail "--pg and --out-dir hold other articles"
echo "ok: $(wc -l < "$T/ids.db") articles"
