#ifndef FP_STAGE_H
#define FP_STAGE_H

#include <jansson.h>
#include <stdatomic.h>

#include "cli.h"
#include "record.h"

/*
 * The frame of a filter stage (clean, normalize, load): read records,
 * pass rejects through, turn bad lines into rejects, count everything, and
 * report at the end. A stage's main() is: parse options, then
 *
 *	while ((rc = fp_stage_next(&st, &rec)) > 0) {
 *		if (process(rec, &err) < 0)
 *			fp_stage_reject(&st, &err, rec);
 *		else
 *			fp_stage_emit(&st, rec);
 *		json_decref(rec);
 *	}
 *	return fp_stage_finish(&st);
 */

struct fp_stats {
	long records_in;       /* lines read (or files, for extract) */
	long records_out;      /* records written that are not rejects */
	long rejects;          /* rejects made by this stage */
	long rejects_passed;   /* rejects from upstream passed through */
	long warnings;         /* warnings added by this stage */
	json_t *reasons;       /* reason code -> count, for this stage's rejects */
	unsigned long long bytes_in, bytes_out;
	double started;        /* monotonic seconds */
	json_t *extra;         /* stage-specific counters, merged into --stats */
};

struct fp_stage {
	struct fp_cli cli;
	const char *stage;     /* short name used in rejects: "clean" */
	struct fp_reader in;
	struct fp_writer out;
	struct fp_stats stats;
	int failed;            /* an I/O error or the reject limit was hit */
	int keep_rejects;      /* set by a sink (load): fp_stage_next returns
				  upstream rejects to the caller instead of
				  writing them through; bad lines too, as
				  reject records of this stage */
};

/*
 * Sets up the stage: `prog` ("feedpipe-clean") and `stage` ("clean") are
 * borrowed string literals. Call before option parsing; the options land in
 * st->cli.
 */
void fp_stage_init(struct fp_stage *st, const char *prog, const char *stage);

/* Opens the streams (stdin/stdout) once options are parsed, and catches
 * SIGINT/SIGTERM (fp_stage_catch_signals). */
void fp_stage_start(struct fp_stage *st);

/*
 * Makes SIGINT and SIGTERM (unless ignored at startup) end the input: the
 * stage finishes the record in hand, writes only whole lines, and
 * fp_stage_finish() returns 130 / 143. Idempotent.
 */
void fp_stage_catch_signals(void);

/* The signal caught (SIGINT, SIGTERM) or 0; and where it is kept, for
 * code that polls it without knowing the stage (database retries). */
int fp_stage_interrupted(void);
const atomic_int *fp_stage_interrupt_flag(void);

/*
 * Returns 1 with *rec (new reference) for the next record to process, 0 at
 * the end of input or when the stage must stop (I/O error, reject limit).
 * Rejects from upstream are written through and counted; lines that are not
 * records become rejects of this stage. With st->keep_rejects set, both
 * kinds are returned to the caller instead (fp_record_is_reject() tells
 * them apart); they are counted here all the same.
 */
int fp_stage_next(struct fp_stage *st, json_t **rec);

/* Writes `rec` (borrowed) and counts it. Returns 0 or -1 (output failed). */
int fp_stage_emit(struct fp_stage *st, const json_t *rec);

/*
 * Writes a reject for `input` (borrowed, may be NULL) made from `err`, counts
 * it by reason, and prints the message unless -q. The record number of the
 * current line is filled in when err has none. Returns 0 or -1.
 */
int fp_stage_reject(struct fp_stage *st, const struct fp_error *err, json_t *input);

/* Counts a warning this stage attached (for --stats). */
void fp_stage_warned(struct fp_stage *st, long n);

/*
 * Flushes, writes --stats, prints the summary line on -v (or when there
 * were rejects and not -q), frees everything. Returns the exit code:
 * FP_EXIT_IO when output failed or a reject could not be made (out of
 * memory), FP_EXIT_DATA over --max-rejects, 128 + the signal after
 * SIGINT/SIGTERM.
 */
int fp_stage_finish(struct fp_stage *st);

/*
 * Frees what fp_stage_init() and fp_stage_start() set up, without flushing
 * or reporting: for leaving early (usage errors). Accepts NULL.
 * fp_stage_finish() calls it.
 */
void fp_stage_release(struct fp_stage *st);

/* fp_stats_* are shared with feedpipe-extract, which has no input stream. */
void fp_stats_init(struct fp_stats *s);
void fp_stats_release(struct fp_stats *s);
void fp_stats_count_reject(struct fp_stats *s, const char *reason);
/* Writes the JSON summary to `path`. Returns 0 or -1 with err. */
int fp_stats_write(const struct fp_stats *s, const char *prog, const char *path,
		   struct fp_error *err);
double fp_stats_now(void);

#endif
