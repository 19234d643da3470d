# Sourced by the t5*-driver-* scripts after lib.sh: the driver and the real stages.
driver=$(command -v feedpipe || command -v feedpipe-run) || fail "no driver in $FP_BUILD"
for s in extract clean normalize load; do
  [ -x "$FP_BUILD/feedpipe-$s" ] || skip "feedpipe-$s is not built (yet)"
done
unset FEEDPIPE_LIBEXEC

# inputs: a small generated archive (malformed posts included), and the real
# corpus when it is there.
gen_inputs() {
  "$FP_SOURCE/scripts/gen-corpus" "$T/gen" "${1:-300}" 7 2> /dev/null || fail "gen-corpus"
  inputs=("$T/gen")
  if [ -d "${FP_CORPUS:-}/rsshub" ]; then inputs+=("$FP_CORPUS/rsshub"); fi
}

# articles DIR: every article line an --out-dir tree holds, sorted.
articles() {
  find "$1" -name 'part-*.jsonl.gz' -print0 | sort -z | xargs -0r zcat | sort
}
