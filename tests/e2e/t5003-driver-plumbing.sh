# The driver's mechanics with stand-in stages (FEEDPIPE_LIBEXEC): whole
# lines from -j chains, pipefail semantics with the failed stage named, the
# loader stopped before it commits, exit codes, --lock, merged --stats.
. "$(dirname "$0")/lib.sh"
driver=$(command -v feedpipe || command -v feedpipe-run) || fail "no driver in $FP_BUILD"
command -v jq > /dev/null || skip "jq missing"

# One script plays every stage (by its name). FAKE_EXIT_<stage>=N exits N
# after its input; FAKE_KILL_<stage>=N kills itself with SIGKILL after N lines;
# the extract writes each record in two pieces, so a relay that does not keep
# lines whole interleaves them under -j.
mkdir "$T/libexec"
cat > "$T/libexec/fake" <<'EOF'
#!/bin/sh
stage=${0##*feedpipe-}
stats=/dev/null out= shard=0/1 n=0
while [ $# -gt 0 ]; do
  case $1 in
  --stats) stats=$2; shift ;;
  --out-dir) out=$2; shift ;;
  --shard) shard=$2; shift ;;
  --) n=$2; shift ;;
  esac
  shift
done
eval "code=\${FAKE_EXIT_$stage:-0} kill_after=\${FAKE_KILL_$stage:-0} delay=\${FAKE_DELAY_$stage:-0}"
[ "$stage" = load ] && [ "$code" != 0 ] && exit "$code"
if [ "$stage" = extract ]; then
  awk -v n="$n" -v shard="$shard" -v delay="$delay" 'BEGIN {
    split(shard, s, "/")
    for (i = 0; i < n; i++) if (i % s[2] == s[1]) {
      printf "{\"n\":%d,\"text\":\"%0200d", i, i; fflush()
      printf "\"}\n"; fflush()
      if (delay) system("sleep " delay)
    }
    printf "{\"program\":\"x\",\"records_in\":%d,\"records_out\":%d,\"rejects\":1,\"reasons\":{\"r\":1}}\n", n, n > "'"$stats"'"
  }'
elif [ "$stage" = load ]; then
  # Commits (renames) only at the end of its input, like the real loader.
  mkdir -p "$out" && awk '{ print }' > "$out/.tmp" && mv "$out/.tmp" "$out/out.jsonl"
  echo '{"records_in":1,"records_out":1,"rejects":0}' > "$stats"
elif [ "$kill_after" != 0 ]; then
  head -n "$kill_after"
  kill -9 $$
else
  awk '{ print }
    END { printf "{\"records_in\":%d,\"records_out\":%d,\"rejects\":0,\"seconds\":0.5}\n", NR, NR > "'"$stats"'" }'
fi
exit "$code"
EOF
chmod +x "$T/libexec/fake"
for s in extract clean normalize load; do ln -s fake "$T/libexec/feedpipe-$s"; done
export FEEDPIPE_LIBEXEC=$T/libexec

run() { # run EXPECTED-STATUS ARGS...: runs the driver, stderr in $T/err
  local want=$1 got=0; shift
  "$driver" run "$@" 2> "$T/err" || got=$?
  [ "$got" -eq "$want" ] || { cat "$T/err" >&2; fail "feedpipe run $*: status $got, expected $want"; }
}

# A good run; the stats of every stage merged.
run 0 500 --out-dir "$T/a" --stats "$T/stats.json"
[ "$(wc -l < "$T/a/out.jsonl")" -eq 500 ] || fail "500 lines expected"
jq -e '.stages.extract.records_out == 500 and .stages.clean.records_in == 500 and .rejects == 1
  and .lines_relayed == 500 and .stages.extract.reasons.r == 1' "$T/stats.json" > /dev/null ||
  fail "merged stats: $(cat "$T/stats.json")"

# -j 3: the same lines, each whole, the extract shards summed.
run 0 -j 3 500 --out-dir "$T/b" --stats "$T/stats3.json"
jq -c . "$T/b/out.jsonl" > /dev/null || fail "-j 3 broke lines"
diff -u <(sort "$T/a/out.jsonl") <(sort "$T/b/out.jsonl") > /dev/null || fail "-j 3 differs from -j 1"
jq -e '.jobs == 3 and .stages.extract.records_out == 1500 and .stages.extract.rejects == 3' \
  "$T/stats3.json" > /dev/null || fail "stats of 3 chains: $(cat "$T/stats3.json")"

# A stage fails: status 6, the stage named, the loader did not commit.
FAKE_EXIT_clean=3 run 6 300 --out-dir "$T/c"
grep -qx 'feedpipe: feedpipe-clean exited with status 3' "$T/err" || fail "clean not named: $(cat "$T/err")"
[ ! -e "$T/c/out.jsonl" ] || fail "the loader committed a failed run"
FAKE_EXIT_normalize=3 run 6 -j 2 300 --out-dir "$T/c"
grep -Eqx 'feedpipe: feedpipe-normalize \(chain [12] of 2\) exited with status 3' "$T/err" ||
  fail "chain not named: $(cat "$T/err")"
FAKE_KILL_normalize=100 run 6 2000 --out-dir "$T/c"
grep -qx 'feedpipe: feedpipe-normalize killed by signal 9 (Killed)' "$T/err" ||
  fail "kill not named: $(cat "$T/err")"
[ ! -e "$T/c/out.jsonl" ] || fail "the loader committed a killed run"
FAKE_EXIT_load=4 run 6 300 --out-dir "$T/c"
grep -qx 'feedpipe: feedpipe-load exited with status 4' "$T/err" || fail "load not named: $(cat "$T/err")"
# Too many rejects in a stage is the data error, as for the stage alone.
FAKE_EXIT_clean=1 run 1 300 --out-dir "$T/c"

# Interrupted: SIGTERM is forwarded, status 143, nothing committed.
FAKE_DELAY_extract=0.05 "$driver" run 100 --out-dir "$T/d" 2> "$T/err" & pid=$!
for _ in $(seq 100); do # until the stages run
  [ "$(ps --ppid $pid -o pid= | wc -l)" -ge 4 ] && break
  sleep 0.05
done
kill -TERM $pid
got=0; wait $pid || got=$?
[ $got -eq 143 ] || fail "SIGTERM: status $got, expected 143"
[ ! -e "$T/d/out.jsonl" ] || fail "the loader committed an interrupted run"

# --lock: a second run exits 5 at once while the first holds the lock.
FAKE_DELAY_extract=0.05 "$driver" run 40 --out-dir "$T/e" --lock "$T/lock" 2> /dev/null & pid=$!
for _ in $(seq 100); do # until it holds the lock (taken before the stages start)
  [ "$(ps --ppid $pid -o pid= | wc -l)" -ge 4 ] && break
  sleep 0.05
done
run 5 10 --out-dir "$T/f" --lock "$T/lock"
grep -q "another run holds the lock" "$T/err" || fail "lock message: $(cat "$T/err")"
wait $pid || fail "the first locked run failed"
run 0 10 --out-dir "$T/f" --lock "$T/lock"

# Usage errors.
run 2 10
run 2 -j 0 10 --out-dir "$T/g"
run 2 --shard 2/2 10 --out-dir "$T/g"
FEEDPIPE_LIBEXEC=$T/nowhere run 2 10 --out-dir "$T/g"
grep -q 'feedpipe-extract not found' "$T/err" || fail "missing stage: $(cat "$T/err")"
echo "ok"
