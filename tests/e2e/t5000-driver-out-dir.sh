# `feedpipe run INPUT --out-dir` writes what the hand-written pipe writes.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
gen_inputs 300

feedpipe-extract -q "${inputs[@]}" | feedpipe-clean -q | feedpipe-normalize -q |
  feedpipe-load -q --out-dir "$T/pipe"
"$driver" run -q "${inputs[@]}" --out-dir "$T/run" --stats "$T/stats.json"

(cd "$T/pipe" && find . -type f | sort) > "$T/pipe.files"
(cd "$T/run" && find . -type f | sort) > "$T/run.files"
diff -u "$T/pipe.files" "$T/run.files" || fail "the trees differ"
articles "$T/pipe" > "$T/pipe.jsonl"
articles "$T/run" > "$T/run.jsonl"
[ -s "$T/run.jsonl" ] || fail "no articles"
diff -q "$T/pipe.jsonl" "$T/run.jsonl" > /dev/null || fail "the articles differ"
zcat "$T/pipe/rejects.jsonl.gz" | sort > "$T/pipe.rej"
zcat "$T/run/rejects.jsonl.gz" | sort > "$T/run.rej"
diff -q "$T/pipe.rej" "$T/run.rej" > /dev/null || fail "the rejects differ"

# The merged stats add up.
files=$(find "${inputs[@]}" -name '*.md' | wc -l)
jq -e --argjson f "$files" '.files == $f and .lines_relayed == $f and
  .stages.load.records_in == $f and .stages.extract.max_rss_kb > 0' "$T/stats.json" > /dev/null ||
  fail "stats: $(jq -c 'del(.stages)' "$T/stats.json")"
echo "ok: $(wc -l < "$T/run.jsonl") articles, $(wc -l < "$T/run.rej") rejects"
