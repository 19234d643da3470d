# CLI conventions: exit codes, --max-rejects, --stats, SIGPIPE, usage errors.
. "$(dirname "$0")/lib.sh"
mkdir "$T/in"
printf -- '---\ntitle: ok\n---\nbody\n' > "$T/in/a.md"
printf -- '---\ntitle: broken\n' > "$T/in/b.md"

# One reject within the default limit: exit 0, reported on stderr and in --stats.
feedpipe-extract --stats "$T/s.json" "$T/in" > "$T/out" 2> "$T/err"
grep -q '^feedpipe-extract: b.md:1: unterminated front matter' "$T/err" || fail "stderr: $(cat "$T/err")"
jq -e '.records_in == 2 and .records_out == 1 and .rejects == 1 and .reasons["frontmatter-unterminated"] == 1' "$T/s.json" > /dev/null \
  || fail "stats: $(cat "$T/s.json")"

# Over --max-rejects: exit 1, and the output is still complete.
set +e
feedpipe-extract --max-rejects 0 "$T/in" > "$T/out" 2> "$T/err"; rc=$?
set -e
[ $rc -eq 1 ] || fail "--max-rejects 0: exit $rc"
grep -q 'too many rejects' "$T/err" || fail "no 'too many rejects' message"

# -q: no per-record messages.
feedpipe-extract -q "$T/in" > /dev/null 2> "$T/err"
[ ! -s "$T/err" ] || fail "-q printed: $(cat "$T/err")"

# Usage errors exit 2.
set +e
feedpipe-extract > /dev/null 2>&1; rc1=$?
feedpipe-extract --shard 2/2 "$T/in" > /dev/null 2>&1; rc2=$?
feedpipe-extract --no-such-option > /dev/null 2>&1; rc3=$?
set -e
[ "$rc1 $rc2 $rc3" = "2 2 2" ] || fail "usage exit codes: $rc1 $rc2 $rc3"

# The reader goes away: killed quietly by SIGPIPE (141), no error message.
for i in $(seq 1 3000); do printf -- '---\ntitle: p%d\n---\n%0500d\n' $i 0 > "$T/in/p$i.md"; done
set +e
feedpipe-extract "$T/in" 2> "$T/err" | head -n 1 > /dev/null
rc=${PIPESTATUS[0]}
set -e
[ $rc -eq 141 ] || fail "SIGPIPE: exit $rc"
grep -v 'unterminated\|rejected' "$T/err" | grep -q . && fail "stderr on SIGPIPE: $(cat "$T/err")"

feedpipe-extract --help | grep -q '^usage: feedpipe-extract' || fail "--help"
feedpipe-extract --version | grep -q 'feedpipe' || fail "--version"
echo ok
