-- The most edited posts of every feed: the three with the most versions
-- (article_versions: one row per content the post had) in each feed, with
-- when the post first appeared and when its last version was last seen.
--   psql "$DSN" -f examples/sql/most-edited-per-feed.sql
SELECT feed, title, edits, first_seen_at, last_seen_at, id
  FROM (SELECT a.feed,
               a.title,
               a.id,
               count(*) - 1 AS edits,
               min(v.first_seen_at) AS first_seen_at,
               max(v.last_seen_at) AS last_seen_at,
               row_number() OVER (PARTITION BY a.feed ORDER BY count(*) DESC, a.id) AS rank
          FROM articles a
          JOIN article_versions v USING (id)
         GROUP BY a.feed, a.id, a.title) t
 WHERE edits > 0 AND rank <= 3
 ORDER BY feed, rank;
