-- Reading feedpipe's partitioned JSON Lines with DuckDB. Written by
--   feedpipe run --out-dir articles /srv/hexo/source/_posts
-- as articles/dt=YYYY-MM-DD/part-NNNNN.jsonl.gz (articles without a date
-- under dt=__HIVE_DEFAULT_PARTITION__, which DuckDB reads as NULL). From the
-- directory that holds articles/:
--   duckdb -c '.read duckdb.sql'
-- hive_partitioning turns the directory names into a DATE column dt, so a
-- filter on dt reads only the matching directories; union_by_name reconciles
-- the columns of files whose types were inferred differently.
CREATE OR REPLACE VIEW articles AS
SELECT *
  FROM read_json_auto('articles/dt=*/*.jsonl.gz',
                      format = 'newline_delimited',
                      hive_partitioning = true,
                      union_by_name = true);

-- Articles per day and feed.
SELECT dt, site, feed, count(*) AS articles
  FROM articles
 GROUP BY ALL
 ORDER BY dt DESC NULLS LAST, articles DESC, feed;

-- One day's articles, newest first (reads one directory).
SELECT published_at, site, title, editor
  FROM articles
 WHERE dt = DATE '2021-12-20'
 ORDER BY published_at DESC, id;

-- The rejects, by stage and reason (rejects.jsonl.gz, or rejects-RUNID.jsonl.gz
-- per run of an incremental tree).
SELECT reject.stage, reject.reason, count(*) AS rejects
  FROM read_json_auto('articles/rejects*.jsonl.gz', format = 'newline_delimited')
 GROUP BY ALL
 ORDER BY rejects DESC;

-- A tree written by `feedpipe run --incremental --out-dir articles` grows by
-- parts of their own per run (part-RUNID-NNNNN.jsonl.gz), so a post changed
-- after its first load is there once per run that loaded it: keep, per id,
-- the version with the latest source.mtime (ties broken as the loader does).
CREATE OR REPLACE VIEW latest_articles AS
SELECT *
  FROM articles
QUALIFY row_number() OVER (PARTITION BY id
                           ORDER BY source.mtime DESC, source.path DESC, content_hash DESC) = 1;
SELECT count(*) AS articles FROM latest_articles;
