/* Unit tests of lib/text.c: NFC, control characters, whitespace, and what
 * must survive intact. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text.h"
#include "banned.h"

/* Normalizes `in` with `flags`; `want` NULL means "unchanged, no copy". */
static void check(const char *in, unsigned flags, const char *want)
{
	struct fp_error err;
	char *out = NULL;
	size_t outlen = 0;
	int rc;

	fp_error_init(&err);
	rc = fp_text_normalize(in, strlen(in), flags, &out, &outlen, &err);
	if (rc < 0)
		fail_msg("'%s': %s", in, err.text);
	if (!want) {
		if (rc != 0)
			fail_msg("'%s' changed to '%s', expected unchanged", in, out);
		assert_null(out);
		return;
	}
	if (rc != 1)
		fail_msg("'%s' unchanged, expected '%s'", in, want);
	assert_string_equal(out, want);
	assert_int_equal(outlen, strlen(want));
	free(out);
}

static void test_nfc(void **state)
{
	(void)state;
	check("e\xcc\x81", FP_TEXT_NFC, "\xc3\xa9");                /* e + acute -> é */
	check("Kamiko\xcc\x84" "chi", FP_TEXT_NFC, "Kamik\xc5\x8d" "chi"); /* ō */
	check("\xe1\x84\x80\xe1\x85\xa1", FP_TEXT_NFC, "\xea\xb0\x80");     /* jamo -> 가 */
	check("\xea\xb0\x80\xe1\x86\xa8", FP_TEXT_NFC, "\xea\xb0\x81");     /* 가 + ᆨ -> 각 */
	check("\xef\xa4\x80", FP_TEXT_NFC, "\xe8\xb1\x88");                 /* U+F900 -> U+8C48 */
	check("\xe2\x84\xab", FP_TEXT_NFC, "\xc3\x85");                     /* Å sign -> Å */
	check("\xe3\x81\x8b\xe3\x82\x99", FP_TEXT_NFC, "\xe3\x81\x8c");     /* か + ゙ -> が */
	check("\xe3\x81\x8c\xe3\x82\x99", FP_TEXT_NFC, NULL);                 /* が + ゙ stays */
	check("e\xcc\xa3\xcc\x82", FP_TEXT_NFC, "\xe1\xbb\x87");            /* e + ̣ + ̂ -> ệ */
	check("\xe1\xbb\x87\xcc\x81", FP_TEXT_NFC, NULL);                     /* ệ + ́ stays */
	check("\xd0\xb8\xcc\x86", FP_TEXT_NFC, "\xd0\xb9");                  /* и + ̆ -> й */
	check("\xce\x86\xe1\xbd\xb1", FP_TEXT_NFC, "\xce\x86\xce\xac");   /* U+1F71 -> U+03AC */
	/* combining marks reordered canonically, kept */
	check("a\xcc\x81\xcc\xa3", FP_TEXT_NFC, "\xe1\xba\xa1\xcc\x81");
	/* already NFC: no copy */
	check("plain ASCII", FP_TEXT_NFC, NULL);
	check("Diabat\xc3\xa9 \xc2\xa9", FP_TEXT_NFC, NULL);
	check("王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境", FP_TEXT_NFC, NULL);
	check("科技島讀請回答 貓研社 劍心．回憶", FP_TEXT_NFC, NULL);
	check("イベント 開催場所 がぎぐ", FP_TEXT_NFC, NULL);
	check("\xea\xb0\x81 \xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", FP_TEXT_NFC, NULL); /* 각 한국어 */
	check("", FP_TEXT_BODY, NULL);
}

static void test_survivors(void **state)
{
	(void)state;
	/* emoji with variation selector, ZWJ family, flag, skin tone */
	check("Maradona \xe2\x9a\xbd\xef\xb8\x8f\xf0\x9f\x8f\x86", FP_TEXT_LINE, NULL);
	check("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7", FP_TEXT_LINE,
	      NULL);
	check("\xf0\x9f\x87\xaf\xf0\x9f\x87\xb5 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd", FP_TEXT_LINE, NULL);
	/* right-to-left text with bidi marks, Persian ZWNJ */
	check("\xd8\xb3\xd9\x84\xd8\xa7\xd9\x85 \xe2\x80\x8f\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d", FP_TEXT_LINE, NULL);
	check("\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xb4\xd9\x88\xd8\xaf", FP_TEXT_LINE, NULL); /* می‌شود */
	/* an Arabic combining mark stays (already NFC) */
	check("\xd9\x85\xd9\x8e", FP_TEXT_BODY, NULL);
	/* tabs and newlines stay in bodies */
	check("a\tb\nc\r\nd", FP_TEXT_BODY, NULL);
}

static void test_controls(void **state)
{
	(void)state;
	check("a\x01" "b\x7f" "c\xc2\x80" "d\xc2\x9f" "e", FP_TEXT_BODY, "abcde");
	check("a\x1b[0mb", FP_TEXT_CONTROLS, "a[0mb");
	check("line\x0bone\x0c", FP_TEXT_BODY, "lineone");
	/* NEL (U+0085) is a C1 control in bodies */
	check("a\xc2\x85" "b", FP_TEXT_BODY, "ab");
	/* removing a control may bring a base and a mark together: NFC after */
	check("e\x01\xcc\x81", FP_TEXT_BODY, "\xc3\xa9");
}

static void test_one_line(void **state)
{
	(void)state;
	check("## 入手umi\n对于路由的考虑真心全乎，666", FP_TEXT_LINE,
	      "## 入手umi 对于路由的考虑真心全乎，666");
	check("  a \n\t b\xe3\x80\x80" "c\xc2\xa0\xc2\xa0" "d  ", FP_TEXT_LINE, "a b c d");
	check("\xe2\x80\x83x\xe2\x80\xa8y\xe2\x80\xa9", FP_TEXT_LINE, "x y");
	check("a\x01 \x02" "b", FP_TEXT_LINE, "a b");
	check("   ", FP_TEXT_LINE, "");
	check("\n", FP_TEXT_LINE, "");
	check("© . Anja Diabaté .", FP_TEXT_LINE, NULL);
	check("a b", FP_TEXT_LINE, NULL);
	check(" a", FP_TEXT_LINE, "a");
	check("a ", FP_TEXT_LINE, "a");
	check("a  b", FP_TEXT_LINE, "a b");
	/* zero-width space is not White_Space: kept */
	check("a\xe2\x80\x8b" "b", FP_TEXT_LINE, NULL);
	assert_true(fp_text_is_space(0x3000));
	assert_true(fp_text_is_space(0xA0));
	assert_false(fp_text_is_space(0x200B));
	assert_false(fp_text_is_space('x'));
}

static void test_json(void **state)
{
	json_t *s = json_string("no change"), *r;
	struct fp_error err;

	(void)state;
	fp_error_init(&err);
	r = fp_text_json(s, FP_TEXT_LINE, &err);
	assert_ptr_equal(r, s); /* the same string, not a copy */
	json_decref(r);
	json_decref(s);
	s = json_string("  two\nlines ");
	r = fp_text_json(s, FP_TEXT_LINE, &err);
	assert_ptr_not_equal(r, s);
	assert_string_equal(json_string_value(r), "two lines");
	json_decref(r);
	json_decref(s);
	s = json_integer(1);
	assert_null(fp_text_json(s, FP_TEXT_LINE, &err));
	assert_string_equal(err.reason, "text-not-string");
	json_decref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nfc),      cmocka_unit_test(test_survivors),
		cmocka_unit_test(test_controls), cmocka_unit_test(test_one_line),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
