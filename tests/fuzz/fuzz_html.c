/*
 * libFuzzer target for feedpipe-clean's HTML module: any bytes as a body,
 * cleaned with the built-in rules. Checks that nothing crashes, that the
 * output has the documented shape, and that html holds no markup outside
 * the allowlist.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "html.h"
#include "rules.h"
#include "utf8.h"

/* True when a tag in `html` has an attribute other than href, src, alt, or
 * markup is malformed. Text never holds a raw '<': it is escaped. */
static int bad_markup(const char *html)
{
	const char *p = html;

	while ((p = strchr(p, '<'))) {
		const char *end = strchr(p, '>'), *a;

		if (!end)
			return 1;
		for (a = p; (a = memchr(a, ' ', (size_t)(end - a))); a++) {
			const char *q;

			if (strncmp(a, " href=\"", 7) && strncmp(a, " src=\"", 6) && strncmp(a, " alt=\"", 6))
				return 1;
			q = strchr(a, '"') + 1;
			if (a[1] != 'a') { /* a URL: a safe scheme or none */
				size_t seg = strcspn(q, "/?#\"");

				if (memchr(q, ':', seg) && strncmp(q, "http:", 5) && strncmp(q, "https:", 6) &&
				    strncasecmp(q, "mailto:", 7) && strncasecmp(q, "http", 4))
					return 1;
			}
			q = strchr(q, '"'); /* values hold no raw '"' */
			if (!q || q > end)
				return 1;
			a = q;
		}
		p = end + 1;
	}
	return 0;
}

static struct fp_rules *rules;
static struct fp_html *cleaner;

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fp_error err;
	json_t *meta, *res;
	const char *html;
	char *body;
	size_t len;

	if (!cleaner) {
		struct fp_html_options opt;

		rules = fp_rules_new();
		FUZZ_CHECK(rules && fp_rules_load_defaults(rules, NULL) == 0);
		fp_html_options_init(&opt);
		opt.max_depth = 64;
		cleaner = fp_html_new(&opt, rules);
		FUZZ_CHECK(cleaner);
	}
	/* Extract hands clean valid UTF-8 without NUL: make the input so. */
	if (fp_utf8_repair((const char *)data, size, &body, &len, NULL, NULL) < 0)
		return 0;
	if (!body) {
		body = malloc(size + 1);
		if (!body)
			return 0;
		memcpy(body, data, size);
		body[size] = '\0';
		len = size;
		if (memchr(body, '\0', len) || fp_utf8_valid_prefix(body, len) != len) {
			free(body);
			return 0;
		}
	}
	meta = json_pack("{s:[s,s]}", "categories", "新浪财经", "LeetCode");
	fp_error_init(&err);
	res = fp_html_clean(cleaner, body, len, meta, NULL, &err);
	if (res) {
		html = json_string_value(json_object_get(res, "html"));
		FUZZ_CHECK(html && json_is_string(json_object_get(res, "text")));
		FUZZ_CHECK(!strstr(html, "<script") && !strstr(html, "<style") && !strstr(html, "<iframe"));
		FUZZ_CHECK(!bad_markup(html));
	} else {
		FUZZ_CHECK(!strcmp(err.reason, "html-too-deep") || !strcmp(err.reason, "html-too-large") ||
			   !strcmp(err.reason, "html-too-complex") || !strcmp(err.reason, "html-unparseable"));
	}
	json_decref(res);
	json_decref(meta);
	free(body);
	return 0;
}
