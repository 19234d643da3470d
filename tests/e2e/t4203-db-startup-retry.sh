#!/usr/bin/env bash
# A connection lost while the loader starts up is retried under --retries
# as one lost mid-load: the backend terminated while the loader waits in
# its migrations (another session holds the migration lock) or while it
# makes its staging tables (another session holds articles locked), and the
# server restarted while it waits. The loader waits in start-up because of
# the lock, so each kill hits it there. Uses a private server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
private_pg

gen_articles 300 >"$T/in.ndjson"
feedpipe-load -q --pg '' --schema ref <"$T/in.ndjson" || fail "reference load"
want=$(checksum ref)
n_articles=$(grep -vc '"reject"' "$T/in.ndjson")

# hold SQL: a session that takes a lock with SQL and keeps it (until released).
hold() {
  PGAPPNAME=fp_holder q -c "BEGIN; $1; SELECT pg_sleep(600)" >/dev/null 2>&1 &
  for _ in $(seq 300); do
    [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'fp_holder'
                AND wait_event = 'PgSleep'")" = 1 ] && return 0
    sleep 0.1
  done
  fail "the holder did not take its lock"
}
release() {
  q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'fp_holder'" >/dev/null
}
# waiting TEXT: the pid of the loader's backend waiting for a lock in a
# statement holding TEXT (30 s at most).
waiting() {
  local p text=${1//\'/\'\'}
  for _ in $(seq 300); do
    p=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'feedpipe-load'
              AND wait_event_type = 'Lock' AND position('$text' in query) > 0")
    [ -n "$p" ] && { echo "$p"; return 0; }
    sleep 0.1
  done
  fail "no loader waits in a statement with '$1'"
}
terminate() { [ "$(q -c "SELECT pg_terminate_backend($1)")" = t ] || fail "cannot terminate $1"; }

# check SCHEMA STATS: the run completed as an uninterrupted one, in one row.
check() {
  [ "$(checksum "$1")" = "$want" ] || fail "$1: tables differ from an uninterrupted load"
  [ "$(q -c "SELECT status, inserted FROM \"$1\".load_runs")" = "ok|$n_articles" ] ||
    fail "$1: load_runs: $(q -c "SELECT * FROM \"$1\".load_runs")"
}

# 1. Terminated twice in the migrations (waiting for their advisory lock).
hold "SELECT pg_advisory_xact_lock(hashtext('feedpipe-migrate:' || 'a'))"
feedpipe-load -q --pg '' --schema a --stats "$T/a.json" <"$T/in.ndjson" 2>"$T/a.err" & pid=$!
p1=$(waiting "feedpipe-migrate:' || 'a'"); terminate "$p1"
p2=$(waiting "feedpipe-migrate:' || 'a'"); terminate "$p2"
p3=$(waiting "feedpipe-migrate:' || 'a'")
[ "$p1" != "$p2" ] && [ "$p2" != "$p3" ] || fail "the loader did not reconnect ($p1 $p2 $p3)"
release
rc=0; wait $pid || rc=$?
[ $rc = 0 ] || fail "terminated in the migrations: exit $rc: $(cat "$T/a.err")"
check a

# 2. Terminated while it makes its staging tables, after its load_runs row
#    exists (articles locked by another session): no second row.
feedpipe-load -q --pg '' --schema b --migrate || fail "migrate b"
hold "LOCK TABLE b.articles IN ACCESS EXCLUSIVE MODE"
feedpipe-load -q --pg '' --schema b <"$T/in.ndjson" 2>"$T/b.err" & pid=$!
p1=$(waiting "fp_stage"); terminate "$p1"
p2=$(waiting "fp_stage")
[ "$p1" != "$p2" ] || fail "the loader did not reconnect"
release
rc=0; wait $pid || rc=$?
[ $rc = 0 ] || fail "terminated making its staging tables: exit $rc: $(cat "$T/b.err")"
check b

# 3. The server restarts while the loader waits in its migrations.
hold "SELECT pg_advisory_xact_lock(hashtext('feedpipe-migrate:' || 'c'))"
feedpipe-load -q --pg '' --schema c <"$T/in.ndjson" 2>"$T/c.err" & pid=$!
waiting "feedpipe-migrate:' || 'c'" >/dev/null
"$FP_SOURCE/scripts/pg-tmp" restart "$pg" 2>/dev/null
rc=0; wait $pid || rc=$?
[ $rc = 0 ] || fail "server restarted in start-up: exit $rc: $(cat "$T/c.err")"
check c

# 4. --retries 0 means no retry, at start-up too: exit 4, the cause named.
hold "SELECT pg_advisory_xact_lock(hashtext('feedpipe-migrate:' || 'd'))"
feedpipe-load -q --pg '' --schema d --retries 0 <"$T/in.ndjson" 2>"$T/d.err" & pid=$!
terminate "$(waiting "feedpipe-migrate:' || 'd'")"
rc=0; wait $pid || rc=$?
release
[ $rc = 4 ] && grep -q 'cannot prepare migrations' "$T/d.err" ||
  fail "--retries 0: exit $rc: $(cat "$T/d.err")"
echo ok
