#ifndef FP_PIPELINE_H
#define FP_PIPELINE_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

/*
 * The machinery of the driver `feedpipe run`: start the four stage
 * executables connected by pipes (no shell), relay the output of N chains
 *
 *	feedpipe-extract --shard k/N | feedpipe-clean | feedpipe-normalize
 *
 * into one feedpipe-load, whole lines only, and fail like `set -o pipefail`:
 * when any stage fails, the loader is stopped (SIGTERM) before it sees the end
 * of its input, so it never commits the tail of a broken run.
 *
 * Every process inherits the driver's stderr: a stage's messages are never
 * hidden. The library prints nothing itself; progress goes to a callback and
 * failures are described by fp_pipeline_describe().
 */

enum fp_stage_id { FP_STAGE_EXTRACT, FP_STAGE_CLEAN, FP_STAGE_NORMALIZE, FP_STAGE_LOAD, FP_STAGE_COUNT };

/* "feedpipe-extract", ... (static strings). */
const char *fp_pipeline_stage_name(enum fp_stage_id id);

/* One started process. */
struct fp_proc {
	enum fp_stage_id stage;
	int chain;          /* 0..jobs-1; -1 for the loader */
	pid_t pid;          /* 0 when not started */
	int status;         /* waitpid() status, valid when `reaped` */
	int reaped;
	int collateral;     /* stopped by the driver because another stage failed */
	double cpu_seconds; /* user + system time, once reaped */
	long max_rss_kb;    /* peak resident set size, once reaped */
	char *stats_path;   /* its --stats file (owned) */
};

/* What the progress callback sees. */
struct fp_progress {
	long files_total;        /* expected files, -1 when unknown */
	long records;            /* lines delivered to the loader: one per file */
	long rejects;            /* of which rejects */
	unsigned long long bytes; /* NDJSON bytes delivered to the loader */
	double elapsed;          /* seconds since the start */
	int final;               /* 1 for the last call, after the run */
};

typedef void fp_progress_fn(const struct fp_progress *p, void *ctx);

struct fp_pipeline {
	/* Set by the caller (after fp_pipeline_init). */
	int jobs;                       /* chains, >= 1 */
	const char *shard;              /* --shard K/N of this run, or NULL */
	char **inputs;                  /* borrowed; "-" reads paths from stdin */
	size_t ninputs;
	const char *stdin_path;         /* when set, each extract's stdin is this file */
	fp_progress_fn *progress;       /* called about twice a second, or NULL */
	void *progress_ctx;
	long files_total;               /* for the progress, -1 unknown */
	volatile sig_atomic_t *interrupted; /* set to a signal number by the caller's handler */

	/* Filled by fp_pipeline_init / _add_arg / _add_secret / _find_stages. */
	char *exe[FP_STAGE_COUNT];      /* resolved executables (owned) */
	char **args[FP_STAGE_COUNT];    /* options for each stage (owned, NULL-terminated) */
	size_t nargs[FP_STAGE_COUNT];
	int secret_fd;                  /* read end of the secret's pipe, or -1 */
	enum fp_stage_id secret_stage;  /* the stage it is for */

	/* Filled by fp_pipeline_run. */
	struct fp_proc *procs;          /* jobs * 3 chain processes, then the loader */
	size_t nprocs;
	int signal;                     /* the signal that interrupted the run, or 0 */
	json_t *stats;                  /* merged --stats of every stage (new), or NULL */
	struct fp_progress last;        /* the final counts */
	char *tmpdir;                   /* the stats files' directory (owned, removed on release) */
};

/* Sets up an empty pipeline: one chain, no inputs, no options. */
void fp_pipeline_init(struct fp_pipeline *pl);

/* Frees everything, removes the temporary stats files. Accepts NULL. */
void fp_pipeline_release(struct fp_pipeline *pl);

/*
 * Appends `arg` (copied) to the options of stage `id`. Returns 0, or -1
 * with err (out of memory).
 */
int fp_pipeline_add_arg(struct fp_pipeline *pl, enum fp_stage_id id, const char *arg,
			struct fp_error *err);

/* The descriptor a stage reads its secret from (fp_pipeline_add_secret). */
#define FP_PIPELINE_SECRET_FD 3

/*
 * Hands `secret` (copied; at most FP_CLI_FD_VALUE_MAX bytes) to stage `id`
 * by an inherited descriptor instead of its command line, which every
 * local user can read: the stage gets the options `opt` "3" (e.g. --pg-fd 3)
 * and, as descriptor 3, a pipe holding the value and then its end (only the
 * stage's own user can open a process's descriptors). One secret per
 * pipeline. Returns 0, or -1 with err.
 */
int fp_pipeline_add_secret(struct fp_pipeline *pl, enum fp_stage_id id, const char *opt,
			   const char *secret, struct fp_error *err);

/*
 * Finds the four stage executables: in $FEEDPIPE_LIBEXEC when set, else in
 * the directory of the running executable (/proc/self/exe), else in $PATH.
 * Returns 0, or -1 with err (reason "stage-not-found", source = the name).
 */
int fp_pipeline_find_stages(struct fp_pipeline *pl, struct fp_error *err);

/*
 * Counts the files the inputs hold, found as feedpipe-extract finds them
 * (lib/walk.h; `globs` NULL-terminated, borrowed, NULL or empty for "*.md"),
 * for the progress display. Returns the count, or -1 when it cannot be known
 * (an input is "-").
 */
long fp_pipeline_count_inputs(char *const *inputs, size_t ninputs, const char *const *globs);

/*
 * Runs the pipeline to the end. Returns 0 when every stage exited 0; 1 when
 * a stage failed (see pl->procs and fp_pipeline_describe; the loader was
 * stopped before the end of its input); -1 with err when the driver itself
 * could not run it (pipes, spawning, temporary files) after stopping what it
 * had started. When *pl->interrupted became non-zero, the signal is forwarded
 * to every stage, pl->signal is set and 1 is returned. pl->stats holds the
 * merged statistics of the stages ({"stages": {"extract": ...}}), each with
 * the kernel's "cpu_seconds" and "max_rss_kb" of its processes.
 */
int fp_pipeline_run(struct fp_pipeline *pl, struct fp_error *err);

/*
 * Describes a failed process for the driver's message: "feedpipe-clean
 * killed by signal 9", "feedpipe-load exited with status 4",
 * "feedpipe-clean (chain 2 of 4) ...", into `buf` of `size` bytes. Returns 1
 * when the process failed on its own, 2 when it died of SIGPIPE (status 141)
 * because something downstream failed, 0 when it did not fail or was stopped
 * by the driver (collateral, or the signal that interrupted the run).
 */
int fp_pipeline_describe(const struct fp_pipeline *pl, const struct fp_proc *p, char *buf,
			 size_t size);

/*
 * Takes the lock file `path` (created if needed, flock LOCK_EX|LOCK_NB) and
 * returns its descriptor (close-on-exec; closing it or exiting releases the
 * lock), or -1 with err: reason "locked" when another process holds it,
 * "lock-open" when it cannot be opened.
 */
int fp_pipeline_lock(const char *path, struct fp_error *err);

/*
 * Merges the --stats document `from` (borrowed) into `into`: numbers are
 * added ("seconds" and members named "max_..." take the maximum), objects
 * merged member by member, other values kept from `into` when present.
 * Returns 0, or -1 (out of memory).
 */
int fp_pipeline_merge_stats(json_t *into, const json_t *from);

#endif
