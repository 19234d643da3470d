#ifndef FP_POST_H
#define FP_POST_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "yamljson.h"

/*
 * A post file turned into an extract record:
 *   {"source": {path, root, bytes, mtime, sha256}, "meta": {...},
 *    "body": "...", "warnings": [...]}
 * (README.md, "Record format").
 */

enum fp_invalid_utf8 {
	FP_UTF8_REPAIR, /* invalid sequences become U+FFFD, with a warning */
	FP_UTF8_REJECT, /* the file is rejected */
};

#define FP_POST_DEFAULT_MAX_FILE ((size_t)64 << 20) /* 64 MiB */

struct fp_post_opts {
	size_t max_file;                /* larger files are rejected unread */
	enum fp_invalid_utf8 invalid_utf8;
	struct fp_yaml_limits yaml;     /* front matter limits */
};

/* Fills `opts` with the defaults. */
void fp_post_opts_init(struct fp_post_opts *opts);

/*
 * What a record's `source` says besides the content: where the post is and
 * when it was written.
 */
struct fp_post_source {
	const char *root;   /* source.root (borrowed) */
	const char *rel;    /* source.path, relative to root (borrowed) */
	long long mtime;    /* source.mtime, seconds since the epoch */
	const json_t *git;  /* source.git (borrowed), or NULL */
};

/*
 * Checks a post's size against opts->max_file before it is read. Returns 0,
 * or -1 with err ("file-too-large").
 */
int fp_post_check_size(const struct fp_post_opts *opts, unsigned long long size,
		       struct fp_error *err);

/*
 * Turns the `len` bytes of a post at `data` (borrowed) into a record: the
 * source object from `src` with the size and SHA-256 of the bytes (and
 * `git` when given, last), the front matter, the body, the warnings. The
 * one builder of extract records: a file and a blob with the same bytes
 * give the same record but for source.mtime and source.git.
 *
 * Returns a new record, or NULL with err set (err->source is src->rel) and
 * *source set to a new reference to the source object when it could be
 * made (NULL otherwise), for the reject. Reasons: "invalid-utf8" (the path,
 * or the content with FP_UTF8_REJECT), "binary-file", "out-of-memory", and
 * those of fp_frontmatter_parse().
 */
json_t *fp_post_parse(const struct fp_post_source *src, const char *data, size_t len,
		      const struct fp_post_opts *opts, json_t **source, struct fp_error *err);

/*
 * Reads the file at `path` (`rel` relative to `root`) into a record, with
 * fp_post_parse().
 *
 * Returns a new record, or NULL with err set (err->source is `rel`, err->line
 * where known) and *source set to a new reference to the source object when
 * the file could be read (NULL otherwise), for the reject. Reasons:
 * "read-error", "not-a-file", "file-too-large", "binary-file",
 * "invalid-utf8" (with FP_UTF8_REJECT), "out-of-memory", and those of
 * fp_frontmatter_parse().
 */
json_t *fp_post_read(const char *root, const char *rel, const char *path,
		     const struct fp_post_opts *opts, json_t **source, struct fp_error *err);

#endif
