#!/usr/bin/env bash
# The driver never puts the --pg connection string on a stage's command
# line, where every local user reads it (ps, /proc/PID/cmdline): the loader
# gets it on an inherited descriptor (--pg-fd 3) and closes it once read.
# While a run is held open (its list of paths comes from a FIFO), every
# child's command line and environment is read; then the places a password
# could leak after the run: messages, --stats, load_runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'exec 9>&- 2>/dev/null || true; [ -n "${drv:-}" ] && kill "$drv" 2>/dev/null; drop_schema "$s"; rm -rf "$T"' EXIT
pw=Sup3rSecretPw$$
dsn="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER password=$pw"
posts=$FP_SOURCE/fixtures/extract/basic-hexo/input

# children PID: the pids whose parent is PID.
children() {
  local f pid comm state ppid rest
  for f in /proc/[0-9]*/stat; do
    read -r pid comm state ppid rest <"$f" 2>/dev/null || continue
    [ "$ppid" = "$1" ] && echo "$pid"
  done
  return 0
}

# held_run NAME DRIVER-ARGS...: starts the driver on a FIFO of paths, waits
# until its four stages run at once, checks each, then lets the run end.
held_run() {
  local name=$1 i pid n seen=() rc=0; shift
  rm -f "$T/fifo"; mkfifo "$T/fifo"
  feedpipe run -q - --root "$posts" --schema "$s" --stats "$T/$name.stats" "$@" \
    <"$T/fifo" 2>"$T/$name.err" & drv=$!
  exec 9>"$T/fifo"
  find "$posts" -name '*.md' >&9
  for i in $(seq 300); do
    mapfile -t seen < <(children "$drv")
    [ ${#seen[@]} -ge 4 ] && break
    sleep 0.1
  done
  [ ${#seen[@]} -eq 4 ] || fail "$name: ${#seen[@]} children of the driver, expected 4"
  for pid in "${seen[@]}"; do
    tr '\0' ' ' <"/proc/$pid/cmdline" >"$T/$name.cmdline.$pid" || fail "$name: no cmdline of $pid"
    if grep -q "$pw" "$T/$name.cmdline.$pid"; then
      fail "$name: the password is on the command line of $(cat "$T/$name.cmdline.$pid")"
    fi
    # Nobody but the user reads a process's environment (Linux), and the
    # password is not there either.
    [ "$(stat -c %a "/proc/$pid/environ")" = 400 ] || fail "$name: /proc/$pid/environ is readable by others"
    if tr '\0' '\n' <"/proc/$pid/environ" | grep -q "$pw"; then
      fail "$name: the password is in the environment of $pid"
    fi
  done
  n=$(cat "$T/$name".cmdline.* | grep -c 'feedpipe-load.*--pg-fd 3') || true
  [ "$n" = 1 ] || fail "$name: no loader with --pg-fd 3 among $(cat "$T/$name".cmdline.*)"
  # The loader has read and closed the pipe (3 may be its socket now).
  pid=$(grep -l 'feedpipe-load' "$T/$name".cmdline.*); pid=${pid##*.}
  for i in $(seq 300); do
    case $(readlink "/proc/$pid/fd/3" 2>/dev/null) in pipe:*) sleep 0.1 ;; *) break ;; esac
  done
  case $(readlink "/proc/$pid/fd/3" 2>/dev/null) in
  pipe:*) fail "$name: the loader keeps the pipe of descriptor 3 open" ;;
  esac
  exec 9>&-
  wait "$drv" || rc=$?
  drv=
  [ $rc = 0 ] || fail "$name: driver exit $rc: $(cat "$T/$name.err")"
}

# The password in --pg: no child sees it.
held_run pg --pg "$dsn"
# From a descriptor (a file here): no process at all, the driver included.
printf '%s\n' "$dsn" >"$T/dsn"
rm -f "$T/fifo"; mkfifo "$T/fifo"
feedpipe run -q - --root "$posts" --schema "$s" --pg-fd 3 3<"$T/dsn" <"$T/fifo" 2>"$T/fd.err" & drv=$!
exec 9>"$T/fifo"
for i in $(seq 300); do [ "$(children "$drv" | wc -l)" -ge 4 ] && break; sleep 0.1; done
tr '\0' ' ' <"/proc/$drv/cmdline" >"$T/fd.cmdline"
grep -q -- '--pg-fd 3' "$T/fd.cmdline" || fail "driver: $(cat "$T/fd.cmdline")"
for pid in $drv $(children "$drv"); do
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$pw"; then fail "--pg-fd: the password is on a command line"; fi
done
find "$posts" -name '*.md' >&9
exec 9>&-
rc=0; wait "$drv" || rc=$?; drv=
[ $rc = 0 ] || fail "driver --pg-fd: exit $rc: $(cat "$T/fd.err")"

# The loads happened, and the run rows say where without the password.
n=$(q -c "SELECT count(*) FROM \"$s\".articles")
[ "$n" -gt 0 ] || fail "nothing loaded"
q -c "SELECT status, array_to_string(arguments, ' ') FROM \"$s\".load_runs ORDER BY id" >"$T/runs"
[ "$(grep -c '^ok|.*--pg-fd 3' "$T/runs")" = 2 ] || fail "load_runs: $(cat "$T/runs")"

# Failures name the database without the password: refused, unreachable,
# and the driver's own connection for --incremental.
rc=0; feedpipe run -q "$posts" --pg "postgresql://$PGUSER:$pw@/no_such_db?host=$PGHOST&port=$PGPORT" \
  2>"$T/refused.err" || rc=$?
[ $rc = 6 ] && grep -q no_such_db "$T/refused.err" || fail "refused: exit $rc: $(cat "$T/refused.err")"
rc=0; feedpipe run -q "$posts" --incremental --pg "host=$T/nowhere password=$pw" --schema "$s" \
  2>"$T/state.err" || rc=$?
[ $rc = 4 ] && grep -q 'state in' "$T/state.err" || fail "state: exit $rc: $(cat "$T/state.err")"
# A descriptor that is not open, or holds nothing, is a usage error.
rc=0; feedpipe run -q "$posts" --pg-fd 7 2>"$T/badfd.err" || rc=$?
[ $rc = 2 ] && grep -q "invalid --pg-fd '7'" "$T/badfd.err" || fail "--pg-fd 7: exit $rc"
rc=0; feedpipe-load --pg-fd 3 --pg "$dsn" 3<"$T/dsn" </dev/null 2>"$T/twice.err" || rc=$?
[ $rc = 2 ] && grep -q 'give --pg or --pg-fd once' "$T/twice.err" || fail "--pg-fd and --pg: exit $rc"

if grep -l "$pw" "$T"/*.err "$T"/*.stats "$T/runs"; then
  fail "the password leaked"
fi
echo ok
