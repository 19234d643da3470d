-- feedpipe schema, version 1: canonical articles, their images, rejects and
-- load runs. Applied by feedpipe-load (lib/pg.c) inside one transaction with
-- search_path set to the target schema (--schema, default public), so every
-- name below lands in that schema. Recorded in feedpipe_migrations.

CREATE TABLE articles (
    id              text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
    title           text NOT NULL,
    author          text,
    topic           text,
    site            text,
    feed            text,
    categories      text[] NOT NULL DEFAULT '{}',
    published_at    timestamptz,
    published_raw   text,
    image           text,
    thumbnail       text,
    comments        boolean,
    editor          text,
    original_title  text,
    lang            text NOT NULL,
    html            text NOT NULL,
    text            text NOT NULL,
    chars           integer NOT NULL,
    images          jsonb NOT NULL DEFAULT '[]',
    links           jsonb NOT NULL DEFAULT '[]',
    embeds          jsonb NOT NULL DEFAULT '[]',
    content_hash    text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    source_path     text,
    source_root     text,
    source_bytes    bigint,
    source_mtime    timestamptz,
    source_sha256   text,
    warnings        jsonb NOT NULL DEFAULT '[]',
    first_loaded_at timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    load_run        bigint
);

CREATE INDEX articles_published_at_idx ON articles (published_at);
CREATE INDEX articles_feed_published_at_idx ON articles (feed, published_at);
CREATE INDEX articles_site_idx ON articles (site);

CREATE TABLE article_images (
    article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
    position   integer NOT NULL,
    src        text NOT NULL,
    alt        text,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE rejects (
    id            bigserial PRIMARY KEY,
    record_sha256 text NOT NULL UNIQUE,
    stage         text NOT NULL,
    reason        text NOT NULL,
    message       text,
    file          text,
    line          bigint,
    col           bigint,
    record_no     bigint,
    source_path   text,
    record        jsonb NOT NULL,
    load_run      bigint,
    loaded_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX rejects_reason_idx ON rejects (stage, reason);

CREATE TABLE load_runs (
    id          bigserial PRIMARY KEY,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
    host        text,
    version     text,
    arguments   text[],
    records_in  bigint NOT NULL DEFAULT 0,
    inserted    bigint NOT NULL DEFAULT 0,
    updated     bigint NOT NULL DEFAULT 0,
    unchanged   bigint NOT NULL DEFAULT 0,
    duplicates  bigint NOT NULL DEFAULT 0,
    rejects     bigint NOT NULL DEFAULT 0,
    batches     bigint NOT NULL DEFAULT 0,
    retries     bigint NOT NULL DEFAULT 0
);

-- lz4 TOAST compression more than doubles COPY throughput for article bodies
-- (docs: PERFORMANCE.md); servers without lz4 (or before 14) keep the default.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE articles ALTER COLUMN html SET COMPRESSION lz4, '
         || 'ALTER COLUMN text SET COMPRESSION lz4, '
         || 'ALTER COLUMN links SET COMPRESSION lz4, '
         || 'ALTER COLUMN warnings SET COMPRESSION lz4';
    EXECUTE 'ALTER TABLE rejects ALTER COLUMN record SET COMPRESSION lz4';
EXCEPTION WHEN others THEN
    RAISE NOTICE 'lz4 compression not available: %', SQLERRM;
END
$$;

-- Substring search over titles (also Chinese: trigrams are taken over
-- characters) with pg_trgm. The extension may already live in another
-- schema; when it cannot be created (no privilege) the index is skipped.
DO $$
DECLARE
    ext_schema text;
BEGIN
    SELECT n.nspname INTO ext_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    IF ext_schema IS NULL THEN
        -- In public when we may (the extension serves the whole database;
        -- dropping one feedpipe schema must not drop it), else here.
        BEGIN
            CREATE EXTENSION pg_trgm SCHEMA public;
        EXCEPTION WHEN others THEN
            BEGIN
                CREATE EXTENSION pg_trgm;
            EXCEPTION WHEN others THEN
                RAISE NOTICE 'pg_trgm not available, no trigram index on titles: %', SQLERRM;
                RETURN;
            END;
        END;
        SELECT n.nspname INTO ext_schema
          FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
         WHERE e.extname = 'pg_trgm';
    END IF;
    EXECUTE format('CREATE INDEX articles_title_trgm_idx ON articles USING gin (title %I.gin_trgm_ops)',
                   ext_schema);
END
$$;

CREATE VIEW articles_per_feed_day AS
SELECT feed,
       (published_at AT TIME ZONE 'UTC')::date AS day,
       count(*) AS articles
  FROM articles
 GROUP BY 1, 2;

CREATE VIEW rejects_per_reason AS
SELECT stage, reason, count(*) AS rejects, max(loaded_at) AS last_seen
  FROM rejects
 GROUP BY 1, 2;
