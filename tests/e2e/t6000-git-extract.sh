#!/usr/bin/env bash
# feedpipe-extract --git over a history made with the git program: a
# re-render that changes only date:, a body edit, a rename, a deletion, a
# merge, quoted and non-UTF-8 file names, a 20 MB post. Checks the records
# (which versions, in which order, with which source.git) exactly; that
# each is the record its file gives in a checkout of its commit; the
# counts; a bare clone, a shallow clone, shards, ranges; errors; and,
# outside ASan, that peak RSS is that of the largest post.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/git-lib.sh"

r=$T/repo
f=科技/SiteA/Feed1
t0=1609459200 # 2021-01-01T00:00:00Z
repo_init "$r"
post "$r" "$f" Alpha "2021-01-01 08:00:00"
post "$r" "$f" Beta "2021-01-01 08:00:00"
post "$r" "$f" 'Say "hi" \ back' "2021-01-01 08:00:00"
post "$r" "$f" "$(printf 'caf\351')" "2021-01-01 08:00:00"
post "$r" 科技/SiteA/.drafts x "2021-01-01 08:00:00"
echo notes >"$r/source/_posts/README.txt"
mkdir -p "$r/themes" && echo '# theme' >"$r/themes/x.md"
commit_at "$r" $t0 c1
post "$r" "$f" Alpha "2021-01-01 09:00:00"                       # date: only
commit_at "$r" $((t0 + 3600)) c2
post "$r" "$f" Beta "2021-01-01 08:00:00" "<p>Beta, edited</p>"  # body
commit_at "$r" $((t0 + 7200)) c3
git -C "$r" mv "source/_posts/$f/Alpha.md" "source/_posts/$f/Alpha2.md"
commit_at "$r" $((t0 + 10800)) c4
git -C "$r" rm -q "source/_posts/$f/Beta.md"
commit_at "$r" $((t0 + 14400)) c5
git -C "$r" checkout -q -b side
post "$r" "$f" Gamma "2021-01-02 08:00:00"
commit_at "$r" $((t0 + 15000)) s1
post "$r" "$f" Gamma "2021-01-02 08:00:00" "<p>Gamma, twice</p>"
commit_at "$r" $((t0 + 16000)) s2
git -C "$r" checkout -q main
post "$r" "$f" Delta "2021-01-02 10:00:00"
commit_at "$r" $((t0 + 17000)) c6
(cd "$r" && GIT_COMMITTER_DATE="$((t0 + 18000)) +0000" GIT_AUTHOR_DATE="$((t0 + 18000)) +0000" \
  git merge -q --no-ff -m merge side)
post "$r" "$f" Big "2021-01-03 08:00:00" "$(head -c 19000000 /dev/zero | tr '\0' 'x' | fold -w 100 |
  sed 's/.*/<p>&<\/p>/' | tr -d '\n')"
commit_at "$r" $((t0 + 20000)) c7
[ "$(stat -c %s "$r/source/_posts/$f/Big.md")" -gt 20000000 ] || fail "Big.md is not 20 MB"
c() { git -C "$r" rev-parse "$1"; }

# 1. Which versions, in which order, with which times.
feedpipe-extract -q --git "$r" --prefix source/_posts --stats "$T/stats.json" >"$T/out.jsonl"
jq -r 'if .reject then "reject \(.reject.reason) \(.source.git.commit // "-")"
       else [.source.path, .source.git.commit, .source.git.committed_at, .source.git.author_at,
             .source.mtime, .source.root, (.source.git.blob | length)] | map(tostring) | join("\t") end' \
  "$T/out.jsonl" >"$T/got"
{
  row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t40\n' "$f/$1" "$(c "$2")" "$(utc "$3")" "$(utc $(($3 - ${4:-60})))" \
    "$(utc "$3")" "$r/source/_posts"; }
  row Alpha.md main~7 $t0
  row Beta.md main~7 $t0
  row 'Say "hi" \ back.md' main~7 $t0
  echo "reject invalid-utf8 $(c main~7)"
  row Alpha.md main~6 $((t0 + 3600))
  row Beta.md main~5 $((t0 + 7200))
  row Alpha2.md main~4 $((t0 + 10800))
  row Delta.md main~2 $((t0 + 17000))
  row Gamma.md main~1 $((t0 + 18000)) 0
  row Big.md main $((t0 + 20000))
} >"$T/expect"
diff -u "$T/expect" "$T/got"
jq -c .git "$T/stats.json" >"$T/got"
echo "{\"commits\":8,\"versions\":10,\"added\":8,\"modified\":2,\"deleted\":2,\"shallow\":false,\"boundary\":null,\"first\":\"$(c main~7)\",\"last\":\"$(c main)\"}" >"$T/expect"
diff -u "$T/expect" "$T/got"
[ "$(jq '[.records_in, .records_out, .rejects]' -c "$T/stats.json")" = "[10,9,1]" ] ||
  fail "counts: $(jq -c . "$T/stats.json")"
jq -r 'select(.reject) | .reject.file' "$T/out.jsonl" | grep -q '^科技/SiteA/Feed1/caf.\.md$' ||
  fail "the reject does not name the file"

# 2. Each record is the one its file gives in a checkout of its commit, but
#    for source.mtime (the commit's time) and source.git.
jq -r 'select(.reject | not) | .source.git.commit' "$T/out.jsonl" | uniq | while read -r commit; do
  mkdir -p "$T/co/$commit"
  git -C "$r" archive "$commit" source/_posts | tar -x -C "$T/co/$commit"
  feedpipe-extract -q "$T/co/$commit/source/_posts" | jq -c 'select(.reject | not) |
    del(.source.mtime, .source.root)' >"$T/co/$commit.files"
  jq -c --arg c "$commit" 'select((.reject | not) and .source.git.commit == $c) |
    del(.source.mtime, .source.root, .source.git)' "$T/out.jsonl" >"$T/co/$commit.git"
  [ -s "$T/co/$commit.git" ] || fail "no records of $commit"
  comm -23 <(sort "$T/co/$commit.git") <(sort "$T/co/$commit.files") | head -c 300 >"$T/co/$commit.diff"
  [ ! -s "$T/co/$commit.diff" ] || fail "not its file's record: $(cat "$T/co/$commit.diff")"
done

# 3. A bare clone gives the same records; so do a work tree's root as the
#    prefix (the paths then start at the root) and -rev ranges that split
#    the history in two.
git clone -q --bare "$r" "$T/bare.git"
feedpipe-extract -q --git "$T/bare.git" --prefix /source/_posts/ | jq -c 'del(.source.root, .input.source.root)' >"$T/bare"
jq -c 'del(.source.root, .input.source.root)' "$T/out.jsonl" | diff -q - "$T/bare" >/dev/null ||
  fail "bare clone differs"
feedpipe-extract -q --git "$r" | jq -r 'select(.reject | not) | .source.path' | grep -c '^source/_posts/' |
  grep -qx 9 || fail "root prefix"
{ feedpipe-extract -q --git "$r" --prefix source/_posts --rev main~5 &&
  feedpipe-extract -q --git "$r" --prefix source/_posts --rev main~5..main; } >"$T/split"
diff -q "$T/out.jsonl" "$T/split" >/dev/null || fail "two ranges are not the whole history"

# 4. Shards split the versions by path.
for k in 0 1 2; do
  feedpipe-extract -q --git "$r" --prefix source/_posts --shard $k/3
done | jq -c . | sort >"$T/shards"
jq -c . "$T/out.jsonl" | sort | diff -q - "$T/shards" >/dev/null || fail "shards are not the whole"

# 5. A shallow clone: the history starts at the boundary (the merge's first
#    parent), whose tree is all new; the stats say so.
git clone -q --depth 3 "file://$r" "$T/shallow"
feedpipe-extract -q --git "$T/shallow" --prefix source/_posts --stats "$T/sstats.json" |
  jq -r 'if .reject then "reject" else [.source.path, .source.git.commit] | join("\t") end' >"$T/got"
printf '%s\t%s\n' "$f/Alpha2.md" "$(c main~2)" "$f/Delta.md" "$(c main~2)" \
  "$f/Say \"hi\" \\ back.md" "$(c main~2)" >"$T/expect"
echo reject >>"$T/expect"
printf '%s\t%s\n' "$f/Gamma.md" "$(c main~1)" "$f/Big.md" "$(c main)" >>"$T/expect"
diff -u "$T/expect" "$T/got"
[ "$(jq -c '.git | [.commits, .shallow, .boundary == "'"$(c main~2)"'"]' "$T/sstats.json")" = '[3,true,true]' ] ||
  fail "shallow stats: $(jq -c .git "$T/sstats.json")"
feedpipe-extract --git "$T/shallow" --prefix source/_posts 2>&1 >/dev/null | grep -v ': file name is not valid' |
  grep -v 'records in' >"$T/got" || true
echo "feedpipe-extract: $T/shallow: a shallow clone: its history starts at $(c main~2 | cut -c1-12)" >"$T/expect"
diff -u "$T/expect" "$T/got"

# 6. Errors: exit 3 for what is not a repository, 2 for a bad range or options.
rc=0; feedpipe-extract --git "$T/co" 2>"$T/err" >/dev/null || rc=$?
[ $rc = 3 ] && grep -q "^feedpipe-extract: $T/co: not a git repository" "$T/err" || fail "not a repo: $rc $(cat "$T/err")"
rc=0; feedpipe-extract --git "$r" --rev nope..main 2>"$T/err" >/dev/null || rc=$?
[ $rc = 2 ] && grep -q "nope: no such commit" "$T/err" || fail "bad range: $rc $(cat "$T/err")"
rc=0; feedpipe-extract --prefix x "$r" 2>"$T/err" >/dev/null || rc=$?
[ $rc = 2 ] && grep -q -- "--prefix needs --git" "$T/err" || fail "--prefix alone: $rc"
rc=0; feedpipe-extract --git "$r" "$r" 2>"$T/err" >/dev/null || rc=$?
[ $rc = 2 ] || fail "--git with an INPUT: $rc"

# 7. Memory: the largest post, not the history. Peak RSS reading the history
#    stays within a few MB of reading the checkout with the 20 MB post.
if [ -z "${ASAN_OPTIONS:-}${FP_SANITIZE:-}" ] && [ -x /usr/bin/time ]; then
  /usr/bin/time -f %M -o "$T/rss.git" feedpipe-extract -q --git "$r" --prefix source/_posts >/dev/null
  /usr/bin/time -f %M -o "$T/rss.dir" feedpipe-extract -q "$r/source/_posts" >/dev/null
  g=$(tail -1 "$T/rss.git") d=$(tail -1 "$T/rss.dir")
  echo "peak RSS: --git $g KiB, directory $d KiB"
  [ "$g" -le $((d + 24 * 1024)) ] || fail "peak RSS of --git $g KiB, of the directory $d KiB"
fi
echo ok
