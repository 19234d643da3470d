#ifndef FP_STATE_H
#define FP_STATE_H

#include <jansson.h>

#include "error.h"
#include "walk.h"

/*
 * The state of incremental runs: which files of one archive directory were
 * loaded, each with its size, modification time and SHA-256. A run plans
 * from the state which files to process (new ones, and those whose size or
 * mtime changed and whose content did too), processes only those, and
 * records the new state only after the whole pipeline succeeded, so a failed
 * or killed run never records work that was lost.
 *
 * In memory a state is a JSON object, relative path -> entry {"path": REL,
 * "bytes": N, "mtime_ns": N, "sha256": HEX} (an entry read from the
 * database also has "load_run"). It is kept either in a file (this module)
 * or in the database (fp_pg_state_* in lib/pg.h); the plan does not care which.
 *
 * The state file is JSON lines: a header {"feedpipe_state": 1, "root":
 * ROOT}, then one entry per file. It is written to FILE.tmp, fsynced and
 * renamed over FILE.
 */

struct fp_state_plan {
	char *list_path;    /* NUL-separated paths to process, for extract -0 (owned) */
	json_t *next;       /* the state after a successful run: path -> entry (new) */
	json_t *upsert;     /* the entries of `next` that are new or differ from the
			       old state: path -> entry (new). An entry of a file
			       to process has no "load_run"; a touched one keeps
			       the old entry's */
	json_t *gone;       /* paths of the old state whose file no longer exists
			       (array of strings, new) */
	long files;         /* files found */
	long changed;       /* of which to process */
	long touched;       /* of which only the mtime changed (not processed) */
	long recorded;      /* files in the state before the run */
};

/*
 * Reads the state file `path` into *state (new object path -> entry). A
 * missing file is the empty state (the first run). Returns 0, or -1 with err
 * ("state-read", "state-invalid") and *state NULL.
 */
int fp_state_read(const char *path, json_t **state, struct fp_error *err);

/*
 * Writes `state` (borrowed) to the state file `path` atomically, with
 * `root` in its header: FILE.tmp, fsync, rename, fsync of the directory.
 * Returns 0, or -1 with err ("state-write"); the old file is then intact.
 */
int fp_state_write(const char *path, const char *root, const json_t *state,
		   struct fp_error *err);

/*
 * Walks the directory `root` as feedpipe-extract does (`walk`: globs and
 * shard, borrowed), compares each file with `state` (stolen, NULL: empty;
 * `full`: every file is processed) and writes the paths to process, as
 * ROOT/REL, NUL-separated, to a new file in `tmpdir`. Reads only files whose
 * size or mtime changed, to compare their SHA-256. Entries of the old state
 * that the walk did not see are kept when their file still exists (another
 * shard, another glob) and listed in plan->gone when it does not. Returns
 * 0, or -1 with err (I/O, out of memory); release the plan either way.
 */
int fp_state_plan(struct fp_state_plan *plan, const char *root, const struct fp_walk *walk,
		  json_t *state, int full, const char *tmpdir, struct fp_error *err);

/* True when a successful run has something to record: plan->upsert or
 * plan->gone is not empty. */
int fp_state_plan_dirty(const struct fp_state_plan *plan);

/* Removes the list file and frees the plan. Accepts NULL. */
void fp_state_plan_release(struct fp_state_plan *plan);

#endif
