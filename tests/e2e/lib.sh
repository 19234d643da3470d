# Sourced by the e2e scripts: common setup and helpers.
set -euo pipefail
: "${FP_BUILD:?run through ctest (FP_BUILD unset)}"
export PATH="$FP_BUILD:$PATH"
T=$(mktemp -d /tmp/fp-e2e.XXXXXX)
trap 'rm -rf "$T"' EXIT

# skip "reason": exit with ctest's skip code.
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# The real corpus lives outside the repository; tests that need it skip cleanly without it.
need_corpus() {
  [ -d "${FP_CORPUS:-}/rsshub" ] || skip "no corpus at ${FP_CORPUS:-<unset>} (../shared/corpus)"
}
