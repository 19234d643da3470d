# Sourced by the feedpipe-load e2e scripts after lib.sh: the test server,
# a schema per test, generated articles and table checksums.

# need_pg: skip unless scripts/test (or scripts/pg-tmp) gave us a server.
need_pg() {
  [ -n "${FP_TEST_PG:-}" ] || skip "no test server (FP_TEST_PG unset; scripts/test starts one with scripts/pg-tmp)"
  command -v psql >/dev/null || skip "no psql"
}

# private_pg: a server of the test's own in $T/pg (for a test that restarts
# it, or loads into its default schema), its exports in the environment,
# stopped by private_pg_stop (the EXIT trap set here calls it). Should the
# test be killed outright, a watchdog in its own session stops the server,
# which would outlive it otherwise.
private_pg() {
  pg=$T/pg
  eval "$("$FP_SOURCE/scripts/pg-tmp" start "$pg" 2>/dev/null)"
  trap 'private_pg_stop; rm -rf "$T"' EXIT
  setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
    [ -d "$2" ] && "$3/scripts/pg-tmp" stop "$2"' watchdog $$ "$pg" "$FP_SOURCE" >/dev/null 2>&1 </dev/null &
}
private_pg_stop() {
  kill $(jobs -p) 2>/dev/null || true
  "$FP_SOURCE/scripts/pg-tmp" stop "$pg" >/dev/null 2>&1
}

# q SQL...: run SQL, print unaligned tuples.
q() { psql -XAtq -v ON_ERROR_STOP=1 "$@"; }

# new_schema: a schema name of our own (tests run in parallel, twice).
new_schema() {
  local name
  name=$(basename "$0" .sh | tr -c 'a-z0-9\n' _)
  echo "t_${name}_$$_${RANDOM}"
}

drop_schema() { q -c "DROP SCHEMA IF EXISTS \"$1\" CASCADE" >/dev/null 2>&1 || true; }

# checksum SCHEMA: md5 over the stored data (articles, images, versions,
# rejects), leaving out what differs between runs (load times, run ids; the
# seen times of records without a commit are load times).
checksum() {
  q -c "SELECT md5(coalesce(string_agg(x, E'\n' ORDER BY x), '')) FROM (
    SELECT 'a' || (to_jsonb(a) - 'first_loaded_at' - 'updated_at' - 'load_run' - 'first_seen_at')::text AS x
      FROM \"$1\".articles a
    UNION ALL SELECT 'i' || to_jsonb(i)::text FROM \"$1\".article_images i
    UNION ALL SELECT 'v' || (to_jsonb(v) - 'first_seen_at' - 'last_seen_at' - 'load_run')::text
      FROM \"$1\".article_versions v
    UNION ALL SELECT 'r' || (to_jsonb(r) - 'id' - 'load_run' - 'loaded_at')::text
      FROM \"$1\".rejects r) t"
}

# gen_articles N [CHANGED]: N canonical articles with distinct ids, bodies of
# a few KB with characters COPY must escape; article CHANGED (if given) gets
# another body and content_hash. Every 97th line is an upstream reject.
gen_articles() {
  awk -v n="$1" -v changed="${2:-0}" 'BEGIN {
    body = ""
    for (k = 0; k < 30; k++)
      body = body "lorem ipsum \\\\. \\\\N tab\\t nl\\n 中文 \\\"q\\\" {x,y} "
    for (i = 1; i <= n; i++) {
      if (i % 97 == 0) {
        printf "{\"reject\":{\"stage\":\"clean\",\"reason\":\"html-empty\",\"message\":\"no body %d\",\"file\":\"p/%d.md\",\"line\":null,\"column\":null,\"record\":%d},\"source\":{\"path\":\"p/%d.md\"},\"input\":null}\n", i, i, i, i
        continue
      }
      v = (i == changed) ? 1 : 0
      h = sprintf("%016x%016x%016x%016x", i, v, i * 7, 3)
      printf "{\"id\":\"%016x\",\"title\":\"Article %d 标题 \\t\\\\\",\"author\":\"a%d\",\"topic\":\"t\",\"site\":\"s\",\"feed\":\"feed%d\",\"categories\":[\"c%d\",\"x,y\",\"{z}\"],\"published_at\":\"2019-%02d-%02dT10:00:00Z\",\"published_raw\":null,\"image\":null,\"thumbnail\":null,\"comments\":%s,\"editor\":null,\"original_title\":null,\"lang\":\"zh\",\"html\":\"<p>%s %d v%d</p>\",\"text\":\"%s %d v%d\",\"chars\":%d,\"images\":[{\"src\":\"i%d.png\",\"alt\":null},{\"src\":\"j%d.png\",\"alt\":\"\\\\N\"}],\"links\":[{\"href\":\"h%d\",\"text\":\"t\"}],\"embeds\":[],\"content_hash\":\"%s\",\"source\":{\"path\":\"p/%d.md\",\"root\":\"r\",\"bytes\":%d,\"mtime\":\"2026-01-01T00:00:00Z\",\"sha256\":\"%s\"},\"warnings\":[]}\n",
        i + 4096, i, i % 13, i % 5, i % 7, (i % 12) + 1, (i % 28) + 1, (i % 2) ? "true" : "false",
        body, i, v, body, i, v, 100 + i, i, i, i, h, i, 1000 + i, h
    }
  }'
}

# The columns of an articles row as the canonical record (SQL).
row_record_sql="json_build_object('id', id, 'title', title, 'author', author,
        'topic', topic, 'site', site, 'feed', feed, 'categories', categories,
        'published_at', to_char(published_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
        'published_raw', published_raw, 'image', image, 'thumbnail', thumbnail,
        'comments', comments, 'editor', editor, 'original_title', original_title, 'lang', lang,
        'html', html, 'text', text, 'chars', chars, 'images', images, 'links', links,
        'embeds', embeds, 'content_hash', content_hash,
        'source', json_build_object('path', source_path, 'root', source_root,
          'bytes', source_bytes,
          'mtime', to_char(source_mtime AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
          'sha256', source_sha256),
        'warnings', warnings)"

# rows_json SCHEMA: the articles table as canonical JSON records, sorted by
# id (what the input said, read back from the typed columns).
rows_json() {
  q -c "SELECT coalesce(json_agg($row_record_sql ORDER BY id), '[]') FROM \"$1\".articles" | jq -S .
}

# rows_ndjson SCHEMA: the same, one record per line (for values nested
# deeper than jq parses).
rows_ndjson() {
  q -c "SELECT $row_record_sql FROM \"$1\".articles ORDER BY id"
}

# expect_json < NDJSON: the records a load should store: articles only, of
# each id the winner (the latest source.mtime, then source.path, then
# content_hash: lib/pg.c), sorted by id, in the shape of rows_json. Every line must be
# JSON (jq -R mangles multibyte characters of long lines: not used here).
expect_json() {
  jq -c 'select(.reject == null)' |
    jq -s -S 'group_by(.id) | map(max_by([.source.mtime, .source.path, .content_hash])) | map({id, title, author,
          topic, site, feed, categories, published_at, published_raw, image, thumbnail, comments,
          editor, original_title, lang, html, text, chars, images, links, embeds, content_hash,
          source, warnings})'
}
