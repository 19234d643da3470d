#ifndef FP_GIT_H
#define FP_GIT_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "walk.h"

/*
 * An archive's history as a sequence of post versions: for every commit of
 * a range, oldest first, following first parents, every blob under a
 * prefix that the commit adds, or changes relative to its first parent,
 * and that the walk's rules take (glob on the file name, shard on the path
 * relative to the prefix, no name component starting with '.', regular
 * files only). The only module that links libgit2. The repository is only
 * read: nothing is written to it, nothing is fetched.
 *
 * A change's records are a function of the commit and its first parent
 * alone, so a range split into pieces (incremental runs) gives the changes
 * of the whole range. A blob the commit leaves as it is gives nothing: a
 * re-render that changes nothing is not a version.
 *
 * Memory: the blob in hand (a delta is resolved against its base, so at
 * most about twice the largest blob), one commit's list of changed paths,
 * the object ids of the range's commits (20 bytes each), and libgit2's
 * caches, which fp_git_open() caps (README.md, "History").
 *
 * A shallow clone's history starts at its boundary: a commit whose parent
 * is missing there counts as the first (all its files are added), and
 * fp_git_stats() says so. A missing parent in a repository that is not
 * shallow is an error.
 */

#define FP_GIT_OID_HEX 40

struct fp_git;

struct fp_git_options {
	const char *repo;           /* work tree or bare repository (borrowed) */
	const char *rev;            /* "REV", "A..B", "A.." or NULL (HEAD);
				       "A..B": the commits reachable from B
				       along first parents, down to the first
				       that A reaches (borrowed) */
	const char *prefix;         /* directory inside the repository, "" or
				       NULL: the root (borrowed) */
	const struct fp_walk *walk; /* globs and shard (borrowed), NULL: "*.md" */
};

/* One version: a blob a commit added or changed. */
struct fp_git_change {
	const char *path;               /* relative to the prefix (borrowed,
					   valid until the next fp_git_next) */
	char commit[FP_GIT_OID_HEX + 1];
	char blob[FP_GIT_OID_HEX + 1];
	long long committed_at;         /* committer time, seconds since the epoch */
	long long author_at;            /* author time */
	size_t size;                    /* of the blob, from the object header */
};

struct fp_git_stats {
	long commits;   /* commits of the range walked so far */
	long changes;   /* versions returned (added and modified) */
	long added, modified;
	long deleted;   /* files (taken by the rules) that commits removed */
	int shallow;    /* the history stopped at a shallow boundary */
	char boundary[FP_GIT_OID_HEX + 1]; /* that boundary commit, or "" */
	char first[FP_GIT_OID_HEX + 1];    /* oldest commit of the range, or "" */
	char last[FP_GIT_OID_HEX + 1];     /* newest (the range's tip), or "" */
};

/*
 * Opens the repository and lists the range's commits. Returns a new reader,
 * or NULL with err set: "git-open" (not a repository), "git-rev" (the
 * revision or range does not name commits), "git-error" (a missing object
 * outside a shallow boundary, a corrupt repository), "out-of-memory".
 * err->source is the repository.
 */
struct fp_git *fp_git_open(const struct fp_git_options *opt, struct fp_error *err);

/*
 * The next version, commit by commit, oldest first, in path order within a
 * commit. Returns 1 with *change filled, 0 at the end of the range, -1 with
 * err ("git-error"; err->source names the commit).
 */
int fp_git_next(struct fp_git *g, struct fp_git_change *change, struct fp_error *err);

/*
 * Reads the blob of the change fp_git_next() returned last: *data
 * (borrowed, valid until the next fp_git_next or fp_git_read) and *len.
 * Returns 0, or -1 with err ("git-error", "out-of-memory").
 */
int fp_git_read(struct fp_git *g, const struct fp_git_change *change, const char **data,
		size_t *len, struct fp_error *err);

/* The prefix as read: no leading, trailing or doubled '/', no "./"; ""
 * for the root (borrowed, valid until fp_git_free). */
const char *fp_git_prefix(const struct fp_git *g);

/* `prefix` (NULL: "") as fp_git_prefix() gives it: a new string, or NULL
 * when out of memory. */
char *fp_git_prefix_new(const char *prefix);

/* The counts so far (borrowed, valid until fp_git_free). */
const struct fp_git_stats *fp_git_stats(const struct fp_git *g);

/*
 * The record's source.git for `change`: {"commit", "blob", "committed_at",
 * "author_at"}, the times in UTC as "YYYY-MM-DDTHH:MM:SSZ". Returns a new
 * reference, or NULL when out of memory.
 */
json_t *fp_git_source_new(const struct fp_git_change *change);

/* Closes the repository and frees the reader. Accepts NULL. */
void fp_git_free(struct fp_git *g);

/*
 * Resolves `rev` (NULL: HEAD) in the repository `repo` to a commit id,
 * lowercase hex, into `hex`. Returns 0, or -1 with err ("git-open",
 * "git-rev").
 */
int fp_git_resolve(const char *repo, const char *rev, char hex[FP_GIT_OID_HEX + 1],
		   struct fp_error *err);

/* libgit2's version, "1.5.1" (borrowed, static). */
const char *fp_git_version(void);

#endif
