#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "record.h"
#include "utf8.h"
#include "banned.h"

#define READ_CHUNK ((size_t)64 << 10)
#define REJECT_INPUT_MAX ((size_t)64 << 10)

void fp_reader_init(struct fp_reader *r, FILE *in, size_t max_line)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
	r->max_line = max_line ? max_line : FP_DEFAULT_MAX_LINE;
}

void fp_reader_release(struct fp_reader *r)
{
	if (!r)
		return;
	free(r->line);
	free(r->buf);
	r->line = r->buf = NULL;
	r->cap = r->len = 0;
}

/* Appends n bytes to the current line unless it is already over the limit. */
static int line_append(struct fp_reader *r, const char *p, size_t n, int *too_long)
{
	if (*too_long)
		return 0;
	if (r->len + n > r->max_line) {
		/* Keep a prefix for the reject, drop the rest. */
		size_t keep = r->len < REJECT_INPUT_MAX ? REJECT_INPUT_MAX - r->len : 0;
		n = n < keep ? n : keep;
		*too_long = 1;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *line;

		while (cap < r->len + n + 1)
			cap *= 2;
		line = realloc(r->line, cap);
		if (!line)
			return -1;
		r->line = line;
		r->cap = cap;
	}
	memcpy(r->line + r->len, p, n);
	r->len += n;
	r->line[r->len] = '\0';
	return 0;
}

/*
 * Fills the read buffer with what is available. On a descriptor this is
 * read(2), which returns as soon as a pipe has data: a slow producer's
 * records are passed on at once, not when 64 KiB have gathered (as fread
 * would). Streams without a descriptor (fmemopen) use fread.
 */
static int refill(struct fp_reader *r)
{
	int fd = fileno(r->in);
	ssize_t n;

	if (fd < 0) {
		r->buf_len = fread(r->buf, 1, READ_CHUNK, r->in);
		return ferror(r->in) ? -1 : 0;
	}
	do
		n = read(fd, r->buf, READ_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	r->buf_len = (size_t)n;
	return 0;
}

/*
 * Reads one line into r->line. Returns 1 for a line, 0 at end of input, -1
 * on a read error or out of memory. *too_long is set when the line was over
 * max_line (r->line then holds a prefix).
 */
static int read_line(struct fp_reader *r, int *too_long)
{
	int got = 0;

	*too_long = 0;
	r->len = 0;
	if (r->line)
		r->line[0] = '\0';
	for (;;) {
		char *nl;
		size_t n;

		if (r->buf_pos == r->buf_len) {
			if (r->eof)
				return got;
			if (!r->buf && !(r->buf = malloc(READ_CHUNK)))
				return -1;
			r->buf_pos = 0;
			if (refill(r) < 0) {
				r->eof = 1;
				r->io_error = errno ? errno : EIO;
				return -1;
			}
			if (r->buf_len == 0) {
				r->eof = 1;
				return got;
			}
		}
		got = 1;
		nl = memchr(r->buf + r->buf_pos, '\n', r->buf_len - r->buf_pos);
		n = (nl ? (size_t)(nl - r->buf) : r->buf_len) - r->buf_pos;
		if (line_append(r, r->buf + r->buf_pos, n, too_long) < 0)
			return -1;
		r->buf_pos += n;
		r->bytes += n;
		if (nl) {
			r->buf_pos++;
			r->bytes++;
			return 1;
		}
	}
}

static int blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int fp_reader_next(struct fp_reader *r, json_t **rec, struct fp_error *err)
{
	json_error_t jerr;
	int too_long, rc;

	*rec = NULL;
	do {
		rc = read_line(r, &too_long);
		if (rc <= 0) {
			if (rc < 0) {
				fp_error_set(err, "read-error", "cannot read input: %s",
					     r->io_error ? strerror(r->io_error) : "out of memory");
				r->io_error = r->io_error ? r->io_error : ENOMEM;
			}
			return rc;
		}
		r->record++;
	} while (!too_long && blank(r->line, r->len));

	if (err)
		err->record = r->record;
	if (too_long) {
		fp_error_set(err, "line-too-long", "line longer than %zu bytes (--max-line)",
			     r->max_line);
		return -1;
	}
	/* jansson only when the fast parser is not sure: it has the error text */
	*rec = fp_json_parse(r->line, r->len);
	if (!*rec)
		*rec = json_loadb(r->line, r->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*rec) {
		fp_error_set(err, "ndjson-invalid", "not a JSON record: %s", jerr.text);
		if (err)
			err->column = jerr.column > 0 ? jerr.column : 0;
		return -1;
	}
	if (!json_is_object(*rec)) {
		json_decref(*rec);
		*rec = NULL;
		fp_error_set(err, "ndjson-invalid", "not a JSON record: expected an object");
		return -1;
	}
	return 1;
}

void fp_writer_init(struct fp_writer *w, FILE *out)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	if (out == stdout)
		setvbuf(out, NULL, _IOFBF, (size_t)1 << 20);
}

static int write_chunk(const char *buf, size_t size, void *data)
{
	struct fp_writer *w = data;

	if (fwrite(buf, 1, size, w->out) != size)
		return -1;
	w->bytes += size;
	return 0;
}

int fp_writer_put(struct fp_writer *w, const json_t *rec, struct fp_error *err)
{
	if (w->io_error ||
	    fp_json_dump(rec, write_chunk, w) < 0 ||
	    putc('\n', w->out) == EOF) {
		if (!w->io_error)
			w->io_error = errno ? errno : EIO;
		fp_error_set(err, "write-error", "cannot write output: %s", strerror(w->io_error));
		return -1;
	}
	w->bytes++;
	w->records++;
	return 0;
}

int fp_writer_flush(struct fp_writer *w, struct fp_error *err)
{
	if (!w->io_error && fflush(w->out) == EOF)
		w->io_error = errno ? errno : EIO;
	if (!w->io_error && ferror(w->out))
		w->io_error = EIO;
	if (w->io_error) {
		fp_error_set(err, "write-error", "cannot write output: %s", strerror(w->io_error));
		return -1;
	}
	return 0;
}

/*
 * A JSON string of the text `s`, which is bytes: messages quote file names
 * and input, and fixed-size buffers cut them anywhere. An incomplete UTF-8
 * sequence at the end is dropped, other invalid sequences become U+FFFD.
 * New reference, or NULL when out of memory.
 */
static json_t *text_string(const char *s)
{
	size_t len = strlen(s), valid = fp_utf8_valid_prefix(s, len), back = 0, clean_len;
	char *clean = NULL;
	json_t *v;

	if (valid == len)
		return json_stringn(s, len);
	/* a lead byte and its continuation bytes, up to the end, cut short? */
	while (back < 3 && back < len && ((unsigned char)s[len - 1 - back] & 0xC0) == 0x80)
		back++;
	if (back < len && (unsigned char)s[len - 1 - back] >= 0xC2 && len - 1 - back >= valid &&
	    fp_utf8_valid_prefix(s, len - 1 - back) == len - 1 - back)
		return json_stringn(s, len - 1 - back);
	if (fp_utf8_repair(s, len, &clean, &clean_len, NULL, NULL) < 0)
		return NULL;
	v = clean ? json_stringn(clean, clean_len) : json_stringn(s, len);
	free(clean);
	return v;
}

int fp_record_warn(json_t *rec, const char *stage, const char *code, const char *fmt, ...)
{
	json_t *warnings = json_object_get(rec, "warnings");
	char text[FP_ERROR_TEXT_MAX];
	va_list ap;

	if (!json_is_array(warnings)) {
		warnings = json_array();
		if (!warnings || json_object_set_new(rec, "warnings", warnings) < 0)
			return -1;
	}
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	return json_array_append_new(warnings, json_pack("{s:s, s:s, s:o}", "stage", stage,
							 "code", code, "message", text_string(text)));
}

int fp_record_is_reject(const json_t *rec)
{
	return json_is_object(json_object_get(rec, "reject"));
}

static json_t *int_or_null(long v)
{
	return v > 0 ? json_integer(v) : json_null();
}

json_t *fp_reject_new(const char *stage, const struct fp_error *err, json_t *source,
		      json_t *input)
{
	json_t *rej, *rec;

	rej = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "stage", stage, "reason",
			err->reason[0] ? err->reason : "unknown", "message", text_string(err->text),
			"file", err->source[0] ? text_string(err->source) : json_null(),
			"line", int_or_null(err->line), "column", int_or_null(err->column),
			"record", int_or_null(err->record));
	if (!rej)
		return NULL;
	rec = json_object();
	if (!rec || json_object_set_new(rec, "reject", rej) < 0) {
		json_decref(rec);
		return NULL;
	}
	if (source && json_object_set(rec, "source", source) < 0)
		goto fail;
	if (input && json_object_set(rec, "input", input) < 0)
		goto fail;
	return rec;
fail:
	json_decref(rec);
	return NULL;
}

const char *fp_json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
