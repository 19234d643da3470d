/* Unit tests of lib/cli.c: sizes, numbers, the common options, values
 * read from a descriptor. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cli.h"
#include "record.h"
#include "banned.h"

static void size_ok(const char *s, size_t want)
{
	size_t got = 12345;

	if (fp_cli_parse_size(s, &got) != 0)
		fail_msg("size '%s' rejected", s);
	if (got != want)
		fail_msg("size '%s' = %zu, want %zu", s, got, want);
}

static void size_bad(const char *s)
{
	size_t got = 12345;

	if (fp_cli_parse_size(s, &got) == 0)
		fail_msg("bad size '%s' accepted as %zu", s, got);
	assert_int_equal(got, 12345); /* untouched on failure */
}

static void test_sizes(void **state)
{
	(void)state;
	size_ok("0", 0);
	size_ok("10", 10);
	size_ok("1K", 1024);
	size_ok("1k", 1024);
	size_ok("64M", (size_t)64 << 20);
	size_ok("256m", (size_t)256 << 20);
	size_ok("2G", (size_t)2 << 30);
	size_ok("3g", (size_t)3 << 30);
	size_ok("4KiB", 4096);
	size_ok("5MB", (size_t)5 << 20);
	size_ok("7B", 7);
}

static void test_bad_sizes(void **state)
{
	(void)state;
	size_bad("");
	size_bad("-1");
	size_bad("-1K");
	size_bad(" -1"); /* strtoull would negate this into SIZE_MAX */
	size_bad("abc");
	size_bad("K");
	size_bad("1X");
	size_bad("1KK");
	size_bad("1.5M");
	size_bad("12 ");
	size_bad("1K junk");
	size_bad("99999999999999999999");      /* over ULLONG_MAX */
	size_bad("18446744073709551615G");     /* overflows when shifted */
	size_bad("17179869184G");              /* 2^34 G = 2^64 */
}

static void long_ok(const char *s, long want)
{
	long got = -7;

	if (fp_cli_parse_long(s, &got) != 0)
		fail_msg("number '%s' rejected", s);
	assert_int_equal(got, want);
}

static void long_bad(const char *s)
{
	long got = -7;

	if (fp_cli_parse_long(s, &got) == 0)
		fail_msg("bad number '%s' accepted as %ld", s, got);
	assert_int_equal(got, -7);
}

static void test_longs(void **state)
{
	(void)state;
	long_ok("0", 0);
	long_ok("42", 42);
	long_ok("1000000", 1000000);
	long_bad("");
	long_bad("-1");
	long_bad("4x");
	long_bad("x4");
	long_bad("1.0");
	long_bad("99999999999999999999999");
}

static void test_common_options(void **state)
{
	struct fp_cli cli;

	(void)state;
	fp_cli_init(&cli, "feedpipe-test");
	assert_string_equal(cli.prog, "feedpipe-test");
	assert_int_equal(cli.max_rejects, -1);
	assert_int_equal(cli.max_line, 0);
	assert_int_equal(cli.verbosity, 1);
	assert_null(cli.stats_path);

	assert_int_equal(fp_cli_option(&cli, 'q', NULL), 1);
	assert_int_equal(cli.verbosity, 0);
	assert_int_equal(fp_cli_option(&cli, 'v', NULL), 1);
	assert_int_equal(cli.verbosity, 2);
	assert_int_equal(fp_cli_option(&cli, FP_OPT_STATS, "s.json"), 1);
	assert_string_equal(cli.stats_path, "s.json");
	assert_int_equal(fp_cli_option(&cli, FP_OPT_MAX_REJECTS, "5"), 1);
	assert_int_equal(cli.max_rejects, 5);
	assert_int_equal(fp_cli_option(&cli, FP_OPT_MAX_LINE, "64K"), 1);
	assert_int_equal(cli.max_line, 65536);
	/* Not common: left to the stage. */
	assert_int_equal(fp_cli_option(&cli, 'h', NULL), 0);
	assert_int_equal(fp_cli_option(&cli, FP_OPT_FIRST_STAGE_OPTION, "x"), 0);

	fprintf(stderr, "(three error messages follow, as expected)\n");
	assert_int_equal(fp_cli_option(&cli, FP_OPT_MAX_REJECTS, "many"), -1);
	assert_int_equal(cli.max_rejects, 5);
	assert_int_equal(fp_cli_option(&cli, FP_OPT_MAX_LINE, "0"), -1);
	assert_int_equal(fp_cli_option(&cli, FP_OPT_STATS, ""), -1);
	assert_string_equal(cli.stats_path, "s.json");
}

/* A pipe holding `len` bytes of `s`, then its end; returns the read end
 * as a string for fp_cli_read_fd. */
static const char *pipe_with(const char *s, size_t len, char *num, size_t size)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], s, len), (ssize_t)len);
	close(fds[1]);
	snprintf(num, size, "%d", fds[0]);
	return num;
}

static void test_read_fd(void **state)
{
	char num[16], *v, *big;
	struct fp_error err;
	int fds[2];
	pid_t child;

	(void)state;
	assert_int_equal(fp_cli_read_fd(pipe_with("host=db password=x\n", 19, num, sizeof(num)), &v,
					NULL), 0);
	assert_string_equal(v, "host=db password=x");
	/* read and closed: the descriptor is gone */
	assert_int_equal(write(atoi(num), "", 0), -1);
	free(v);
	assert_int_equal(fp_cli_read_fd(pipe_with("a\r\n\n", 4, num, sizeof(num)), &v, NULL), 0);
	assert_string_equal(v, "a\r\n"); /* one newline (with its CR) dropped */
	free(v);
	assert_int_equal(fp_cli_read_fd(pipe_with("", 0, num, sizeof(num)), &v, NULL), 0);
	assert_string_equal(v, "");
	free(v);

	fp_error_init(&err);
	assert_int_equal(fp_cli_read_fd(pipe_with("a\0b", 3, num, sizeof(num)), &v, &err), -1);
	assert_null(v);
	assert_true(strstr(err.text, "NUL") != NULL);
	for (const char *bad = "0\0001\0002\0x\0-3\0"; *bad; bad += strlen(bad) + 1) {
		fp_error_init(&err);
		assert_int_equal(fp_cli_read_fd(bad, &v, &err), -1);
		assert_string_equal(err.text, "expected a file descriptor number above 2");
	}
	fp_error_init(&err);
	assert_int_equal(fp_cli_read_fd("999", &v, &err), -1);
	assert_true(strstr(err.text, "cannot read descriptor 999") != NULL);

	/* More than the limit, from a writer that keeps writing. */
	big = calloc(1, FP_CLI_FD_VALUE_MAX + 100);
	assert_non_null(big);
	memset(big, 'x', FP_CLI_FD_VALUE_MAX + 99);
	assert_int_equal(pipe(fds), 0);
	if ((child = fork()) == 0) {
		close(fds[0]);
		(void)!write(fds[1], big, FP_CLI_FD_VALUE_MAX + 99);
		_exit(0);
	}
	close(fds[1]);
	snprintf(num, sizeof(num), "%d", fds[0]);
	fp_error_init(&err);
	assert_int_equal(fp_cli_read_fd(num, &v, &err), -1);
	assert_true(strstr(err.text, "more than 65536 bytes") != NULL);
	waitpid(child, NULL, 0);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bad_sizes),
		cmocka_unit_test(test_longs),
		cmocka_unit_test(test_common_options),
		cmocka_unit_test(test_read_fd),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
