/* Unit tests of lib/record.c: the NDJSON reader and writer, rejects and
 * warnings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "record.h"
#include "banned.h"

struct mem {
	FILE *f;
	struct fp_reader r;
};

static void mem_open(struct mem *m, const char *data, size_t len, size_t max_line)
{
	/* fmemopen cannot open an empty buffer in every libc: use a 1-byte one */
	m->f = fmemopen((void *)(len ? data : " "), len ? len : 1, "r");
	assert_non_null(m->f);
	if (!len)
		fgetc(m->f);
	fp_reader_init(&m->r, m->f, max_line);
}

static void mem_close(struct mem *m)
{
	fp_reader_release(&m->r);
	fclose(m->f);
}

/* Expects the next record to be an object with integer member `key`. */
static void expect_record(struct fp_reader *r, const char *key, long value, long recno)
{
	struct fp_error err;
	json_t *rec;
	int rc;

	fp_error_init(&err);
	rc = fp_reader_next(r, &rec, &err);
	if (rc != 1)
		fail_msg("want record %ld, got rc %d (%s: %s)", recno, rc, err.reason, err.text);
	assert_false(fp_error_isset(&err));
	assert_true(json_is_object(rec));
	assert_int_equal(json_integer_value(json_object_get(rec, key)), value);
	assert_int_equal(r->record, recno);
	json_decref(rec);
}

static void expect_reject(struct fp_reader *r, const char *reason, long recno)
{
	struct fp_error err;
	json_t *rec = (json_t *)1;

	fp_error_init(&err);
	assert_int_equal(fp_reader_next(r, &rec, &err), -1);
	assert_null(rec);
	assert_string_equal(err.reason, reason);
	assert_int_equal(err.record, recno);
	assert_int_equal(r->io_error, 0);
}

static void expect_eof(struct fp_reader *r)
{
	json_t *rec = (json_t *)1;

	assert_int_equal(fp_reader_next(r, &rec, NULL), 0);
	assert_null(rec);
	/* and stays at the end */
	assert_int_equal(fp_reader_next(r, &rec, NULL), 0);
}

static void test_blank_lines_and_numbers(void **state)
{
	static const char in[] = "\n   \n{\"a\":1}\n\t\r\n{\"b\":2}\r\n\n{\"c\":3}";
	struct mem m;

	(void)state;
	mem_open(&m, in, sizeof(in) - 1, 0);
	expect_record(&m.r, "a", 1, 3);
	expect_record(&m.r, "b", 2, 5); /* CRLF: JSON allows the \r as space */
	expect_record(&m.r, "c", 3, 7); /* last line without newline */
	expect_eof(&m.r);
	assert_int_equal(m.r.bytes, sizeof(in) - 1);
	mem_close(&m);
}

static void test_empty_input(void **state)
{
	struct mem m;

	(void)state;
	mem_open(&m, "", 0, 0);
	expect_eof(&m.r);
	mem_close(&m);
	mem_open(&m, "\n\n  \n", 5, 0);
	expect_eof(&m.r);
	mem_close(&m);
}

static void test_invalid_json_and_not_object(void **state)
{
	static const char in[] = "{oops}\n[1,2]\n42\n\"s\"\n{\"a\":1,\"a\":2}\n{\"a\":9}\n{\"a\":";
	struct mem m;
	struct fp_error err;
	json_t *rec;

	(void)state;
	mem_open(&m, in, sizeof(in) - 1, 0);
	fp_error_init(&err);
	assert_int_equal(fp_reader_next(&m.r, &rec, &err), -1);
	assert_string_equal(err.reason, "ndjson-invalid");
	assert_int_equal(err.record, 1);
	assert_true(err.column > 0);
	/* the line is there for the reject */
	assert_string_equal(m.r.line, "{oops}");
	assert_int_equal(m.r.len, 6);
	expect_reject(&m.r, "ndjson-invalid", 2); /* an array */
	expect_reject(&m.r, "ndjson-invalid", 3); /* a number */
	expect_reject(&m.r, "ndjson-invalid", 4); /* a string */
	expect_reject(&m.r, "ndjson-invalid", 5); /* duplicate key */
	expect_record(&m.r, "a", 9, 6);
	expect_reject(&m.r, "ndjson-invalid", 7); /* truncated last line */
	expect_eof(&m.r);
	mem_close(&m);
}

static void test_line_too_long(void **state)
{
	char in[512];
	struct mem m;
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "{\"a\":1}\n{\"x\":\"");
	memset(in + n, 'x', 200);
	n += 200;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\"}\n{\"b\":2}\n{\"c\":33}\n{\"d\":4}\n");
	mem_open(&m, in, n, 7);
	expect_record(&m.r, "a", 1, 1);
	expect_reject(&m.r, "line-too-long", 2);
	/* a prefix of the line is kept for the reject */
	assert_true(m.r.len > 0);
	assert_memory_equal(m.r.line, "{\"x\":\"xxx", 9);
	expect_record(&m.r, "b", 2, 3);   /* exactly max_line bytes */
	expect_reject(&m.r, "line-too-long", 4); /* one byte over */
	expect_record(&m.r, "d", 4, 5);
	expect_eof(&m.r);
	mem_close(&m);
}

/* A 12 MB line with a 1 KiB limit: rejected, the reader goes on, and the
 * line buffer stays small (a prefix for the reject, not the line). */
static void test_line_too_long_bounded_memory(void **state)
{
	size_t big = (size_t)12 << 20, n;
	char *in = malloc(big + 64);
	struct mem m;

	(void)state;
	assert_non_null(in);
	memcpy(in, "{\"x\":\"", 6);
	memset(in + 6, 'y', big);
	n = 6 + big;
	memcpy(in + n, "\"}\n{\"ok\":1}\n", 12);
	n += 12;
	mem_open(&m, in, n, 1024);
	expect_reject(&m.r, "line-too-long", 1);
	if (m.r.cap > ((size_t)256 << 10))
		fail_msg("line buffer grew to %zu bytes for a rejected line", m.r.cap);
	expect_record(&m.r, "ok", 1, 2);
	expect_eof(&m.r);
	assert_true(m.r.cap <= ((size_t)256 << 10));
	mem_close(&m);
	free(in);
}

/* A valid line longer than the read buffer is assembled across reads. */
static void test_long_valid_line(void **state)
{
	size_t big = 300000, n;
	char *in = malloc(big + 64);
	struct mem m;
	json_t *rec;
	struct fp_error err;

	(void)state;
	assert_non_null(in);
	memcpy(in, "{\"x\":\"", 6);
	memset(in + 6, 'z', big);
	n = 6 + big;
	memcpy(in + n, "\"}\n", 3);
	n += 3;
	mem_open(&m, in, n, 0);
	fp_error_init(&err);
	assert_int_equal(fp_reader_next(&m.r, &rec, &err), 1);
	assert_int_equal(json_string_length(json_object_get(rec, "x")), big);
	json_decref(rec);
	expect_eof(&m.r);
	mem_close(&m);
	free(in);
}

static void test_writer(void **state)
{
	struct fp_writer w;
	struct fp_error err;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	json_t *rec = json_pack("{s:i, s:[i,i], s:s}", "b", 1, "a", 1, 2, "t", "é\n\"");

	(void)state;
	assert_non_null(f);
	assert_non_null(rec);
	fp_writer_init(&w, f);
	fp_error_init(&err);
	assert_int_equal(fp_writer_put(&w, rec, &err), 0);
	assert_int_equal(fp_writer_put(&w, rec, &err), 0);
	assert_int_equal(fp_writer_flush(&w, &err), 0);
	assert_false(fp_error_isset(&err));
	fclose(f);
	/* compact, member order kept, one line each */
	assert_string_equal(buf, "{\"b\":1,\"a\":[1,2],\"t\":\"é\\n\\\"\"}\n"
				 "{\"b\":1,\"a\":[1,2],\"t\":\"é\\n\\\"\"}\n");
	assert_int_equal(w.records, 2);
	assert_int_equal(w.bytes, len);
	free(buf);
	json_decref(rec);
}

static void test_writer_error_sticky(void **state)
{
	struct fp_writer w;
	struct fp_error err;
	FILE *f = fopen("/dev/full", "w");
	json_t *rec = json_pack("{s:s}", "a", "b");
	int i, failed = 0;

	(void)state;
	if (!f)
		skip();
	setvbuf(f, NULL, _IONBF, 0);
	fp_writer_init(&w, f);
	fp_error_init(&err);
	for (i = 0; i < 3; i++)
		failed += fp_writer_put(&w, rec, &err) < 0;
	assert_int_equal(failed, 3);
	assert_string_equal(err.reason, "write-error");
	assert_true(w.io_error != 0);
	assert_int_equal(w.records, 0);
	assert_int_equal(fp_writer_flush(&w, NULL), -1);
	fclose(f);
	json_decref(rec);
}

static void test_reject_new(void **state)
{
	struct fp_error err;
	json_t *source = json_pack("{s:s}", "path", "posts/a.md");
	json_t *input = json_string("{bad line");
	json_t *rej, *r;

	(void)state;
	fp_error_init(&err);
	fp_error_set(&err, "frontmatter-unterminated", "unterminated front matter");
	fp_error_at(&err, "posts/a.md", 3, 0);
	rej = fp_reject_new("extract", &err, source, input);
	assert_non_null(rej);
	assert_true(fp_record_is_reject(rej));
	r = json_object_get(rej, "reject");
	assert_int_equal(json_object_size(r), 7);
	assert_string_equal(fp_json_str(r, "stage"), "extract");
	assert_string_equal(fp_json_str(r, "reason"), "frontmatter-unterminated");
	assert_string_equal(fp_json_str(r, "message"), "unterminated front matter");
	assert_string_equal(fp_json_str(r, "file"), "posts/a.md");
	assert_int_equal(json_integer_value(json_object_get(r, "line")), 3);
	assert_true(json_is_null(json_object_get(r, "column")));
	assert_true(json_is_null(json_object_get(r, "record")));
	/* source and input are borrowed: shared, not stolen */
	assert_ptr_equal(json_object_get(rej, "source"), source);
	assert_ptr_equal(json_object_get(rej, "input"), input);
	assert_int_equal(source->refcount, 2);
	json_decref(rej);
	assert_int_equal(source->refcount, 1);

	/* no location, no reason, no source, no input */
	fp_error_init(&err);
	err.record = 17;
	rej = fp_reject_new("clean", &err, NULL, NULL);
	assert_non_null(rej);
	r = json_object_get(rej, "reject");
	assert_string_equal(fp_json_str(r, "reason"), "unknown");
	assert_string_equal(fp_json_str(r, "message"), "");
	assert_true(json_is_null(json_object_get(r, "file")));
	assert_true(json_is_null(json_object_get(r, "line")));
	assert_int_equal(json_integer_value(json_object_get(r, "record")), 17);
	assert_null(json_object_get(rej, "source"));
	assert_null(json_object_get(rej, "input"));
	json_decref(rej);
	json_decref(source);
	json_decref(input);
}

static void test_is_reject_and_str(void **state)
{
	json_t *a = json_loads("{\"reject\":{}}", 0, NULL);
	json_t *b = json_loads("{\"reject\":1,\"s\":\"x\",\"n\":1}", 0, NULL);

	(void)state;
	assert_true(fp_record_is_reject(a));
	assert_false(fp_record_is_reject(b));
	assert_false(fp_record_is_reject(NULL));
	assert_string_equal(fp_json_str(b, "s"), "x");
	assert_null(fp_json_str(b, "n"));
	assert_null(fp_json_str(b, "missing"));
	assert_null(fp_json_str(NULL, "s"));
	json_decref(a);
	json_decref(b);
}

static void test_record_warn(void **state)
{
	json_t *rec = json_object();
	json_t *w, *first;
	char longmsg[1000];

	(void)state;
	assert_int_equal(fp_record_warn(rec, "extract", "yaml-recovered", "recovered '%s'", "title"), 0);
	w = json_object_get(rec, "warnings");
	assert_true(json_is_array(w));
	assert_int_equal(json_array_size(w), 1);
	first = json_array_get(w, 0);
	assert_int_equal(json_object_size(first), 3);
	assert_string_equal(fp_json_str(first, "stage"), "extract");
	assert_string_equal(fp_json_str(first, "code"), "yaml-recovered");
	assert_string_equal(fp_json_str(first, "message"), "recovered 'title'");
	assert_int_equal(fp_record_warn(rec, "clean", "x", "second"), 0);
	assert_int_equal(json_array_size(json_object_get(rec, "warnings")), 2);
	assert_string_equal(fp_json_str(json_array_get(json_object_get(rec, "warnings"), 1), "stage"),
			    "clean");

	/* a non-array `warnings` is replaced, a long message truncated */
	json_object_set_new(rec, "warnings", json_string("junk"));
	memset(longmsg, 'm', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(fp_record_warn(rec, "extract", "long", "%s", longmsg), 0);
	w = json_object_get(rec, "warnings");
	assert_int_equal(json_array_size(w), 1);
	assert_int_equal(strlen(fp_json_str(json_array_get(w, 0), "message")), FP_ERROR_TEXT_MAX - 1);
	json_decref(rec);
}

/* Error texts and file names are bytes: a truncated UTF-8 sequence (the
 * text is cut at FP_ERROR_TEXT_MAX) or a file name in another encoding
 * must still give a reject, not NULL (which stopped feedpipe-extract's walk). */
static void test_reject_new_invalid_utf8(void **state)
{
	struct fp_error err;
	json_t *rej, *r;
	char text[400];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 130; i++) {
		memcpy(text + n, "\xE6\x96\x87", 3); /* 文 */
		n += 3;
	}
	text[n] = '\0';
	fp_error_init(&err);
	fp_error_set(&err, "yaml-invalid", "unknown alias '%s'", text);
	fp_error_at(&err, "caf\xE9.md", 2, 0);
	rej = fp_reject_new("extract", &err, NULL, NULL);
	assert_non_null(rej);
	r = json_object_get(rej, "reject");
	assert_string_equal(fp_json_str(r, "file"), "caf\xEF\xBF\xBD.md");
	assert_non_null(fp_json_str(r, "message"));
	assert_memory_equal(fp_json_str(r, "message"), "unknown alias '\xE6\x96\x87", 18);
	assert_string_equal(fp_json_str(r, "reason"), "yaml-invalid");
	json_decref(rej);
}

/* A warning message cut at FP_ERROR_TEXT_MAX inside a UTF-8 sequence, or
 * holding invalid bytes, is still added (it was silently dropped). */
static void test_record_warn_utf8(void **state)
{
	json_t *rec = json_object();
	const char *msg;
	char names[600];
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < 150; i++) {
		memcpy(names + n, "\xE6\xA0\x87", 3); /* 标 */
		n += 3;
	}
	names[n] = '\0';
	assert_int_equal(fp_record_warn(rec, "extract", "yaml-recovered", "recovered '%s'", names), 0);
	assert_int_equal(fp_record_warn(rec, "extract", "x", "bad \xFF byte"), 0);
	assert_int_equal(json_array_size(json_object_get(rec, "warnings")), 2);
	msg = fp_json_str(json_array_get(json_object_get(rec, "warnings"), 0), "message");
	assert_non_null(msg);
	assert_true(strlen(msg) < FP_ERROR_TEXT_MAX);
	assert_true(strlen(msg) >= FP_ERROR_TEXT_MAX - 4);
	/* cut at a character boundary */
	assert_int_equal((strlen(msg) - strlen("recovered '")) % 3, 0);
	assert_string_equal(fp_json_str(json_array_get(json_object_get(rec, "warnings"), 1), "message"),
			    "bad \xEF\xBF\xBD byte");
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blank_lines_and_numbers),
		cmocka_unit_test(test_empty_input),
		cmocka_unit_test(test_invalid_json_and_not_object),
		cmocka_unit_test(test_line_too_long),
		cmocka_unit_test(test_line_too_long_bounded_memory),
		cmocka_unit_test(test_long_valid_line),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_writer_error_sticky),
		cmocka_unit_test(test_reject_new),
		cmocka_unit_test(test_is_reject_and_str),
		cmocka_unit_test(test_record_warn),
		cmocka_unit_test(test_reject_new_invalid_utf8),
		cmocka_unit_test(test_record_warn_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
