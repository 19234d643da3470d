#ifndef FP_STATE_H
#define FP_STATE_H

#include <stddef.h>
#include <stdio.h>

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
 * In memory a state is an array of entries sorted by path (strcmp, one
 * entry per path), found by binary search; the paths live in blocks the
 * state owns, not in one allocation each. It is kept either in a file (this
 * module) or in the database (fp_pg_state_* in lib/pg.h); the plan does not
 * care which.
 *
 * The state file is JSON lines: a header {"feedpipe_state":1,"root":ROOT},
 * then one entry per file, {"path":REL,"bytes":N,"mtime_ns":N,"sha256":HEX}
 * and "load_run":N when known, in path order. It is written to FILE.tmp,
 * fsynced and renamed over FILE.
 */

struct fp_state_entry {
	const char *path;         /* relative to the root ('/'-separated, UTF-8) */
	long long bytes, mtime_ns;
	long long load_run;       /* the load run that loaded the file; 0: none */
	char sha256[64 + 1];      /* lowercase hex; "" when unknown (never equal
				     to a file's digest) */
	unsigned char seen;       /* planning: the walk reported the path */
	unsigned char keep;       /* planning: the entry goes to the next state */
};

struct fp_state_block;

struct fp_state {
	struct fp_state_entry *v; /* sorted by path, unique, once fp_state_sort()ed */
	size_t n, cap;
	struct fp_state_block *blocks; /* storage of the paths fp_state_add copied */
};

/* An empty state; no allocation. */
void fp_state_init(struct fp_state *state);

/* Frees the entries and the paths the state owns; leaves it empty. Accepts
 * NULL. */
void fp_state_release(struct fp_state *state);

/*
 * Appends an entry for `path` (copied into the state; the other members are
 * zero, sha256 ""), in any order: call fp_state_sort() before looking paths
 * up. Returns the entry (borrowed, valid until the next fp_state_add), or
 * NULL when out of memory.
 */
struct fp_state_entry *fp_state_add(struct fp_state *state, const char *path);

/*
 * Sorts the entries by path; of entries with one path, the one added last
 * is kept (as when reading lines that set a key again). Cheap when already
 * sorted. Returns 0, or -1 when out of memory (the state is then as it was).
 */
int fp_state_sort(struct fp_state *state);

/* The entry of `path` in a sorted state (borrowed), or NULL. */
struct fp_state_entry *fp_state_find(const struct fp_state *state, const char *path);

/*
 * Writes `e` as one compact JSON object, the state file's line without its
 * newline: {"path","bytes","mtime_ns","sha256"} and "load_run" when not 0.
 * Returns 0, or -1 on a write error or when the path is not valid UTF-8.
 */
int fp_state_entry_dump(const struct fp_state_entry *e, FILE *f);

/*
 * Reads the state file `path` into *state (initialized here, sorted). A
 * missing file is the empty state (the first run). Returns 0, or -1 with
 * err ("state-read", "state-invalid", "out-of-memory") and *state empty.
 * Release *state either way.
 */
int fp_state_read(const char *path, struct fp_state *state, struct fp_error *err);

/*
 * Writes `state` (borrowed) to the state file `path` atomically, with
 * `root` in its header: FILE.tmp, fsync, rename, fsync of the directory.
 * Returns 0, or -1 with err ("state-write"); the old file is then intact.
 */
int fp_state_write(const char *path, const char *root, const struct fp_state *state,
		   struct fp_error *err);

/*
 * The state of incremental runs over a git history (`feedpipe run --git`):
 * the last commit loaded per repository (its realpath) and prefix ("" for
 * the root). In a state file: a header {"feedpipe_state":1,"git":true},
 * then one {"repository":R,"prefix":P,"commit":HEX} per pair, and
 * "load_run":N when known; written as fp_state_write() writes. In the
 * database: fp_pg_commit_state_* of lib/pg.h.
 */
#define FP_STATE_COMMIT_HEX 40

/*
 * Reads the commit of (`repository`, `prefix`) from the state file `path`
 * into `commit` ("" when the file or the pair is missing: the first run).
 * Returns 0, or -1 with err ("state-read", "state-invalid": a file of
 * directory runs or not a state file, "out-of-memory").
 */
int fp_state_commit_read(const char *path, const char *repository, const char *prefix,
			 char commit[FP_STATE_COMMIT_HEX + 1], struct fp_error *err);

/*
 * Records `commit` (and `load_run`, 0 for none) for (`repository`,
 * `prefix`) in the state file `path`, keeping the other pairs, atomically.
 * Returns 0, or -1 with err ("state-read", "state-invalid", "state-write");
 * the old file is then intact.
 */
int fp_state_commit_write(const char *path, const char *repository, const char *prefix,
			  const char *commit, long long load_run, struct fp_error *err);

struct fp_state_plan {
	char *list_path;    /* NUL-separated paths to process, for extract -0 (owned) */
	struct fp_state next;   /* the state after a successful run, sorted; its
				   paths are the plan's (in `old` and `upsert`) */
	struct fp_state upsert; /* the entries of `next` that are new or differ
				   from the old state, sorted. An entry of a file
				   to process has no load_run; a touched one
				   keeps the old entry's */
	const char **gone;  /* paths of the old state whose file no longer
			       exists (the array is owned, the paths are in
			       `old`), in path order */
	size_t ngone;
	struct fp_state old; /* the state planned from (owned) */
	long files;         /* files found */
	long changed;       /* of which to process */
	long touched;       /* of which only the mtime changed (not processed) */
	long recorded;      /* files in the state before the run */
};

/*
 * Walks the directory `root` as feedpipe-extract does (`walk`: globs and
 * shard, borrowed), compares each file with `state` (its contents are
 * stolen and *state left empty; NULL: empty; `full`: every file is
 * processed) and writes the paths to process, as ROOT/REL, NUL-separated,
 * to a new file in `tmpdir`. Reads only files whose size or mtime changed,
 * to compare their SHA-256. Entries of the old state that the walk did not
 * see are kept when their file still exists (another shard, another glob)
 * and listed in plan->gone when it does not. A path that is not valid UTF-8
 * fails the plan, as no state could record it. Returns 0, or -1 with err
 * (I/O, out of memory); release the plan either way.
 */
int fp_state_plan(struct fp_state_plan *plan, const char *root, const struct fp_walk *walk,
		  struct fp_state *state, int full, const char *tmpdir, struct fp_error *err);

/* True when a successful run has something to record: plan->upsert or
 * plan->gone is not empty. */
int fp_state_plan_dirty(const struct fp_state_plan *plan);

/* Removes the list file and frees the plan. Accepts NULL. */
void fp_state_plan_release(struct fp_state_plan *plan);

#endif
