-- Posts whose published_at is more than a day after they first appeared:
-- feeds that write the time of each render into date: (published_at is then
-- when the archive was regenerated, not when the news came). first_seen_at is
-- the time of the first commit that held the post when the archive was
-- loaded from its history (feedpipe run --git), of the first load otherwise.
--   psql "$DSN" -f examples/sql/published-after-first-seen.sql
SELECT a.feed,
       a.title,
       a.first_seen_at,
       a.published_at,
       a.published_at - a.first_seen_at AS later_by,
       a.id
  FROM articles a
 WHERE a.published_at > a.first_seen_at + interval '1 day'
 ORDER BY later_by DESC, a.id;
