# The examples run as written: the crontab line's command loads fixtures/
# (and the corpus, when present) into a database of its own; run again, it
# loads nothing (--incremental: the state in the table source_files); run
# while the lock is held, it does nothing
# (flock -n). Then every examples/sql/*.sql file runs against the database
# with psql and answers as expected; the title search is served by the
# trigram index; the queries over versions answer over a history loaded
# with --git.
. "$(dirname "$0")/lib.sh"
[ -n "${FP_TEST_PG:-}" ] || skip "no test server (FP_TEST_PG unset; scripts/test starts one with scripts/pg-tmp)"
command -v psql > /dev/null || skip "psql missing"
command -v flock > /dev/null || skip "flock missing"
driver=$FP_BUILD/feedpipe
[ -x "$driver" ] || fail "no driver $driver"
ex=$FP_SOURCE/examples

q() { psql -X -v ON_ERROR_STOP=1 "$@"; }

# A database of our own: the cron line loads into PGDATABASE, schema public.
db=t8002_$$_$RANDOM
q -d postgres -qc "CREATE DATABASE $db" || fail "cannot create database $db"
cleanup() {
  psql -X -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" > /dev/null 2>&1 || true
  rm -rf "$T"
}
trap cleanup EXIT

# The cron line: five time fields, then a command for /bin/sh.
grep -vE '^[[:space:]]*(#|$)|^[A-Z_]+=' "$ex/crontab" > "$T/jobs"
[ "$(wc -l < "$T/jobs")" -eq 1 ] || fail "examples/crontab: expected one job line, got $(wc -l < "$T/jobs")"
field='(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?(,(\*|[0-9]+(-[0-9]+)?)(/[0-9]+)?)*'
grep -qE "^$field +$field +$field +$field +$field +[^ ]" "$T/jobs" || fail "examples/crontab: bad time fields: $(cat "$T/jobs")"
! grep -q % "$T/jobs" || fail "examples/crontab: % in a cron command is a newline"
cmd=$(sed -E 's/^([^ ]+ +){5}//' "$T/jobs")
grep -q 'flock -n' <<< "$cmd" || fail "the cron command does not use flock -n"
lock=$(sed -nE 's/.*flock -n ([^ ]+) .*/\1/p' <<< "$cmd")
[ -d "$(dirname "$lock")" ] || skip "no directory for the cron line's lock $lock"
# The crontab's variables, with this machine's paths and database.
posts=$T/posts
mkdir -p "$posts"
cp -r "$FP_SOURCE/fixtures" "$posts/fixtures"
[ -d "${FP_CORPUS:-}/rsshub" ] && cp -r "$FP_CORPUS/rsshub" "$posts/rsshub"
[ -f "${FP_CORPUS:-}/seed/000_0cca1a8520dcaf12.txt" ] && cp "$FP_CORPUS/seed/000_0cca1a8520dcaf12.txt" "$posts/seed.md"
cron() {
  env -i SHELL=/bin/sh HOME="$T" PATH="$FP_BUILD:/usr/local/bin:/usr/bin:/bin" FEEDPIPE_POSTS="$posts" \
    PGHOST="${PGHOST:-}" PGPORT="${PGPORT:-}" PGUSER="${PGUSER:-}" PGDATABASE="$db" /bin/sh -c "$cmd"
}
# Another test run on this machine may hold the lock for a moment.
for try in 1 2 3 4 5 6; do
  status=0
  cron || status=$?
  [ "$status" -eq 1 ] && ! flock -n "$lock" true 2> /dev/null && { sleep 5; continue; }
  break
done
[ "$status" -eq 0 ] || { cat "$T/feedpipe.log" >&2; fail "the cron command: status $status"; }
jq -e '.rejects > 0 and .records_out > 0' "$T/feedpipe-last-run.json" > /dev/null ||
  fail "cron run stats: $(cat "$T/feedpipe-last-run.json")"
articles=$(q -Atc "SELECT count(*) FROM articles" -d "$db")
[ "$articles" -gt 0 ] || fail "the cron command loaded no article"

files=$(jq .files "$T/feedpipe-last-run.json")
[ "$(q -Atc "SELECT count(*) FROM source_files" -d "$db")" -eq "$files" ] ||
  fail "the cron command recorded $(q -Atc "SELECT count(*) FROM source_files" -d "$db") of the $files files extract read in source_files"

# Run again: nothing changed, so nothing is loaded (no new load run).
runs=$(q -Atc "SELECT count(*) FROM load_runs" -d "$db")
cron || { cat "$T/feedpipe.log" >&2; fail "the cron command, second run: status $?"; }
[ "$(q -Atc "SELECT count(*) FROM load_runs" -d "$db")" -eq "$runs" ] || fail "an unchanged archive was loaded again"

# With the lock held, the command does nothing (flock -n: status 1).
exec 8< "$lock"
flock -w 60 8 || fail "cannot take $lock"
status=0
cron || status=$?
exec 8>&-
[ "$status" -eq 1 ] || fail "the cron command ran while the lock was held (status $status)"

sql() { # sql FILE [psql args]: run an example as written
  local f=$ex/sql/$1; shift
  q -d "$db" -A -F '|' -P footer=off "$@" -f "$f" > "$T/out" 2> "$T/err" || { cat "$T/err" >&2; fail "psql -f $f"; }
  [ ! -s "$T/err" ] || fail "$f: $(cat "$T/err")"
}
sql articles-per-feed-per-day.sql
grep -qxF '2021-12-20|金融|新浪财经|新浪财经－国內|'"$(q -d "$db" -Atc "SELECT count(*) FROM articles
  WHERE feed = '新浪财经－国內' AND published_at::date = '2021-12-20'")" "$T/out" ||
  fail "articles per feed per day: $(head -5 "$T/out")"
sql newest-per-site.sql
grep -q '^新浪财经|2021-12-20 05:08:08+00|' "$T/out" || fail "newest per site: $(cat "$T/out")"
sites=$(q -d "$db" -Atc "SELECT count(DISTINCT site) FROM articles WHERE published_at IS NOT NULL")
[ "$(($(wc -l < "$T/out") - 1))" -eq "$sites" ] || fail "newest per site: not one row per site"
sql title-search.sql -v q='外交'
grep -q '|王毅谈2022年：外交$' "$T/out" || fail "title search 外交: $(cat "$T/out")"
sql title-search.sql -v q='50%'
[ "$(wc -l < "$T/out")" -eq 1 ] || fail "title search '50%' matched: $(cat "$T/out")"
sql rejects-by-reason.sql
grep -qE '^extract\|frontmatter-unterminated\|[0-9]+\|' "$T/out" || fail "rejects by reason: $(cat "$T/out")"

# The title search as written is one the trigram index serves.
{ echo 'SET enable_seqscan = off;'; sed 's/^SELECT id,$/EXPLAIN SELECT id,/' "$ex/sql/title-search.sql"; } |
  q -d "$db" -v q='外交' > "$T/plan" || fail "EXPLAIN title search"
grep -q 'articles_title_trgm_idx' "$T/plan" || fail "title search does not use the trigram index: $(cat "$T/plan")"
# The queries over versions, on a history: a feed that rewrites date: on
# every render, and a post edited twice.
. "$(dirname "$0")/git-lib.sh"
r=$T/history t0=1639958400 # 2021-12-20T00:00:00Z
repo_init "$r"
post "$r" 科技/SiteA/Feed1 Renders "2021-12-20 08:00:00"
post "$r" 科技/SiteA/Feed1 Edited "2021-12-20 08:00:00" "<p>one</p>"
commit_at "$r" $t0 c1
post "$r" 科技/SiteA/Feed1 Edited "2021-12-20 08:00:00" "<p>two</p>"
commit_at "$r" $((t0 + 86400)) c2
post "$r" 科技/SiteA/Feed1 Renders "2021-12-23 08:00:00"
post "$r" 科技/SiteA/Feed1 Edited "2021-12-20 08:00:00" "<p>three</p>"
commit_at "$r" $((t0 + 3 * 86400)) c3
feedpipe-extract -q --git "$r" --prefix source/_posts | feedpipe-clean -q | feedpipe-normalize -q |
  PGDATABASE=$db feedpipe-load -q --pg "" --schema history
export PGOPTIONS='-c search_path=history,public'
sql published-after-first-seen.sql
[ "$(cut -d'|' -f1-5 "$T/out")" = "$(printf '%s\n%s' 'feed|title|first_seen_at|published_at|later_by' \
  'Feed1|Renders|2021-12-20 00:00:00+00|2021-12-23 08:00:00+00|3 days 08:00:00')" ] ||
  fail "published after first seen: $(cat "$T/out")"
sql most-edited-per-feed.sql
[ "$(cut -d'|' -f1-5 "$T/out")" = "$(printf '%s\n%s' 'feed|title|edits|first_seen_at|last_seen_at' \
  'Feed1|Edited|2|2021-12-20 00:00:00+00|2021-12-23 00:00:00+00')" ] ||
  fail "most edited per feed: $(cat "$T/out")"
echo "ok: cron line loaded $articles articles; $(ls "$ex"/sql/*.sql | wc -l) SQL examples answer"
