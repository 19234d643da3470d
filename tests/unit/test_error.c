/* Unit tests of lib/error.c: first error wins, locations, formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "error.h"
#include "banned.h"

static void test_init_and_isset(void **state)
{
	struct fp_error err;

	(void)state;
	memset(&err, 0x5a, sizeof(err));
	fp_error_init(&err);
	assert_false(fp_error_isset(&err));
	assert_string_equal(err.reason, "");
	assert_string_equal(err.text, "");
	assert_string_equal(err.source, "");
	assert_int_equal(err.line, 0);
	assert_int_equal(err.column, 0);
	assert_int_equal(err.record, 0);
	assert_false(fp_error_isset(NULL));
	fp_error_init(NULL);
}

static void test_first_error_wins(void **state)
{
	struct fp_error err;

	(void)state;
	fp_error_init(&err);
	fp_error_set(&err, "frontmatter-unterminated", "unterminated front matter at %d", 3);
	assert_true(fp_error_isset(&err));
	fp_error_set(&err, "yaml-invalid", "second %s", "error");
	assert_string_equal(err.reason, "frontmatter-unterminated");
	assert_string_equal(err.text, "unterminated front matter at 3");
	/* NULL is allowed everywhere. */
	fp_error_set(NULL, "x", "y");
	fp_error_at(NULL, "a", 1, 1);
}

static void test_truncation(void **state)
{
	struct fp_error err;
	char longtext[FP_ERROR_TEXT_MAX * 2];
	char longsrc[FP_ERROR_SOURCE_MAX * 2];

	(void)state;
	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	memset(longsrc, 's', sizeof(longsrc) - 1);
	longsrc[sizeof(longsrc) - 1] = '\0';
	fp_error_init(&err);
	fp_error_set(&err, "a-very-long-reason-code-that-is-longer-than-the-field-allows", "%s",
		     longtext);
	fp_error_at(&err, longsrc, 1, 2);
	assert_int_equal(strlen(err.reason), FP_ERROR_REASON_MAX - 1);
	assert_int_equal(strlen(err.text), FP_ERROR_TEXT_MAX - 1);
	assert_int_equal(strlen(err.source), FP_ERROR_SOURCE_MAX - 1);
}

static void test_at(void **state)
{
	struct fp_error err;

	(void)state;
	fp_error_init(&err);
	fp_error_at(&err, "posts/a.md", 42, 7);
	assert_string_equal(err.source, "posts/a.md");
	assert_int_equal(err.line, 42);
	assert_int_equal(err.column, 7);
	/* NULL source and zero line/column leave the fields as they are. */
	fp_error_at(&err, NULL, 0, 0);
	assert_string_equal(err.source, "posts/a.md");
	assert_int_equal(err.line, 42);
	assert_int_equal(err.column, 7);
	fp_error_at(&err, "b.md", 0, 3);
	assert_string_equal(err.source, "b.md");
	assert_int_equal(err.line, 42);
	assert_int_equal(err.column, 3);
	/* Setting the location does not count as an error. */
	assert_false(fp_error_isset(&err));
}

static void test_format(void **state)
{
	struct fp_error err;
	char buf[128], small[8];

	(void)state;
	fp_error_init(&err);
	fp_error_set(&err, "frontmatter-unterminated", "unterminated front matter");
	assert_string_equal(fp_error_format(&err, buf, sizeof(buf)), "unterminated front matter");
	fp_error_at(&err, "posts/a.md", 0, 0);
	assert_string_equal(fp_error_format(&err, buf, sizeof(buf)),
			    "posts/a.md: unterminated front matter");
	fp_error_at(&err, NULL, 42, 0);
	assert_string_equal(fp_error_format(&err, buf, sizeof(buf)),
			    "posts/a.md:42: unterminated front matter");
	fp_error_at(&err, NULL, 0, 5);
	assert_string_equal(fp_error_format(&err, buf, sizeof(buf)),
			    "posts/a.md:42:5: unterminated front matter");

	fp_error_init(&err);
	fp_error_set(&err, "ndjson-invalid", "not a JSON record");
	err.record = 12;
	assert_string_equal(fp_error_format(&err, buf, sizeof(buf)), "record 12: not a JSON record");

	/* Always NUL-terminated, never overflows. */
	memset(small, 'z', sizeof(small));
	fp_error_format(&err, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, "record ", 7);
	assert_string_equal(fp_error_format(NULL, buf, sizeof(buf)), "");
	buf[0] = 'q';
	fp_error_format(&err, buf, 0);
	assert_int_equal(buf[0], 'q');
}

static void test_format_overflow_with_location(void **state)
{
	struct fp_error err;
	char buf[12];

	(void)state;
	fp_error_init(&err);
	fp_error_set(&err, "r", "message text");
	fp_error_at(&err, "a-long-source-name.md", 123456, 789);
	fp_error_format(&err, buf, sizeof(buf));
	assert_int_equal(strlen(buf), sizeof(buf) - 1);
	assert_memory_equal(buf, "a-long-sour", 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_and_isset),
		cmocka_unit_test(test_first_error_wins),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_at),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_overflow_with_location),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
