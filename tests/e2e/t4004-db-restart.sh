#!/usr/bin/env bash
# A server restart during a load is survived (reconnect with backoff, the
# uncommitted batch redone); a server that stays away is reported with exit
# status 4 after --retries, with only whole batches committed. Uses a private
# server (scripts/pg-tmp), since it restarts it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
private_pg

rows=100
gen_articles 2000 >"$T/in.ndjson"
feedpipe-load -q --pg "" --schema ref --batch-rows $rows <"$T/in.ndjson"
want=$(checksum ref)

# feed N GO: the first N input lines, then (once file GO exists, 30 s at
# most) the rest.
feed() {
  head -n "$1" "$T/in.ndjson"
  for _ in $(seq 600); do [ -e "$2" ] && break; sleep 0.05; done
  tail -n +"$(($1 + 1))" "$T/in.ndjson"
}

# wait_batches SCHEMA N: until N batches of the current run are committed.
wait_batches() {
  for _ in $(seq 200); do
    [ "$(q -c "SELECT coalesce(max(batches), 0) >= $2 FROM \"$1\".load_runs" 2>/dev/null)" = t ] && return 0
    sleep 0.05
  done
  fail "no progress in $1"
}

# 1. Restart between batches: the next batch finds the connection gone.
feed 600 "$T/go1" |
  feedpipe-load -q --pg "" --schema a --batch-rows $rows --stats "$T/a.json" & pid=$!
# (5 of the 6 fed batches are sure to be committed; the 6th may be too.)
wait_batches a 5
"$FP_SOURCE/scripts/pg-tmp" restart "$pg" 2>/dev/null
touch "$T/go1"
wait $pid || fail "load did not survive the restart (exit $?)"
[ "$(jq .retries "$T/a.json")" -ge 1 ] || fail "no retry counted"
[ "$(q -c "SELECT retries >= 1 FROM a.load_runs")" = t ] || fail "no retry in load_runs"
[ "$(checksum a)" = "$want" ] || fail "state after the restart differs from an uninterrupted run"
[ "$(q -c "SELECT status, inserted, batches FROM a.load_runs")" = "ok|$(grep -vc '"reject"' "$T/in.ndjson")|20" ] ||
  fail "load_runs after the restart: $(q -c "SELECT * FROM a.load_runs")"

# 2. Restart at an arbitrary moment of a streaming load: survived, or
#    reported with exit 4 and only whole batches.
feedpipe-load -q --pg "" --schema b --batch-rows 10 --stats "$T/b.json" <"$T/in.ndjson" & pid=$!
wait_batches b 3
"$FP_SOURCE/scripts/pg-tmp" restart "$pg" 2>/dev/null
rc=0; wait $pid || rc=$?
case $rc in
0) [ "$(checksum b)" = "$want" ] || fail "state after a restart mid-load differs" ;;
4) b=$(q -c "SELECT batches FROM b.load_runs")
   [ "$(q -c "SELECT count(*) FROM b.articles")" = "$(head -n $((b * 10)) "$T/in.ndjson" | grep -vc '"reject"')" ] ||
     fail "partial batch after exit 4" ;;
*) fail "exit $rc after a restart mid-load" ;;
esac

# 3. The server goes away for good: exit 4 after the retries, whole batches.
#    Exactly 5 batches are fed before the server goes, so exactly 5 commit.
feed 500 "$T/go3" |
  feedpipe-load --pg "" --schema c --batch-rows $rows --retries 2 2>"$T/c.err" & pid=$!
wait_batches c 5
"$FP_SOURCE/scripts/pg-tmp" halt "$pg"
touch "$T/go3"
rc=0; wait $pid || rc=$?
[ $rc = 4 ] || fail "exit $rc, expected 4, when the server is gone: $(cat "$T/c.err")"
grep -q "gave up after 2 retries" "$T/c.err" || fail "message: $(cat "$T/c.err")"
eval "$("$FP_SOURCE/scripts/pg-tmp" start "$pg")"
[ "$(q -c "SELECT batches, status FROM c.load_runs")" = "5|running" ] ||
  fail "load_runs after giving up: $(q -c "SELECT * FROM c.load_runs")"
[ "$(q -c "SELECT count(*) FROM c.articles")" = "$(head -n 500 "$T/in.ndjson" | grep -vc '"reject"')" ] ||
  fail "rows after giving up"
# A re-run completes the load.
feedpipe-load -q --pg "" --schema c --batch-rows $rows <"$T/in.ndjson"
[ "$(checksum c)" = "$want" ] || fail "re-run after giving up"
echo ok
