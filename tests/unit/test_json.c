/* Unit tests of lib/json.c: fp_json_parse builds what json_loadb builds or
 * gives up, fp_json_dump writes the bytes json_dump_callback writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
#include "banned.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY)

struct out {
	char *data;
	size_t len, cap;
};

static int out_append(const char *buf, size_t size, void *data)
{
	struct out *o = data;

	if (o->len + size + 1 > o->cap) {
		o->cap = (o->len + size + 1) * 2;
		o->data = realloc(o->data, o->cap);
		assert_non_null(o->data);
	}
	memcpy(o->data + o->len, buf, size);
	o->len += size;
	o->data[o->len] = '\0';
	return 0;
}

/*
 * Dumps `v` both ways and compares return codes and bytes, the bytes
 * passed before a failure included. Returns the return code.
 */
static int same_dump(const json_t *v, const char *what)
{
	struct out mine = { 0 }, theirs = { 0 };
	int rc_mine = fp_json_dump(v, out_append, &mine);
	int rc_theirs = json_dump_callback(v, out_append, &theirs, DUMP_FLAGS);

	if (rc_mine != rc_theirs || mine.len != theirs.len ||
	    (mine.len && memcmp(mine.data, theirs.data, mine.len)))
		fail_msg("%s: dump differs: rc %d vs %d, %zu vs %zu bytes:\n%.200s\n%.200s", what,
			 rc_mine, rc_theirs, mine.len, theirs.len, mine.data ? mine.data : "",
			 theirs.data ? theirs.data : "");
	free(mine.data);
	free(theirs.data);
	return rc_mine;
}

enum want { FAST, SLOW };

/*
 * Parses `doc` both ways. FAST: fp_json_parse must succeed (and so must
 * json_loadb, with an equal tree in the same order); SLOW: it must give up
 * (jansson rejects the text, or it is one we leave to jansson).
 */
static void parse_case(const char *doc, size_t len, enum want want)
{
	json_error_t jerr;
	json_t *mine = fp_json_parse(doc, len);
	json_t *theirs = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);

	if (want == FAST && !mine)
		fail_msg("fast parser gave up on %.100s (jansson: %s)", doc,
			 theirs ? "ok" : jerr.text);
	if (want == SLOW && mine)
		fail_msg("fast parser accepted %.100s (jansson: %s)", doc,
			 theirs ? "ok" : jerr.text);
	if (mine) {
		char *a, *b;

		if (!theirs)
			fail_msg("fast parser accepted %.100s, jansson: %s", doc, jerr.text);
		if (!json_equal(mine, theirs))
			fail_msg("trees differ for %.100s", doc);
		/* same order, same number formatting */
		a = json_dumps(mine, DUMP_FLAGS);
		b = json_dumps(theirs, DUMP_FLAGS);
		assert_non_null(a);
		assert_non_null(b);
		if (strcmp(a, b))
			fail_msg("dumps differ for %.100s:\n%s\n%s", doc, a, b);
		free(a);
		free(b);
		same_dump(mine, doc);
	}
	json_decref(mine);
	json_decref(theirs);
}

#define FAST_CASE(lit) parse_case(lit, sizeof(lit) - 1, FAST)
#define SLOW_CASE(lit) parse_case(lit, sizeof(lit) - 1, SLOW)

static void test_parse_structure(void **state)
{
	(void)state;
	FAST_CASE("{}");
	FAST_CASE("[]");
	FAST_CASE(" \t\r\n{ } \r\n\t ");
	FAST_CASE("{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}");
	FAST_CASE("{ \"z\" : 1 , \"a\" : 2 , \"m\" : [ 1 , [ ] , { } ] }");
	FAST_CASE("[\"x\",{\"k\":[[[[]]]]}]");
	FAST_CASE("{\"\":\"\"}");
	SLOW_CASE("");
	SLOW_CASE("   ");
	SLOW_CASE("1");
	SLOW_CASE("\"a\"");
	SLOW_CASE("null");
	SLOW_CASE("{");
	SLOW_CASE("[");
	SLOW_CASE("{\"a\"}");
	SLOW_CASE("{\"a\":}");
	SLOW_CASE("{\"a\":1,}");
	SLOW_CASE("[1,]");
	SLOW_CASE("[,1]");
	SLOW_CASE("[1 2]");
	SLOW_CASE("{\"a\" 1}");
	SLOW_CASE("{a:1}");
	SLOW_CASE("{'a':1}");
	SLOW_CASE("{} {}");
	SLOW_CASE("{}x");
	SLOW_CASE("{}\f");
	SLOW_CASE("[truex]");
	SLOW_CASE("[tru]");
	SLOW_CASE("[nul]");
	SLOW_CASE("[True]");
	SLOW_CASE("[1true]");
	SLOW_CASE("\xEF\xBB\xBF{}"); /* a BOM */
	SLOW_CASE("[\x01]");
	parse_case("{}\0", 3, SLOW);
	parse_case("{\"a\":\0}", 7, SLOW);
	parse_case("{\"a\":1}", 6, SLOW); /* cut short */
}

static void test_parse_duplicates(void **state)
{
	(void)state;
	SLOW_CASE("{\"a\":1,\"a\":2}");
	SLOW_CASE("{\"a\":1,\"b\":2,\"a\":1}");
	SLOW_CASE("{\"a\":1,\"\\u0061\":2}");
	SLOW_CASE("{\"x\":{\"a\":1,\"a\":1}}");
	FAST_CASE("{\"a\":{\"a\":{\"a\":1}}}");
	FAST_CASE("{\"a\":1,\"A\":2,\"a \":3}");
	FAST_CASE("[{\"a\":1},{\"a\":1}]");
	/* an escaped key with escaped strings in its value (scratch reuse) */
	FAST_CASE("{\"k\\n1\":{\"k\\t2\":\"v\\\"1\",\"k\\t3\":[\"\\u00e9\",\"x\\/y\"]},\"k\\n2\":1}");
	SLOW_CASE("{\"k\\n1\":{\"k\\t2\":\"v\"},\"k\\n1\":1}");
}

static void test_parse_strings(void **state)
{
	(void)state;
	FAST_CASE("[\"plain\"]");
	FAST_CASE("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]");
	FAST_CASE("[\"\\u0041\\u00e9\\u00E9\\u20AC\\uFFFF\\u0001\\u001F\"]");
	FAST_CASE("[\"\\ud83d\\ude00 and \\uD83D\\uDE00\"]");
	FAST_CASE("[\"\\uDBFF\\uDFFF\\uD800\\uDC00\"]");
	FAST_CASE("[\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xF4\x8F\xBF\xBF\"]");
	FAST_CASE("[\"\xC3\xA9\\n\xC3\xA9\\u00e9\xC3\xA9\"]");
	FAST_CASE("[\"0123456789abcdef\\\"0123456789abcdef\xC3\xA9" "0123456789abcdef\"]");
	FAST_CASE("[\"\x7F\"]");
	SLOW_CASE("[\"\\u0000\"]");
	SLOW_CASE("[\"a\\u0000b\"]");
	SLOW_CASE("{\"\\u0000\":1}");
	SLOW_CASE("[\"\\ud83d\"]");
	SLOW_CASE("[\"\\ud83dx\"]");
	SLOW_CASE("[\"\\ud83d\\n\"]");
	SLOW_CASE("[\"\\ud83d\\u0041\"]");
	SLOW_CASE("[\"\\ud83d\\ud83d\"]");
	SLOW_CASE("[\"\\ude00\"]");
	SLOW_CASE("[\"\\u12\"]");
	SLOW_CASE("[\"\\u12G4\"]");
	SLOW_CASE("[\"\\x41\"]");
	SLOW_CASE("[\"\\'\"]");
	SLOW_CASE("[\"\\\"]");
	SLOW_CASE("[\"abc]");
	SLOW_CASE("[\"a\tb\"]");
	SLOW_CASE("[\"a\nb\"]");
	SLOW_CASE("[\"0123456789abcdef\x1F" "0123456789\"]");
	parse_case("[\"a\0b\"]", 7, SLOW);
	/* invalid UTF-8: stray, overlong, surrogate, above U+10FFFF, cut */
	SLOW_CASE("[\"\x80\"]");
	SLOW_CASE("[\"\xFF\"]");
	SLOW_CASE("[\"\xC0\xAF\"]");
	SLOW_CASE("[\"\xE0\x80\xAF\"]");
	SLOW_CASE("[\"\xED\xA0\x80\"]");
	SLOW_CASE("[\"\xF4\x90\x80\x80\"]");
	SLOW_CASE("[\"\xC3\"]");
	SLOW_CASE("[\"\xE2\x82\"]");
	SLOW_CASE("[\"0123456789abcdef0123456789abcde\xC3\"]");
	SLOW_CASE("{\"\xFF\":1}");
	SLOW_CASE("[\"ok\"]\xFF");
	SLOW_CASE("[\xC3\xA9]");
}

static void test_parse_numbers(void **state)
{
	(void)state;
	FAST_CASE("[0,-0,1,-1,10,123456789]");
	FAST_CASE("[9223372036854775807,-9223372036854775808]");
	FAST_CASE("[0.0,-0.0,0.5,-0.5,1.25e3,1E3,1e+3,1e-3,1.5E-300]");
	FAST_CASE("[1e-400,-1e-400,4.9e-324,2.2250738585072014e-308]");
	FAST_CASE("[1.7976931348623157e308,0.1,0.30000000000000004,100e0,1e0]");
	FAST_CASE("[123456789012345678901234567890.5]");
	FAST_CASE("{\"n\":-12,\"r\":3.0}");
	SLOW_CASE("[9223372036854775808]");
	SLOW_CASE("[-9223372036854775809]");
	SLOW_CASE("[99999999999999999999]");
	SLOW_CASE("[1e309]");
	SLOW_CASE("[-1e400]");
	SLOW_CASE("[01]");
	SLOW_CASE("[-01]");
	SLOW_CASE("[00]");
	SLOW_CASE("[1.]");
	SLOW_CASE("[.5]");
	SLOW_CASE("[1.e5]");
	SLOW_CASE("[1e]");
	SLOW_CASE("[1e+]");
	SLOW_CASE("[+1]");
	SLOW_CASE("[-]");
	SLOW_CASE("[- 1]");
	SLOW_CASE("[0x10]");
	SLOW_CASE("[NaN]");
	SLOW_CASE("[Infinity]");
	SLOW_CASE("[-Infinity]");
	SLOW_CASE("[1.5x]");
	SLOW_CASE("[1,2");
	parse_case("[1.5", 4, SLOW);
	parse_case("[12", 3, SLOW);
	/* a number at the very end of the buffer, not NUL-terminated */
	{
		char buf[] = { '[', '1', '.', '5', ']', '9', '9' };

		parse_case(buf, 5, FAST);
	}
	/* longer than the fast parser's number buffer: left to jansson */
	{
		char doc[300];

		memset(doc, '1', sizeof(doc));
		doc[0] = '[';
		doc[2] = '.';
		doc[sizeof(doc) - 1] = ']';
		parse_case(doc, sizeof(doc), SLOW);
	}
}

/* `n` nested arrays around `inner`. */
static void nested(size_t n, const char *inner, enum want want)
{
	size_t len = strlen(inner), i;
	char *doc = malloc(2 * n + len);

	assert_non_null(doc);
	for (i = 0; i < n; i++) {
		doc[i] = '[';
		doc[n + len + i] = ']';
	}
	memcpy(doc + n, inner, len);
	parse_case(doc, 2 * n + len, want);
	free(doc);
}

static void test_parse_depth(void **state)
{
	(void)state;
	/* jansson counts every value: 2048 arrays, or 2047 around a scalar */
	nested(2048, "", FAST);
	nested(2047, "1", FAST);
	nested(2049, "", SLOW);
	nested(2048, "1", SLOW);
	nested(2048, "\"s\"", SLOW);
	nested(100000, "", SLOW);
}

static void test_parse_long_strings(void **state)
{
	static const char unit[] = "abc\xC3\xA9\\\"xyz q"; /* 12 bytes, one escape */
	size_t n = 100000, len = 0;
	char *doc = malloc(n + 16);

	(void)state;
	assert_non_null(doc);
	doc[len++] = '[';
	doc[len++] = '"';
	while (len + sizeof(unit) < n) {
		memcpy(doc + len, unit, sizeof(unit) - 1);
		len += sizeof(unit) - 1;
	}
	doc[len++] = '"';
	doc[len++] = ']';
	parse_case(doc, len, FAST);
	/* the same without escapes stays in the input */
	memset(doc + 2, 'x', len - 4);
	parse_case(doc, len, FAST);
	free(doc);
}

static void test_dump_strings(void **state)
{
	char all[256], big[20000];
	json_t *v;
	size_t i;

	(void)state;
	for (i = 0; i < 128; i++)
		all[i] = (char)i;
	v = json_stringn(all, 128);
	assert_non_null(v);
	same_dump(v, "ASCII 0-127");
	json_decref(v);

	/* escapes and multibyte sequences across the 8-byte words and chunks */
	for (i = 0; i < sizeof(big); i++)
		big[i] = "ab\"c\\d\n\xC3\xA9" "efg\x01hijklmno/\xE2\x82\xAC"[i % 24];
	for (i = 0; i + 24 <= sizeof(big); i += 997) {
		/* cut anywhere: a cut sequence is invalid UTF-8, compared too */
		v = json_stringn_nocheck(big, i);
		assert_non_null(v);
		same_dump(v, "mixed");
		json_decref(v);
	}
	memset(big, 'x', sizeof(big));
	v = json_stringn(big, sizeof(big));
	same_dump(v, "20000 x");
	json_decref(v);

	/* invalid UTF-8: jansson stops after the last escape before it */
	v = json_stringn_nocheck("ab\ncd\xFF" "ef", 8);
	assert_int_equal(same_dump(v, "invalid"), -1);
	json_decref(v);
	v = json_stringn_nocheck("abc\xC3", 4);
	assert_int_equal(same_dump(v, "cut"), -1);
	json_decref(v);
	v = json_pack("{s:s, s:[o]}", "a", "b", "c", json_stringn_nocheck("x\"y\xED\xA0\x80z", 7));
	assert_int_equal(same_dump(v, "invalid inside"), -1);
	json_decref(v);
	/* an invalid key: jansson goes on after it */
	v = json_object();
	json_object_setn_new_nocheck(v, "k\xFF", 2, json_integer(1));
	json_object_set_new(v, "next", json_true());
	same_dump(v, "invalid key");
	json_decref(v);
	v = json_stringn("a\0b", 3);
	same_dump(v, "NUL");
	json_decref(v);
}

static void test_dump_values(void **state)
{
	static const double reals[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 1e300, -1e-300, 4.9e-324,
					1.7976931348623157e308, 123456789.0, 1e17, 1e16, 3.14159 };
	static const json_int_t ints[] = { 0, 1, -1, 9, 10, -10, 1234567890123LL,
					   9223372036854775807LL, -9223372036854775807LL - 1 };
	json_t *arr = json_array(), *obj, *v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++)
		json_array_append_new(arr, json_real(reals[i]));
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		json_array_append_new(arr, json_integer(ints[i]));
	json_array_append_new(arr, json_true());
	json_array_append_new(arr, json_false());
	json_array_append_new(arr, json_null());
	json_array_append_new(arr, json_array());
	json_array_append_new(arr, json_object());
	same_dump(arr, "values");
	for (i = 0; i < json_array_size(arr); i++)
		same_dump(json_array_get(arr, i), "scalar");

	obj = json_pack("{s:o, s:s, s:{s:i}}", "list", json_incref(arr), "z\"q", "w", "nested",
			 "in", 3);
	assert_non_null(obj);
	same_dump(obj, "object");

	/* a circular reference: jansson stops with -1 */
	v = json_array();
	json_array_append(arr, v);
	json_array_append(v, obj);
	assert_int_equal(same_dump(obj, "cycle"), -1);
	json_array_clear(v);
	json_decref(v);
	assert_int_equal(same_dump(obj, "no cycle"), 0);
	json_decref(obj);
	json_decref(arr);

	assert_int_equal(fp_json_dump(NULL, out_append, NULL), -1);
}

static void test_dump_deep(void **state)
{
	json_t *top = json_array(), *cur = top;
	size_t i;

	(void)state;
	/* past the inline stack of parents */
	for (i = 0; i < 3000; i++) {
		json_t *next = i % 2 ? json_array() : json_object();

		if (json_is_array(cur))
			json_array_append_new(cur, next);
		else
			json_object_set_new(cur, "k", next);
		cur = next;
	}
	same_dump(top, "deep");
	json_decref(top);
}

static int failing(const char *buf, size_t size, void *data)
{
	(void)buf;
	(void)size;
	(void)data;
	return -1;
}

static void test_dump_callback_fails(void **state)
{
	json_t *v = json_pack("{s:s}", "a", "b");

	(void)state;
	assert_int_equal(fp_json_dump(v, failing, NULL), -1);
	json_decref(v);
}

/* Random edits of a record: the fast parser never accepts what jansson
 * rejects, nor builds another tree. */
static void test_parse_mutations(void **state)
{
	static const char base[] =
		"{\"source\":{\"path\":\"a/b.md\",\"n\":12},\"meta\":{\"title\":\"Caf\xC3\xA9 \\u00e9\\ud83d\\ude00\","
		"\"tags\":[\"x\",\"y\"],\"draft\":false,\"w\":-1.5e3,\"z\":null},\"body\":\"line\\none\\t\\\"q\\\"\"}";
	static const char alphabet[] = "{}[]:,\"\\/ubnrt0123456789-+.eE \n\xC3\xA9\xFF\x80" "afnlsx";
	char doc[sizeof(base) + 8];
	unsigned int seed = 12345;
	int round;

	(void)state;
	for (round = 0; round < 20000; round++) {
		size_t len = sizeof(base) - 1;
		int edits = 1 + round % 3, e;

		memcpy(doc, base, len);
		for (e = 0; e < edits; e++) {
			size_t at;

			seed = seed * 1103515245 + 12345;
			at = (seed >> 8) % len;
			seed = seed * 1103515245 + 12345;
			if ((seed >> 16) % 4 == 0 && len > 1) {
				memmove(doc + at, doc + at + 1, len - at - 1);
				len--;
			} else
				doc[at] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		{
			json_error_t jerr;
			json_t *mine = fp_json_parse(doc, len);
			json_t *theirs = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);

			if (mine && (!theirs || !json_equal(mine, theirs)))
				fail_msg("round %d: %.*s", round, (int)len, doc);
			if (theirs)
				same_dump(theirs, "mutation");
			json_decref(mine);
			json_decref(theirs);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_structure),
		cmocka_unit_test(test_parse_duplicates),
		cmocka_unit_test(test_parse_strings),
		cmocka_unit_test(test_parse_numbers),
		cmocka_unit_test(test_parse_depth),
		cmocka_unit_test(test_parse_long_strings),
		cmocka_unit_test(test_dump_strings),
		cmocka_unit_test(test_dump_values),
		cmocka_unit_test(test_dump_deep),
		cmocka_unit_test(test_dump_callback_fails),
		cmocka_unit_test(test_parse_mutations),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
