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
 * commits the new state only after the whole pipeline succeeded, so a failed
 * or killed run never records work that was lost.
 *
 * The state is a file of JSON lines: a header {"feedpipe_state": 1, "root":
 * ROOT}, then {"path": REL, "bytes": N, "mtime_ns": N, "sha256": HEX} per
 * file. It is written to FILE.tmp, fsynced and renamed over FILE.
 */

struct fp_state_plan {
	char *state_path;   /* the state file (owned) */
	char *list_path;    /* NUL-separated paths to process, for extract -0 (owned) */
	json_t *next;       /* the state after a successful run: path -> entry (new) */
	long files;         /* files found */
	long changed;       /* of which to process */
	long touched;       /* of which only the mtime changed (not processed) */
	long recorded;      /* files in the state before the run */
};

/*
 * Walks the directory `root` as feedpipe-extract does (`walk`: globs and
 * shard, borrowed), compares each file with the state in `state_path`
 * (missing: empty; `full`: ignored) and writes the paths to process, as
 * ROOT/REL, NUL-separated, to a new file in `tmpdir`. Reads only files whose
 * size or mtime changed, to compare their SHA-256. Returns 0, or -1 with err
 * (unreadable or malformed state, I/O).
 */
int fp_state_plan(struct fp_state_plan *plan, const char *root, const struct fp_walk *walk,
		  const char *state_path, int full, const char *tmpdir, struct fp_error *err);

/* Writes plan->next to the state file atomically. Returns 0 or -1 with err. */
int fp_state_commit(const struct fp_state_plan *plan, const char *root, struct fp_error *err);

/* Removes the list file and frees the plan. Accepts NULL. */
void fp_state_plan_release(struct fp_state_plan *plan);

#endif
