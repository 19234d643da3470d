/* Unit tests of lib/lang.c: the script-based guess on the corpus
 * languages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lang.h"
#include "banned.h"

static void check(const char *text, const char *want)
{
	const char *got = fp_lang_guess(text, strlen(text));

	if (strcmp(got, want) != 0)
		fail_msg("'%s': got %s, expected %s", text, got, want);
}

static void test_chinese(void **state)
{
	(void)state;
	/* the seed's title, and corpus titles */
	check("王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境", "zh-Hans");
	check("新旭医药tau蛋白PET示踪剂临床试验获国家药监局受理", "zh-Hans");
	check("上甘岭", "zh-Hans");
	/* names the show both ways (贼/賊): a tie, the body decides */
	check("ONE PIECE｜海贼王｜航海王｜ONE PIECE｜海賊王", "zh");
	check("_podcast_ sp. 科技島讀請回答", "zh-Hant");
	check("Cat’s kiss 貓研社", "zh-Hant");
	check("《Invisible》第2話 (8.0分) 劍心．回憶", "zh-Hant");
	check("這是一個關於學習與發展的問題，我們應該認真對待。", "zh-Hant");
	check("这是一个关于学习与发展的问题，我们应该认真对待。", "zh-Hans");
	/* Han with no telling character either way */
	check("中文", "zh");
	/* Chinese with some English in it */
	check("《Saints Row®_The Third™ Remastered》限时免费领取，这是一款开放世界动作游戏", "zh-Hans");
}

static void test_japanese(void **state)
{
	(void)state;
	check("眠すぎて字が糞 #exp1h", "ja");
	check("イベント “R” WORLD Special Live『I am … RAYCHELL』\n開催場所 KT Zepp Yokohama\n"
	      "開場 2021-04-10 17:30\n開演 2021-04-10 18:30\n終演 2021-04-10 21:21",
	      "ja");
	check("東京都の天気は晴れです", "ja");
	/* a stray kana in a long Chinese text does not make it Japanese */
	check("这是一个关于学习与发展的问题，我们应该认真对待。这是一个关于学习与发展的问题の", "zh-Hans");
}

static void test_others(void **state)
{
	(void)state;
	check("Apple iPhone 12 Sales Will Stay Strong, Analyst Says", "en");
	check("Kamikōchi, Nagano Prefecture, Japan (© sadao_Shutterstock)", "en");
	check("한국어 뉴스 제목입니다", "ko");
	/* Persian: پ چ ژ گ ک ی */
	check("گزارش ویژه: چرا پژوهشگران نگران هستند", "fa");
	check("کتاب تازه", "fa");
	check("مرحبا بالعالم، هذا خبر عاجل", "ar");
	check("پاکستان کے لیے بڑی خبر", "ur");
	check("Привет, мир", "und-Cyrl");
	check("Καλημέρα κόσμε", "el");
	check("שלום עולם", "he");
	check("สวัสดีชาวโลก", "th");
	check("", "und");
	check("05-18 📉 -0.1839%", "und");
	check("12345 !!! ⚽️🏆", "und");
}

static void test_counts(void **state)
{
	struct fp_lang_counts c;
	const char *t = "们們国國";

	(void)state;
	fp_lang_counts_init(&c);
	fp_lang_count(&c, t, strlen(t), FP_LANG_SCAN_MAX);
	assert_int_equal(c.han, 4);
	assert_int_equal(c.simplified, 2);
	assert_int_equal(c.traditional, 2);
	assert_string_equal(fp_lang_decide(&c), "zh");
	/* the scan stops at max_cp */
	fp_lang_counts_init(&c);
	fp_lang_count(&c, t, strlen(t), 1);
	assert_int_equal(c.scanned, 1);
	assert_string_equal(fp_lang_decide(&c), "zh-Hans");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chinese),
		cmocka_unit_test(test_japanese),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
