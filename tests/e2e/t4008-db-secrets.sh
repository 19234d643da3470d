#!/usr/bin/env bash
# Passwords never appear in messages, stats or the load_runs table, whether
# the connection works, is refused, or the connection string is malformed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'drop_schema "$s"; rm -rf "$T"' EXIT
pw=Sup3rSecretPw
in=$FP_SOURCE/fixtures/load/articles.ndjson

# Works (the test server trusts local connections and ignores the password).
feedpipe-load -v --pg "host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER password=$pw" \
  --schema "$s" --stats "$T/s.json" <"$in" 2>"$T/1.err" || fail "load: $(cat "$T/1.err")"
q -c "SELECT arguments FROM \"$s\".load_runs" >"$T/args"
grep -q "$PGDATABASE" "$T/args" || fail "arguments not recorded: $(cat "$T/args")"

# Refused: no such database (not retried: the server answered).
rc=0
feedpipe-load --pg "postgresql://$PGUSER:$pw@/no_such_db?host=$PGHOST&port=$PGPORT" <"$in" 2>"$T/2.err" || rc=$?
[ $rc = 4 ] || fail "refused connection: exit $rc"
grep -q 'no_such_db' "$T/2.err" || fail "message: $(cat "$T/2.err")"

# Malformed connection strings (libpq would quote them).
rc=0
feedpipe-load --pg "host=$PGHOST password=$pw bogus" <"$in" 2>"$T/3.err" || rc=$?
[ $rc = 4 ] || fail "malformed: exit $rc"
grep -q 'invalid connection string' "$T/3.err" || fail "message: $(cat "$T/3.err")"
rc=0
feedpipe-load --pg "postgresql://u:$pw@[bad" <"$in" 2>"$T/4.err" || rc=$?
[ $rc = 4 ] || fail "malformed URI: exit $rc"

# Password from the environment, server gone.
rc=0
PGPASSWORD=$pw feedpipe-load --retries 1 --pg "host=$T/nowhere" <"$in" 2>"$T/5.err" || rc=$?
[ $rc = 4 ] || fail "no server: exit $rc"

if grep -l "$pw" "$T"/*.err "$T/s.json" "$T/args"; then
  fail "the password leaked"
fi
echo ok
