-- Substring search over titles, any language (Chinese too), served by the
-- trigram index articles_title_trgm_idx (pg_trgm, created by the schema):
--   psql "$DSN" -v q='外交' -f examples/sql/title-search.sql
-- The search text is taken literally: % and _ in it match themselves.
\if :{?q}
\else
  \set q '外交'
\endif
SELECT id,
       site,
       published_at,
       title
  FROM articles
 WHERE title ILIKE '%' || replace(replace(replace(:'q', '\', '\\'), '%', '\%'), '_', '\_') || '%'
 ORDER BY published_at DESC NULLS LAST, id
 LIMIT 50;
