# Killing one stage mid-run: `feedpipe run` exits 6 naming it, and the loader
# commits nothing (its output file never appears under its final name).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
"$FP_SOURCE/scripts/gen-corpus" "$T/gen" 6000 3 2> /dev/null || fail "gen-corpus"

for victim in feedpipe-clean feedpipe-normalize; do
  rm -rf "$T/out"
  "$driver" run -q "$T/gen" --out-dir "$T/out" 2> "$T/err" & pid=$!
  # Wait until the victim runs and records flow, then kill it.
  vpid=
  for _ in $(seq 100); do
    vpid=$(ps --ppid $pid -o pid=,comm= | awk -v v="$victim" 'index(v, $2) == 1 { print $1 }' || true)
    [ -n "$vpid" ] && break
    sleep 0.05
  done
  [ -n "$vpid" ] || fail "$victim did not start"
  sleep 0.3
  kill -9 "$vpid"
  got=0; wait $pid || got=$?
  [ $got -eq 6 ] || { cat "$T/err" >&2; fail "killed $victim: status $got, expected 6"; }
  grep -q "^feedpipe: $victim killed by signal 9" "$T/err" || fail "$victim not named: $(cat "$T/err")"
  n=$(find "$T/out" -name '*.jsonl.gz' 2> /dev/null | wc -l)
  [ "$n" -eq 0 ] || fail "the loader committed $n files of a broken run"
done
echo ok
