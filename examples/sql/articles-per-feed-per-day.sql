-- Articles per feed per day (UTC), newest day first.
--   psql "$DSN" -f examples/sql/articles-per-feed-per-day.sql
-- The view articles_per_feed_day holds the same counts for all time.
SELECT (published_at AT TIME ZONE 'UTC')::date AS day,
       topic,
       site,
       feed,
       count(*) AS articles
  FROM articles
 WHERE published_at IS NOT NULL
 GROUP BY day, topic, site, feed
 ORDER BY day DESC, articles DESC, feed
 LIMIT 200;
