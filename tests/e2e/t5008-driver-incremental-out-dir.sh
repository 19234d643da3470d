# Incremental runs into a JSONL tree (--out-dir DIR --incremental): the state
# is DIR/_feedpipe_state.jsonl; every run adds parts under names of its own
# (part-RUNID-NNNNN.jsonl.gz, rejects-RUNID.jsonl.gz) and keeps the earlier
# ones; an unchanged re-run writes nothing; a failed or killed run leaves the
# tree and the state as they were; keeping, per id, the latest source.mtime
# gives what one full run gives; --full adds a complete new set.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
command -v jq > /dev/null || skip "jq missing"
"$FP_SOURCE/scripts/gen-corpus" "$T/gen" 200 5 2> /dev/null || fail "gen-corpus"
o=$T/out
st=$o/_feedpipe_state.jsonl
run() { "$driver" run -q "$T/gen" --out-dir "$o" --incremental --stats "$T/stats.json" "$@"; }
stat_is() { jq -e "$1" "$T/stats.json" > /dev/null || fail "expected $1: $(jq -c 'del(.stages.extract, .stages.clean, .stages.normalize)' "$T/stats.json")"; }
# Every file of the tree with its size and mtime (hidden temporaries too).
tree() { (cd "$o" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort); }
# Per id, the record with the latest source.mtime (ties as the loader breaks
# them: the greater source.path, then content_hash).
latest() { jq -c -s 'group_by(.id) | map(max_by([.source.mtime, .source.path, .content_hash])) | .[]' | LC_ALL=C sort; }

# First run: the state lists every file; the articles are a plain run's.
run
stat_is '.state.files == 200 and .state.changed == 200 and .files == 200'
jq -e --arg st "$st" '.state.in == $st' "$T/stats.json" > /dev/null || fail "the state is not in $st"
[ "$(wc -l < "$st")" -eq 201 ] || fail "the state should list 200 files"
[ "$(find "$o" -name 'part-*.jsonl.gz' | grep -cvE '/dt=[^/]+/part-[0-9]{8}T[0-9]{6}Z-[0-9]{5}\.jsonl\.gz$')" -eq 0 ] ||
  fail "parts not named part-RUNID-NNNNN: $(find "$o" -name 'part-*' | head -3)"
[ "$(find "$o" -maxdepth 1 -name 'rejects-*.jsonl.gz' | wc -l)" -eq 1 ] || fail "no rejects-RUNID.jsonl.gz"
[ ! -e "$o/rejects.jsonl.gz" ] || fail "an incremental run wrote rejects.jsonl.gz"
"$driver" run -q "$T/gen" --out-dir "$T/full"
articles "$T/full" > "$T/full.lines"
articles "$o" > "$T/inc.lines"
[ -s "$T/full.lines" ] || fail "nothing written"
diff -q "$T/full.lines" "$T/inc.lines" > /dev/null || fail "the first incremental run wrote other articles than a plain run"

# Unchanged: no stage starts, not a byte is written.
tree > "$T/tree.before"
run
stat_is '.state.changed == 0 and .stages == null'
tree > "$T/tree.after"
diff -u "$T/tree.before" "$T/tree.after" || fail "an unchanged re-run wrote to the tree"

# One file modified (one that made an article): one new part and a new
# rejects file; every earlier file is kept as it was.
rel=$(zcat "$(find "$o" -name 'part-*.jsonl.gz' | LC_ALL=C sort | head -1)" | head -1 | jq -r .source.path)
printf '\n<p>a new paragraph</p>\n' >> "$T/gen/$rel"
touch -d '2030-01-01 00:00:00' "$T/gen/$rel"
run
stat_is '.state.changed == 1 and .stages.extract.records_in == 1 and .stages.load.jsonl_records == 1'
tree > "$T/tree.after"
LC_ALL=C comm -23 "$T/tree.before" "$T/tree.after" | grep -v '^_feedpipe_state.jsonl ' > "$T/lost" || true
[ ! -s "$T/lost" ] || fail "a run replaced or removed earlier files: $(head -3 "$T/lost")"
LC_ALL=C comm -13 "$T/tree.before" "$T/tree.after" | cut -d' ' -f1 > "$T/new"
[ "$(grep -c '/part-' "$T/new")" -eq 1 ] && [ "$(grep -c '^rejects-' "$T/new")" -eq 1 ] ||
  fail "expected one new part and one new rejects file: $(cat "$T/new")"
[ "$(zcat "$o/$(grep /part- "$T/new")" | jq -r .source.path)" = "$rel" ] || fail "the new part does not hold the modified file's article"
sha=$(sha256sum < "$T/gen/$rel" | cut -d' ' -f1)
jq -s -e --arg p "$rel" --arg h "$sha" 'any(.[]; .path == $p and .sha256 == $h)' "$st" > /dev/null || fail "the state does not record the new content"
# Readers keep, per id, the latest source.mtime: that is a full run now.
rm -rf "$T/full"
"$driver" run -q "$T/gen" --out-dir "$T/full"
articles "$T/full" | latest > "$T/full.latest"
articles "$o" | latest > "$T/inc.latest"
diff -q "$T/full.latest" "$T/inc.latest" > /dev/null || fail "the latest version per id is not a full run's"
run
stat_is '.state.changed == 0'

# A failing stage, then a killed one (a stand-in normalize that passes two
# records and dies of SIGKILL): exit 6, no file added, the state as it was.
printf '\n<p>once more</p>\n' >> "$T/gen/$rel"
touch -d '2030-01-02 00:00:00' "$T/gen/$rel"
tree > "$T/tree.before"
got=0; run --clean-opt=--no-such-option 2> "$T/err" || got=$?
[ $got -eq 6 ] || fail "a failing stage: status $got, expected 6"
tree > "$T/tree.after"
diff -u "$T/tree.before" "$T/tree.after" || fail "a failed run changed the tree"
mkdir "$T/libexec"
for s in extract clean load; do ln -s "$FP_BUILD/feedpipe-$s" "$T/libexec/feedpipe-$s"; done
printf '#!/bin/sh\n"%s/feedpipe-normalize" "$@" | head -n 2\nkill -KILL $$\n' "$FP_BUILD" > "$T/libexec/feedpipe-normalize"
chmod +x "$T/libexec/feedpipe-normalize"
got=0; FEEDPIPE_LIBEXEC=$T/libexec run --full 2> "$T/err" || got=$?
[ $got -eq 6 ] || { cat "$T/err" >&2; fail "a killed stage: status $got, expected 6"; }
grep -q '^feedpipe: feedpipe-normalize killed by signal 9' "$T/err" || fail "the killed stage is not named: $(cat "$T/err")"
tree > "$T/tree.after"
diff -u "$T/tree.before" "$T/tree.after" || fail "a killed run changed the tree"
run
stat_is '.state.changed == 1'

# --full writes a complete new set of parts beside the old ones.
before=$(find "$o" -name 'part-*.jsonl.gz' | wc -l)
run --full
stat_is '.state.changed == 200'
new=$(LC_ALL=C find "$o" -name 'rejects-*.jsonl.gz' | LC_ALL=C sort | tail -1 | sed 's/.*rejects-\(.*\)\.jsonl\.gz/\1/')
find "$o" -name "part-$new-*.jsonl.gz" -print0 | xargs -0 zcat | LC_ALL=C sort > "$T/last.lines"
rm -rf "$T/full"
"$driver" run -q "$T/gen" --out-dir "$T/full"
articles "$T/full" > "$T/full.lines"
diff -q "$T/full.lines" "$T/last.lines" > /dev/null || fail "--full did not write a complete set"
[ "$(find "$o" -name 'part-*.jsonl.gz' | wc -l)" -gt "$before" ] || fail "--full removed older parts"
echo ok
