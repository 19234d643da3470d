#!/usr/bin/env bash
# A loader killed while writing leaves no file under a final name: SIGKILL
# leaves only hidden temporaries, SIGTERM/SIGINT clean up and exit 143/130;
# a write error (full disk) exits 3 with nothing under the final name.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
gen_articles 1000 >"$T/in.ndjson"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$T"' EXIT

# slow: the input, then a pause (the loader is mid-write, files open).
slow() { cat "$T/in.ndjson"; sleep 10; }

for sig in KILL TERM INT; do
  out=$T/$sig
  mkdir -p "$out"
  slow | env --default-signal=INT feedpipe-load -q --out "$out/a.jsonl.gz" & pid=$!
  for _ in $(seq 100); do [ -n "$(ls -A "$out")" ] && break; sleep 0.05; done
  sleep 0.3
  kill -s "$sig" "$pid"
  rc=0; wait "$pid" || rc=$?
  [ ! -e "$out/a.jsonl.gz" ] || fail "SIG$sig: a file under the final name"
  [ ! -e "$out/a.rejects.jsonl.gz" ] || fail "SIG$sig: a rejects file under the final name"
  case $sig in
  KILL) [ "$rc" = 137 ] || fail "SIGKILL: exit $rc" ;;
  TERM) [ "$rc" = 143 ] || fail "SIGTERM: exit $rc"
        [ -z "$(ls -A "$out")" ] || fail "SIGTERM: left $(ls -A "$out")" ;;
  INT)  [ "$rc" = 130 ] || fail "SIGINT: exit $rc"
        [ -z "$(ls -A "$out")" ] || fail "SIGINT: left $(ls -A "$out")" ;;
  esac
  # The same with --out-dir: no part under its final name.
  slow | env --default-signal=INT feedpipe-load -q --out-dir "$out/tree" & pid=$!
  for _ in $(seq 100); do [ -d "$out/tree" ] && [ -n "$(ls -A "$out/tree")" ] && break; sleep 0.05; done
  sleep 0.3
  kill -s "$sig" "$pid"
  wait "$pid" || true
  [ -z "$(find "$out/tree" -name 'part-*' -o -name 'rejects.jsonl.gz')" ] ||
    fail "SIG$sig: --out-dir left final names: $(find "$out/tree" -type f)"
  # Interrupted, not killed: no hidden temporaries, no empty dt= directories.
  if [ $sig != KILL ]; then
    [ -z "$(find "$out/tree" -mindepth 1)" ] || fail "SIG$sig: --out-dir left $(find "$out/tree" -mindepth 1)"
  fi
done

# A full disk: exit 3, no final file.
if [ -w /dev/full ]; then
  mkdir -p "$T/full"
  # The temporary name is .a.jsonl.gz.tmp.PID: make every name in the
  # directory a link to /dev/full by writing through a symlinked directory
  # is not possible, so fill a tiny tmpfs when we may, else skip this part.
  if mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
    rc=0; feedpipe-load -q --out "$T/full/a.jsonl.gz" --compress-level 0 <"$T/in.ndjson" 2>"$T/full.err" || rc=$?
    ls -A "$T/full" >"$T/full.ls"
    umount "$T/full"
    [ "$rc" = 3 ] || fail "full disk: exit $rc"
    [ ! -s "$T/full.ls" ] || fail "full disk: left $(cat "$T/full.ls")"
    grep -q "No space left on device" "$T/full.err" || fail "full disk message: $(cat "$T/full.err")"
  else
    echo "(no tmpfs mount: full-disk case skipped)"
  fi
fi
echo ok
