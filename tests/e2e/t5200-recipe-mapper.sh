#!/usr/bin/env bash
# The README's Hadoop Streaming and PySpark pipe() mappers work as written,
# with the relative paths they document: the exact commands, taken from the
# README, run from a task folder elsewhere (and from inside the archive),
# fed offset<TAB>path lines (Hadoop's NLineInputFormat) or paths (Spark),
# give the records and ids of a driver run over the archive; a mapper whose
# every path fails fails. And --root applies to every input: stdin paths,
# named files and directories, --root / included.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
command -v python3 >/dev/null || skip "no python3"
readme=$FP_SOURCE/README.md
gen_inputs 200
archive=$T/gen

# The commands as the README writes them, with the archive's place.
hadoop=$(sed -n "s/^ *-mapper '\(.*\)'\$/\1/p" "$readme")
spark=$(sed -n '/^ *sc.textFile("paths.txt").pipe($/{n;s/^ *"\(.*\)",$/\1/p}' "$readme")
[ -n "$hadoop" ] && [ -n "$spark" ] || fail "no Hadoop or Spark command in the README"
hadoop=${hadoop//\/srv\/archive/$archive}
spark=${spark//\/srv\/archive/$archive}

# The reference: a driver run over the archive; every record it wrote.
"$driver" run -q "$archive" --out "$T/ref/a.jsonl.gz" || fail "driver run"
{ zcat "$T/ref/a.jsonl.gz"; zcat "$T/ref/a.rejects.jsonl.gz"; } | sort >"$T/want"
[ "$(wc -l <"$T/want")" -gt 150 ] || fail "reference run: $(wc -l <"$T/want") records"

# The input: paths relative to the archive, as find . writes them, in two
# splits (two tasks), each line prefixed with its byte offset.
(cd "$archive" && find . -name '*.md' | sort) >"$T/paths.txt"
awk '{ printf "%d\t%s\n", off, $0; off += length($0) + 1 }' "$T/paths.txt" >"$T/nline.txt"
n=$(wc -l <"$T/paths.txt")
head -n $((n / 2)) "$T/nline.txt" >"$T/split0"; tail -n +$((n / 2 + 1)) "$T/nline.txt" >"$T/split1"

# mapper DIR CMD INPUT: runs CMD from folder DIR as Hadoop and PySpark do
# (split into words the way a shell splits them, no shell in between).
mapper() {
  (cd "$1" && python3 -c 'import shlex, subprocess, sys; sys.exit(subprocess.call(shlex.split(sys.argv[1])))' "$2") <"$3"
}
mkdir -p "$T/task/attempt_0001_m_000000_0"
for where in "$T/task/attempt_0001_m_000000_0" "$archive"; do
  for k in 0 1; do
    mapper "$where" "$hadoop" "$T/split$k" >"$T/hadoop$k" 2>"$T/hadoop$k.err" ||
      fail "hadoop mapper in $where: exit $?: $(cat "$T/hadoop$k.err")"
  done
  sort "$T/hadoop0" "$T/hadoop1" >"$T/got"
  diff -q "$T/want" "$T/got" >/dev/null ||
    fail "hadoop mapper in $where: records differ from the driver's: $(diff "$T/want" "$T/got" | head -c 1500)"
  mapper "$where" "$spark" "$T/paths.txt" >"$T/spark" 2>"$T/spark.err" ||
    fail "spark pipe in $where: exit $?: $(cat "$T/spark.err")"
  sort "$T/spark" | diff -q "$T/want" - >/dev/null || fail "spark pipe in $where: records differ"
done
# The ids, said once more: those of the driver run.
jq -r 'select(.id) | .id' "$T/got" | sort >"$T/ids.got"
jq -r 'select(.id) | .id' "$T/want" | sort >"$T/ids.want"
diff -q "$T/ids.want" "$T/ids.got" >/dev/null || fail "ids differ"

# A task whose every path fails (the archive is not where --root says)
# fails, with a message, instead of emitting read-error rejects.
rc=0; mapper "$T/task" "${hadoop//$archive/$T/nowhere}" "$T/split0" >/dev/null 2>"$T/none.err" || rc=$?
[ $rc = 3 ] && grep -q 'none of the .* inputs could be read' "$T/none.err" ||
  fail "mapper with a wrong root: exit $rc: $(tail -3 "$T/none.err")"
rc=0; mapper "$T/task" "${spark//$archive/$T/nowhere}" "$T/paths.txt" >/dev/null 2>&1 || rc=$?
[ $rc != 0 ] || fail "spark pipe with a wrong root: exit 0"

# --root applies to every input, / included: stdin paths, named files and
# the directory give the same records, paths relative to /.
feedpipe-extract -q --root / "$archive" | sort >"$T/root-dir"
find "$archive" -name '*.md' | feedpipe-extract -q --root / - | sort >"$T/root-stdin"
find "$archive" -name '*.md' -print0 | xargs -0 feedpipe-extract -q --root / | sort >"$T/root-files"
diff -q "$T/root-dir" "$T/root-stdin" >/dev/null || fail "--root /: stdin paths differ from the directory's"
diff -q "$T/root-dir" "$T/root-files" >/dev/null || fail "--root /: named files differ from the directory's"
[ "$(jq -r '.source.root' "$T/root-stdin" | sort -u)" = / ] || fail "--root /: root is not /"
jq -r '.source.path' "$T/root-stdin" | grep -qv "^${archive#/}/" && fail "--root /: a path not relative to /"
# A directory under the root is that part of the tree, not the whole root.
sub=$(cd "$archive" && find . -mindepth 1 -maxdepth 1 -type d | sort | head -1); sub=${sub#./}
feedpipe-extract -q --root "$archive" "$archive/$sub" | sort >"$T/sub"
feedpipe-extract -q "$archive" | jq -c "select(.source.path | startswith(\"$sub/\"))" | sort >"$T/sub.want"
[ -s "$T/sub" ] && diff -q "$T/sub.want" "$T/sub" >/dev/null || fail "--root DIR DIR/$sub: not the records of $sub"
echo ok
