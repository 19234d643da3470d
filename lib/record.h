#ifndef FP_RECORD_H
#define FP_RECORD_H

#include <stdio.h>
#include <stddef.h>
#include <jansson.h>

#include "error.h"

/*
 * The record stream between stages: newline-delimited JSON, one object per
 * line, UTF-8, no NUL. See README.md, "Record format".
 *
 * A record is a json_t object with the members `source`, `meta`, `body`,
 * `warnings` (extract), then `html`, `text`, ... (clean), and so on. A
 * reject is an object whose top-level member `reject` is an object; every
 * stage passes rejects through untouched.
 */

#define FP_DEFAULT_MAX_LINE ((size_t)256 << 20) /* 256 MiB */

struct fp_reader {
	FILE *in;
	char *line;      /* current line, NUL-terminated, without '\n' */
	size_t len;      /* its length */
	size_t cap;      /* allocated size of `line` */
	size_t max_line; /* longer lines are rejected, not buffered */
	char *buf;       /* read buffer */
	size_t buf_pos, buf_len;
	long record;     /* 1-based number of the current line */
	unsigned long long bytes; /* bytes consumed so far */
	int eof, io_error;
};

/* Sets up a reader of `in` (borrowed). `max_line` 0 means the default. */
void fp_reader_init(struct fp_reader *r, FILE *in, size_t max_line);
/* Frees the buffers (not the stream). Accepts NULL. */
void fp_reader_release(struct fp_reader *r);

/*
 * Reads the next non-empty line and parses it as a JSON object.
 *
 * Returns 1 and sets *rec to a new reference on success; returns 0 at end of
 * input; returns -1 when the line cannot be a record: too long (reason
 * "line-too-long"; the rest of the line is skipped, memory stays bounded),
 * not JSON or not an object ("ndjson-invalid"), or a read error
 * ("read-error", r->io_error set: stop reading). On -1, err carries the
 * record number and r->line holds the line (a prefix of it when too long)
 * for the reject.
 */
int fp_reader_next(struct fp_reader *r, json_t **rec, struct fp_error *err);

struct fp_writer {
	FILE *out;
	unsigned long long bytes;
	long records;
	int io_error;
};

/* Sets up a writer to `out` (borrowed; stdout gets a large buffer). */
void fp_writer_init(struct fp_writer *w, FILE *out);

/*
 * Writes `rec` (borrowed) as one compact JSON line. Returns 0, or -1 with
 * reason "write-error" once the stream has failed; the failure is sticky.
 */
int fp_writer_put(struct fp_writer *w, const json_t *rec, struct fp_error *err);

/* Flushes the stream. Returns 0, or -1 ("write-error"). */
int fp_writer_flush(struct fp_writer *w, struct fp_error *err);

/*
 * Appends a warning {stage, code, message} to the record's `warnings` array,
 * creating it when missing. Returns 0, or -1 when out of memory.
 */
int fp_record_warn(json_t *rec, const char *stage, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* True when `rec` is a reject record (has an object member `reject`). */
int fp_record_is_reject(const json_t *rec);

/*
 * Builds a reject record:
 *   {"reject": {"stage", "reason", "message", "file", "line", "column",
 *               "record"}, "source": ..., "input": ...}
 * from the error `err`. `source` (borrowed, may be NULL) is the record's
 * source object when known; `input` (borrowed, may be NULL) is enough of the
 * input to replay it: the record object, or the raw line as a string.
 * Returns a new reference, or NULL when out of memory.
 */
json_t *fp_reject_new(const char *stage, const struct fp_error *err, json_t *source,
		      json_t *input);

/* Borrowed string member `key` of `obj`, or NULL when missing or not a string. */
const char *fp_json_str(const json_t *obj, const char *key);

#endif
