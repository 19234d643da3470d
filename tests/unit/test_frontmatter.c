/* Unit tests of lib/frontmatter.c: separators, YAML and JSON front matter,
 * line numbers, and line-based recovery of invalid YAML. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "frontmatter.h"
#include "record.h"
#include "banned.h"

struct result {
	json_t *rec;
	size_t body_off;
	struct fp_error err;
	int rc;
};

static void run(struct result *r, const char *text)
{
	r->rec = json_object();
	assert_non_null(r->rec);
	fp_error_init(&r->err);
	r->body_off = 12345;
	r->rc = fp_frontmatter_parse(text, strlen(text), NULL, r->rec, &r->body_off, &r->err);
}

static void done(struct result *r)
{
	json_decref(r->rec);
}

/* Parses `text`, expects success with meta == `meta_json` and the body
 * starting with `body`; returns the warnings array (borrowed). */
static json_t *ok(struct result *r, const char *text, const char *meta_json, const char *body)
{
	json_t *want = json_loads(meta_json, 0, NULL);
	json_t *meta;

	assert_non_null(want);
	run(r, text);
	if (r->rc != 0)
		fail_msg("'%.40s' failed: %s: %s (line %ld)", text, r->err.reason, r->err.text, r->err.line);
	assert_false(fp_error_isset(&r->err));
	meta = json_object_get(r->rec, "meta");
	if (!json_equal(meta, want)) {
		char *s = json_dumps(meta, JSON_COMPACT);
		fail_msg("'%.40s': meta %s, want %s", text, s, meta_json);
	}
	json_decref(want);
	assert_true(r->body_off <= strlen(text));
	assert_string_equal(text + r->body_off, body);
	return json_object_get(r->rec, "warnings");
}

static void bad(struct result *r, const char *text, const char *reason, long line)
{
	run(r, text);
	assert_int_equal(r->rc, -1);
	assert_string_equal(r->err.reason, reason);
	if (line)
		assert_int_equal(r->err.line, line);
	assert_true(r->err.text[0] != '\0');
}

/* The warning with `code`, or NULL. */
static json_t *warning(json_t *warnings, const char *code)
{
	size_t i;
	json_t *w;

	json_array_foreach(warnings, i, w)
		if (!strcmp(fp_json_str(w, "code"), code))
			return w;
	return NULL;
}

static void test_yaml(void **state)
{
	struct result r;
	json_t *w;

	(void)state;
	w = ok(&r, "---\ntitle: Hello\nn: 5\ntags: [a, b]\n---\nbody text\n",
	       "{\"title\":\"Hello\",\"n\":5,\"tags\":[\"a\",\"b\"]}", "body text\n");
	assert_int_equal(json_array_size(w), 0);
	done(&r);
	/* longer separators, trailing blanks after them */
	ok(&r, "-----  \na: 1\n----- \nx", "{\"a\":1}", "x");
	done(&r);
	/* the closing line is the same line as the opening one */
	ok(&r, "----\na: |\n  ---\n  x\n----\nbody", "{\"a\":\"---\\nx\\n\"}", "body");
	done(&r);
	/* closing separator on the last line, no newline: empty body */
	ok(&r, "---\na: 1\n---", "{\"a\":1}", "");
	done(&r);
	/* a body that starts with a separator of its own */
	ok(&r, "---\na: 1\n---\n---\nmore", "{\"a\":1}", "---\nmore");
	done(&r);
}

static void test_json(void **state)
{
	struct result r;

	(void)state;
	ok(&r, ";;;\n{\"title\": \"x\", \"n\": [1, 2]}\n;;;\nbody", "{\"title\":\"x\",\"n\":[1,2]}",
	   "body");
	done(&r);
	/* Hexo's form without braces */
	ok(&r, ";;;\n\"title\": \"x\",\n\"draft\": false\n;;;\nbody", "{\"title\":\"x\",\"draft\":false}",
	   "body");
	done(&r);
	ok(&r, ";;;\n;;;\nbody", "{}", "body");
	done(&r);
	bad(&r, ";;;\n\"title\": \"x\",\n\"n\": \n;;;\nbody", "json-invalid", 0);
	assert_true(r.err.line >= 2 && r.err.line <= 4);
	done(&r);
	bad(&r, ";;;\n{\"a\": 1} trailing\n;;;\n", "json-invalid", 2);
	done(&r);
}

static void test_leading_blank_lines_and_crlf(void **state)
{
	struct result r;

	(void)state;
	ok(&r, "\n  \n\t\n---\ntitle: x\n---\nbody", "{\"title\":\"x\"}", "body");
	done(&r);
	ok(&r, "\r\n---\r\ntitle: x\r\ntags:\r\n  - a\r\n---\r\nbody\r\n",
	   "{\"title\":\"x\",\"tags\":[\"a\"]}", "body\r\n");
	done(&r);
	ok(&r, ";;;\r\n\"a\": 1\r\n;;;\r\nb", "{\"a\":1}", "b");
	done(&r);
}

static void test_no_frontmatter(void **state)
{
	struct result r;
	json_t *w;

	(void)state;
	w = ok(&r, "# Title\n\ntext\n", "{}", "# Title\n\ntext\n");
	assert_int_equal(r.body_off, 0);
	assert_non_null(warning(w, "no-frontmatter"));
	done(&r);
	/* not separators: two dashes, dashes with text, a list item */
	ok(&r, "--\na: 1\n--\n", "{}", "--\na: 1\n--\n");
	done(&r);
	ok(&r, "--- x\na: 1\n---\n", "{}", "--- x\na: 1\n---\n");
	done(&r);
	ok(&r, "", "{}", "");
	done(&r);
	ok(&r, "\n\n", "{}", "\n\n");
	done(&r);
}

static void test_unterminated(void **state)
{
	struct result r;

	(void)state;
	bad(&r, "\n\n---\ntitle: x\nbody\n", "frontmatter-unterminated", 3);
	done(&r);
	bad(&r, "---", "frontmatter-unterminated", 1);
	done(&r);
	bad(&r, ";;;\n\"a\": 1\n", "frontmatter-unterminated", 1);
	done(&r);
	/* a longer closing line does not close a shorter opening one */
	bad(&r, "---\na: 1\n----\n", "frontmatter-unterminated", 1);
	done(&r);
	/* nor do semicolons close dashes */
	bad(&r, "---\na: 1\n;;;\n", "frontmatter-unterminated", 1);
	done(&r);
}

static void test_empty_frontmatter(void **state)
{
	struct result r;
	json_t *w;

	(void)state;
	w = ok(&r, "---\n---\nbody", "{}", "body");
	assert_non_null(warning(w, "frontmatter-empty"));
	done(&r);
	w = ok(&r, "---\n# just a comment\n\n---\nbody", "{}", "body");
	assert_non_null(warning(w, "frontmatter-empty"));
	done(&r);
}

static void test_not_mapping(void **state)
{
	struct result r;

	(void)state;
	bad(&r, "---\n- a\n- b\n---\n", "frontmatter-not-mapping", 2);
	done(&r);
	bad(&r, "\n---\njust text\n---\n", "frontmatter-not-mapping", 3);
	done(&r);
}

static void test_limits_and_unreadable(void **state)
{
	struct result r;
	char deep[300];
	size_t n;

	(void)state;
	n = (size_t)snprintf(deep, sizeof(deep), "---\ntitle: x\na: ");
	memset(deep + n, '[', 100);
	n += 100;
	memcpy(deep + n, "\n---\n", 6);
	bad(&r, deep, "yaml-too-deep", 3);
	done(&r);
	bad(&r, "---\na: &a [1, *a]\n---\n", "yaml-recursive-alias", 2);
	done(&r);
	/* nothing that looks like a key: nothing to recover */
	bad(&r, "---\n[unclosed\n---\nbody", "yaml-invalid", 0);
	assert_true(r.err.line >= 2);
	done(&r);
}

static void test_recover_inner_quotes(void **state)
{
	struct result r;
	json_t *w, *rw;
	const char *msg;

	(void)state;
	w = ok(&r, "---\ntitle: \"He said \"hi\" today\"\nn: 5\ndate: 2020-01-01 10:00:00\n---\nbody",
	       "{\"title\":\"He said \\\"hi\\\" today\",\"n\":5,\"date\":\"2020-01-01 10:00:00\"}", "body");
	rw = warning(w, "yaml-recovered");
	assert_non_null(rw);
	assert_string_equal(fp_json_str(rw, "stage"), "extract");
	msg = fp_json_str(rw, "message");
	/* the warning names the recovered key, and only that one */
	if (!strstr(msg, "'title'") || strstr(msg, "'n'") || strstr(msg, "'date'"))
		fail_msg("warning: %s", msg);
	assert_non_null(strstr(msg, "line 2"));
	done(&r);
}

static void test_recover_unbalanced_quote(void **state)
{
	struct result r;
	json_t *w;

	(void)state;
	w = ok(&r, "---\ntitle: \"unbalanced\nauthor: me\n---\nbody",
	       "{\"title\":\"unbalanced\",\"author\":\"me\"}", "body");
	assert_non_null(warning(w, "yaml-recovered"));
	assert_non_null(strstr(fp_json_str(warning(w, "yaml-recovered"), "message"), "'title'"));
	done(&r);
	/* single quotes, with the doubled quote of YAML undone */
	ok(&r, "---\na: 'it''s 'odd'\nb: 1\n---\n", "{\"a\":\"it's 'odd\",\"b\":1}", "");
	done(&r);
}

static void test_recover_list_item(void **state)
{
	struct result r;
	json_t *w;
	const char *msg;

	(void)state;
	w = ok(&r, "---\ntitle: ok\ntags:\n- one\n- two: x: y\n- \"three\"\ncategories: [a]\n---\n",
	       "{\"title\":\"ok\",\"tags\":[\"one\",\"two: x: y\",\"three\"],\"categories\":[\"a\"]}", "");
	msg = fp_json_str(warning(w, "yaml-recovered"), "message");
	assert_non_null(msg);
	if (!strstr(msg, "'tags'") || strstr(msg, "'title'") || strstr(msg, "'categories'"))
		fail_msg("warning: %s", msg);
	done(&r);
}

static void test_recover_continuation(void **state)
{
	struct result r;

	(void)state;
	/* a value over several lines is folded; a stray line before the
	 * first key is dropped */
	ok(&r, "---\n  stray: [\ntitle: a: b\n  more text\n\n  after blank\nx: 1\n---\n",
	   "{\"title\":\"a: b more text\\nafter blank\",\"x\":1}", "");
	done(&r);
}

/* Blank lines between entries are not part of the recovered value. */
static void test_recover_blank_lines(void **state)
{
	struct result r;

	(void)state;
	ok(&r, "---\ntitle: \"a \"b\" c\"\n\n\nx: 1\n---\n", "{\"title\":\"a \\\"b\\\" c\",\"x\":1}", "");
	done(&r);
	ok(&r, "---\ntitle: a: b\n\nx: 1\n---\n", "{\"title\":\"a: b\",\"x\":1}", "");
	done(&r);
}

/* Recovery parses each entry on its own; the node limit (aliases expanded)
 * still holds for the front matter as a whole, or a broken line anywhere
 * would let N entries of just under the limit each through. */
static void test_recover_node_limit(void **state)
{
	static const char bomb[] =
		"k%d: [&a [1,1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a],"
		" &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b], [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]]\n";
	char text[8192];
	struct result r;
	size_t n = 0;
	int i;

	(void)state;
	n += (size_t)snprintf(text + n, sizeof(text) - n, "---\ntitle: \"a \"broken\" title\"\n");
	for (i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, bomb, i);
	snprintf(text + n, sizeof(text) - n, "---\nbody");
	bad(&r, text, "yaml-too-many-nodes", 0);
	done(&r);
	/* the same entries without the broken line: the limit holds as well */
	n = (size_t)snprintf(text, sizeof(text), "---\n");
	for (i = 0; i < 20; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, bomb, i);
	snprintf(text + n, sizeof(text) - n, "---\nbody");
	bad(&r, text, "yaml-too-many-nodes", 0);
	done(&r);
}

/* --max-frontmatter applies to JSON front matter as to YAML. */
static void test_json_size_limit(void **state)
{
	struct fp_yaml_limits lim;
	struct fp_error err;
	size_t off;
	json_t *rec = json_object();
	static const char text[] = ";;;\n\"title\": \"a title longer than the limit\"\n;;;\nbody";
	static const char yaml[] = "---\ntitle: a title longer than the limit\n---\nbody";

	(void)state;
	fp_yaml_limits_init(&lim);
	lim.max_bytes = 16;
	fp_error_init(&err);
	assert_int_equal(fp_frontmatter_parse(yaml, strlen(yaml), &lim, rec, &off, &err), -1);
	assert_string_equal(err.reason, "yaml-too-large");
	fp_error_init(&err);
	assert_int_equal(fp_frontmatter_parse(text, strlen(text), &lim, rec, &off, &err), -1);
	assert_string_equal(err.reason, "yaml-too-large");
	assert_int_equal(err.line, 1);
	json_decref(rec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_leading_blank_lines_and_crlf),
		cmocka_unit_test(test_no_frontmatter),
		cmocka_unit_test(test_unterminated),
		cmocka_unit_test(test_empty_frontmatter),
		cmocka_unit_test(test_not_mapping),
		cmocka_unit_test(test_limits_and_unreadable),
		cmocka_unit_test(test_recover_inner_quotes),
		cmocka_unit_test(test_recover_unbalanced_quote),
		cmocka_unit_test(test_recover_list_item),
		cmocka_unit_test(test_recover_continuation),
		cmocka_unit_test(test_recover_blank_lines),
		cmocka_unit_test(test_recover_node_limit),
		cmocka_unit_test(test_json_size_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
