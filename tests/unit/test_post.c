/* Unit tests of lib/post.c: a file on disk to an extract record (BOM,
 * encoding repair, NUL bytes, binary files, size limit, source members). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "post.h"
#include "record.h"
#include "sha256.h"
#include "banned.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fp-test-post.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Writes `len` bytes to dir/name with mtime 2021-12-20T05:08:08Z; returns
 * the path (static buffer). */
static const char *write_file(const char *name, const char *data, size_t len)
{
	static char path[256];
	struct timespec times[2] = { { 1639976888, 0 }, { 1639976888, 0 } };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(utimensat(AT_FDCWD, path, times, 0), 0);
	return path;
}

struct result {
	json_t *rec, *source;
	struct fp_error err;
};

static void read_post(struct result *r, const char *name, const char *data, size_t len,
		      const struct fp_post_opts *opts)
{
	struct fp_post_opts defaults;
	const char *path = write_file(name, data, len);

	if (!opts) {
		fp_post_opts_init(&defaults);
		opts = &defaults;
	}
	fp_error_init(&r->err);
	r->source = (json_t *)1;
	r->rec = fp_post_read(dir, name, path, opts, &r->source, &r->err);
}

static void release(struct result *r)
{
	json_decref(r->rec);
	json_decref(r->source);
}

static const char *body(const struct result *r)
{
	return fp_json_str(r->rec, "body");
}

static json_t *warning(const struct result *r, const char *code)
{
	size_t i;
	json_t *w;

	json_array_foreach(json_object_get(r->rec, "warnings"), i, w)
		if (!strcmp(fp_json_str(w, "code"), code))
			return w;
	return NULL;
}

static void expect_ok(const struct result *r)
{
	if (!r->rec)
		fail_msg("rejected: %s: %s", r->err.reason, r->err.text);
	assert_false(fp_error_isset(&r->err));
}

static void test_basic_and_source(void **state)
{
	static const char text[] = "---\ntitle: Hello\n---\n<p>body</p>\n";
	struct result r;
	json_t *src;
	char hex[FP_SHA256_HEX_LEN + 1];
	const char *key;
	json_t *v;
	const char *order[] = { "source", "meta", "body", "warnings" };
	size_t i = 0;

	(void)state;
	read_post(&r, "hello.md", text, sizeof(text) - 1, NULL);
	expect_ok(&r);
	/* members in the README's order */
	json_object_foreach(r.rec, key, v) {
		assert_true(i < 4);
		assert_string_equal(key, order[i++]);
	}
	assert_int_equal(i, 4);
	src = json_object_get(r.rec, "source");
	assert_ptr_equal(src, r.source);
	assert_string_equal(fp_json_str(src, "path"), "hello.md");
	assert_string_equal(fp_json_str(src, "root"), dir);
	assert_int_equal(json_integer_value(json_object_get(src, "bytes")), sizeof(text) - 1);
	assert_string_equal(fp_json_str(src, "mtime"), "2021-12-20T05:08:08Z");
	fp_sha256_hex(text, sizeof(text) - 1, hex);
	assert_string_equal(fp_json_str(src, "sha256"), hex);
	assert_string_equal(fp_json_str(json_object_get(r.rec, "meta"), "title"), "Hello");
	assert_string_equal(body(&r), "<p>body</p>\n");
	assert_int_equal(json_array_size(json_object_get(r.rec, "warnings")), 0);
	release(&r);
}

static void test_bom(void **state)
{
	static const char text[] = "\xEF\xBB\xBF---\ntitle: x\n---\nbody";
	struct result r;
	char hex[FP_SHA256_HEX_LEN + 1];

	(void)state;
	read_post(&r, "bom.md", text, sizeof(text) - 1, NULL);
	expect_ok(&r);
	assert_string_equal(fp_json_str(json_object_get(r.rec, "meta"), "title"), "x");
	assert_string_equal(body(&r), "body");
	/* bytes and sha256 are those of the file as it is, BOM included */
	assert_int_equal(json_integer_value(json_object_get(r.source, "bytes")), sizeof(text) - 1);
	fp_sha256_hex(text, sizeof(text) - 1, hex);
	assert_string_equal(fp_json_str(r.source, "sha256"), hex);
	release(&r);
}

static void test_invalid_utf8_repaired(void **state)
{
	static const char text[] = "---\ntitle: a\xFF" "b\n---\nbo\xC3" "dy \xED\xA0\x80";
	struct result r;
	json_t *w;
	char hex[FP_SHA256_HEX_LEN + 1];

	(void)state;
	read_post(&r, "enc.md", text, sizeof(text) - 1, NULL);
	expect_ok(&r);
	assert_string_equal(fp_json_str(json_object_get(r.rec, "meta"), "title"), "a\xEF\xBF\xBD" "b");
	assert_string_equal(body(&r), "bo\xEF\xBF\xBD" "dy \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
	w = warning(&r, "invalid-utf8");
	assert_non_null(w);
	assert_non_null(strstr(fp_json_str(w, "message"), "5"));
	assert_string_equal(fp_json_str(w, "stage"), "extract");
	fp_sha256_hex(text, sizeof(text) - 1, hex);
	assert_string_equal(fp_json_str(r.source, "sha256"), hex);
	release(&r);
}

static void test_invalid_utf8_rejected(void **state)
{
	static const char text[] = "---\ntitle: x\n---\nline 4\nbad \xFF here\n\xFF\n";
	struct fp_post_opts opts;
	struct result r;

	(void)state;
	fp_post_opts_init(&opts);
	opts.invalid_utf8 = FP_UTF8_REJECT;
	read_post(&r, "sub-bad.md", text, sizeof(text) - 1, &opts);
	assert_null(r.rec);
	assert_string_equal(r.err.reason, "invalid-utf8");
	assert_string_equal(r.err.source, "sub-bad.md");
	assert_int_equal(r.err.line, 5); /* the first invalid byte */
	/* the file was read: the reject gets its source */
	assert_non_null(r.source);
	assert_string_equal(fp_json_str(r.source, "path"), "sub-bad.md");
	release(&r);
}

static void test_nul_removed(void **state)
{
	static const char text[] = "---\ntitle: x\n---\na\0b\0";
	struct result r;

	(void)state;
	read_post(&r, "nul.md", text, sizeof(text) - 1, NULL);
	expect_ok(&r);
	assert_string_equal(body(&r), "ab");
	assert_int_equal(json_string_length(json_object_get(r.rec, "body")), 2);
	assert_non_null(warning(&r, "nul-removed"));
	assert_null(warning(&r, "invalid-utf8"));
	release(&r);
}

static void test_binary_rejected(void **state)
{
	unsigned char data[2048];
	struct result r;
	size_t i;

	(void)state;
	/* a PNG-like header and then bytes of every value */
	memcpy(data, "\x89PNG\r\n\x1a\n", 8);
	for (i = 8; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 37);
	read_post(&r, "image.md", (const char *)data, sizeof(data), NULL);
	assert_null(r.rec);
	assert_string_equal(r.err.reason, "binary-file");
	assert_string_equal(r.err.source, "image.md");
	assert_non_null(r.source);
	release(&r);

	/* all NUL bytes */
	memset(data, 0, sizeof(data));
	read_post(&r, "zeros.md", (const char *)data, sizeof(data), NULL);
	assert_null(r.rec);
	assert_string_equal(r.err.reason, "binary-file");
	release(&r);
}

static void test_file_too_large(void **state)
{
	static const char text[] = "---\na: 1\n---\n12345";
	struct fp_post_opts opts;
	struct result r;
	char path[256];
	int fd;

	(void)state;
	fp_post_opts_init(&opts);
	opts.max_file = sizeof(text) - 2;
	read_post(&r, "big.md", text, sizeof(text) - 1, &opts);
	assert_null(r.rec);
	assert_string_equal(r.err.reason, "file-too-large");
	assert_string_equal(r.err.source, "big.md");
	assert_null(r.source); /* not read */
	release(&r);
	/* at the limit is fine */
	opts.max_file = sizeof(text) - 1;
	read_post(&r, "big.md", text, sizeof(text) - 1, &opts);
	expect_ok(&r);
	release(&r);

	/* a sparse 8 GiB file is rejected at once, without reading it */
	snprintf(path, sizeof(path), "%s/huge.md", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)8 << 30), 0);
	close(fd);
	fp_post_opts_init(&opts);
	fp_error_init(&r.err);
	r.rec = fp_post_read(dir, "huge.md", path, &opts, &r.source, &r.err);
	assert_null(r.rec);
	assert_null(r.source);
	assert_string_equal(r.err.reason, "file-too-large");
	unlink(path);
}

static void test_not_a_file_and_missing(void **state)
{
	struct fp_post_opts opts;
	struct fp_error err;
	json_t *source = (json_t *)1;
	char path[256];

	(void)state;
	fp_post_opts_init(&opts);
	fp_error_init(&err);
	assert_null(fp_post_read(dir, "", dir, &opts, &source, &err));
	assert_string_equal(err.reason, "not-a-file");
	assert_null(source);

	snprintf(path, sizeof(path), "%s/missing.md", dir);
	fp_error_init(&err);
	source = (json_t *)1;
	assert_null(fp_post_read(dir, "missing.md", path, &opts, &source, &err));
	assert_string_equal(err.reason, "read-error");
	assert_string_equal(err.source, "missing.md");
	assert_null(source);
}

static void test_frontmatter_errors(void **state)
{
	static const char text[] = "\n---\ntitle: x\nno end\n";
	struct result r;

	(void)state;
	read_post(&r, "unterminated.md", text, sizeof(text) - 1, NULL);
	assert_null(r.rec);
	assert_string_equal(r.err.reason, "frontmatter-unterminated");
	assert_string_equal(r.err.source, "unterminated.md");
	assert_int_equal(r.err.line, 2);
	assert_non_null(r.source);
	release(&r);
}

static void test_empty_and_no_frontmatter(void **state)
{
	struct result r;

	(void)state;
	read_post(&r, "empty.md", "", 0, NULL);
	expect_ok(&r);
	assert_string_equal(body(&r), "");
	assert_int_equal(json_object_size(json_object_get(r.rec, "meta")), 0);
	assert_non_null(warning(&r, "no-frontmatter"));
	assert_string_equal(fp_json_str(r.source, "sha256"),
			    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	release(&r);
}

/* A file name that is not UTF-8 cannot go into a record: the file is
 * rejected as invalid-utf8, not as "out of memory". */
static void test_file_name_not_utf8(void **state)
{
	static const char text[] = "---\ntitle: x\n---\nbody";
	struct result r;

	(void)state;
	read_post(&r, "caf\xE9.md", text, sizeof(text) - 1, NULL);
	assert_null(r.rec);
	assert_string_equal(r.err.reason, "invalid-utf8");
	assert_string_equal(r.err.source, "caf\xE9.md");
	assert_null(r.source);
	release(&r);
}

/* A buffer gives the record its file gives: fp_post_read() is a read and
 * fp_post_parse(); source.git, when given, comes last in source. */
static void test_parse_is_the_file_record(void **state)
{
	static const char text[] = "\xEF\xBB\xBF---\ntitle: caf\xE9\n---\n<p>a\0b</p>\n";
	const struct fp_post_source src = { .root = dir, .rel = "p.md", .mtime = 1639976888 };
	struct fp_post_source with_git = src;
	struct fp_post_opts opts;
	struct result r;
	struct fp_error err;
	json_t *rec, *source, *git, *expect;
	const char *key;
	json_t *v;
	size_t i = 0;

	(void)state;
	fp_post_opts_init(&opts);
	read_post(&r, "p.md", text, sizeof(text) - 1, NULL);
	expect_ok(&r);
	fp_error_init(&err);
	rec = fp_post_parse(&src, text, sizeof(text) - 1, &opts, &source, &err);
	assert_non_null(rec);
	assert_true(json_equal(rec, r.rec));
	json_decref(rec);
	json_decref(source);

	git = json_pack("{s:s}", "commit", "c0ffee");
	with_git.git = git;
	rec = fp_post_parse(&with_git, text, sizeof(text) - 1, &opts, &source, &err);
	assert_non_null(rec);
	json_object_foreach(source, key, v)
		i++;
	assert_int_equal(i, 6);
	assert_string_equal(json_object_iter_key(json_object_iter_at(source, "git")), "git");
	assert_null(json_object_iter_next(source, json_object_iter_at(source, "git")));
	assert_true(json_equal(json_object_get(source, "git"), git));
	expect = json_deep_copy(r.rec);
	json_object_set(json_object_get(expect, "source"), "git", git);
	assert_true(json_equal(rec, expect));
	json_decref(expect);
	json_decref(rec);
	json_decref(source);
	json_decref(git);
	release(&r);
}

/* The size limit is checked before anything is read, by the caller that
 * knows the size (a file's stat, a blob's header). */
static void test_check_size(void **state)
{
	struct fp_post_opts opts;
	struct fp_error err;

	(void)state;
	fp_post_opts_init(&opts);
	opts.max_file = 10;
	fp_error_init(&err);
	assert_int_equal(fp_post_check_size(&opts, 10, &err), 0);
	assert_false(fp_error_isset(&err));
	assert_int_equal(fp_post_check_size(&opts, 11, &err), -1);
	assert_string_equal(err.reason, "file-too-large");
	assert_string_equal(err.text, "file is 11 bytes, more than --max-file-size 10");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_basic_and_source),
		cmocka_unit_test(test_bom),
		cmocka_unit_test(test_invalid_utf8_repaired),
		cmocka_unit_test(test_invalid_utf8_rejected),
		cmocka_unit_test(test_nul_removed),
		cmocka_unit_test(test_binary_rejected),
		cmocka_unit_test(test_file_too_large),
		cmocka_unit_test(test_not_a_file_and_missing),
		cmocka_unit_test(test_frontmatter_errors),
		cmocka_unit_test(test_empty_and_no_frontmatter),
		cmocka_unit_test(test_file_name_not_utf8),
		cmocka_unit_test(test_parse_is_the_file_record),
		cmocka_unit_test(test_check_size),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
