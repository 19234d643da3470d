#ifndef FP_ERROR_H
#define FP_ERROR_H

#include <stdarg.h>

/*
 * An error with its location, filled by library code and reported by a
 * stage's main() or turned into a reject record.
 *
 * Library functions take an optional `struct fp_error *` (NULL is allowed)
 * and return 0 / -1 or NULL. The first error wins: once `reason` is set,
 * later calls to fp_error_set() leave the error as it is. Filling an error
 * never allocates.
 */

#define FP_ERROR_SOURCE_MAX 512
#define FP_ERROR_TEXT_MAX 256
#define FP_ERROR_REASON_MAX 48

struct fp_error {
	/* Stable, machine-readable reason code, e.g. "frontmatter-unterminated".
	 * Empty when no error has been recorded. */
	char reason[FP_ERROR_REASON_MAX];
	/* Human message: lowercase, no full stop, problem first. */
	char text[FP_ERROR_TEXT_MAX];
	/* File the error is about (relative path where known), or empty. */
	char source[FP_ERROR_SOURCE_MAX];
	long line;   /* 1-based line in `source`, 0 when unknown */
	long column; /* 1-based column, 0 when unknown */
	long record; /* 1-based record (NDJSON line) number, 0 when unknown */
};

/* Clears the error: no reason, no location. Accepts NULL. */
void fp_error_init(struct fp_error *err);

/* True when an error has been recorded. Accepts NULL (returns 0). */
int fp_error_isset(const struct fp_error *err);

/*
 * Records an error unless one is already recorded. `reason` is the stable
 * code, `fmt` the message. Location fields are left as they are; set them
 * with fp_error_at() before or after. Accepts err == NULL (does nothing).
 */
void fp_error_set(struct fp_error *err, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fp_error_setv(struct fp_error *err, const char *reason, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Sets the location of the error: `source` may be NULL (left as it is),
 * `line`/`column` 0 (left as they are). Accepts err == NULL.
 */
void fp_error_at(struct fp_error *err, const char *source, long line, long column);

/*
 * Formats the error as "SOURCE:LINE:COLUMN: TEXT" (the parts that are known)
 * into `buf` of `size` bytes, always NUL-terminated. Returns `buf`.
 */
char *fp_error_format(const struct fp_error *err, char *buf, size_t size);

#endif
