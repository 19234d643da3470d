/* Unit tests of lib/date.c: every accepted form, zones, leap days, invalid
 * and implausible values. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "date.h"
#include "banned.h"

/* Parses `in` in zone `tz` ("" for UTC) and compares with `want` (NULL:
 * must fail with date-invalid). */
static void check(const char *tz, const char *in, const char *want)
{
	struct fp_date_zone z;
	struct fp_error err;
	char buf[FP_DATE_ISO_LEN + 1];
	int64_t t;
	int rc;

	fp_date_zone_init(&z);
	fp_error_init(&err);
	if (*tz && fp_date_zone_set(&z, tz, &err) < 0)
		fail_msg("zone '%s': %s", tz, err.text);
	rc = fp_date_parse(in, strlen(in), &z, &t, &err);
	fp_date_zone_release(&z);
	if (!want) {
		if (rc == 0)
			fail_msg("'%s' parsed as %s, expected an error", in, fp_date_format(t, buf));
		assert_string_equal(err.reason, "date-invalid");
		return;
	}
	if (rc < 0)
		fail_msg("'%s': %s", in, err.text);
	if (strcmp(fp_date_format(t, buf), want) != 0)
		fail_msg("'%s' (zone '%s'): got %s, expected %s", in, tz, buf, want);
}

static void test_seed(void **state)
{
	(void)state;
	check("", "Mon, 20 Dec 2021 05:08:08 GMT", "2021-12-20T05:08:08Z");
}

static void test_rfc2822(void **state)
{
	(void)state;
	check("", "Mon, 17 Dec 2018 11:25:17 GMT", "2018-12-17T11:25:17Z");
	check("", "Mon, 20 Dec 2021 05:08:08 UTC", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 2021 05:08:08 UT", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 2021 05:08:08 Z", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 2021 13:08:08 +0800", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 2021 00:08:08 -0500", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 2021 10:38:08 +05:30", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 2021 00:08:08 EST", "2021-12-20T05:08:08Z");
	check("", "Sun, 20 Jun 2021 01:08:08 EDT", "2021-06-20T05:08:08Z");
	check("", "Sun, 19 Dec 2021 21:08:08 PST", "2021-12-20T05:08:08Z");
	check("", "20 Dec 2021 05:08:08 GMT", "2021-12-20T05:08:08Z");
	check("", "Monday, 20 December 2021 05:08 GMT", "2021-12-20T05:08:00Z");
	check("", "mon, 20 dec 2021 05:08:08 gmt", "2021-12-20T05:08:08Z");
	check("", "Mon, 20 Dec 21 05:08:08 GMT", "2021-12-20T05:08:08Z");
	check("", "Fri, 31 Dec 99 23:59:59 GMT", "1999-12-31T23:59:59Z");
	check("", "Thu, 3 Sep 2020 05:08:08 GMT", "2020-09-03T05:08:08Z");
	check("", "Thu, 3 Sept 2020 05:08:08 GMT", "2020-09-03T05:08:08Z");
	check("", "  Mon, 20 Dec 2021 05:08:08 GMT \n", "2021-12-20T05:08:08Z");
	/* no zone: the default zone */
	check("", "Mon, 20 Dec 2021 05:08:08", "2021-12-20T05:08:08Z");
	check("+08:00", "Mon, 20 Dec 2021 13:08:08", "2021-12-20T05:08:08Z");
	/* JavaScript's Date.prototype.toString and the US form */
	check("", "Mon Dec 20 2021 13:08:08 GMT+0800 (China Standard Time)", "2021-12-20T05:08:08Z");
	check("", "Dec 20, 2021 05:08:08 GMT", "2021-12-20T05:08:08Z");
}

static void test_iso8601(void **state)
{
	(void)state;
	check("", "2021-12-20T05:08:08Z", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T05:08:08z", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T13:08:08+08:00", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T13:08:08+0800", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T13:08:08+08", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T00:08:08-05:00", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T05:08:08.123456Z", "2021-12-20T05:08:08Z");
	check("", "2021-12-20T05:08Z", "2021-12-20T05:08:00Z");
	check("", "2021-12-20T05:08:08", "2021-12-20T05:08:08Z");
	check("+08:00", "2021-12-20T13:08:08", "2021-12-20T05:08:08Z");
	/* the offset crosses midnight and the year */
	check("", "2022-01-01T07:00:00+08:00", "2021-12-31T23:00:00Z");
}

static void test_plain_and_yaml(void **state)
{
	(void)state;
	check("", "2021-04-15 08:08:37", "2021-04-15T08:08:37Z");
	check("-05:00", "2021-04-15 08:08:37", "2021-04-15T13:08:37Z");
	check("", "2021-12-20", "2021-12-20T00:00:00Z");
	check("+08:00", "2021-12-20", "2021-12-19T16:00:00Z");
	check("", "2021/12/20", "2021-12-20T00:00:00Z");
	check("", "2021/12/20 13:08", "2021-12-20T13:08:00Z");
	/* YAML 1.1 timestamp forms */
	check("", "2001-12-14t21:59:43.10-05:00", "2001-12-15T02:59:43Z");
	check("", "2001-12-14 21:59:43.10 -5", "2001-12-15T02:59:43Z");
	check("", "2001-12-15 2:59:43.10", "2001-12-15T02:59:43Z");
	check("", "2001-1-5 2:59:43", "2001-01-05T02:59:43Z");
	check("", "2001-12-14 21:59:43.10 Z", "2001-12-14T21:59:43Z");
}

static void test_chinese(void **state)
{
	(void)state;
	check("", "2020年08月31日 12:56", "2020-08-31T12:56:00Z");
	check("+08:00", "2020年08月31日 12:56", "2020-08-31T04:56:00Z");
	check("", "2020年8月31日", "2020-08-31T00:00:00Z");
	check("", "2020年8月31日12:56:07", "2020-08-31T12:56:07Z");
	check("", "2020年08月31日 12时56分08秒", "2020-08-31T12:56:08Z");
	check("", "2020年08月31日 12時56分", "2020-08-31T12:56:00Z");
	check("", "2020年08月31日 12：56", "2020-08-31T12:56:00Z");
	check("", "2020 年 8 月 31 日", "2020-08-31T00:00:00Z");
}

static void test_leap_days(void **state)
{
	(void)state;
	check("", "2020-02-29", "2020-02-29T00:00:00Z");
	check("", "2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z");
	check("", "Sat, 29 Feb 2020 10:00:00 GMT", "2020-02-29T10:00:00Z");
	check("", "2024年2月29日", "2024-02-29T00:00:00Z");
	check("", "2021-02-29", NULL);
	check("", "1900-02-29", NULL);
	check("", "2100-02-29", NULL);
	check("", "Mon, 29 Feb 2021 10:00:00 GMT", NULL);
	check("", "2021-02-28T23:59:60Z", "2021-03-01T00:00:00Z"); /* leap second */
	check("", "2021-04-31", NULL);
	check("", "2021-12-31", "2021-12-31T00:00:00Z");
}

static void test_invalid(void **state)
{
	static const char *const bad[] = {
		"Invalid Date", "", "   ", "2021", "2021-12", "2021-13-01", "2021-00-10",
		"2021-12-00", "2021-12-32", "2021-12-20 24:00:00", "2021-12-20T05:60:00Z",
		"2021-12-20T05:08:61Z", "2021-12-20T05:08:08+25:00", "2021-12-20T05:08:08 XYZ",
		"Mon, 20 Foo 2021 05:08:08 GMT", "20 Dec", "2021-12-20T", "2021-12-20 05",
		"2021-12-20 05:08:08 trailing", "2021-12-20T05:08:08+08:0", "12/20/2021",
		"2021年13月01日", "2021年12月20", "1639976888", "NaN", "2021-12-20T05:08:08.Z",
		"2021-12-20T05:08:08 (comment", "20211220",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		check("", bad[i], NULL);
}

static void test_zones(void **state)
{
	struct fp_date_zone z;
	struct fp_error err;
	static const char *const bad[] = { "", "+25:00", "+08:0", "UTC+", "Mars/Olympus",
					   "../../etc/passwd", "/etc/localtime", "Asia/../UTC",
					   "Asia/Shanghai ", "UTC+08:00x" };
	size_t i;

	(void)state;
	check("UTC", "2021-12-20 05:08:08", "2021-12-20T05:08:08Z");
	check("GMT", "2021-12-20 05:08:08", "2021-12-20T05:08:08Z");
	check("Z", "2021-12-20 05:08:08", "2021-12-20T05:08:08Z");
	check("+0800", "2021-12-20 13:08:08", "2021-12-20T05:08:08Z");
	check("+08", "2021-12-20 13:08:08", "2021-12-20T05:08:08Z");
	check("UTC+8", "2021-12-20 13:08:08", "2021-12-20T05:08:08Z");
	check("-05:30", "2021-12-19 23:38:08", "2021-12-20T05:08:08Z");
	/* an explicit zone wins over the default */
	check("+08:00", "2021-12-20T05:08:08Z", "2021-12-20T05:08:08Z");
	/* IANA zones, when the system has the tz database */
	fp_date_zone_init(&z);
	fp_error_init(&err);
	if (fp_date_zone_set(&z, "America/New_York", &err) == 0) {
		check("Asia/Shanghai", "2021-12-20 13:08:08", "2021-12-20T05:08:08Z");
		check("Asia/Shanghai", "1990-07-01 12:00:00", "1990-07-01T03:00:00Z"); /* DST then */
		check("America/New_York", "2021-12-20 00:08:08", "2021-12-20T05:08:08Z");
		check("America/New_York", "2021-06-20 01:08:08", "2021-06-20T05:08:08Z");
		/* spring forward: 02:30 does not exist, read with the offset before */
		check("America/New_York", "2021-03-14 02:30:00", "2021-03-14T07:30:00Z");
		/* fall back: 01:30 happens twice, the first one wins */
		check("America/New_York", "2021-11-07 01:30:00", "2021-11-07T05:30:00Z");
		check("Europe/London", "2021-07-01", "2021-06-30T23:00:00Z");
		assert_int_equal(fp_date_zone_offset(&z, fp_date_from_civil(2021, 7, 1, 0, 0, 0)),
				 -4 * 3600);
	} else {
		print_message("no tz database: IANA zone cases skipped (%s)\n", err.text);
	}
	fp_date_zone_release(&z);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp_date_zone_init(&z);
		fp_error_init(&err);
		if (fp_date_zone_set(&z, bad[i], &err) == 0)
			fail_msg("zone '%s' accepted", bad[i]);
		assert_string_equal(err.reason, "date-zone-invalid");
		assert_int_equal(fp_date_zone_offset(&z, 0), 0);
		fp_date_zone_release(&z);
	}
	fp_date_zone_release(NULL);
}

/* Corrupt TZif files are refused, never read past their end. */
static void test_bad_tzif(void **state)
{
	static const struct {
		const char *name, *data;
		size_t len;
	} files[] = {
		{ "empty", "", 0 },
		{ "magic", "TZif", 4 },
		{ "notzif", "this is not a zone file at all, not at all, no no no", 52 },
		/* version 2 header claiming a huge version-1 block */
		{ "huge", "TZif2\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
			  "\0\0\0\0\0\1\x86\xa0\0\0\0\1\0\0\0\0", 44 },
	};
	char dir[] = "/tmp/fp-test-tz.XXXXXX", path[256];
	struct fp_date_zone z;
	struct fp_error err;
	const char *old = getenv("TZDIR");
	char *saved = old ? strdup(old) : NULL;
	size_t i;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("TZDIR", dir, 1);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i].name);
		f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(files[i].data, 1, files[i].len, f);
		fclose(f);
		fp_date_zone_init(&z);
		fp_error_init(&err);
		if (fp_date_zone_set(&z, files[i].name, &err) == 0)
			fail_msg("corrupt zone '%s' accepted", files[i].name);
		assert_string_equal(err.reason, "date-zone-invalid");
		fp_date_zone_release(&z);
		remove(path);
	}
	rmdir(dir);
	if (saved)
		setenv("TZDIR", saved, 1);
	else
		unsetenv("TZDIR");
	free(saved);
}

static void test_plausible(void **state)
{
	struct fp_error err;
	int64_t now = fp_date_from_civil(2026, 11, 26, 12, 0, 0);

	(void)state;
	fp_error_init(&err);
	assert_int_equal(fp_date_check_plausible(FP_DATE_MIN_PLAUSIBLE, now, &err), 0);
	assert_int_equal(fp_date_check_plausible(now + 86400, now, &err), 0);
	assert_int_equal(fp_date_check_plausible(now, now, &err), 0);
	assert_false(fp_error_isset(&err));
	assert_int_equal(fp_date_check_plausible(FP_DATE_MIN_PLAUSIBLE - 1, now, &err), -1);
	assert_string_equal(err.reason, "date-implausible");
	assert_non_null(strstr(err.text, "1989-12-31T23:59:59Z"));
	fp_error_init(&err);
	assert_int_equal(fp_date_check_plausible(now + 86401, now, &err), -1);
	assert_string_equal(err.reason, "date-implausible");
	fp_error_init(&err);
	assert_int_equal(fp_date_check_plausible(fp_date_from_civil(2189, 4, 8, 0, 0, 0), now, &err),
			 -1);
	assert_int_equal(FP_DATE_MIN_PLAUSIBLE, fp_date_from_civil(1990, 1, 1, 0, 0, 0));
}

static void test_format(void **state)
{
	char buf[FP_DATE_ISO_LEN + 1];

	(void)state;
	assert_string_equal(fp_date_format(0, buf), "1970-01-01T00:00:00Z");
	assert_string_equal(fp_date_format(-1, buf), "1969-12-31T23:59:59Z");
	assert_string_equal(fp_date_format(951782400, buf), "2000-02-29T00:00:00Z");
	assert_string_equal(fp_date_format(fp_date_from_civil(9999, 12, 31, 23, 59, 59), buf),
			    "9999-12-31T23:59:59Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed),       cmocka_unit_test(test_rfc2822),
		cmocka_unit_test(test_iso8601),    cmocka_unit_test(test_plain_and_yaml),
		cmocka_unit_test(test_chinese),    cmocka_unit_test(test_leap_days),
		cmocka_unit_test(test_invalid),    cmocka_unit_test(test_zones),
		cmocka_unit_test(test_bad_tzif),
		cmocka_unit_test(test_plausible),  cmocka_unit_test(test_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
