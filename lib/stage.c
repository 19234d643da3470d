#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "stage.h"
#include "utf8.h"
#include "banned.h"

double fp_stats_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void fp_stats_init(struct fp_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->reasons = json_object();
	s->extra = json_object();
	s->started = fp_stats_now();
}

void fp_stats_release(struct fp_stats *s)
{
	if (!s)
		return;
	json_decref(s->reasons);
	json_decref(s->extra);
	s->reasons = s->extra = NULL;
}

void fp_stats_count_reject(struct fp_stats *s, const char *reason)
{
	json_t *n = json_object_get(s->reasons, reason);

	s->rejects++;
	json_object_set_new(s->reasons, reason, json_integer(json_integer_value(n) + 1));
}

int fp_stats_write(const struct fp_stats *s, const char *prog, const char *path,
		   struct fp_error *err)
{
	json_t *doc;
	char tmp[4096];
	int ret = -1;

	doc = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:O, s:I, s:I, s:f}", "program", prog,
			"records_in", (json_int_t)s->records_in, "records_out",
			(json_int_t)s->records_out, "rejects", (json_int_t)s->rejects,
			"rejects_passed", (json_int_t)s->rejects_passed, "warnings",
			(json_int_t)s->warnings, "reasons", s->reasons, "bytes_in",
			(json_int_t)s->bytes_in, "bytes_out", (json_int_t)s->bytes_out, "seconds",
			fp_stats_now() - s->started);
	if (!doc || json_object_update(doc, s->extra) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	/* Write then rename: a reader never sees half a summary. */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		fp_error_set(err, "stats-path", "stats path too long");
		goto out;
	}
	if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_ENSURE_ASCII) < 0 ||
	    rename(tmp, path) < 0) {
		fp_error_set(err, "stats-write", "cannot write stats: %s", strerror(errno));
		fp_error_at(err, path, 0, 0);
		remove(tmp);
		goto out;
	}
	ret = 0;
out:
	json_decref(doc);
	return ret;
}

/* Atomic, not just volatile sig_atomic_t: the loader's sender thread
 * reads it too. A lock-free atomic store is async-signal-safe. */
static atomic_int interrupted;
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "a signal handler needs a lock-free atomic int");

/*
 * Stops reading: stdin becomes /dev/null, so a read in progress (restarted
 * after the handler) sees the end of input, and the stage finishes the
 * record in hand, flushes whole lines and exits 128 + the signal.
 * Async-signal-safe.
 */
static void on_signal(int sig)
{
	int saved = errno, fd = open("/dev/null", O_RDONLY);

	interrupted = sig;
	if (fd >= 0) {
		dup2(fd, 0);
		close(fd);
	}
	errno = saved;
}

void fp_stage_catch_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/* A signal ignored at startup (nohup, a shell's background
		 * job) stays ignored, as the caller asked. */
		if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(sigs[i], &sa, NULL);
	}
}

int fp_stage_interrupted(void)
{
	return interrupted;
}

const atomic_int *fp_stage_interrupt_flag(void)
{
	return &interrupted;
}

void fp_stage_init(struct fp_stage *st, const char *prog, const char *stage)
{
	memset(st, 0, sizeof(*st));
	fp_cli_init(&st->cli, prog);
	st->stage = stage;
	fp_stats_init(&st->stats);
}

void fp_stage_start(struct fp_stage *st)
{
	fp_reader_init(&st->in, stdin, st->cli.max_line);
	fp_writer_init(&st->out, stdout);
	fp_stage_catch_signals();
	st->stats.started = fp_stats_now();
}

/* The raw line as a JSON string for a reject's `input`: bounded, valid UTF-8. */
static json_t *raw_input(const struct fp_reader *r, size_t max)
{
	size_t len = fp_utf8_cut(r->line, r->len, max);
	char *clean = NULL;
	size_t clean_len;
	json_t *s;

	if (fp_utf8_repair(r->line, len, &clean, &clean_len, NULL, NULL) > 0)
		s = json_stringn(clean, clean_len);
	else
		s = json_stringn(r->line, len);
	free(clean);
	return s;
}

static int over_limit(struct fp_stage *st)
{
	return st->cli.max_rejects >= 0 && st->stats.rejects > st->cli.max_rejects;
}

/*
 * Counts and reports a reject of this stage and builds its record (new
 * reference, NULL when out of memory).
 */
static json_t *make_reject(struct fp_stage *st, const struct fp_error *err, json_t *input,
			   int truncated)
{
	struct fp_error e = *err;
	char msg[FP_ERROR_SOURCE_MAX + FP_ERROR_TEXT_MAX + 32];
	json_t *source = json_is_object(input) ? json_object_get(input, "source") : NULL;
	json_t *rej;

	if (!e.record && st->in.record)
		e.record = st->in.record;
	if (!e.source[0] && fp_json_str(source, "path"))
		fp_error_at(&e, fp_json_str(source, "path"), 0, 0);
	fp_stats_count_reject(&st->stats, e.reason[0] ? e.reason : "unknown");
	if (st->cli.verbosity > 0)
		fp_cli_msg(&st->cli, "%s", fp_error_format(&e, msg, sizeof(msg)));
	if (over_limit(st))
		st->failed = 1;
	rej = fp_reject_new(st->stage, &e, source, input);
	if (rej && truncated)
		json_object_set_new(rej, "input_truncated", json_true());
	return rej;
}

int fp_stage_reject(struct fp_stage *st, const struct fp_error *err, json_t *input)
{
	json_t *rej = make_reject(st, err, input, 0);
	int ret = rej ? fp_writer_put(&st->out, rej, NULL) : -1;

	json_decref(rej);
	if (ret < 0)
		st->failed = 1;
	return ret;
}

int fp_stage_emit(struct fp_stage *st, const json_t *rec)
{
	if (fp_writer_put(&st->out, rec, NULL) < 0) {
		st->failed = 1;
		return -1;
	}
	st->stats.records_out++;
	return 0;
}

void fp_stage_warned(struct fp_stage *st, long n)
{
	st->stats.warnings += n;
}

int fp_stage_next(struct fp_stage *st, json_t **rec)
{
	struct fp_error err;
	int rc;

	*rec = NULL;
	while (!st->failed && !st->out.io_error && !interrupted) {
		fp_error_init(&err);
		rc = fp_reader_next(&st->in, rec, &err);
		st->stats.bytes_in = st->in.bytes;
		if (interrupted) {
			/* The line may be cut short by the signal: drop it. */
			json_decref(*rec);
			*rec = NULL;
			return 0;
		}
		if (rc == 0)
			return 0;
		st->stats.records_in++;
		if (rc < 0) {
			json_t *input, *rej;

			if (st->in.io_error) {
				fp_cli_msg(&st->cli, "%s", err.text);
				st->failed = 1;
				return 0;
			}
			input = raw_input(&st->in, 64 << 10);
			rej = make_reject(st, &err, input, !strcmp(err.reason, "line-too-long"));
			json_decref(input);
			if (st->keep_rejects) {
				*rec = rej;
				return rej ? 1 : 0;
			}
			if (!rej || fp_writer_put(&st->out, rej, NULL) < 0)
				st->failed = 1;
			json_decref(rej);
			continue;
		}
		if (fp_record_is_reject(*rec)) {
			st->stats.rejects_passed++;
			if (st->keep_rejects)
				return 1;
			if (fp_writer_put(&st->out, *rec, NULL) < 0)
				st->failed = 1;
			json_decref(*rec);
			*rec = NULL;
			continue;
		}
		return 1;
	}
	return 0;
}

int fp_stage_finish(struct fp_stage *st)
{
	struct fp_error err;
	int code = FP_EXIT_OK;

	fp_error_init(&err);
	if (fp_writer_flush(&st->out, &err) < 0) {
		fp_cli_msg(&st->cli, "%s", err.text);
		code = FP_EXIT_IO;
	} else if (st->in.io_error) {
		code = FP_EXIT_IO;
	} else if (over_limit(st)) {
		fp_cli_msg(&st->cli, "too many rejects: %ld (--max-rejects %ld)", st->stats.rejects,
			   st->cli.max_rejects);
		code = FP_EXIT_DATA;
	} else if (st->failed) {
		/* Neither the output nor the limit: a reject could not be
		 * made, so a record is missing from the output. */
		fp_cli_msg(&st->cli, "stopped after record %ld: out of memory", st->in.record);
		code = FP_EXIT_IO;
	}
	if (interrupted && code != FP_EXIT_IO)
		code = 128 + interrupted;
	st->stats.bytes_out = st->out.bytes;
	if (st->cli.stats_path) {
		fp_error_init(&err);
		if (fp_stats_write(&st->stats, st->cli.prog, st->cli.stats_path, &err) < 0) {
			char msg[FP_ERROR_SOURCE_MAX + FP_ERROR_TEXT_MAX + 32];
			fp_cli_msg(&st->cli, "%s", fp_error_format(&err, msg, sizeof(msg)));
			if (code == FP_EXIT_OK)
				code = FP_EXIT_IO;
		}
	}
	if (st->cli.verbosity > 1 || (st->cli.verbosity > 0 && st->stats.rejects > 0))
		fp_cli_msg(&st->cli, "%ld records in, %ld out, %ld rejected, %ld rejects passed through",
			   st->stats.records_in, st->stats.records_out, st->stats.rejects,
			   st->stats.rejects_passed);
	fp_stage_release(st);
	return code;
}

void fp_stage_release(struct fp_stage *st)
{
	if (!st)
		return;
	fp_reader_release(&st->in);
	fp_stats_release(&st->stats);
}
