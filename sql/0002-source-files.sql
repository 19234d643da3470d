-- feedpipe schema, version 2: the state of incremental runs (feedpipe run
-- --incremental --pg): one row per source file that was loaded, with what
-- its next run compares (size, mtime, SHA-256). Written by the driver
-- (lib/pgstate.c) in one transaction after every stage of a run exited 0,
-- that is after the loader committed; read before planning the next run.
-- Applied like 0001, with search_path set to the target schema.

CREATE TABLE source_files (
    root        text NOT NULL,  -- the INPUT directory, as realpath(3) resolves it
    path        text NOT NULL,  -- relative to root, as source.path
    bytes       bigint NOT NULL,
    mtime_ns    bigint NOT NULL, -- modification time, ns since the epoch
    sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    load_run    bigint,          -- the load_runs.id that last loaded the file
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (root, path)
);
