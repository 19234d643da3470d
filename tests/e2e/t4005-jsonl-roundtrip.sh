#!/usr/bin/env bash
# The gzipped JSON Lines sink: what goes in comes out through zcat | jq,
# rejects in the sibling file; --out-dir writes a Hive-style tree of parts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
in=$FP_SOURCE/fixtures/load/articles.ndjson

# Single file.
feedpipe-load -q --out "$T/out/articles.jsonl.gz" --stats "$T/s.json" <"$in" || fail "load --out"
grep -v '^this is not json' "$in" |
  jq -c 'select(.reject == null and .published_at != "2018-02-30T00:00:00Z")' >"$T/articles.expect"
zcat "$T/out/articles.jsonl.gz" | jq -c . >"$T/articles.actual"
diff -u "$T/articles.expect" "$T/articles.actual"
# Not re-serialized: the lines are the input lines.
grep -vF -e '"reject"' -e 'not json' -e '2018-02-30' "$in" >"$T/raw.expect"
zcat "$T/out/articles.jsonl.gz" | cmp - "$T/raw.expect"
zcat "$T/out/articles.rejects.jsonl.gz" | jq -r .reject.reason >"$T/reasons"
printf 'frontmatter-unterminated\nndjson-invalid\narticle-invalid\n' | diff -u - "$T/reasons"
[ "$(ls -A "$T/out" | tr '\n' ' ')" = "articles.jsonl.gz articles.rejects.jsonl.gz " ] ||
  fail "stray files: $(ls -A "$T/out")"
gzip -t "$T/out/articles.jsonl.gz"
[ "$(jq '[.jsonl_records, .jsonl_rejects, .jsonl_files] | join(" ")' -r "$T/s.json")" = "6 3 2" ] ||
  fail "stats: $(cat "$T/s.json")"

# Partitioned, with small parts: every article once, in the part of its date.
gen_articles 500 >"$T/g.ndjson"
feedpipe-load -q --out-dir "$T/tree" --part-size 4K --compress-level 6 <"$T/g.ndjson" || fail "load --out-dir"
find "$T/tree" -name '.*' | grep . && fail "temporary files left"
for f in "$T"/tree/dt=*/part-*.jsonl.gz; do
  d=${f#"$T"/tree/dt=}; d=${d%%/*}
  zcat "$f" | jq -r --arg d "$d" 'select(.published_at[0:10] != $d) | "\(.id) in \($d)"'
done >"$T/misplaced"
[ ! -s "$T/misplaced" ] || fail "articles in the wrong partition: $(head -3 "$T/misplaced")"
zcat "$T"/tree/dt=*/part-*.jsonl.gz | jq -r .id | sort >"$T/ids.actual"
grep -v '"reject"' "$T/g.ndjson" | jq -r .id | sort >"$T/ids.expect"
diff -u "$T/ids.expect" "$T/ids.actual"
[ "$(ls "$T"/tree/dt=*/part-* | wc -l)" -gt "$(ls -d "$T"/tree/dt=* | wc -l)" ] ||
  fail "no rotation at --part-size 4K"
[ "$(zcat "$T/tree/rejects.jsonl.gz" | wc -l)" = 5 ] || fail "rejects file"

# Many partitions, few open streams: members are appended, files stay valid.
feedpipe-load -q --out-dir "$T/tree2" 2>&1 <"$T/g.ndjson" || fail "load --out-dir (2)"
zcat "$T"/tree2/dt=*/part-*.jsonl.gz | jq -r .id | sort | diff -u "$T/ids.expect" -

# A record without a date goes to the default partition.
grep -v '^this is not json' "$in" | jq -c 'select(.title? == "\\.")' | feedpipe-load -q --out-dir "$T/tree3"
[ "$(zcat "$T/tree3/dt=__HIVE_DEFAULT_PARTITION__/part-00000.jsonl.gz" | jq -r .id)" = 04bb13c1ea3ff61f ] ||
  fail "default partition"
# An empty input still makes complete (empty) files.
feedpipe-load -q --out "$T/empty.jsonl.gz" </dev/null
[ -f "$T/empty.jsonl.gz" ] && [ "$(zcat "$T/empty.jsonl.gz" | wc -c)" = 0 ] || fail "empty output"
echo ok
