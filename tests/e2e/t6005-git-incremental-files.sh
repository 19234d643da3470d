#!/usr/bin/env bash
# feedpipe run --git --incremental without a database: the state in the
# --out-dir's _feedpipe_state.jsonl, or in --state FILE. Each run adds the
# parts of the commits after the last one loaded, so the tree holds every
# version once, as one run writes them; a run with nothing new writes
# nothing; a state file of directory runs is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/git-lib.sh"
driver=$FP_BUILD/feedpipe

r=$T/repo t0=1609459200
repo_init "$r"
step() { # step K: a commit that adds post K and re-renders post K-1
  post "$r" 科技/SiteA/Feed1 "Post $1" "2021-01-0$1 08:00:00"
  [ "$1" -gt 1 ] && post "$r" 科技/SiteA/Feed1 "Post $(($1 - 1))" "2021-01-0$1 09:00:00"
  commit_at "$r" $((t0 + $1 * 3600)) "c$1"
}
versions() { zcat "$1"/dt=*/*.jsonl.gz | jq -r '[.source.git.commit, .source.path] | @tsv' | sort; }

step 1
step 2
"$driver" run -q --git "$r" --prefix source/_posts --out-dir "$T/one" --incremental
step 3
"$driver" run -q --git "$r" --prefix source/_posts --out-dir "$T/one" --incremental --stats "$T/s.json"
[ "$(jq -c '[.state.from == "'"$(git -C "$r" rev-parse HEAD~1)"'", .stages.extract.git.commits, .records_out]' "$T/s.json")" = '[true,1,2]' ] ||
  fail "second run: $(jq -c '.state, .stages.extract.git' "$T/s.json")"
{ head -1 "$T/one/_feedpipe_state.jsonl"; tail -n +2 "$T/one/_feedpipe_state.jsonl" | jq -c 'del(.load_run)'; } >"$T/got"
printf '%s\n' '{"feedpipe_state":1,"git":true}' \
  "{\"repository\":\"$(realpath "$r")\",\"prefix\":\"source/_posts\",\"commit\":\"$(git -C "$r" rev-parse HEAD)\"}" >"$T/expect"
diff -u "$T/expect" "$T/got"
ls "$T/one"/dt=*/part-*-*.jsonl.gz >/dev/null || fail "the parts of incremental runs have no run id"

# Nothing new: nothing written.
before=$(find "$T/one" -type f | sort | xargs md5sum)
"$driver" run -q --git "$r" --prefix source/_posts --out-dir "$T/one" --incremental
[ "$(find "$T/one" -type f | sort | xargs md5sum)" = "$before" ] || fail "a run with no new commit wrote"

# The tree of three runs holds the versions one run writes.
"$driver" run -q --git "$r" --prefix source/_posts --out-dir "$T/all"
diff -u <(versions "$T/all") <(versions "$T/one")
[ "$(versions "$T/one" | wc -l)" = 5 ] || fail "versions: $(versions "$T/one")"

# --state FILE: the state where the run says, whatever the sinks.
step 4
"$driver" run -q --git "$r" --prefix source/_posts --out-dir "$T/two" --state "$T/state.jsonl" \
  --rev HEAD~1 --incremental
"$driver" run -q --git "$r" --prefix source/_posts --out-dir "$T/two" --state "$T/state.jsonl" \
  --incremental --stats "$T/s.json"
[ "$(jq .stages.extract.git.commits "$T/s.json")" = 1 ] || fail "--state: $(jq -c .stages.extract.git "$T/s.json")"
[ "$(tail -1 "$T/state.jsonl" | jq -r .commit)" = "$(git -C "$r" rev-parse HEAD)" ] || fail "--state file"
[ ! -e "$T/two/_feedpipe_state.jsonl" ] || fail "--state FILE and the out-dir's state both written"
# Another prefix of the same repository has a state of its own in the file.
"$driver" run -q --git "$r" --out-dir "$T/three" --state "$T/state.jsonl" --incremental
[ "$(tail -n +2 "$T/state.jsonl" | jq -r .prefix | sort | tr '\n' ' ')" = " source/_posts " ] ||
  fail "two prefixes in one state file: $(cat "$T/state.jsonl")"

# A state file of directory runs is not one of --git runs.
post "$T/posts" a/b/c One "2021-01-01 08:00:00"
"$driver" run -q "$T/posts/source/_posts" --out-dir "$T/dirs" --incremental
rc=0; "$driver" run -q --git "$r" --out-dir "$T/x" --state "$T/dirs/_feedpipe_state.jsonl" --incremental 2>"$T/err" || rc=$?
[ $rc = 3 ] && grep -q "state of directory runs" "$T/err" || fail "directory state: $rc $(cat "$T/err")"
echo ok
