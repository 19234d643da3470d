#ifndef FP_LANG_H
#define FP_LANG_H

#include <stddef.h>

/*
 * A script-based language guess, good enough to route and filter articles,
 * not a language identifier: it counts letters by script and names the
 * language the winning script most likely writes in these archives.
 *
 * Latin letters turn up in text of every language (names, brands, code), so
 * the strongest other script wins as soon as its score is a quarter of the
 * Latin one; Latin wins otherwise.
 *
 *   Han and kana (each letter counts twice: one CJK character carries
 *   about as much as a short word)   ja when kana are at least a tenth of
 *                                    them, else Chinese: zh-Hans when more
 *                                    characters are simplified-only than
 *                                    traditional-only (two tables of 644
 *                                    frequent characters each, such as
 *                                    们/們 and 国/國), zh-Hant when fewer,
 *                                    zh on a tie
 *   Hangul (counts twice)            ko
 *   Arabic script                    ur with Urdu-only letters (ٹ ڈ ڑ ں ے),
 *                                    fa with Persian letters (پ چ ژ گ ک ی),
 *                                    else ar
 *   Latin                            en (the script cannot tell English
 *                                    from French)
 *   Greek el, Hebrew he, Thai th, Cyrillic und-Cyrl, Devanagari und-Deva
 *   no letters                       und
 */

struct fp_lang_counts {
	long han, simplified, traditional, kana, hangul;
	long arabic, persian, urdu;
	long latin, cyrillic, greek, hebrew, thai, devanagari;
	size_t scanned; /* code points looked at */
};

/* Up to this many code points of a text are looked at. */
#define FP_LANG_SCAN_MAX 1024

void fp_lang_counts_init(struct fp_lang_counts *c);

/* Adds the letters of the first `max_cp` code points of `s` (`len` bytes,
 * valid UTF-8) to `c`. */
void fp_lang_count(struct fp_lang_counts *c, const char *s, size_t len, size_t max_cp);

/* The guess for the counts: a static BCP 47 tag (see above). */
const char *fp_lang_decide(const struct fp_lang_counts *c);

/* One text: count the first FP_LANG_SCAN_MAX code points and decide. */
const char *fp_lang_guess(const char *s, size_t len);

#endif
