-- feedpipe schema, version 3: the versions of every article, when each
-- article first appeared, and the state of incremental runs over a git
-- history. Applied like 0001, with search_path set to the target schema, to
-- new and existing databases alike: existing rows are kept, no reload.
--
-- A version is one (id, content_hash). Its first_seen_at and last_seen_at
-- are the earliest and the latest time a load saw it: the commit time of a
-- record read from a git history (source.git.committed_at), the time of
-- the load otherwise. Its title, published_at, source_path, source_sha256
-- and commit are those of the record that saw it first.

CREATE TABLE article_versions (
    id            text NOT NULL CHECK (id ~ '^[0-9a-f]{16}$'),
    content_hash  text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    title         text NOT NULL,
    published_at  timestamptz,
    source_path   text,
    source_sha256 text,
    commit        text CHECK (commit ~ '^[0-9a-f]{40}$'),
    load_run      bigint,
    PRIMARY KEY (id, content_hash)
);

CREATE INDEX article_versions_first_seen_at_idx ON article_versions (first_seen_at);

-- articles: the newest version (by commit time when known), the earliest
-- version's first_seen_at, and the commit the stored record was read from.
ALTER TABLE articles ADD COLUMN first_seen_at timestamptz, ADD COLUMN source_commit text;

-- What an existing database knows: each article was first seen when it was
-- first loaded; its stored version when its content last changed. Earlier
-- versions were not kept and stay unknown.
UPDATE articles SET first_seen_at = first_loaded_at;
ALTER TABLE articles ALTER COLUMN first_seen_at SET NOT NULL;
INSERT INTO article_versions (id, content_hash, first_seen_at, last_seen_at, title, published_at,
                              source_path, source_sha256, commit, load_run)
SELECT id, content_hash, updated_at, updated_at, title, published_at, source_path, source_sha256,
       NULL, load_run
  FROM articles;

ALTER TABLE load_runs ADD COLUMN versions_inserted bigint NOT NULL DEFAULT 0,
                      ADD COLUMN versions_updated bigint NOT NULL DEFAULT 0;

-- The state of `feedpipe run --git REPO --incremental --pg`: the last commit
-- loaded, per repository (realpath of REPO) and prefix ('' for the root).
-- Written by the driver after every stage of a run exited 0.
CREATE TABLE source_commits (
    repository  text NOT NULL,
    prefix      text NOT NULL,
    commit      text NOT NULL CHECK (commit ~ '^[0-9a-f]{40}$'),
    load_run    bigint,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (repository, prefix)
);
