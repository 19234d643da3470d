/* Unit tests of lib/yamljson.c: typing of scalars (YAML 1.2 core schema),
 * anchors and aliases, limits and error positions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "yamljson.h"
#include "banned.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_t *parse(const char *yaml, struct fp_error *err)
{
	fp_error_init(err);
	return fp_yaml_parse(yaml, strlen(yaml), NULL, err);
}

/* `yaml` parses to the JSON text `want` (types compared exactly: 1 is not 1.0). */
static void yeq(const char *yaml, const char *want)
{
	struct fp_error err;
	json_error_t jerr;
	json_t *got = parse(yaml, &err);
	json_t *exp = json_loads(want, JSON_DECODE_ANY, &jerr);

	if (!exp)
		fail_msg("bad expectation '%s': %s", want, jerr.text);
	if (!got)
		fail_msg("'%s' rejected: %s: %s (line %ld)", yaml, err.reason, err.text, err.line);
	if (!json_equal(got, exp)) {
		char *s = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
		fail_msg("'%s' gave %s, want %s", yaml, s, want);
	}
	assert_false(fp_error_isset(&err));
	json_decref(got);
	json_decref(exp);
}

/* `yaml` fails with `reason`; returns the error for more checks. */
static struct fp_error yerr_lim(const char *yaml, size_t len, const struct fp_yaml_limits *lim,
				const char *reason)
{
	struct fp_error err;
	json_t *got;

	fp_error_init(&err);
	got = fp_yaml_parse(yaml, len, lim, &err);
	if (got) {
		char *s = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
		fail_msg("'%.60s' accepted as %.200s, want %s", yaml, s, reason);
	}
	assert_string_equal(err.reason, reason);
	assert_true(err.text[0] != '\0');
	return err;
}

static struct fp_error yerr(const char *yaml, const char *reason)
{
	return yerr_lim(yaml, strlen(yaml), NULL, reason);
}

static void test_null_and_bool(void **state)
{
	(void)state;
	yeq("a: null\nb: ~\nc:\nd: Null\ne: NULL\nf: nulL\ng: ''",
	    "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"e\":null,\"f\":\"nulL\",\"g\":\"\"}");
	yeq("[true, True, TRUE, false, False, FALSE, tRUE]",
	    "[true,true,true,false,false,false,\"tRUE\"]");
	/* YAML 1.1 booleans are strings in the core schema */
	yeq("[yes, no, on, off, y, n]", "[\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\"]");
}

static void test_integers(void **state)
{
	(void)state;
	yeq("[0, -5, +7, 42, 0x1F, 0xff, 0o17, -0x10, 9223372036854775807]",
	    "[0,-5,7,42,31,255,15,-16,9223372036854775807]");
	/* leading zeros, separators, bad digits, overflow: strings */
	yeq("[007, 00, 1_000, 0x, 0xG, 0o8, 0b101, 9223372036854775808, 12abc]",
	    "[\"007\",\"00\",\"1_000\",\"0x\",\"0xG\",\"0o8\",\"0b101\","
	    "\"9223372036854775808\",\"12abc\"]");
	yeq("id: 007", "{\"id\":\"007\"}");
}

static void test_floats(void **state)
{
	(void)state;
	yeq("[1.5, -0.25, 1e3, 2.5E-1, .5, 1., +3.0, 0.0]", "[1.5,-0.25,1000.0,0.25,0.5,1.0,3.0,0.0]");
	/* no JSON number for these: kept as text */
	yeq("[.inf, -.inf, +.inf, .Inf, .nan, .NaN, 1e999]",
	    "[\".inf\",\"-.inf\",\"+.inf\",\".Inf\",\".nan\",\".NaN\",\"1e999\"]");
	yeq("[1.2.3, 1e, e5, ., 01.5, 1,5]", "[\"1.2.3\",\"1e\",\"e5\",\".\",\"01.5\",1,5]");
}

static void test_strings_and_timestamps(void **state)
{
	(void)state;
	yeq("date: 2021-12-20 13:08:08\nt: 13:08", "{\"date\":\"2021-12-20 13:08:08\",\"t\":\"13:08\"}");
	yeq("title: 【标题】 中文 😀", "{\"title\":\"【标题】 中文 😀\"}");
	yeq("u: https://example.com/a?b=c#d", "{\"u\":\"https://example.com/a?b=c#d\"}");
}

static void test_quoted_scalars(void **state)
{
	(void)state;
	yeq("[\"true\", '123', \"null\", '~', \"\", '', \"0x10\", '1.5']",
	    "[\"true\",\"123\",\"null\",\"~\",\"\",\"\",\"0x10\",\"1.5\"]");
	yeq("a: 'it''s'\nb: \"say \\\"hi\\\"\\t\\u00e9\"", "{\"a\":\"it's\",\"b\":\"say \\\"hi\\\"\\t\\u00e9\"}");
	/* a NUL escape never reaches the output */
	yeq("a: \"x\\0y\"", "{\"a\":\"xy\"}");
}

static void test_folded_multiline(void **state)
{
	(void)state;
	/* quoted scalars over several lines fold as YAML says */
	yeq("title: \"first\n  second\n\n  third\"\nnext: 1", "{\"title\":\"first second\\nthird\",\"next\":1}");
	yeq("title: 'one\n  two'", "{\"title\":\"one two\"}");
	yeq("plain: one\n  two\n  three", "{\"plain\":\"one two three\"}");
	/* block scalars are strings, even when they look like numbers */
	yeq("a: |\n  12\n  x\nb: >\n  folded\n  text\n", "{\"a\":\"12\\nx\\n\",\"b\":\"folded text\\n\"}");
	yeq("a: |-\n  42", "{\"a\":\"42\"}");
}

static void test_tags(void **state)
{
	(void)state;
	yeq("[!!str 123, !!str true, !!str ~, !!int \"42\", !!int 0x10, !!float \"1.5\", !!float 2]",
	    "[\"123\",\"true\",\"~\",42,16,1.5,2.0]");
	yeq("[!!bool \"true\", !!bool 'FALSE', !!null \"\", !!null x]", "[true,false,null,null]");
	/* a tag that cannot apply keeps the text; unknown tags are ignored */
	yeq("[!!int abc, !!float x, !!bool yes, !custom 12, !custom text]",
	    "[\"abc\",\"x\",\"yes\",\"12\",\"text\"]");
}

static void test_keys(void **state)
{
	(void)state;
	/* keys are strings, as written */
	yeq("1: a\ntrue: b\n~: c\n0x10: d\n\"q\": e", "{\"1\":\"a\",\"true\":\"b\",\"~\":\"c\",\"0x10\":\"d\",\"q\":\"e\"}");
	/* a later duplicate replaces the earlier one */
	yeq("a: 1\nb: 2\na: 3", "{\"a\":3,\"b\":2}");
	yeq("a: {x: 1}\na: [2]", "{\"a\":[2]}");
}

static void test_documents(void **state)
{
	(void)state;
	yeq("", "null");
	yeq("# only a comment\n", "null");
	yeq("---\n", "null");
	yeq("---\n...\n", "null");
	yeq("hello", "\"hello\"");
	yeq("- a\n- b", "[\"a\",\"b\"]");
	/* only the first document */
	yeq("a: 1\n---\nb: 2", "{\"a\":1}");
}

static void test_anchors_shared(void **state)
{
	struct fp_error err;
	json_t *v;

	(void)state;
	yeq("a: &x [1, 2]\nb: *x\nc: &s hi\nd: *s", "{\"a\":[1,2],\"b\":[1,2],\"c\":\"hi\",\"d\":\"hi\"}");
	v = parse("a: &x {k: [1]}\nb: *x", &err);
	assert_non_null(v);
	/* the alias shares the anchored value */
	assert_ptr_equal(json_object_get(v, "a"), json_object_get(v, "b"));
	json_decref(v);
	/* the latest definition of an anchor wins */
	yeq("a: &x 1\nb: &x 2\nc: *x", "{\"a\":1,\"b\":2,\"c\":2}");
	/* an alias as a key */
	yeq("a: &k name\n*k : v", "{\"a\":\"name\",\"name\":\"v\"}");
}

/* An anchor on an empty collection: its alias is a (shared) empty
 * collection, not a recursive alias. */
static void test_anchor_empty_collection(void **state)
{
	(void)state;
	yeq("a: &e []\nb: *e", "{\"a\":[],\"b\":[]}");
	yeq("a: &e {}\nb: *e", "{\"a\":{},\"b\":{}}");
}

/* The anchored node must outlive a key that replaces it, or an anchored
 * key: the alias still refers to it. */
static void test_anchor_outlives_replaced_value(void **state)
{
	(void)state;
	yeq("a: &x [1]\na: 2\nb: *x", "{\"a\":2,\"b\":[1]}");
	yeq("a: &s text\na: 2\nb: *s", "{\"a\":2,\"b\":\"text\"}");
	yeq("&k key: 1\nb: *k", "{\"key\":1,\"b\":\"key\"}");
}

static void test_alias_bomb(void **state)
{
	static const char bomb[] =
		"a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol,lol]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		"i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
	struct fp_yaml_limits lim;
	struct fp_error err;
	double t0 = now();

	(void)state;
	err = yerr(bomb, "yaml-too-many-nodes");
	assert_true(err.line >= 4 && err.line <= 6); /* 10^5 nodes reached in d..f */
	assert_true(now() - t0 < 1.0);

	/* the limit counts aliases expanded */
	fp_yaml_limits_init(&lim);
	lim.max_nodes = 10;
	yerr_lim("a: &a [1, 2, 3]\nb: *a\nc: *a", 26, &lim, "yaml-too-many-nodes");
	lim.max_nodes = 12;
	{
		json_t *v;

		fp_error_init(&err);
		v = fp_yaml_parse("a: &a [1, 2, 3]\nb: *a", 21, &lim, &err);
		if (!v)
			fail_msg("%s: %s", err.reason, err.text);
		json_decref(v);
	}
}

static void test_too_deep(void **state)
{
	char *flow = malloc(2001), *block;
	struct fp_yaml_limits lim;
	struct fp_error err;
	size_t i, n = 0;
	double t0;

	(void)state;
	assert_non_null(flow);
	for (i = 0; i < 1000; i++)
		flow[i] = '[';
	for (i = 0; i < 1000; i++)
		flow[1000 + i] = ']';
	flow[2000] = '\0';
	t0 = now();
	err = yerr(flow, "yaml-too-deep");
	assert_int_equal(err.line, 1);
	assert_int_equal(err.column, FP_YAML_DEFAULT_MAX_DEPTH + 1);
	assert_true(now() - t0 < 1.0);

	/* block mappings: "k:\n k:\n  k:\n ..." */
	block = malloc(1000 * 1004);
	assert_non_null(block);
	for (i = 0; i < 1000; i++) {
		memset(block + n, ' ', i);
		n += i;
		memcpy(block + n, "k:\n", 3);
		n += 3;
	}
	t0 = now();
	err = yerr_lim(block, n, NULL, "yaml-too-deep");
	assert_int_equal(err.line, FP_YAML_DEFAULT_MAX_DEPTH + 1);
	assert_true(now() - t0 < 1.0);

	/* at the limit is fine, one more is not */
	fp_yaml_limits_init(&lim);
	lim.max_depth = 3;
	{
		json_t *v;

		fp_error_init(&err);
		v = fp_yaml_parse("[[[1]]]", 7, &lim, &err);
		assert_non_null(v);
		json_decref(v);
	}
	yerr_lim("[[[[1]]]]", 9, &lim, "yaml-too-deep");
	free(flow);
	free(block);
}

/* A whole megabyte of '[' is rejected quickly, not scanned quadratically. */
static void test_deep_large_input_bounded_time(void **state)
{
	size_t n = FP_YAML_DEFAULT_MAX_BYTES;
	char *buf = malloc(n);
	double t0;

	(void)state;
	assert_non_null(buf);
	memset(buf, '[', n);
	t0 = now();
	yerr_lim(buf, n, NULL, "yaml-too-deep");
	if (now() - t0 > 2.0)
		fail_msg("1 MiB of '[' took %.1f s", now() - t0);
	free(buf);
}

/* Tens of thousands of anchors, each alias naming the oldest: the anchor
 * lookup must not be linear (it was: 27 s for 880 KB). */
static void test_many_anchors_bounded_time(void **state)
{
	const size_t n = 49000;
	char *buf = malloc(n * 20 + 16);
	struct fp_error err;
	size_t i, len = 0;
	json_t *v;
	double t0;

	(void)state;
	assert_non_null(buf);
	buf[len++] = '[';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, 20, "&a%05zu x,", i);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, 20, "%s", i + 1 < n ? "*a00000," : "*a00000]");
	fp_error_init(&err);
	t0 = now();
	v = fp_yaml_parse(buf, len, NULL, &err);
	if (!v)
		fail_msg("%s: %s", err.reason, err.text);
	assert_int_equal(json_array_size(v), 2 * n);
	assert_string_equal(json_string_value(json_array_get(v, 2 * n - 1)), "x");
	if (now() - t0 > 3.0)
		fail_msg("%zu anchors and aliases took %.1f s", n, now() - t0);
	json_decref(v);
	free(buf);
}

static void test_recursive_and_unknown_alias(void **state)
{
	(void)state;
	yerr("a: &a [1, *a]", "yaml-recursive-alias");
	yerr("a: &a {b: *a}", "yaml-recursive-alias");
	yerr("a: *nope", "yaml-invalid");
}

static void test_bad_key(void **state)
{
	struct fp_error err;

	(void)state;
	err = yerr("a: 1\n? [1, 2]\n: v", "yaml-bad-key");
	assert_int_equal(err.line, 2);
	yerr("? {a: 1}\n: v", "yaml-bad-key");
	yerr("x: &m {a: 1}\n*m : v", "yaml-bad-key");
}

static void test_too_large(void **state)
{
	struct fp_yaml_limits lim;

	(void)state;
	fp_yaml_limits_init(&lim);
	assert_int_equal(lim.max_bytes, FP_YAML_DEFAULT_MAX_BYTES);
	assert_int_equal(lim.max_depth, FP_YAML_DEFAULT_MAX_DEPTH);
	assert_int_equal(lim.max_nodes, FP_YAML_DEFAULT_MAX_NODES);
	lim.max_bytes = 10;
	yerr_lim("a: 12345678", 11, &lim, "yaml-too-large");
	{
		struct fp_error err;
		json_t *v;

		fp_error_init(&err);
		v = fp_yaml_parse("a: 1234567", 10, &lim, &err);
		assert_non_null(v);
		json_decref(v);
	}
}

static void test_error_position(void **state)
{
	struct fp_error err;

	(void)state;
	/* "mapping values are not allowed" at the second colon */
	err = yerr("a: 1\nb: c: d\n", "yaml-invalid");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.column, 5);
	assert_non_null(strstr(err.text, "mapping values are not allowed"));
	/* an unterminated quote is reported where the scanner gave up */
	err = yerr("a: 1\nb: 2\nc: \"open\n", "yaml-invalid");
	assert_true(err.line >= 3);
	/* a tab for indentation */
	err = yerr("a:\n\t- b", "yaml-invalid");
	assert_int_equal(err.line, 2);
	/* first error wins */
	fp_error_init(&err);
	fp_error_set(&err, "earlier", "earlier error");
	assert_null(fp_yaml_parse("a: b: c", 7, NULL, &err));
	assert_string_equal(err.reason, "earlier");
	/* err may be NULL */
	assert_null(fp_yaml_parse("a: b: c", 7, NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_bool),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_floats),
		cmocka_unit_test(test_strings_and_timestamps),
		cmocka_unit_test(test_quoted_scalars),
		cmocka_unit_test(test_folded_multiline),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_documents),
		cmocka_unit_test(test_anchors_shared),
		cmocka_unit_test(test_anchor_empty_collection),
		cmocka_unit_test(test_anchor_outlives_replaced_value),
		cmocka_unit_test(test_alias_bomb),
		cmocka_unit_test(test_too_deep),
		cmocka_unit_test(test_deep_large_input_bounded_time),
		cmocka_unit_test(test_many_anchors_bounded_time),
		cmocka_unit_test(test_recursive_and_unknown_alias),
		cmocka_unit_test(test_bad_key),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_error_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
