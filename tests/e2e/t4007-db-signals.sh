#!/usr/bin/env bash
# SIGTERM / SIGINT during a load: the batch in flight is rolled back, the
# loader exits 143 / 130, the load run is marked interrupted, and only
# whole batches are stored.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'kill $(jobs -p) 2>/dev/null || true; drop_schema "${s}_TERM"; drop_schema "${s}_INT"; rm -rf "$T"' EXIT
gen_articles 1000 >"$T/in.ndjson"

for sig in TERM INT; do
  { cat "$T/in.ndjson"; sleep 5; } |
    env --default-signal=INT feedpipe-load -q --pg "" --schema "${s}_$sig" --batch-rows 64 --stats "$T/$sig.json" & pid=$!
  # Until the last whole batch before the pause is committed.
  for _ in $(seq 200); do
    [ "$(q -c "SELECT coalesce(max(batches), 0) >= 15 FROM \"${s}_$sig\".load_runs" 2>/dev/null)" = t ] && break
    sleep 0.05
  done
  kill -s "$sig" "$pid"
  rc=0; wait "$pid" || rc=$?
  [ "$rc" = "$([ $sig = TERM ] && echo 143 || echo 130)" ] || fail "SIG$sig: exit $rc"
  [ "$(q -c "SELECT status, batches FROM \"${s}_$sig\".load_runs")" = "interrupted|15" ] ||
    fail "SIG$sig: load run $(q -c "SELECT status, batches FROM \"${s}_$sig\".load_runs")"
  n=$(q -c "SELECT count(*) + (SELECT count(*) FROM \"${s}_$sig\".rejects) FROM \"${s}_$sig\".articles")
  [ "$n" = $((15 * 64)) ] || fail "SIG$sig: $n records stored, expected 15 whole batches"
  [ "$(jq .batches "$T/$sig.json")" = 15 ] || fail "SIG$sig: stats"
done
echo ok
