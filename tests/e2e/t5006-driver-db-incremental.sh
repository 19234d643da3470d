# Incremental runs (--state): a re-run over an unchanged archive starts no
# stage; changed files are processed, touched ones (same content) are not; a
# failed run does not advance the state; --full processes everything.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
[ -n "${PGHOST:-}${PGDATABASE:-}" ] || skip "no test server (PGHOST unset; run scripts/test)"
command -v psql > /dev/null || skip "psql missing"
"$FP_SOURCE/scripts/gen-corpus" "$T/gen" 200 5 2> /dev/null || fail "gen-corpus"
s=fp_drv_inc_$$
trap 'psql -qX -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1; rm -rf "$T"' EXIT
st=$T/state
run() { "$driver" run -q "$T/gen" --pg '' --schema "$s" --state "$st" --stats "$T/stats.json" "$@"; }
stat_is() { jq -e "$1" "$T/stats.json" > /dev/null || fail "expected $1: $(jq -c 'del(.stages)' "$T/stats.json")"; }

run
stat_is '.state.files == 200 and .state.changed == 200 and .files == 200'
[ "$(wc -l < "$st")" -eq 201 ] || fail "the state should list 200 files"

# Unchanged: no stage runs (no stage stats), the state file is not rewritten.
cp -p "$st" "$T/state.before"
run
stat_is '.state.changed == 0 and (.stages == null)'
cmp -s "$st" "$T/state.before" || fail "an unchanged re-run rewrote the state"

# Two files changed, one only touched.
mapfile -t f < <(find "$T/gen" -name '*.md' | LC_ALL=C sort | sed -n '10p;20p;30p')
printf '\n<p>new paragraph</p>\n' >> "${f[0]}"
printf '\n<p>new paragraph</p>\n' >> "${f[1]}"
touch -d '2030-01-01' "${f[2]}"
run
stat_is '.state.changed == 2 and .state.touched == 1 and .stages.extract.records_in == 2'
run
stat_is '.state.changed == 0'

# A failed run leaves the state as it was: the change is seen again.
printf '\n<p>again</p>\n' >> "${f[0]}"
cp -p "$st" "$T/state.before"
got=0; run --clean-opt=--no-such-option 2> "$T/err" || got=$?
[ $got -eq 6 ] || fail "a failing stage: status $got, expected 6"
cmp -s "$st" "$T/state.before" || fail "a failed run advanced the state"
run
stat_is '.state.changed == 1'
run --full
stat_is '.state.changed == 200'

# The content equals a plain full run's (but for source_mtime, which a
# touched file keeps from its last load: its content was not read again).
"$driver" run -q "$T/gen" --pg '' --schema "${s}_full"
trap 'psql -qX -c "DROP SCHEMA IF EXISTS $s CASCADE; DROP SCHEMA IF EXISTS ${s}_full CASCADE" >/dev/null 2>&1; rm -rf "$T"' EXIT
q="SELECT to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'first_seen_at' - 'load_run' - 'source_mtime' FROM %s.articles a ORDER BY id"
psql -qAtX -c "$(printf "$q" "$s")" > "$T/inc"
psql -qAtX -c "$(printf "$q" "${s}_full")" > "$T/full"
[ -s "$T/full" ] || fail "nothing loaded"
diff -q "$T/inc" "$T/full" > /dev/null || fail "incremental runs loaded other content than a full run"

# --state with --out FILE is refused (a run would replace FILE with the
# changed files' articles); --out-dir is fine (t5008).
got=0; "$driver" run -q "$T/gen" --out "$T/o.jsonl.gz" --state "$st" 2> /dev/null || got=$?
[ $got -eq 2 ] || fail "--state with --out: status $got, expected 2"
echo ok
