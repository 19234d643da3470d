# feedpipe-clean's command line: help matches the README, usage errors exit 2,
# bad rule files are reported with their name, the pipeline streams.
. "$(dirname "$0")/lib.sh"

feedpipe-clean --help > "$T/help"
grep -q '^usage: feedpipe-clean' "$T/help" || fail "help: $(cat "$T/help")"
# The README documents every option of the help text, with the same defaults.
if [ -n "${FP_SOURCE:-}" ]; then
  sed -n '/<!-- SECTION:clean -->/,/<!-- SECTION:normalize -->/p' "$FP_SOURCE/README.md" > "$T/readme"
  for opt in $(grep -o -- '--[a-z-]*' "$T/help" | grep -v -- '--help\|--version\|--quiet\|--verbose' | sort -u); do
    grep -qF -- "\`$opt" "$T/readme" || grep -qF -- "$opt" "$T/readme" || fail "README lacks $opt"
  done
  grep -qF '(default 256)' "$T/readme" && grep -qF '(default `8M`)' "$T/readme" || fail "README defaults"
fi
feedpipe-clean --version | grep -q 'feedpipe' || fail "version"

set +e
feedpipe-clean --max-depth 0 < /dev/null > /dev/null 2> "$T/e1"; rc1=$?
feedpipe-clean --max-html x < /dev/null > /dev/null 2> "$T/e2"; rc2=$?
feedpipe-clean --rules /nonexistent.yaml < /dev/null > /dev/null 2> "$T/e3"; rc3=$?
feedpipe-clean extra-arg < /dev/null > /dev/null 2> "$T/e4"; rc4=$?
feedpipe-clean --bogus < /dev/null > /dev/null 2>&1; rc5=$?
set -e
[ "$rc1 $rc2 $rc3 $rc4 $rc5" = "2 2 2 2 2" ] || fail "usage exit codes: $rc1 $rc2 $rc3 $rc4 $rc5"
grep -q "^feedpipe-clean: invalid --max-depth '0'" "$T/e1" || fail "e1: $(cat "$T/e1")"
grep -q '^feedpipe-clean: /nonexistent.yaml: cannot open rules' "$T/e3" || fail "e3: $(cat "$T/e3")"

# Empty input: no output, exit 0.
feedpipe-clean < /dev/null > "$T/out"
[ ! -s "$T/out" ] || fail "output on empty input"

# Many records stream through with bounded work; the reader going away ends
# the stage with SIGPIPE, quietly.
for i in $(seq 1 2000); do
  printf '{"source":{"path":"p%d.md"},"meta":{},"body":"<p>para %d</p><script>x()</script>","warnings":[]}\n' $i $i
done > "$T/many.jsonl"
feedpipe-clean < "$T/many.jsonl" > "$T/many.out"
[ "$(wc -l < "$T/many.out")" = 2000 ] || fail "record count"
[ "$(jq -r .text "$T/many.out" | sort -u | wc -l)" = 2000 ] || fail "texts"
set +e
feedpipe-clean < "$T/many.jsonl" 2> "$T/err" | head -n 1 > /dev/null
rc=${PIPESTATUS[0]}
set -e
[ $rc -eq 141 ] || fail "SIGPIPE: exit $rc"
[ ! -s "$T/err" ] || fail "stderr on SIGPIPE: $(cat "$T/err")"
echo ok
