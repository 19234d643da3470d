#ifndef FP_PG_H
#define FP_PG_H

#include <stdatomic.h>
#include <stddef.h>
#include <jansson.h>

#include "error.h"

/*
 * The PostgreSQL sink of feedpipe-load: canonical articles and rejects are
 * collected into batches, sent with COPY into session-local staging tables,
 * and upserted in one transaction per batch (README.md, "feedpipe-load" and
 * "SQL schema"). The only module that talks to libpq: it also keeps the
 * driver's incremental state (fp_pg_state_*, at the end).
 *
 * A batch is committed whole or not at all. When the connection is lost or
 * the server restarts, the sink reconnects with exponential backoff and
 * redoes the uncommitted batch (the upsert is idempotent); after `retries`
 * failed attempts it gives up with reason "db-unavailable". Passwords never
 * appear in error messages: every text taken from libpq is redacted.
 */

struct fp_pg;

struct fp_pg_options {
	const char *conninfo;  /* libpq conninfo or URI (borrowed); "" uses the
				  PG* environment and ~/.pgpass */
	const char *schema;    /* target schema (borrowed); NULL: "public";
				  else as fp_pg_check_schema() takes it */
	size_t batch_rows;     /* records per batch; 0: 1000 */
	size_t batch_bytes;    /* COPY bytes per batch; 0: 32 MiB */
	int retries;           /* attempts after a lost connection; <0: 8 */
	double backoff;        /* first delay in seconds, doubled per attempt
				  up to 8 s; <= 0: 0.25 */
	const char *version;   /* recorded in load_runs (borrowed), may be NULL */
	int argc;              /* arguments recorded in load_runs */
	char *const *argv;     /* borrowed */
	/* Set by a signal handler: a batch in flight is rolled back instead of
	 * committed, backoff sleeps end early, and fp_pg_* return -1 with
	 * reason "interrupted". May be NULL. */
	const atomic_int *interrupted;
};

/* Cumulative counts of committed batches (also kept in load_runs). */
struct fp_pg_counts {
	long long records;    /* articles sent (before collapsing duplicates) */
	long long inserted;   /* new rows */
	long long updated;    /* rows whose content_hash changed */
	long long unchanged;  /* rows already present with the same hash */
	long long duplicates; /* records collapsed onto a later one of a batch */
	long long rejects;    /* rejects sent */
	long long rejects_new;/* rejects not stored by an earlier run */
	long long batches;    /* committed batches */
	long long retries;    /* batches redone after a lost connection */
	long long direct;     /* batches copied straight into articles (all new) */
	long long direct_fallbacks; /* of those tried, sent again through staging */
	long long versions_inserted; /* new rows of article_versions */
	long long versions_updated;  /* versions seen earlier or later than stored */
};

/* Fills `opt` with the defaults (no conninfo: ""). */
void fp_pg_options_init(struct fp_pg_options *opt);

/*
 * Checks a schema name as PostgreSQL would keep it: 1 to 63 bytes
 * (NAMEDATALEN - 1; the server silently cuts longer names, so two long
 * names would share a schema) of valid UTF-8 without NUL. Returns 0, or -1
 * with err (reason "db-options", the problem in its text).
 */
int fp_pg_check_schema(const char *name, struct fp_error *err);

/*
 * Connects, creates the schema when missing, applies the embedded
 * migrations sql/NNNN-*.sql not yet recorded in feedpipe_migrations (under an
 * advisory lock, all in one transaction), and, unless `migrate_only`,
 * starts a load run (a row in load_runs) and makes the staging tables. A
 * connection lost in any of these steps is retried as mid-load (`retries`,
 * with backoff; the run keeps its one row). Returns a new sink, or NULL with
 * err set: "db-options" (a schema fp_pg_check_schema() refuses),
 * "db-connect" (bad conninfo, refused, or no server after the retries),
 * "db-unavailable" (the connection lost after the retries), "db-error". `opt` is copied; the strings it points
 * to are borrowed and must outlive the sink.
 */
struct fp_pg *fp_pg_open(const struct fp_pg_options *opt, int migrate_only, struct fp_error *err);

/*
 * Checks a canonical article and adds it to the current batch; when the
 * batch is full, hands it to the sink's sender thread, which commits it
 * while the caller fills the next one (one batch in flight at most: the
 * hand-off waits for the previous commit). `rec` is borrowed. Returns:
 *   1  added;
 *   0  the article cannot be stored: err has reason "article-invalid"
 *      (a member missing or of the wrong type, NUL or invalid UTF-8) and the
 *      member in its text; the caller makes a reject of it and passes the
 *      reject to fp_pg_add_reject();
 *  -1  a batch could not be committed ("db-unavailable", "db-error",
 *      "interrupted"): the one handed off before, whose failure shows
 *      here; the sink is unusable except for fp_pg_finish().
 */
int fp_pg_add(struct fp_pg *pg, const json_t *rec, struct fp_error *err);

/*
 * Adds a reject record (borrowed) to the current batch; it is stored in the
 * rejects table in the batch's transaction, once (keyed by the SHA-256 of the
 * record). Returns 0, or -1 as fp_pg_add().
 */
int fp_pg_add_reject(struct fp_pg *pg, const json_t *reject, struct fp_error *err);

/*
 * Checks an article as fp_pg_add() does, without a database (for the JSONL
 * sink alone). Returns 1 (fine), 0 (err set, "article-invalid") or -1 (out
 * of memory).
 */
int fp_pg_check(const json_t *rec, struct fp_error *err);

/* Commits the current batch, if any, and waits until every batch handed
 * off is committed. Returns 0 or -1 as fp_pg_add(). */
int fp_pg_flush(struct fp_pg *pg, struct fp_error *err);

/*
 * Ends the load run: marks the load_runs row with `status` ("ok", "failed",
 * "interrupted") and the finish time, after the batch in flight (if any)
 * committed or, interrupted, rolled back. Does not flush. Returns 0, or -1 when
 * the row could not be updated (then it stays "running").
 */
int fp_pg_finish(struct fp_pg *pg, const char *status, struct fp_error *err);

/* The counts so far (borrowed; valid until fp_pg_free()). */
const struct fp_pg_counts *fp_pg_counts(const struct fp_pg *pg);

/* The id of the load run (0 before one is started). */
long long fp_pg_run_id(const struct fp_pg *pg);

/* Closes the connection (an open transaction is rolled back) and frees the
 * sink. Accepts NULL. */
void fp_pg_free(struct fp_pg *pg);

/*
 * Describes the connection `conninfo` for messages without its password:
 * "user@host:port/dbname" (parts libpq would take from the environment are
 * left out). Writes at most `size` bytes, NUL-terminated, and returns `buf`.
 */
char *fp_pg_describe(const char *conninfo, char *buf, size_t size);

/* The runtime version of libpq, "15.18" (borrowed, static). */
const char *fp_pg_version(void);

/*
 * The state of incremental runs (lib/state.h) kept in PostgreSQL, for
 * `feedpipe run --incremental --pg`: the table source_files of the target
 * schema (sql/0002-source-files.sql), one row per (root, path). The driver
 * reads it before planning and writes the difference after every stage
 * exited 0, in one transaction, so the state in the database never gets
 * ahead of what the loader committed.
 *
 * Connections follow fp_pg_open(): `conninfo` is a libpq connection string or
 * URI, "" takes the PG* environment and ~/.pgpass. Passwords never appear in
 * messages. Error reasons: "db-connect", "db-migrate", "db-error",
 * "out-of-memory".
 */

struct fp_state; /* lib/state.h */

struct fp_pg_state_options {
	const char *conninfo; /* borrowed; NULL: "" */
	const char *schema;   /* borrowed; NULL: "public" */
	const char *root;     /* the INPUT directory the rows belong to (borrowed) */
};

/*
 * Applies the migrations (as feedpipe-load does), then reads the rows of
 * `root` into *state (initialized here, sorted by path; each entry with
 * its load_run, 0 when NULL). Returns 0, or -1 with err and *state empty.
 * Release *state either way.
 */
int fp_pg_state_read(const struct fp_pg_state_options *opt, struct fp_state *state,
		     struct fp_error *err);

/*
 * In one transaction: inserts or updates the rows of `upsert` (borrowed; an
 * entry without a load_run gets `load_run`, 0 for none) and deletes the rows
 * of the `ngone` paths `gone` (borrowed). Returns 0, or -1 with err; the
 * table is then as it was.
 */
int fp_pg_state_write(const struct fp_pg_state_options *opt, const struct fp_state *upsert,
		      const char *const *gone, size_t ngone, long long load_run,
		      struct fp_error *err);

/*
 * The state of incremental runs over a git history, `feedpipe run --git REPO
 * --incremental --pg`: the table source_commits (sql/0003), one row per
 * (repository, prefix), the repository being opt->root. Read reads the last
 * commit loaded into `commit` ("" when none; 40 hex digits and a NUL);
 * write records it, with `load_run` (0 for none), in one statement after
 * every stage exited 0. Both return 0, or -1 with err as
 * fp_pg_state_read().
 */
int fp_pg_commit_state_read(const struct fp_pg_state_options *opt, const char *prefix,
			    char commit[41], struct fp_error *err);
int fp_pg_commit_state_write(const struct fp_pg_state_options *opt, const char *prefix,
			     const char *commit, long long load_run, struct fp_error *err);

#endif
