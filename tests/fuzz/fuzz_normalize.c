/*
 * libFuzzer target for feedpipe-normalize's parsers: any bytes as a date, a
 * URL and a title (their valid UTF-8 prefix, as JSON strings always are), and,
 * when they parse as a JSON object, as a record for fp_article_new(). Checks
 * that nothing crashes, that text normalization is idempotent and yields
 * valid UTF-8, and that every article built passes fp_article_validate()
 * (but for `source` and `warnings`, which are upstream's).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib tests/fuzz/fuzz_normalize.c \
 *         <the library's objects> $(pkg-config --libs jansson libxml-2.0 libutf8proc ...)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "date.h"
#include "text.h"
#include "url.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t len, unsigned flags)
{
	char *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0;

	if (fp_text_normalize(s, len, flags, &out, &outlen, NULL) == 1) {
		if (fp_utf8_valid_prefix(out, outlen) != outlen)
			abort();
		if (fp_text_normalize(out, outlen, flags, &again, &againlen, NULL) != 0)
			abort(); /* not idempotent */
		free(out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	size_t len = fp_utf8_valid_prefix(s, size);
	struct fp_article_options opt;
	char buf[FP_DATE_ISO_LEN + 1], *u = NULL, *key;
	int64_t t;
	json_t *rec, *art;
	struct fp_error err;

	if (memchr(s, '\0', len))
		len = (size_t)((const char *)memchr(s, '\0', len) - s);
	if (fp_date_parse(s, len, NULL, &t, NULL) == 0)
		fp_date_format(t, buf);
	if (fp_url_normalize(s, len, &u, NULL) == 1 && fp_utf8_valid_prefix(u, strlen(u)) != strlen(u))
		abort();
	free(u);
	check_text(s, len, FP_TEXT_BODY);
	check_text(s, len, FP_TEXT_LINE);
	key = fp_article_title_key(s, len, NULL, NULL);
	free(key);

	rec = json_loadb(s, size, 0, NULL);
	if (json_is_object(rec)) {
		fp_article_options_init(&opt);
		opt.now = 1764000000;
		fp_error_init(&err);
		art = fp_article_new(rec, &opt, NULL, &err);
		/* source and warnings are passed on as upstream wrote them; every
		 * other member the builder makes and must make valid */
		if (art && fp_article_validate(art, &err) < 0 &&
		    strncmp(err.text, "field 'source'", 14) != 0 &&
		    strncmp(err.text, "field 'warnings'", 16) != 0)
			abort();
		json_decref(art);
	}
	json_decref(rec);
	return 0;
}
