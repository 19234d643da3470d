-- What was rejected, by stage and reason, with the most recent files:
--   psql "$DSN" -f examples/sql/rejects-by-reason.sql
-- To see one reject whole: SELECT record FROM rejects WHERE reason = '...' LIMIT 1;
SELECT stage,
       reason,
       count(*) AS rejects,
       max(loaded_at) AS last_seen,
       (array_agg(coalesce(file, source_path) ORDER BY loaded_at DESC, id DESC))[1:3] AS latest
  FROM rejects
 GROUP BY stage, reason
 ORDER BY rejects DESC, stage, reason;
