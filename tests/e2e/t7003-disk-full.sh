#!/usr/bin/env bash
# A full disk for the JSON Lines sink: over `ulimit -f` (load ignores
# SIGXFSZ, so the write fails with EFBIG) and on a 1 MiB tmpfs (skipped when
# mount is not permitted), for --out and --out-dir: a clear message, exit 3,
# nothing under a final name, no temporary left. An unwritable output path
# (under a regular file, which holds even for root) and --stats to one: exit 3.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || skip "no jq"
. "$(dirname "$0")/load-lib.sh"
gen_articles 3000 >"$T/in.ndjson"
[ "$(wc -c <"$T/in.ndjson")" -gt 4000000 ] || fail "setup: input too small"

# check NAME DIR RC ERRFILE PATTERN: exit 3, the message, DIR left empty.
check() {
  [ "$3" = 3 ] || fail "$1: exit $3, want 3: $(cat "$4")"
  grep -Eq "$5" "$4" || fail "$1: message: $(cat "$4")"
  local left
  left=$(find "$2" -type f)
  [ -z "$left" ] || fail "$1: left $left"
}

# ulimit -f (blocks of 1 KiB): far less than the output.
for mode in out out-dir; do
  d=$T/ulimit-$mode
  mkdir "$d"
  arg=(--out "$d/a.jsonl.gz"); [ "$mode" = out-dir ] && arg=(--out-dir "$d/tree")
  rc=0
  lim=200; [ "$mode" = out-dir ] && lim=8  # many partitions, each small
  (ulimit -f "$lim"; exec timeout 60 feedpipe-load -q --compress-level 0 "${arg[@]}" <"$T/in.ndjson") 2>"$T/err" || rc=$?
  check "ulimit -f, --$mode" "$d" "$rc" "$T/err" '^feedpipe-load: .*\.tmp\.[0-9]+: cannot write: File too large'
done
echo "ulimit -f: ok"

# A 1 MiB tmpfs.
mkdir "$T/mnt"
if mount -t tmpfs -o size=1m tmpfs "$T/mnt" 2>/dev/null; then
  trap 'umount "$T/mnt" 2>/dev/null || true; rm -rf "$T"' EXIT
  for mode in out out-dir; do
    arg=(--out "$T/mnt/a.jsonl.gz"); [ "$mode" = out-dir ] && arg=(--out-dir "$T/mnt/tree")
    rc=0
    timeout 60 feedpipe-load -q --compress-level 0 "${arg[@]}" <"$T/in.ndjson" 2>"$T/err" || rc=$?
    check "tmpfs, --$mode" "$T/mnt" "$rc" "$T/err" 'No space left on device'
  done
  umount "$T/mnt"
  trap 'rm -rf "$T"' EXIT
  echo "tmpfs: ok"
else
  echo "(mount -t tmpfs not permitted: the tmpfs case is skipped)"
fi

# An unwritable output path.
for arg in "--out /etc/passwd/x.jsonl.gz" "--out-dir /etc/passwd/tree"; do
  rc=0
  # shellcheck disable=SC2086
  timeout 60 feedpipe-load -q $arg <"$T/in.ndjson" 2>"$T/err" || rc=$?
  [ "$rc" = 3 ] || fail "$arg: exit $rc"
  grep -q '^feedpipe-load: /etc/passwd/.*Not a directory' "$T/err" || fail "$arg: message: $(cat "$T/err")"
done
# --stats to an unwritable path: the data is written, the run exits 3.
mkdir "$T/s"
rc=0
feedpipe-load -q --out "$T/s/a.jsonl.gz" --stats /etc/passwd/s.json <"$T/in.ndjson" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] || fail "--stats unwritable: exit $rc"
grep -q '^feedpipe-load: /etc/passwd/s.json: cannot write stats' "$T/err" || fail "--stats message: $(cat "$T/err")"
[ "$(zcat "$T/s/a.jsonl.gz" | wc -l)" -gt 0 ] || fail "--stats unwritable: no data"
for stage in clean normalize; do
  rc=0
  feedpipe-$stage -q --stats /etc/passwd/s.json </dev/null 2>"$T/err" || rc=$?
  [ "$rc" = 3 ] || fail "$stage --stats unwritable: exit $rc"
  grep -q "^feedpipe-$stage: /etc/passwd/s.json: " "$T/err" || fail "$stage --stats message: $(cat "$T/err")"
done
echo ok
