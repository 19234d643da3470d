#ifndef FP_WALK_H
#define FP_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * Input discovery: which files a run reads, in which order, and which
 * shard each belongs to.
 *
 * A directory is walked recursively in byte-wise sorted order of names
 * (independent of locale), so every run over the same tree sees the same
 * sequence. Names starting with '.' are skipped; symbolic links to files are
 * followed, links to directories are not (no loops). A file is taken when
 * its name matches one of the globs (fnmatch, default "*.md").
 */

struct fp_walk {
	const char *const *globs; /* borrowed; NULL-terminated; NULL: "*.md" */
	int shard_index, shard_count; /* take files with shard == index; count 0: all */
};

/*
 * Called for each file found under `root`, with its path relative to the
 * root (`rel`, '/'-separated) and the path to open (`path`). `err` is NULL,
 * or says why a directory or file could not be read (the walk goes on);
 * `rel` then names it. A non-zero return stops the walk and is returned.
 */
typedef int (*fp_walk_fn)(void *data, const char *root, const char *rel, const char *path,
			  const struct fp_error *err);

/*
 * Walks the directory `root`. Returns 0, or what `fn` returned to stop it.
 * Unreadable subdirectories are reported through `fn` and skipped.
 */
int fp_walk_dir(const struct fp_walk *w, const char *root, fp_walk_fn fn, void *data);

struct stat;

/* As fp_walk_fn, with the file's status as stat(2) gives it (a symbolic
 * link followed), which the walk took anyway; NULL when `err` is set. */
typedef int (*fp_walk_stat_fn)(void *data, const char *root, const char *rel, const char *path,
			       const struct stat *st, const struct fp_error *err);

/*
 * Walks the directory `root`/`rel` (`path` names it, as the caller reached
 * it), a part of the tree `root`: the files are reported with their paths
 * relative to `root`, as a walk of the whole tree reports them. Returns as
 * fp_walk_dir().
 */
int fp_walk_subdir(const struct fp_walk *w, const char *root, const char *rel, const char *path,
		   fp_walk_fn fn, void *data);

/* fp_walk_dir() for a caller that needs each file's status: it need not
 * look the file up again. */
int fp_walk_dir_stat(const struct fp_walk *w, const char *root, fp_walk_stat_fn fn, void *data);

/* True when the file name `name` (last path component) matches the globs. */
int fp_walk_match(const struct fp_walk *w, const char *name);

/*
 * The shard of a relative path: FNV-1a 64 of its bytes modulo `count`. A
 * fixed, documented function, so that separate processes and machines agree.
 */
unsigned fp_walk_shard(const char *rel, unsigned count);

/* True when `rel` falls in the walk's shard (always true without sharding). */
int fp_walk_in_shard(const struct fp_walk *w, const char *rel);

/*
 * Parses "K/N" (0 <= K < N) into the walk. Returns 0, or -1 when malformed.
 */
int fp_walk_parse_shard(struct fp_walk *w, const char *spec);

#endif
