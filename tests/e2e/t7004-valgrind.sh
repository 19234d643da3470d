#!/usr/bin/env bash
# valgrind memcheck over the whole pipeline: extract over fixtures/ (and the
# corpus when $FP_CORPUS has it), then clean, normalize and load --out, each
# stage under valgrind on the previous stage's output: no invalid access, no
# uninitialised value, no definite leak (exit 99 otherwise).
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || skip "no valgrind"
[ -z "${ASAN_OPTIONS:-}${FP_SANITIZE:-}" ] || skip "sanitizer build (valgrind cannot run ASan binaries)"
grep -q 'FP_SANITIZE:BOOL=ON' "$FP_BUILD/CMakeCache.txt" 2>/dev/null && skip "sanitizer build"

vg=(valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite
  --log-file="$T/vg.%p.log")
inputs=("$FP_SOURCE/fixtures")
[ -d "${FP_CORPUS:-}/rsshub" ] && inputs+=("$FP_CORPUS/rsshub") ||
  echo "(no corpus at ${FP_CORPUS:-<unset>}: fixtures only)"
[ -f "${FP_CORPUS:-}/seed/000_0cca1a8520dcaf12.txt" ] && inputs+=("$FP_CORPUS/seed/000_0cca1a8520dcaf12.txt")

run() {
  local name=$1
  shift
  rc=0
  timeout 300 "${vg[@]}" "$@" || rc=$?
  if [ "$rc" != 0 ]; then
    cat "$T"/vg.*.log >&2 2>/dev/null || true
    fail "$name under valgrind: exit $rc"
  fi
  echo "$name: clean" >&2
}
run extract feedpipe-extract -q --glob '*.md' --glob '*.txt' "${inputs[@]}" >"$T/x.jsonl"
[ "$(wc -l <"$T/x.jsonl")" -gt 20 ] || fail "only $(wc -l <"$T/x.jsonl") records"
run clean feedpipe-clean -q <"$T/x.jsonl" >"$T/c.jsonl"
run normalize feedpipe-normalize -q --now 2026-01-01T00:00:00Z <"$T/c.jsonl" >"$T/n.jsonl"
run load feedpipe-load -q --out "$T/a.jsonl.gz" <"$T/n.jsonl"
run load-out-dir feedpipe-load -q --out-dir "$T/tree" <"$T/n.jsonl"
# Rejects and bad lines too: the catalogue's NDJSON cases in small.
printf '[[[[]]]]\nnot json\n{"body":1}\n{"reject":{"stage":"extract","reason":"x"}}\n' >"$T/bad.ndjson"
for stage in clean normalize; do
  run "$stage-bad" "feedpipe-$stage" -q <"$T/bad.ndjson" >/dev/null
done
run load-bad feedpipe-load -q --out "$T/bad.jsonl.gz" <"$T/bad.ndjson"
[ "$(zcat "$T/a.jsonl.gz" | wc -l)" = "$(jq -c 'select(.reject == null)' "$T/n.jsonl" | wc -l)" ] ||
  fail "load lost articles"
echo ok
