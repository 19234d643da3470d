#!/usr/bin/env bash
# feedpipe run --git REPO --incremental --pg, as cron runs it after a git
# pull: the state (source_commits) is the last commit loaded; a run reads
# only the commits after it; ten runs, one per pulled commit, give exactly
# the tables of one run over the ten commits (seen times included); a run
# with nothing new starts no stage; a failed run leaves the state where it
# was and the next run loads what it missed; a state commit that the
# repository no longer has asks for --full.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
. "$(dirname "$0")/git-lib.sh"
need_pg
driver=$FP_BUILD/feedpipe
s1=$(new_schema) s2=$(new_schema)x s3=$(new_schema)y
trap 'for s in $s1 $s2 $s3; do drop_schema "$s"; done; rm -rf "$T"' EXIT

# Upstream: ten commits of a bot. Each adds posts, re-renders some (date:
# only), edits one, deletes one now and then.
up=$T/upstream t0=1609459200
repo_init "$up"
for k in $(seq 1 10); do
  for i in $(seq $((k * 3 - 2)) $((k * 3))); do
    post "$up" "科技/Site$((i % 2))/Feed$((i % 3))" "Post $i" "2021-01-$(printf %02d "$k") 08:00:00"
  done
  for i in $(seq 1 $((k - 1))); do # re-render every earlier post: date: only
    f=$(ls "$up"/source/_posts/*/*/*/"Post $i.md" 2>/dev/null) || continue
    sed -i "s/^date: .*/date: 2021-01-$(printf %02d "$k") 09:00:00/" "$f"
  done
  f=$(ls "$up"/source/_posts/*/*/*/"Post $k.md")
  sed -i "s|</div>|<p>edit $k</p></div>|" "$f" # an edit
  [ $((k % 4)) = 0 ] && git -C "$up" rm -qf "$(ls "$up"/source/_posts/*/*/*/"Post $((k - 2)).md" | sed "s|^$up/||")"
  commit_at "$up" $((t0 + k * 3600)) "render $k"
done
c() { git -C "$up" rev-parse "$1"; }

run() { "$driver" run -q --git "$1" --prefix source/_posts --pg "" --schema "$2" --incremental "${@:3}"; }
full() {
  q -c "SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
    SELECT (to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'load_run' - 'source_root')::text AS x FROM \"$1\".articles a
    UNION ALL SELECT (to_jsonb(v) - 'load_run')::text FROM \"$1\".article_versions v
    UNION ALL SELECT to_jsonb(i)::text FROM \"$1\".article_images i) t"
}

# One run over the ten commits.
run "$up" "$s1" --stats "$T/one.json"
[ "$(jq -c '[.stages.extract.git.commits, .state.from, .state.to == "'"$(c main)"'"]' "$T/one.json")" = '[10,null,true]' ] ||
  fail "one run: $(jq -c '.state, .stages.extract.git' "$T/one.json")"
[ "$(q -c "SELECT repository, prefix, commit FROM \"$s1\".source_commits")" = "$(realpath "$up")|source/_posts|$(c main)" ] ||
  fail "state after one run: $(q -c "SELECT * FROM \"$s1\".source_commits")"
[ "$(q -c "SELECT count(*) FROM \"$s1\".article_versions")" -gt 30 ] || fail "too few versions"

# Two chains (-j 2: shards of the paths) give the same tables; each reads
# every commit, which the driver's stats count once.
run "$up" "$s3" -j 2 --stats "$T/j2.json"
[ "$(jq .stages.extract.git.commits "$T/j2.json")" = 10 ] || fail "-j 2 stats: $(jq -c .stages.extract.git "$T/j2.json")"
[ "$(full "$s3")" = "$(full "$s1")" ] || fail "-j 2 differs from -j 1"

# Nothing new: no stage starts, no load run, the state stays.
runs=$(q -c "SELECT count(*) FROM \"$s1\".load_runs")
run "$up" "$s1" --stats "$T/none.json"
[ "$(q -c "SELECT count(*) FROM \"$s1\".load_runs")" = "$runs" ] || fail "a run with no new commit loaded"
[ "$(jq -c '[.state.from == .state.to, .stages == null]' "$T/none.json")" = '[true,true]' ] ||
  fail "no-op run: $(jq -c . "$T/none.json")"

# A clone that cron pulls into, one commit at a time; each run reads only
# the commit the pull brought.
git clone -q "$up" "$T/clone"
git -C "$T/clone" reset -q --hard "$(c main~9)"
for k in $(seq 9 -1 0); do
  git -C "$T/clone" pull -q --ff-only origin "$(c main~$k)" 2>/dev/null ||
    git -C "$T/clone" merge -q --ff-only "$(c main~$k)"
  run "$T/clone" "$s2" --stats "$T/run.json"
  [ "$(jq .stages.extract.git.commits "$T/run.json")" = 1 ] ||
    fail "run after pull $k read $(jq -c .stages.extract.git "$T/run.json")"
done
[ "$(full "$s2")" = "$(full "$s1")" ] || fail "ten incremental runs differ from one run"
[ "$(q -c "SELECT commit FROM \"$s2\".source_commits")" = "$(c main)" ] || fail "state after ten runs"

# A failed run (a broken post, --max-rejects 0) leaves the state; the next
# run loads what it missed, and then the state moves.
printf -- '---\ntitle: broken\n' >"$up/source/_posts/broken.md"
post "$up" 科技/Site0/Feed0 "Post late" "2021-01-12 08:00:00"
commit_at "$up" $((t0 + 11 * 3600)) "render 11"
git -C "$T/clone" pull -q --ff-only origin main
rc=0; run "$T/clone" "$s2" --max-rejects 0 2>"$T/err" || rc=$?
[ $rc = 1 ] || fail "run over a broken post: status $rc: $(cat "$T/err")"
[ "$(q -c "SELECT commit FROM \"$s2\".source_commits")" = "$(c main~1)" ] || fail "a failed run moved the state"
run "$T/clone" "$s2" --stats "$T/run.json"
[ "$(jq -c '[.stages.extract.git.commits, .stages.extract.rejects]' "$T/run.json")" = '[1,1]' ] ||
  fail "the run after the failed one: $(jq -c .stages.extract "$T/run.json")"
[ "$(q -c "SELECT commit FROM \"$s2\".source_commits")" = "$(c main)" ] || fail "the state did not move"
[ "$(q -c "SELECT count(*) FROM \"$s2\".articles WHERE title = 'Post late'")" = 1 ] || fail "the missed post"

# The state names a commit the repository lost (a rewritten history): the
# run refuses until --full, which reads the whole history again.
q -c "UPDATE \"$s2\".source_commits SET commit = repeat('ab', 20)" >/dev/null
rc=0; run "$T/clone" "$s2" 2>"$T/err" || rc=$?
[ $rc = 2 ] && grep -q "is not in the repository.*run with --full" "$T/err" || fail "lost commit: $rc $(cat "$T/err")"
run "$T/clone" "$s2" --full --stats "$T/run.json"
[ "$(jq .stages.extract.git.commits "$T/run.json")" = 11 ] || fail "--full read $(jq -c .stages.extract.git "$T/run.json")"
[ "$(jq -c '[.stages.load.inserted, .stages.load.updated, .stages.load.versions_inserted, .stages.load.versions_updated]' "$T/run.json")" = '[0,0,0,0]' ] ||
  fail "--full over what is loaded changed something: $(jq -c .stages.load "$T/run.json")"
[ "$(q -c "SELECT commit FROM \"$s2\".source_commits")" = "$(c main)" ] || fail "state after --full"

# Usage: INPUTs, or --shard, with --git --incremental.
rc=0; "$driver" run --git "$up" "$up" --pg "" --schema "$s2" 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "--git with an INPUT: $rc"
rc=0; run "$up" "$s2" --shard 0/2 2>/dev/null || rc=$?
[ $rc = 2 ] || fail "--incremental --git --shard: $rc"
echo ok
