/* Unit tests of lib/html.c: unescaping, the sanitizer against known XSS
 * vectors, block-aware text, limits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "html.h"
#include "rules.h"
#include "banned.h"


static struct fp_html *cleaner(void)
{
	struct fp_html *h = fp_html_new(NULL, NULL);

	assert_non_null(h);
	return h;
}

/* Cleans `body`; returns the result (new reference). */
static json_t *clean(struct fp_html *h, const char *body)
{
	struct fp_error err;
	json_t *res;

	fp_error_init(&err);
	res = fp_html_clean(h, body, strlen(body), NULL, NULL, &err);
	if (!res)
		fail_msg("clean failed: %s: %s", err.reason, err.text);
	return res;
}

static const char *str(const json_t *res, const char *key)
{
	const char *s = json_string_value(json_object_get(res, key));

	assert_non_null(s);
	return s;
}

static void test_unescape(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "a&lt;b&gt;c&amp;d", "a<b>c&d" },
		{ "&#123;&#125;&#x7b;&#X7D;", "{}{}" },
		{ "&nbsp;&hellip;&eacute;", "\xc2\xa0\xe2\x80\xa6\xc3\xa9" },
		{ "&bogus; &amp &; &#; &#x;", "&bogus; &amp &; &#; &#x;" },
		{ "&#0;&#xD800;&#x110000;", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "&#128;", "\xe2\x82\xac" },
		{ "&#123abc", "{abc" },
		{ "jav&#x09;ascript:", "jav\tascript:" },
		{ "", "" },
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out = fp_html_unescape(cases[i].in, strlen(cases[i].in), &n);

		assert_non_null(out);
		assert_string_equal(out, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
		free(out);
	}
}

/* True when `url` (HTML-escaped in html, or raw) has a scheme other than
 * http, https, mailto. */
static int bad_scheme(const char *url, size_t len)
{
	size_t n;

	for (n = 0; n < len; n++) {
		char c = url[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (n && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
			break;
	}
	if (n == len || url[n] != ':')
		return 0;
	return !((n == 4 && !strncasecmp(url, "http", 4)) || (n == 5 && !strncasecmp(url, "https", 5)) ||
		 (n == 6 && !strncasecmp(url, "mailto", 6)));
}

/*
 * Checks that `html` uses only allowlisted tags, only href/src/alt with
 * double-quoted values, and only safe URL schemes. Returns NULL or what is
 * wrong.
 */
static const char *unsafe(const char *html)
{
	static const char *const tags[] = {
		"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "table", "thead",
		"tbody", "tfoot", "tr", "th", "td", "blockquote", "pre", "code", "a", "img",
		"figure", "figcaption", "strong", "em", "b", "i", "br", "hr", "sup", "sub", NULL,
	};
	const char *p = html;

	while ((p = strchr(p, '<'))) {
		char name[16];
		size_t n = 0, i;

		p++;
		if (*p == '/')
			p++;
		while (*p >= 'a' && *p <= 'z' && n < sizeof(name) - 1)
			name[n++] = *p++;
		while (*p >= '1' && *p <= '6' && n < sizeof(name) - 1)
			name[n++] = *p++;
		name[n] = '\0';
		for (i = 0; tags[i] && strcmp(tags[i], name); i++)
			;
		if (!tags[i])
			return "tag not in the allowlist";
		while (*p == ' ') {
			const char *attr = ++p, *val, *end;

			while (*p >= 'a' && *p <= 'z')
				p++;
			if (!((p - attr == 4 && !strncmp(attr, "href", 4)) ||
			      (p - attr == 3 && !strncmp(attr, "src", 3)) ||
			      (p - attr == 3 && !strncmp(attr, "alt", 3))))
				return "attribute not in the allowlist";
			if (p[0] != '=' || p[1] != '"')
				return "attribute value not double-quoted";
			val = p + 2;
			end = strchr(val, '"');
			if (!end)
				return "unterminated attribute";
			if (memchr(val, '<', (size_t)(end - val)) || memchr(val, '>', (size_t)(end - val)))
				return "raw < or > in an attribute";
			if (strncmp(attr, "alt", 3) && bad_scheme(val, (size_t)(end - val)))
				return "unsafe URL scheme";
			p = end + 1;
		}
		if (*p != '>')
			return "malformed tag";
	}
	if (strstr(html, "javascript:") || strstr(html, "data:"))
		return "javascript: or data: in the output";
	return NULL;
}

static void test_xss_vectors(void **state)
{
	static const char *const vectors[] = {
		"<script>alert(1)</script>",
		"<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
		"<img src=x onerror=alert(1)>",
		"<img src=\"https://ok.example/a.png\" onload=\"alert(1)\">",
		"<IMG SRC=\"javascript:alert(1)\">",
		"<body onload=alert(1)><p>x</p>",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<a href=\"JaVaScRiPt:alert(1)\">x</a>",
		"<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
		"<a href=\"jav&#9;ascript:alert(1)\">x</a>",
		"<a href=\"jav\nascript:alert(1)\">x</a>",
		"<a href=\"  javascript:alert(1)\">x</a>",
		"<a href=\"\x01javascript:alert(1)\">x</a>",
		"<a href=\"&#14;javascript:alert(1)\">x</a>",
		"<a href=\"&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)\">x</a>",
		"<a href=\"&#x6A;avascript:alert(1)\">x</a>",
		"<a href=\"javascript&#58;alert(1)\">x</a>",
		"<a href=\"javascript&#x3A;alert(1)\">x</a>",
		"<a href=\"javascript&colon;alert(1)\">x</a>",
		"<a href=\"vbscript:msgbox(1)\">x</a>",
		"<a href=\"jav&Tab;ascript:alert(1)\">x</a>",
		"<a href=\"javascript&NewLine;:alert(1)\">x</a>",
		"<a href=\"java&#x0A;script:alert(1)\">x</a>",
		"<a href=\"java&#x0D;script:alert(1)\">x</a>",
		"<a href=\"&#x20;javascript:alert(1)\">x</a>",
		"<a href=\"d&#x61;ta:text/html,x\">x</a>",
		"<img src=\"&#100;ata:image/png;base64,iVBORw0KGgo=\">",
		"<a href=\"\\\\javascript:alert(1)\">x</a>",
		"<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
		"<a href=\"DATA:text/html,<script>alert(1)</script>\">x</a>",
		"<img src=\"data:image/svg+xml,<svg onload=alert(1)>\">",
		"<img src=\"data:image/png;base64,iVBORw0KGgo=\">",
		"<svg><script>alert(1)</script></svg>",
		"<svg onload=alert(1)><circle r=1 /></svg>",
		"<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
		"<style>body{background:url(javascript:alert(1))}</style><p>x</p>",
		"<p style=\"background:url(javascript:alert(1))\">x</p>",
		"<p style=\"x:expression(alert(1))\">x</p>",
		"<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
		"<iframe src=\"javascript:alert(1)\"></iframe>",
		"<iframe src=\"data:text/html,<script>alert(1)</script>\"></iframe>",
		"<object data=\"javascript:alert(1)\"></object>",
		"<object data=\"https://evil.example/x.swf\"><param name=x value=y></object>",
		"<embed src=\"javascript:alert(1)\">",
		"<base href=\"javascript:alert(1)//\"><a href=\"x\">x</a>",
		"<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
		"<link rel=\"stylesheet\" href=\"javascript:alert(1)\">",
		"<form action=\"javascript:alert(1)\"><input type=submit><button formaction=javascript:alert(1)>x</button></form>",
		"<div onclick=\"alert(1)\">x</div>",
		"<details open ontoggle=alert(1)>x</details>",
		"<marquee onstart=alert(1)>x</marquee>",
		"<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
		"<!--<img src=x onerror=alert(1)>-->",
		"<!-- --!><img src=x onerror=alert(1)> -->",
		"<![CDATA[<script>alert(1)</script>]]>",
		"<xmp><script>alert(1)</script></xmp>",
		"<textarea><script>alert(1)</script></textarea>",
		"<template><script>alert(1)</script></template>",
		"<title><script>alert(1)</script></title>",
		"<video><source onerror=alert(1) src=x></video>",
		"<audio src=x onerror=alert(1)>",
		"<table background=\"javascript:alert(1)\"><tr><td>x</td></tr></table>",
		"<img src=\"x\" alt=\"&quot; onerror=&quot;alert(1)\">",
		"<img src=\"x\" alt='\" onerror=\"alert(1)'>",
		"<a href=\"https://ok.example/\" title=\"x\" onmouseover=\"alert(1)\">x</a>",
		"<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>",
		"<scr<script>ipt>alert(1)</script>",
		"<a href=\"java&#0000009script:alert(1)\">x</a>",
		"<img src=`javascript:alert(1)`>",
		"<isindex action=javascript:alert(1) type=image>",
		"<frameset><frame src=\"javascript:alert(1)\"></frameset>",
		"<applet code=\"x\"></applet>",
		"<div style=\"display:none\"><a href=\"https://ok.example/\">hidden</a></div>",
		"<plaintext><script>alert(1)</script>",
	};
	struct fp_html *h = cleaner();
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		json_t *res = clean(h, vectors[i]), *item;
		const char *html = str(res, "html"), *why = unsafe(html);
		const char *lists[] = { "images", "links", "embeds" };

		if (why)
			fail_msg("vector %zu %s: %s in %s", i, vectors[i], why, html);
		if (strstr(html, "alert(1)") && strstr(vectors[i], "&lt;script") == NULL &&
		    strstr(vectors[i], "alt=") == NULL &&
		    strstr(vectors[i], "<scr<script>") == NULL)
			fail_msg("vector %zu %s: script text survived in %s", i, vectors[i], html);
		for (k = 0; k < 3; k++) {
			size_t j;

			json_array_foreach(json_object_get(res, lists[k]), j, item) {
				const char *u = json_string_value(json_object_get(item, k == 1 ? "href" : "src"));

				if (!u || bad_scheme(u, strlen(u)) || strstr(u, "javascript:"))
					fail_msg("vector %zu: unsafe URL in %s: %s", i, lists[k], u ? u : "(null)");
			}
		}
		json_decref(res);
	}
	fp_html_free(h);
}

static void expect_text(struct fp_html *h, const char *body, const char *text)
{
	json_t *res = clean(h, body);

	if (strcmp(str(res, "text"), text) != 0)
		fail_msg("body %s\nexpected text [%s]\n     got text [%s]", body, text, str(res, "text"));
	json_decref(res);
}

static void expect_html(struct fp_html *h, const char *body, const char *html)
{
	json_t *res = clean(h, body);

	if (strcmp(str(res, "html"), html) != 0)
		fail_msg("body %s\nexpected html [%s]\n     got html [%s]", body, html, str(res, "html"));
	json_decref(res);
}

static void test_text(void **state)
{
	struct fp_html *h = cleaner();

	(void)state;
	expect_text(h, "<p>a\n  b</p><p>c</p>", "a b\n\nc");
	expect_text(h, "<p>one<br>two<br><br>three</p>", "one\ntwo\n\nthree");
	expect_text(h, "<ul><li>x</li><li>y<ul><li>z</li></ul></li></ul>", "x\ny\nz");
	expect_text(h, "<table><tr><td>a</td><td>b</td></tr><tr><th>c</th><td>d</td></tr></table>",
		    "a\tb\nc\td");
	expect_text(h, "<pre>  if (a &lt;= b)\n    x();\n</pre><p>after</p>", "  if (a <= b)\n    x();\n\nafter");
	expect_text(h, "<p>\xe3\x80\x80\xe3\x80\x80indent\xe3\x80\x80in\xe3\x80\x80\xc2\xa0</p>",
		    "indent\xe3\x80\x80in");
	expect_text(h, "<p>&#123;&#125; &amp; &lt;</p>", "{} & <");
	expect_text(h, "<p><b>bold</b> <i>it</i></p>", "bold it");
	expect_text(h, "<div>a<div>b</div>c</div>", "a\n\nb\n\nc");
	expect_text(h, "", "");
	expect_text(h, "   \n  ", "");
	expect_text(h, "<div>   \nline one\nline two\n\nsecond para\n</div>", "line one\nline two\n\nsecond para");
	expect_text(h, "plain a < b and c > d", "plain a < b and c > d");
	expect_text(h, "<p>Hello<p>World", "Hello\n\nWorld");
	expect_text(h, "path <topic>/<title>.md\nnext", "path <topic>/<title>.md\nnext");
	expect_text(h, "<svg><svg>", "");
	fp_html_free(h);
}

static void test_html_output(void **state)
{
	struct fp_html *h = cleaner();

	(void)state;
	expect_html(h, "<div><span>loose</span> text<p>para</p></div>", "<p>loose text</p><p>para</p>");
	expect_html(h, "<p></p><p><br></p><p> <strong> </strong></p><p>x</p>", "<p>x</p>");
	expect_html(h, "<img data-src=\"//cdn.example/a.jpg\" src=\"data:image/gif;base64,R0lGOD\">",
		    "<p><img src=\"https://cdn.example/a.jpg\"></p>");
	expect_html(h, "<img src=\"https://t.example/p.gif\" width=\"1\" height=\"1\"><p>x</p>", "<p>x</p>");
	expect_html(h, "<a href=\"/rel?a=1&amp;b=2\">r</a>", "<p><a href=\"/rel?a=1&amp;b=2\">r</a></p>");
	expect_html(h, "<p>a <a>b</a></p>", "<p>a b</p>");
	expect_html(h, "<div>## Title<br>body text<br></div>", "<h2>Title</h2><p>body text</p>");
	expect_html(h, "<h2 id=\"x\">## Solution</h2><p>#hashtag and # not a heading</p>",
		    "<h2>Solution</h2><p>#hashtag and # not a heading</p>");
	fp_html_free(h);
}

static void test_limits(void **state)
{
	struct fp_html_options opt;
	struct fp_html *h;
	struct fp_error err;
	char *deep;
	size_t i, n = 100000;
	json_t *res;

	(void)state;
	fp_html_options_init(&opt);
	opt.max_bytes = 1000;
	h = fp_html_new(&opt, NULL);
	deep = malloc(n * 5 + 1);
	assert_non_null(deep);
	for (i = 0; i < n; i++)
		memcpy(deep + i * 5, "<div>", 5);
	deep[n * 5] = '\0';

	fp_error_init(&err);
	assert_null(fp_html_clean(h, deep, strlen(deep), NULL, NULL, &err));
	assert_string_equal(err.reason, "html-too-large");
	fp_html_free(h);

	fp_html_options_init(&opt);
	h = fp_html_new(&opt, NULL);
	fp_error_init(&err);
	res = fp_html_clean(h, deep, strlen(deep), NULL, NULL, &err);
	/* libxml2 may cap the nesting itself; either way, no crash, and a
	 * result never holds more than max_depth levels. */
	if (!res)
		assert_string_equal(err.reason, "html-too-deep");
	json_decref(res);
	fp_html_free(h);

	/* libxml2 is quadratic in a tag's attributes: more than 128 is refused */
	{
		char tag[2048] = "<p";
		size_t k, o = 2;

		for (k = 0; k < 129; k++)
			o += (size_t)snprintf(tag + o, sizeof(tag) - o, " a%zu", k);
		snprintf(tag + o, sizeof(tag) - o, ">x</p>");
		h = fp_html_new(&opt, NULL);
		fp_error_init(&err);
		assert_null(fp_html_clean(h, tag, strlen(tag), NULL, NULL, &err));
		assert_string_equal(err.reason, "html-too-complex");
		/* 128 attributes, the last with a quoted value holding spaces */
		snprintf(tag + o - 10, sizeof(tag) - (o - 10), " b=\"1 2 3\">x</p>");
		fp_error_init(&err);
		res = fp_html_clean(h, tag, strlen(tag), NULL, NULL, &err);
		assert_non_null(res);
		json_decref(res);
		fp_html_free(h);
	}

	opt.max_depth = 4; /* html, body, div, div */
	h = fp_html_new(&opt, NULL);
	fp_error_init(&err);
	assert_null(fp_html_clean(h, "<div><div><div><p>x</p></div></div></div>", 41, NULL, NULL, &err));
	assert_string_equal(err.reason, "html-too-deep");
	fp_error_init(&err);
	res = fp_html_clean(h, "<div><p>x</p></div>", 19, NULL, NULL, &err);
	assert_non_null(res);
	json_decref(res);
	fp_html_free(h);
	free(deep);
}

static void test_rules_in_walk(void **state)
{
	static const char yaml[] =
		"rules:\n"
		"  - name: editor\n"
		"    sites: [news]\n"
		"    select: p.editor\n"
		"    text: '^Editor: (.+)$'\n"
		"    capture: editor\n"
		"  - name: promo\n"
		"    text: '^Download our app$'\n";
	struct fp_rules *rules = fp_rules_new();
	struct fp_html *h;
	struct fp_error err;
	json_t *meta = json_pack("{s:[s]}", "categories", "news"), *res;
	const char *body = "<p>Story.</p><div>Download our app</div><p class=\"editor\">Editor:  Ann  Lee </p>";

	(void)state;
	fp_error_init(&err);
	assert_int_equal(fp_rules_load(rules, yaml, sizeof(yaml) - 1, "test", &err), 0);
	h = fp_html_new(NULL, rules);
	res = fp_html_clean(h, body, strlen(body), meta, NULL, &err);
	assert_non_null(res);
	assert_string_equal(str(res, "text"), "Story.");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "found"), "editor")), "Ann Lee");
	json_decref(res);
	/* another site: the editor rule does not apply */
	res = fp_html_clean(h, body, strlen(body), NULL, NULL, &err);
	assert_string_equal(str(res, "text"), "Story.\n\nEditor: Ann Lee");
	assert_int_equal(json_object_size(json_object_get(res, "found")), 0);
	json_decref(res);
	/* a line between <br>s, not a block of its own */
	body = "<div>Intro line<br>\n  Download our app  <br>Outro line</div>";
	res = fp_html_clean(h, body, strlen(body), NULL, NULL, &err);
	assert_string_equal(str(res, "text"), "Intro line\nOutro line");
	json_decref(res);
	json_decref(meta);
	fp_html_free(h);
	fp_rules_free(rules);
	/* the built-in original-title rule on a line: the capture is the line's */
	rules = fp_rules_new();
	assert_int_equal(fp_rules_load_defaults(rules, &err), 0);
	h = fp_html_new(NULL, rules);
	body = "<div>Intro<br>原标题：某某标题<br>正文</div>";
	res = fp_html_clean(h, body, strlen(body), NULL, NULL, &err);
	assert_string_equal(str(res, "text"), "Intro\n正文");
	assert_string_equal(json_string_value(json_object_get(json_object_get(res, "found"), "original_title")),
			    "某某标题");
	json_decref(res);
	fp_html_free(h);
	fp_rules_free(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_xss_vectors),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_html_output),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rules_in_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
