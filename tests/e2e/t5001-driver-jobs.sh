# -j 2 writes the same articles as -j 1; --shard 0/2 and 1/2 together too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/driverlib.sh"
gen_inputs 400

"$driver" run -q "${inputs[@]}" --out-dir "$T/j1"
"$driver" run -q -j 2 "${inputs[@]}" --out-dir "$T/j2"
"$driver" run -q -j 2 --shard 0/2 "${inputs[@]}" --out-dir "$T/s0"
"$driver" run -q --shard 1/2 "${inputs[@]}" --out-dir "$T/s1"
articles "$T/j1" > "$T/j1.jsonl"
articles "$T/j2" > "$T/j2.jsonl"
cat <(articles "$T/s0") <(articles "$T/s1") | sort > "$T/s.jsonl"
[ -s "$T/j1.jsonl" ] || fail "no articles"
diff -q "$T/j1.jsonl" "$T/j2.jsonl" > /dev/null || fail "-j 2 differs from -j 1"
diff -q "$T/j1.jsonl" "$T/s.jsonl" > /dev/null || fail "shards 0/2 + 1/2 differ from the whole"
[ "$(articles "$T/s0" | wc -l)" -gt 0 ] && [ "$(articles "$T/s1" | wc -l)" -gt 0 ] || fail "a shard is empty"
echo "ok: $(wc -l < "$T/j1.jsonl") articles"
