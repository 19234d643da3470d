#ifndef FP_JSONL_H
#define FP_JSONL_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"

/*
 * The gzipped JSON Lines sink of feedpipe-load: one record per line, one
 * gzip stream per file, made of independent members of about 1 MiB of JSON
 * each (every gzip reader concatenates them), compressed on a second thread
 * while the caller goes on. The only module that talks to zlib (and to
 * libdeflate, which compresses instead when the build found it: about
 * twice as fast at level 1, for the same gzip members).
 *
 * Two layouts:
 *   single file   --out out/articles.jsonl.gz; rejects go to the sibling
 *                 out/articles.rejects.jsonl.gz
 *   partitioned   --out-dir DIR: DIR/dt=YYYY-MM-DD/part-NNNNN.jsonl.gz by the
 *                 UTC date of published_at (dt=YYYY-MM or dt=YYYY with
 *                 `partition` month or year; dt=__HIVE_DEFAULT_PARTITION__
 *                 when there is none), a new part when one reaches
 *                 `part_bytes` of JSON; rejects go to DIR/rejects.jsonl.gz
 *
 * Every file is written under a hidden temporary name in its final
 * directory (".NAME.tmp.PID", which Hive-style readers skip), and is closed,
 * fsynced and renamed (and its directory fsynced) only when complete: after
 * a crash or a failed write no truncated file carries a final name.
 */

struct fp_jsonl;

enum { FP_JSONL_DAY, FP_JSONL_MONTH, FP_JSONL_YEAR };

/* "day", "month", "year" -> FP_JSONL_*, or -1. */
int fp_jsonl_parse_partition(const char *s);

struct fp_jsonl_options {
	const char *path;  /* --out FILE (borrowed), or NULL */
	const char *dir;   /* --out-dir DIR (borrowed), or NULL; exactly one of
			      path and dir */
	int level;         /* gzip level 0-9; -1: 1 (fastest) */
	size_t part_bytes; /* uncompressed bytes per part; 0: 256 MiB */
	int max_open;      /* partitions filling a 1 MiB block at once; 0: 16 */
	int partition;     /* FP_JSONL_DAY (0), FP_JSONL_MONTH, FP_JSONL_YEAR */
	const char *run_id; /* with dir: name the files part-RUNID-NNNNN.jsonl.gz
			       and rejects-RUNID.jsonl.gz, so that a run adds
			       files instead of replacing an earlier run's
			       (borrowed; [A-Za-z0-9_-], at most 64); NULL: none */
};

struct fp_jsonl_counts {
	long long records;  /* articles written */
	long long rejects;  /* rejects written */
	long long files;    /* files completed (renamed to their final name) */
	unsigned long long bytes; /* uncompressed bytes written */
};

/* Fills `opt` with the defaults (no path, no dir). */
void fp_jsonl_options_init(struct fp_jsonl_options *opt);

/*
 * Checks a run id: 1 to 64 of A-Z a-z 0-9 _ - (it becomes part of file
 * names, so no '/' or '.'). Returns 0, or -1 with err ("jsonl-options").
 */
int fp_jsonl_check_run_id(const char *id, struct fp_error *err);

/*
 * Creates the sink: checks the options and creates DIR when missing. No
 * file is created yet. Returns a new sink, or NULL with err set
 * ("jsonl-options", "mkdir-error", "out-of-memory").
 */
struct fp_jsonl *fp_jsonl_open(const struct fp_jsonl_options *opt, struct fp_error *err);

/*
 * Writes an article. `rec` (borrowed) chooses the partition (its
 * published_at); `line` of `len` bytes (borrowed, without newline) is
 * written as it is when not NULL, else `rec` is serialized. Returns 0, or -1
 * with reason "write-error" (the sink is then unusable but fp_jsonl_free()).
 */
int fp_jsonl_put(struct fp_jsonl *j, const json_t *rec, const char *line, size_t len,
		 struct fp_error *err);

/* Writes a reject record (borrowed) to the rejects file. As fp_jsonl_put(). */
int fp_jsonl_put_reject(struct fp_jsonl *j, const json_t *rej, const char *line, size_t len,
			struct fp_error *err);

/*
 * Completes every file: gzip trailer, fsync, rename to the final name, fsync
 * of the directories. The rejects file is always written, empty when there
 * were none, so that it never survives from an earlier run. Returns 0, or -1
 * ("write-error"); files not completed are removed.
 */
int fp_jsonl_close(struct fp_jsonl *j, struct fp_error *err);

/* The counts so far (borrowed). */
const struct fp_jsonl_counts *fp_jsonl_counts(const struct fp_jsonl *j);

/* Frees the sink. Files not completed by fp_jsonl_close() are removed: the
 * way to abandon the output after an error or a signal. Accepts NULL. */
void fp_jsonl_free(struct fp_jsonl *j);

/* The runtime version of zlib, "1.2.13", followed by ", libdeflate 1.14"
 * when libdeflate compresses (borrowed, static). */
const char *fp_jsonl_version(void);

#endif
