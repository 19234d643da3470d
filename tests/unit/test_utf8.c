/* Unit tests of lib/utf8.c: strict validation and repair by maximal
 * subparts (Unicode 15, section 3.9, table 3-8). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "utf8.h"
#include "banned.h"

#define FFFD "\xEF\xBF\xBD"

static void prefix(const char *s, size_t len, size_t want)
{
	size_t got = fp_utf8_valid_prefix(s, len);

	if (got != want)
		fail_msg("valid prefix of %zu bytes: %zu, want %zu", len, got, want);
}

static void test_valid_prefix(void **state)
{
	(void)state;
	prefix("", 0, 0);
	prefix("abc", 3, 3);
	prefix("a\0b", 3, 3); /* NUL is valid UTF-8; repair drops it */
	prefix("ab\xC3\xA9", 4, 4);
	prefix("ab\xC3", 3, 2);
	prefix("\xE2\x82\xAC", 3, 3);
	prefix("\xF0\x9F\x98\x80", 4, 4);
	prefix("\xF4\x8F\xBF\xBF", 4, 4);    /* U+10FFFF */
	prefix("\xF4\x90\x80\x80", 4, 0);    /* above U+10FFFF */
	prefix("\xF5\x80\x80\x80", 4, 0);
	prefix("a\xED\xA0\x80", 4, 1);       /* surrogate U+D800 */
	prefix("\xED\x9F\xBF", 3, 3);        /* U+D7FF */
	prefix("\xC0\xAF", 2, 0);            /* overlong '/' */
	prefix("\xC1\xBF", 2, 0);
	prefix("\xE0\x80\xAF", 3, 0);
	prefix("\xE0\x9F\xBF", 3, 0);
	prefix("\xF0\x80\x80\xAF", 4, 0);
	prefix("\xF0\x8F\xBF\xBF", 4, 0);
	prefix("\x80", 1, 0);
	prefix("\xFF", 1, 0);
	/* past the eight-byte ASCII fast path */
	prefix("abcdefghijklmnop\xFF", 17, 16);
	prefix("abcdefgh\xC3\xA9ijklmnopqrstuvw\xE2\x82", 27, 25);
	/* the length bounds reading: a valid sequence cut by len */
	prefix("\xE2\x82\xAC", 2, 0);
}

/* Appends whole characters of 1 to 4 bytes (chosen by `seed`) to b, then
 * ASCII, until it holds exactly `len` bytes. */
static size_t filler(char *b, size_t len, unsigned seed)
{
	static const char *const chars[] = { "a", "\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x98\x80",
					     "\xEF\xBF\xBD", "\xED\x9F\xBF", "<" };
	size_t n = 0;

	for (;;) {
		const char *c;
		size_t w;

		seed = seed * 1103515245u + 12345u;
		c = chars[(seed >> 16) % 7];
		w = strlen(c);
		if (n + w > len)
			break;
		memcpy(b + n, c, w);
		n += w;
	}
	memset(b + n, 'x', len - n);
	return len;
}

/*
 * The valid prefix of long strings, where blocks of 32 bytes are checked at
 * once: each valid and invalid sequence above placed at every offset across
 * several block boundaries, between valid text of every character width.
 */
static void test_valid_prefix_blocks(void **state)
{
	static const struct {
		const char *s;
		size_t len, prefix;
	} cases[] = {
		{ "\xC3\xA9", 2, 2 },	      { "\xE2\x82\xAC", 3, 3 },     { "\xF0\x9F\x98\x80", 4, 4 },
		{ "\xF4\x8F\xBF\xBF", 4, 4 }, { "\xED\x9F\xBF", 3, 3 },     { "\xC3", 1, 0 },
		{ "\xE2\x82", 2, 0 },	      { "\xF0\x9F\x98", 3, 0 },     { "\xF4\x90\x80\x80", 4, 0 },
		{ "\xF5\x80\x80\x80", 4, 0 }, { "\xED\xA0\x80", 3, 0 },     { "\xC0\xAF", 2, 0 },
		{ "\xC1\xBF", 2, 0 },	      { "\xE0\x80\xAF", 3, 0 },     { "\xE0\x9F\xBF", 3, 0 },
		{ "\xF0\x80\x80\xAF", 4, 0 }, { "\xF0\x8F\xBF\xBF", 4, 0 }, { "\x80", 1, 0 },
		{ "\xBF\xBF", 2, 0 },	      { "\xFF", 1, 0 },		    { "\xFE", 1, 0 },
		{ "\xC3\xA9\x80", 3, 2 },     { "\xE4\xB8\xAD\xAD", 4, 3 },
	};
	char b[300];

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t at = 0; at < 140; at++)
			for (unsigned seed = 1; seed <= 5; seed++) {
				size_t total = at + cases[c].len + 100;

				filler(b, at, seed);
				memcpy(b + at, cases[c].s, cases[c].len);
				filler(b + at + cases[c].len, 100, seed + 7);
				prefix(b, total,
				       cases[c].prefix == cases[c].len ? total : at + cases[c].prefix);
				/* a lone first byte, cut by len */
				if (cases[c].len > 1)
					prefix(b, at + 1, at);
			}
}

/* Repairs `in` and compares with `want` (NULL: already clean). */
static void repair(const char *in, size_t len, const char *want, size_t want_invalid,
		   size_t want_nuls)
{
	char *out = (char *)"unset";
	size_t out_len = 99, invalid = 99, nuls = 99;
	int rc = fp_utf8_repair(in, len, &out, &out_len, &invalid, &nuls);

	assert_int_equal(invalid, want_invalid);
	assert_int_equal(nuls, want_nuls);
	if (!want) {
		assert_int_equal(rc, 0);
		assert_null(out);
		return;
	}
	assert_int_equal(rc, 1);
	assert_non_null(out);
	assert_int_equal(out_len, strlen(want));
	assert_int_equal(strlen(out), out_len);
	assert_memory_equal(out, want, out_len);
	assert_int_equal(fp_utf8_valid_prefix(out, out_len), out_len);
	free(out);
}

static void test_repair_clean(void **state)
{
	(void)state;
	repair("", 0, NULL, 0, 0);
	repair("hello, 世界 😀", strlen("hello, 世界 😀"), NULL, 0, 0);
}

static void test_repair_overlongs_and_out_of_range(void **state)
{
	(void)state;
	repair("\xC0\xAF", 2, FFFD FFFD, 2, 0);
	repair("\xE0\x80\xAF", 3, FFFD FFFD FFFD, 3, 0);
	repair("\xF0\x80\x80\xAF", 4, FFFD FFFD FFFD FFFD, 4, 0);
	repair("x\xF4\x90\x80\x80y", 6, "x" FFFD FFFD FFFD FFFD "y", 4, 0);
	repair("\xF5\x80", 2, FFFD FFFD, 2, 0);
	repair("\xFE\xFF", 2, FFFD FFFD, 2, 0);
}

static void test_repair_surrogates(void **state)
{
	(void)state;
	repair("\xED\xA0\x80", 3, FFFD FFFD FFFD, 3, 0);
	repair("\xED\xBF\xBFok", 5, FFFD FFFD FFFD "ok", 3, 0);
}

static void test_repair_truncated(void **state)
{
	(void)state;
	/* a truncated sequence is one maximal subpart: one U+FFFD */
	repair("\xE2\x82", 2, FFFD, 1, 0);
	repair("\xE2\x82" "A", 3, FFFD "A", 1, 0);
	repair("\xF0\x9F\x98", 3, FFFD, 1, 0);
	repair("\xF0\x9F\x98x", 4, FFFD "x", 1, 0);
	repair("\xC3", 1, FFFD, 1, 0);
	repair("\xC3\xC3\xA9", 3, FFFD "\xC3\xA9", 1, 0);
	/* a lone continuation byte is one subpart each */
	repair("\x80\x80", 2, FFFD FFFD, 2, 0);
}

/* The example of Unicode table 3-8. */
static void test_repair_unicode_example(void **state)
{
	static const char in[] = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";

	(void)state;
	repair(in, sizeof(in) - 1, "a" FFFD FFFD FFFD "b" FFFD "c" FFFD FFFD "d", 6, 0);
}

static void test_repair_nul(void **state)
{
	static const char in1[] = "a\0b";
	static const char in2[] = "abcdefgh\0ijklmnopq\0\0rstuvwxy";
	static const char in3[] = "\0\xC3\0\xA9";

	(void)state;
	repair(in1, 3, "ab", 0, 1);
	repair(in2, sizeof(in2) - 1, "abcdefghijklmnopqrstuvwxy", 0, 3);
	repair(in3, 4, FFFD FFFD, 2, 2);
	/* counts are optional */
	{
		char *out;
		size_t out_len;

		assert_int_equal(fp_utf8_repair("x\0", 2, &out, &out_len, NULL, NULL), 1);
		assert_string_equal(out, "x");
		free(out);
	}
}

/* Long mixed input: the fast path and the byte loop agree. */
static void test_repair_long(void **state)
{
	char in[8192], want[8192 * 3];
	size_t i, n = 0, w = 0, bad = 0, nul = 0;

	(void)state;
	for (i = 0; i < 300; i++) {
		const char *word = "plain ascii text ";
		size_t k = strlen(word);

		memcpy(in + n, word, k);
		memcpy(want + w, word, k);
		n += k, w += k;
		if (i % 7 == 0) {
			in[n++] = (char)0xFF;
			memcpy(want + w, FFFD, 3);
			w += 3, bad++;
		}
		if (i % 11 == 0) {
			in[n++] = '\0';
			nul++;
		}
		if (i % 5 == 0) {
			memcpy(in + n, "\xC3\xA9", 2);
			memcpy(want + w, "\xC3\xA9", 2);
			n += 2, w += 2;
		}
	}
	want[w] = '\0';
	repair(in, n, want, bad, nul);
}

static void test_decode_count(void **state)
{
	unsigned int cp;

	(void)state;
	assert_int_equal(fp_utf8_decode("A", &cp), 1);
	assert_int_equal(cp, 'A');
	assert_int_equal(fp_utf8_decode("\xC3\xA9", &cp), 2);
	assert_int_equal(cp, 0xE9);
	assert_int_equal(fp_utf8_decode("\xE2\x82\xAC", &cp), 3);
	assert_int_equal(cp, 0x20AC);
	assert_int_equal(fp_utf8_decode("\xF0\x9F\x98\x80", &cp), 4);
	assert_int_equal(cp, 0x1F600);
	assert_int_equal(fp_utf8_decode("\xF4\x8F\xBF\xBF", &cp), 4);
	assert_int_equal(cp, 0x10FFFF);
	assert_int_equal(fp_utf8_count("", 0), 0);
	assert_int_equal(fp_utf8_count("a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", 10), 4);
}

/* The counts of the word-at-a-time and AVX2 loops against a byte loop: every
 * length and offset around their blocks, every byte value, and a text long
 * enough to empty the AVX2 byte counters (255 blocks of 32 bytes). */
static void test_count_blocks(void **state)
{
	static const char *const pieces[] = { "a", "\xC3\xA9", "\xE5\x9C\x8B", "\xF0\x9F\x98\x80", "\x80",
					      "\xFF", "\xBF\xBF" };
	size_t cap = 20000, len = 0, i, off, n, want;
	unsigned int seed = 1;
	char *buf = malloc(cap + 4);

	(void)state;
	assert_non_null(buf);
	while (len < cap) {
		const char *piece = pieces[((seed = seed * 1103515245 + 12345) >> 16) % 7];

		memcpy(buf + len, piece, strlen(piece));
		len += strlen(piece);
	}
	for (i = 0; i < 256; i++)
		buf[i] = (char)i;
	for (off = 0; off < 40; off++)
		for (n = 0; off + n <= len; n += n < 300 ? 1 : 997) {
			size_t k;

			for (want = 0, k = off; k < off + n; k++)
				want += ((unsigned char)buf[k] & 0xC0) != 0x80;
			if (fp_utf8_count(buf + off, n) != want)
				fail_msg("count of %zu bytes at %zu: %zu, want %zu", n, off,
					 fp_utf8_count(buf + off, n), want);
		}
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_prefix),
		cmocka_unit_test(test_valid_prefix_blocks),
		cmocka_unit_test(test_repair_clean),
		cmocka_unit_test(test_repair_overlongs_and_out_of_range),
		cmocka_unit_test(test_repair_surrogates),
		cmocka_unit_test(test_repair_truncated),
		cmocka_unit_test(test_repair_unicode_example),
		cmocka_unit_test(test_repair_nul),
		cmocka_unit_test(test_repair_long),
		cmocka_unit_test(test_decode_count),
		cmocka_unit_test(test_count_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
