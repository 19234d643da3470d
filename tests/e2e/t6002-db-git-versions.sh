#!/usr/bin/env bash
# A history into PostgreSQL: article_versions holds one row per (id,
# content_hash) with the commit times it was first and last seen and the
# fields of its first appearance; articles holds the newest version (by
# commit time) with the earliest first_seen_at. Checked exactly over a
# date:-only re-render, a body edit, a rename, a return to the first body,
# a merge and a deletion. Loading the same history again changes nothing
# (0 inserted, 0 updated, no version touched); loading it in reverse order
# in batches of one, or in pieces by --rev ranges, gives the same tables.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
. "$(dirname "$0")/git-lib.sh"
need_pg
s1=$(new_schema) s2=$(new_schema)x s3=$(new_schema)y
trap 'for s in $s1 $s2 $s3; do drop_schema "$s"; done; rm -rf "$T"' EXIT

r=$T/repo f=科技/SiteA/Feed1 t0=1609459200 h=3600
repo_init "$r"
post "$r" "$f" A "2021-01-01 08:00:00" "<p>A one</p>"
post "$r" "$f" B "2021-01-01 08:00:00" "<p>B</p>"
commit_at "$r" $t0 c1
post "$r" "$f" A "2021-01-01 09:00:00" "<p>A one</p>"   # date: only
commit_at "$r" $((t0 + h)) c2
post "$r" "$f" A "2021-01-01 09:00:00" "<p>A two</p>"   # body
commit_at "$r" $((t0 + 2 * h)) c3
git -C "$r" mv "source/_posts/$f/B.md" "source/_posts/$f/B2.md"
commit_at "$r" $((t0 + 3 * h)) c4
post "$r" "$f" A "2021-01-02 08:00:00" "<p>A one</p>"   # the first body again
commit_at "$r" $((t0 + 4 * h)) c5
git -C "$r" checkout -q -b side
post "$r" "$f" C "2021-01-01 10:00:00" "<p>C</p>"
commit_at "$r" $((t0 + 5 * h)) s1
git -C "$r" checkout -q main
(cd "$r" && GIT_COMMITTER_DATE="$((t0 + 6 * h)) +0000" GIT_AUTHOR_DATE="$((t0 + 6 * h)) +0000" \
  git merge -q --no-ff -m merge side)
git -C "$r" rm -q "source/_posts/$f/B2.md"
commit_at "$r" $((t0 + 7 * h)) c6
c() { git -C "$r" rev-parse "$1"; }
records() {
  feedpipe-extract -q --git "$r" --prefix source/_posts "$@" | feedpipe-clean -q |
    feedpipe-normalize -q --now 2026-01-01T00:00:00Z
}
records >"$T/all.jsonl"
counts() { jq -r '[.inserted, .updated, .unchanged, .versions_inserted, .versions_updated] | @tsv' "$1"; }

feedpipe-load -q --pg "" --schema "$s1" --stats "$T/1.json" <"$T/all.jsonl"
[ "$(counts "$T/1.json")" = "$(printf '3\t0\t0\t4\t0')" ] || fail "first load: $(counts "$T/1.json")"

# The tables, exactly.
id() { printf '%s' "$f/$1" | sha256sum | cut -c1-16; }
hash() { printf '%s\n%s' "$1" "$2" | sha256sum | cut -c1-64; }
at() { date -u -d "@$1" '+%Y-%m-%d %H:%M:%S+00'; }
q -F ' | ' -c "SELECT id, content_hash, first_seen_at, last_seen_at, title, published_at, source_path, commit
  FROM \"$s1\".article_versions ORDER BY id, first_seen_at" >"$T/got"
{
  echo "$(id A) | $(hash A 'A one') | $(at $t0) | $(at $((t0 + 4 * h))) | A | 2021-01-01 08:00:00+00 | $f/A.md | $(c main~6)"
  echo "$(id A) | $(hash A 'A two') | $(at $((t0 + 2 * h))) | $(at $((t0 + 2 * h))) | A | 2021-01-01 09:00:00+00 | $f/A.md | $(c main~4)"
  echo "$(id B) | $(hash B B) | $(at $t0) | $(at $((t0 + 3 * h))) | B | 2021-01-01 08:00:00+00 | $f/B.md | $(c main~6)"
  echo "$(id C) | $(hash C C) | $(at $((t0 + 6 * h))) | $(at $((t0 + 6 * h))) | C | 2021-01-01 10:00:00+00 | $f/C.md | $(c main~1)"
} | sort >"$T/expect"
sort "$T/got" | diff -u "$T/expect" -
q -F ' | ' -c "SELECT id, content_hash, first_seen_at, published_at, source_path, source_mtime, source_commit
  FROM \"$s1\".articles ORDER BY id" | sort >"$T/got"
{
  echo "$(id A) | $(hash A 'A one') | $(at $t0) | 2021-01-02 08:00:00+00 | $f/A.md | $(at $((t0 + 4 * h))) | $(c main~2)"
  echo "$(id B) | $(hash B B) | $(at $t0) | 2021-01-01 08:00:00+00 | $f/B2.md | $(at $((t0 + 3 * h))) | $(c main~3)"
  echo "$(id C) | $(hash C C) | $(at $((t0 + 6 * h))) | 2021-01-01 10:00:00+00 | $f/C.md | $(at $((t0 + 6 * h))) | $(c main~1)"
} | sort >"$T/expect"
diff -u "$T/expect" "$T/got"

# Everything the tables hold, times included but load times and runs.
full() {
  q -c "SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM (
    SELECT (to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'load_run')::text AS x FROM \"$1\".articles a
    UNION ALL SELECT (to_jsonb(v) - 'load_run')::text FROM \"$1\".article_versions v
    UNION ALL SELECT to_jsonb(i)::text FROM \"$1\".article_images i) t"
}
sum1=$(full "$s1")

# Again: nothing changes.
feedpipe-load -q --pg "" --schema "$s1" --stats "$T/2.json" <"$T/all.jsonl"
[ "$(counts "$T/2.json")" = "$(printf '0\t0\t3\t0\t0')" ] || fail "second load: $(counts "$T/2.json")"
[ "$(full "$s1")" = "$sum1" ] || fail "the second load changed the tables"
[ "$(q -c "SELECT count(*) FROM \"$s1\".article_versions v JOIN \"$s1\".load_runs r ON r.id = v.load_run
           WHERE r.id = (SELECT max(id) FROM \"$s1\".load_runs)")" = 0 ] || fail "versions written again"

# In reverse order, one record per batch; and in three pieces of history.
tac "$T/all.jsonl" | feedpipe-load -q --pg "" --schema "$s2" --batch-rows 1
[ "$(full "$s2")" = "$sum1" ] || fail "reverse order in batches of one differs"
{ records --rev main~4 | feedpipe-load -q --pg "" --schema "$s3" &&
  records --rev main~4..main~1 | feedpipe-load -q --pg "" --schema "$s3" &&
  records --rev main~1.. | feedpipe-load -q --pg "" --schema "$s3"; } || fail "loading in pieces"
[ "$(full "$s3")" = "$sum1" ] || fail "three pieces of history differ from one load"
echo ok
