#!/usr/bin/env bash
# sql/0003 on a database made by the schema before it (0001 and 0002, as
# the loader applied them): the migration keeps every row, gives each
# article first_seen_at (its first_loaded_at) and one version (its stored
# content, seen when it was last updated), and the next load goes on from
# there: an edited post gets a second version, the rest are seen again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'drop_schema "$s"; rm -rf "$T"' EXIT

# The schema at version 2, recorded as migrate() records it.
{
  echo "CREATE SCHEMA \"$s\"; SET search_path TO \"$s\";"
  echo "CREATE TABLE feedpipe_migrations (version text PRIMARY KEY, name text NOT NULL,"
  echo "  sha256 text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());"
  for m in 0001-init 0002-source-files; do
    cat "$FP_SOURCE/sql/$m.sql"
    echo ";INSERT INTO feedpipe_migrations (version, name, sha256) VALUES"
    echo "('${m%%-*}', '$m.sql', '$(sha256sum <"$FP_SOURCE/sql/$m.sql" | cut -c1-64)');"
  done
} | q >/dev/null

# Rows as a load at version 2 stored them, loaded at various times.
gen_articles 60 >"$T/a.ndjson"
jq -c 'select(.reject | not) | {id, title, author, topic, site, feed, categories, published_at,
    published_raw, image, thumbnail, comments, editor, original_title, lang, html, text, chars,
    images, links, embeds, content_hash, source_path: .source.path, source_root: .source.root,
    source_bytes: .source.bytes, source_mtime: .source.mtime, source_sha256: .source.sha256,
    warnings, load_run: 1,
    first_loaded_at: "2025-01-\(.chars % 28 + 1 | tostring | if length == 1 then "0" + . else . end)T00:00:00Z",
    updated_at: "2025-03-01T00:00:00Z"}' "$T/a.ndjson" >"$T/rows.jsonl"
n=$(wc -l <"$T/rows.jsonl")
q <<SQL
SET search_path TO "$s";
CREATE TEMP TABLE rows (j jsonb);
\copy rows (j) FROM '$T/rows.jsonl' WITH (FORMAT csv, QUOTE E'\x01', DELIMITER E'\x02')
INSERT INTO articles SELECT (jsonb_populate_record(NULL::articles, j)).* FROM rows;
SQL
[ "$(q -c "SELECT count(*) FROM \"$s\".articles")" = "$n" ] || fail "version-2 rows"
before=$(q -c "SELECT md5(string_agg(to_jsonb(a)::text, E'\n' ORDER BY id)) FROM \"$s\".articles a")

# Migrate: 0003 only, every row kept as it was but for the new columns.
feedpipe-load --pg "" --schema "$s" --migrate
[ "$(q -c "SELECT string_agg(version, ' ' ORDER BY version) FROM \"$s\".feedpipe_migrations")" = "0001 0002 0003" ] ||
  fail "migrations"
[ "$(q -c "SELECT md5(string_agg((to_jsonb(a) - 'first_seen_at' - 'source_commit')::text, E'\n' ORDER BY id))
           FROM \"$s\".articles a")" = "$before" ] || fail "the migration changed the rows"
[ "$(q -c "SELECT count(*) FROM \"$s\".articles WHERE first_seen_at = first_loaded_at AND source_commit IS NULL")" = "$n" ] ||
  fail "first_seen_at is not first_loaded_at"
[ "$(q -c "SELECT count(*) FROM \"$s\".articles a JOIN \"$s\".article_versions v USING (id, content_hash)
           WHERE v.first_seen_at = a.updated_at AND v.last_seen_at = a.updated_at AND v.title = a.title
             AND v.published_at IS NOT DISTINCT FROM a.published_at AND v.source_path = a.source_path
             AND v.source_sha256 = a.source_sha256 AND v.commit IS NULL AND v.load_run = 1")" = "$n" ] ||
  fail "versions of the stored rows"
[ "$(q -c "SELECT count(*) FROM \"$s\".article_versions")" = "$n" ] || fail "more versions than rows"
q -c "SELECT versions_inserted, versions_updated FROM \"$s\".load_runs" >/dev/null
q -c "SELECT repository, prefix, commit FROM \"$s\".source_commits" >/dev/null

# A load after it: article 7 was edited; the others are seen again now.
gen_articles 60 7 | feedpipe-load -q --pg "" --schema "$s" --stats "$T/1.json"
[ "$(jq -r '[.inserted, .updated, .unchanged, .versions_inserted, .versions_updated] | @tsv' "$T/1.json")" = \
  "$(printf '0\t1\t%s\t1\t%s' $((n - 1)) $((n - 1)))" ] || fail "load after the migration: $(jq -c . "$T/1.json")"
id7=$(printf %016x $((7 + 4096)))
[ "$(q -c "SELECT count(*), min(first_seen_at) = '2025-03-01T00:00:00Z', bool_or(last_seen_at > '2026-01-01')
           FROM \"$s\".article_versions WHERE id = '$id7'")" = "2|t|t" ] || fail "versions of the edited article"
[ "$(q -c "SELECT first_seen_at = first_loaded_at FROM \"$s\".articles WHERE id = '$id7'")" = t ] ||
  fail "first_seen_at of the edited article moved"
echo ok
