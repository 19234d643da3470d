#ifndef FP_PGSTATE_H
#define FP_PGSTATE_H

#include <jansson.h>

#include "error.h"

/*
 * The state of incremental runs (lib/state.h) kept in PostgreSQL, for
 * `feedpipe run --incremental --pg`: the table source_files of the target
 * schema (sql/0002-source-files.sql), one row per (root, path). The driver
 * reads it before planning and writes the difference after every stage
 * exited 0, in one transaction, so the state in the database never gets
 * ahead of what the loader committed.
 *
 * Connections follow lib/pg.h: `conninfo` is a libpq connection string or
 * URI, "" takes the PG* environment and ~/.pgpass. Passwords never appear in
 * messages. Error reasons: "db-connect", "db-migrate", "db-error",
 * "out-of-memory".
 */

struct fp_pgstate_options {
	const char *conninfo; /* borrowed; NULL: "" */
	const char *schema;   /* borrowed; NULL: "public" */
	const char *root;     /* the INPUT directory the rows belong to (borrowed) */
};

/*
 * Applies the migrations (as feedpipe-load does, lib/pg.h), then reads the
 * rows of `root` into *state (new object path -> entry {"path", "bytes",
 * "mtime_ns", "sha256", "load_run"}). Returns 0, or -1 with err and *state
 * NULL.
 */
int fp_pgstate_read(const struct fp_pgstate_options *opt, json_t **state, struct fp_error *err);

/*
 * In one transaction: inserts or updates the rows of `upsert` (borrowed
 * object path -> entry; an entry without "load_run" gets `load_run`, 0 for
 * none) and deletes the rows of the paths in `gone` (borrowed array of
 * strings). Returns 0, or -1 with err; the table is then as it was.
 */
int fp_pgstate_write(const struct fp_pgstate_options *opt, const json_t *upsert,
		     const json_t *gone, long long load_run, struct fp_error *err);

#endif
