# Incremental runs with the state in the database (--incremental --pg, table
# source_files): the first run records every file; an unchanged re-run starts
# no stage and changes no table; a modified file is the only one processed; a
# failed or killed stage leaves source_files (and the articles) as they were;
# a deleted file leaves the state; --full processes everything; shards keep
# each other's rows.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
[ -n "${PGHOST:-}${PGDATABASE:-}" ] || skip "no test server (PGHOST unset; run scripts/test)"
command -v psql > /dev/null || skip "psql missing"
command -v jq > /dev/null || skip "jq missing"
"$FP_SOURCE/scripts/gen-corpus" "$T/gen" 200 5 2> /dev/null || fail "gen-corpus"
s=fp_drv_incdb_$$
trap 'psql -qX -c "DROP SCHEMA IF EXISTS $s CASCADE; DROP SCHEMA IF EXISTS ${s}_full CASCADE; DROP SCHEMA IF EXISTS ${s}_sh CASCADE" > /dev/null 2>&1; rm -rf "$T"' EXIT
root=$(realpath "$T/gen")
run() { "$driver" run -q "$T/gen" --pg '' --schema "$s" --incremental --stats "$T/stats.json" "$@"; }
stat_is() { jq -e "$1" "$T/stats.json" > /dev/null || fail "expected $1: $(jq -c 'del(.stages.extract, .stages.clean, .stages.normalize)' "$T/stats.json")"; }
sql() { psql -qAtX -v ON_ERROR_STOP=1 -c "$1"; }
# One checksum per table, of every row.
sums() {
  for t in articles article_images rejects load_runs source_files; do
    printf '%s %s\n' "$t" "$(sql "SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (SELECT to_jsonb(t)::text x FROM $s.$t t) q")"
  done
}
# The files on disk and the rows of source_files, as path|bytes|mtime_ns|sha256.
on_disk() {
  (cd "$T/gen" && find . -name '*.md' -type f -printf '%P\n' | LC_ALL=C sort | while IFS= read -r f; do
    printf '%s|%s|%s|%s\n' "$f" "$(stat -c %s "$f")" "$(stat -c %.9Y "$f" | tr -d .)" "$(sha256sum < "$f" | cut -d' ' -f1)"
  done)
}
in_db() { sql "SELECT path || '|' || bytes || '|' || mtime_ns || '|' || sha256 FROM $s.source_files WHERE root = '$root' ORDER BY path COLLATE \"C\""; }

# First run: everything loaded, every file recorded with this run's load_run.
run
stat_is '.state.files == 200 and .state.changed == 200 and .state.in == "database" and .files == 200'
l1=$(jq '.stages.load.load_run' "$T/stats.json")
on_disk > "$T/disk"
in_db > "$T/db"
diff -u "$T/disk" "$T/db" > "$T/diff" || fail "source_files does not match the files: $(head -5 "$T/diff")"
[ "$(sql "SELECT count(*) FROM $s.source_files WHERE load_run = $l1")" -eq 200 ] || fail "rows without the run's load_run $l1"
[ "$(sql "SELECT count(*) FROM $s.articles")" -gt 150 ] || fail "too few articles loaded"

# Unchanged: no stage, no new load run, every table as it was.
sums > "$T/sums.before"
run
stat_is '.state.changed == 0 and .stages == null'
sums > "$T/sums.after"
diff -u "$T/sums.before" "$T/sums.after" || fail "an unchanged re-run changed the database"

# One file modified, one only touched (two that made articles): only the
# first is read by extract.
mapfile -t rel < <(sql "SELECT source_path FROM $s.articles ORDER BY source_path COLLATE \"C\" LIMIT 2 OFFSET 9")
f=("$T/gen/${rel[0]}" "$T/gen/${rel[1]}")
r0=${rel[0]//\'/\'\'} r1=${rel[1]//\'/\'\'}
printf '\n<p>a new paragraph</p>\n' >> "${f[0]}"
touch -d '2030-01-01 00:00:00' "${f[0]}"
touch -d '2030-01-02 00:00:00' "${f[1]}"
run
stat_is '.state.changed == 1 and .state.touched == 1 and .stages.extract.records_in == 1 and .stages.load.updated == 1'
l2=$(jq '.stages.load.load_run' "$T/stats.json")
[ "$l2" -gt "$l1" ] || fail "no new load run"
on_disk > "$T/disk"
in_db > "$T/db"
diff -u "$T/disk" "$T/db" > "$T/diff" || fail "source_files does not match the files after a change: $(head -5 "$T/diff")"
[ "$(sql "SELECT load_run FROM $s.source_files WHERE path = '$r0'")" = "$l2" ] || fail "the modified file's row has not the new load_run"
[ "$(sql "SELECT load_run FROM $s.source_files WHERE path = '$r1'")" = "$l1" ] || fail "the touched file's row changed its load_run"
[ "$(sql "SELECT count(*) FROM $s.source_files WHERE load_run = $l1")" -eq 199 ] || fail "other rows changed"

# A stage that fails, then one killed mid-run (a stand-in normalize that
# passes two records and dies of SIGKILL): exit 6, and neither the state nor
# the articles move (the loader was stopped before the end of its input).
printf '\n<p>once more</p>\n' >> "${f[0]}"
touch -d '2030-01-03 00:00:00' "${f[0]}"
sums | grep -v load_runs > "$T/sums.before"
got=0; run --clean-opt=--no-such-option 2> "$T/err" || got=$?
[ $got -eq 6 ] || fail "a failing stage: status $got, expected 6"
sums | grep -v load_runs > "$T/sums.after"
diff -u "$T/sums.before" "$T/sums.after" || fail "a failed run changed the database"
mkdir "$T/libexec"
for st in extract clean load; do ln -s "$FP_BUILD/feedpipe-$st" "$T/libexec/feedpipe-$st"; done
printf '#!/bin/sh\n"%s/feedpipe-normalize" "$@" | head -n 2\nkill -KILL $$\n' "$FP_BUILD" > "$T/libexec/feedpipe-normalize"
chmod +x "$T/libexec/feedpipe-normalize"
got=0; FEEDPIPE_LIBEXEC=$T/libexec run --full 2> "$T/err" || got=$?
[ $got -eq 6 ] || { cat "$T/err" >&2; fail "a killed stage: status $got, expected 6"; }
grep -q '^feedpipe: feedpipe-normalize killed by signal 9' "$T/err" || fail "the killed stage is not named: $(cat "$T/err")"
sums | grep -v load_runs > "$T/sums.after"
diff -u "$T/sums.before" "$T/sums.after" || fail "a killed run changed the database"
# The change is still seen, and recorded once processed.
run
stat_is '.state.changed == 1 and .stages.extract.records_in == 1'
on_disk > "$T/disk"
in_db > "$T/db"
diff -u "$T/disk" "$T/db" > /dev/null || fail "source_files does not match the files after the retry"

# A deleted file leaves the state (no stage starts); its article stays.
n=$(sql "SELECT count(*) FROM $s.articles")
rm "${f[1]}"
run
stat_is '.state.gone == 1 and .state.changed == 0 and .stages == null'
[ "$(sql "SELECT count(*) FROM $s.source_files")" -eq 199 ] || fail "the deleted file is still recorded"
[ "$(sql "SELECT count(*) FROM $s.articles")" -eq "$n" ] || fail "the deleted file's article went"

# --full processes every file and records them all with its load run.
run --full
stat_is '.state.changed == 199 and .stages.extract.records_in == 199 and .stages.load.inserted == 0 and .stages.load.updated == 0'
l3=$(jq '.stages.load.load_run' "$T/stats.json")
[ "$(sql "SELECT count(*) FROM $s.source_files WHERE load_run = $l3")" -eq 199 ] || fail "--full did not record every file"

# The articles are those of one plain run over the same tree (but for
# source_mtime: a touched file keeps its own from its last load).
"$driver" run -q "$T/gen" --pg '' --schema "${s}_full"
q="SELECT to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'first_seen_at' - 'load_run' - 'source_mtime' FROM %s.articles a WHERE source_path <> '$r1' ORDER BY id"
sql "$(printf "$q" "$s")" > "$T/inc"
sql "$(printf "$q" "${s}_full")" > "$T/full"
[ -s "$T/full" ] || fail "nothing loaded"
diff -q "$T/inc" "$T/full" > /dev/null || fail "incremental runs loaded other content than a full run"

# Two shards into one schema: each records its own files and keeps the other's.
for k in 0 1; do
  "$driver" run -q "$T/gen" --shard $k/2 --pg '' --schema "${s}_sh" --incremental --stats "$T/stats.json"
done
[ "$(sql "SELECT count(*) FROM ${s}_sh.source_files")" -eq 199 ] || fail "two shards did not record every file"
"$driver" run -q "$T/gen" --shard 0/2 --pg '' --schema "${s}_sh" --incremental --stats "$T/stats.json"
stat_is '.state.changed == 0 and .state.gone == 0'
[ "$(sql "SELECT count(*) FROM ${s}_sh.source_files")" -eq 199 ] || fail "a shard's re-run dropped the other shard's rows"
echo ok
