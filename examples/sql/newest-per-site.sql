-- The newest article of every site, with how many the site has.
--   psql "$DSN" -f examples/sql/newest-per-site.sql
SELECT DISTINCT ON (a.site)
       a.site,
       a.published_at,
       a.title,
       a.id,
       count(*) OVER (PARTITION BY a.site) AS articles
  FROM articles a
 WHERE a.published_at IS NOT NULL
 ORDER BY a.site, a.published_at DESC, a.id;
