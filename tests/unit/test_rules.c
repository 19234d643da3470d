/* Unit tests of lib/rules.c: selectors, rule files, sites, captures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rules.h"
#include "banned.h"

/* A fake element: tag and up to four attributes. */
struct fake {
	struct fp_rules_node n;
	const char *attrs[8]; /* name, value pairs */
};

static const char *fake_attr(const struct fp_rules_node *n, const char *name)
{
	const struct fake *f = n->impl;
	size_t i;

	for (i = 0; i < 8 && f->attrs[i]; i += 2)
		if (strcmp(f->attrs[i], name) == 0)
			return f->attrs[i + 1];
	return NULL;
}

static void fake_init(struct fake *f, const char *tag, const struct fake *parent, int block)
{
	memset(f, 0, sizeof(*f));
	f->n.tag = tag;
	f->n.attr = fake_attr;
	f->n.impl = f;
	f->n.parent = parent ? &parent->n : NULL;
	f->n.is_block = block;
}

static const char *fake_text;

static const char *text_fn(void *ctx, int leaf, size_t max, size_t *len)
{
	(void)ctx;
	(void)leaf;
	(void)max;
	*len = strlen(fake_text);
	return fake_text;
}

static struct fp_rules *load(const char *yaml)
{
	struct fp_rules *r = fp_rules_new();
	struct fp_error err;

	fp_error_init(&err);
	if (fp_rules_load(r, yaml, strlen(yaml), "t.yaml", &err) < 0)
		fail_msg("load: %s: %s", err.reason, err.text);
	fp_rules_activate(r, NULL, NULL);
	return r;
}

static void test_selectors(void **state)
{
	static const char *const good[] = {
		"div", "div.a", ".a.b", "#x", "[data-x]", "[align=center]", "[title=\"a b\"]",
		"div .a p", "*", "p.article-editor, div.appendQr_wrap", "DIV#Main",
	};
	static const char *const bad[] = {
		"", "div..a", ".", "#", "[x", "[x=\"a]", "div > p", "a+b", "p:first-child", ",",
	};
	struct fp_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		fp_error_init(&err);
		if (fp_rules_check_selector(good[i], &err) < 0)
			fail_msg("'%s' rejected: %s", good[i], err.text);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fp_error_init(&err);
		if (fp_rules_check_selector(bad[i], &err) == 0)
			fail_msg("'%s' accepted", bad[i]);
		assert_string_equal(err.reason, "selector-invalid");
	}
}

static void test_matching(void **state)
{
	struct fp_rules *r = load("rules:\n"
				  "  - {name: a, select: 'div.wrap p.ed'}\n"
				  "  - {name: b, select: '[align=center]'}\n"
				  "  - {name: c, select: '#x', keep: true}\n");
	struct fake body, wrap, p, q;
	json_t *found = json_object();

	(void)state;
	fake_init(&body, "body", NULL, 0);
	fake_init(&wrap, "div", &body, 1);
	wrap.attrs[0] = "class";
	wrap.attrs[1] = "clearfix  wrap";
	fake_init(&p, "p", &wrap, 1);
	p.attrs[0] = "class";
	p.attrs[1] = "ed";
	assert_int_equal(fp_rules_match_node(r, &p.n, text_fn, NULL, found), FP_RULES_REMOVE);
	fake_init(&q, "p", &body, 1);
	q.attrs[0] = "class";
	q.attrs[1] = "ed";
	assert_int_equal(fp_rules_match_node(r, &q.n, text_fn, NULL, found), FP_RULES_NONE);
	q.attrs[2] = "align";
	q.attrs[3] = "center";
	assert_int_equal(fp_rules_match_node(r, &q.n, text_fn, NULL, found), FP_RULES_REMOVE);
	q.attrs[3] = "left";
	assert_int_equal(fp_rules_match_node(r, &q.n, text_fn, NULL, found), FP_RULES_NONE);
	q.attrs[4] = "id";
	q.attrs[5] = "x";
	assert_int_equal(fp_rules_match_node(r, &q.n, text_fn, NULL, found), FP_RULES_KEEP);
	json_decref(found);
	fp_rules_free(r);
}

static void test_text_and_capture(void **state)
{
	struct fp_rules *r = load("- name: editor\n"
				  "  select: p.article-editor\n"
				  "  text: '^责任编辑( |:|：)*(.+)$'\n"
				  "  group: 2\n"
				  "  capture: editor\n"
				  "- name: title\n"
				  "  text: '^原标题( |:|：)*(.+)$'\n"
				  "  group: 2\n"
				  "  capture: original_title\n");
	struct fake p, div;
	json_t *found = json_object();

	(void)state;
	fake_init(&p, "p", NULL, 1);
	p.attrs[0] = "class";
	p.attrs[1] = "article-editor";
	fake_text = "责任编辑：蒋晓桐";
	assert_int_equal(fp_rules_match_node(r, &p.n, text_fn, NULL, found), FP_RULES_REMOVE);
	assert_string_equal(json_string_value(json_object_get(found, "editor")), "蒋晓桐");
	/* the first capture wins */
	fake_text = "责任编辑：张三";
	assert_int_equal(fp_rules_match_node(r, &p.n, text_fn, NULL, found), FP_RULES_REMOVE);
	assert_string_equal(json_string_value(json_object_get(found, "editor")), "蒋晓桐");
	/* a text-only rule sees blocks only */
	fake_init(&div, "span", NULL, 0);
	fake_text = "原标题：标题";
	assert_int_equal(fp_rules_match_node(r, &div.n, text_fn, NULL, found), FP_RULES_NONE);
	div.n.is_block = 1;
	assert_int_equal(fp_rules_match_node(r, &div.n, text_fn, NULL, found), FP_RULES_REMOVE);
	assert_string_equal(json_string_value(json_object_get(found, "original_title")), "标题");
	assert_true(fp_rules_have_line_rules(r));
	assert_int_equal(fp_rules_match_line(r, "原标题 x", 8, found), FP_RULES_REMOVE);
	assert_int_equal(fp_rules_match_line(r, "正文", 6, found), FP_RULES_NONE);
	json_decref(found);
	fp_rules_free(r);
}

static void test_sites(void **state)
{
	struct fp_rules *r = load("rules:\n"
				  "  - {name: sina, sites: [新浪财经], select: div.q}\n"
				  "  - {name: feed, sites: feedx, select: div.f}\n");
	struct fake d;
	json_t *meta = json_pack("{s:[s,s]}", "categories", "金融", "新浪财经");
	json_t *src = json_pack("{s:s}", "path", "a/feedx/post.md");
	json_t *src2 = json_pack("{s:s}", "path", "a/b/feedx");

	(void)state;
	fake_init(&d, "div", NULL, 1);
	d.attrs[0] = "class";
	d.attrs[1] = "q";
	fp_rules_activate(r, NULL, NULL);
	assert_int_equal(fp_rules_match_node(r, &d.n, text_fn, NULL, NULL), FP_RULES_NONE);
	fp_rules_activate(r, meta, NULL);
	assert_int_equal(fp_rules_match_node(r, &d.n, text_fn, NULL, NULL), FP_RULES_REMOVE);
	d.attrs[1] = "f";
	assert_int_equal(fp_rules_match_node(r, &d.n, text_fn, NULL, NULL), FP_RULES_NONE);
	fp_rules_activate(r, NULL, src);
	assert_int_equal(fp_rules_match_node(r, &d.n, text_fn, NULL, NULL), FP_RULES_REMOVE);
	fp_rules_activate(r, NULL, src2); /* the file name is not a site */
	assert_int_equal(fp_rules_match_node(r, &d.n, text_fn, NULL, NULL), FP_RULES_NONE);
	json_decref(meta);
	json_decref(src);
	json_decref(src2);
	fp_rules_free(r);
}

static void test_load_errors(void **state)
{
	static const struct {
		const char *yaml, *reason, *text;
	} cases[] = {
		{ "rules: [{name: a, selct: div}]", "rules-invalid", "rule 1: unknown key 'selct'" },
		{ "rules: [{name: a}]", "rules-invalid", "rule 1 (a): needs select or text" },
		{ "rules: [{name: a, select: 'div..x'}]", "rules-invalid", "rule 1 (a): bad selector 'div..x'" },
		{ "rules: [{name: a, text: '(('}]", "rules-invalid", NULL },
		{ "rules: [{name: a, text: 'x', group: 2}]", "rules-invalid",
		  "rule 1 (a): group is not a subexpression of text" },
		{ "rules: [{disable: true}]", "rules-invalid", "rule 1: disable without a name" },
		{ "rules: 3", "rules-invalid", "expected a list of rules under 'rules:'" },
		{ "rules: [", "yaml-invalid", NULL },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fp_rules *r = fp_rules_new();
		struct fp_error err;

		fp_error_init(&err);
		if (fp_rules_load(r, cases[i].yaml, strlen(cases[i].yaml), "t.yaml", &err) == 0)
			fail_msg("accepted: %s", cases[i].yaml);
		assert_string_equal(err.reason, cases[i].reason);
		assert_string_equal(err.source, "t.yaml");
		if (cases[i].text)
			assert_string_equal(err.text, cases[i].text);
		assert_int_equal(fp_rules_count(r), 0);
		fp_rules_free(r);
	}
}

static void test_override_and_defaults(void **state)
{
	struct fp_rules *r = fp_rules_new();
	struct fp_error err;
	size_t n;

	(void)state;
	fp_error_init(&err);
	assert_int_equal(fp_rules_load_defaults(r, &err), 0);
	n = fp_rules_count(r);
	assert_true(n > 5);
	assert_int_equal(fp_rules_load(r, "rules: [{name: sina-editor, select: p.x}]", 41, "o", &err), 0);
	assert_int_equal(fp_rules_count(r), n);
	assert_int_equal(fp_rules_load(r, "rules: [{name: sina-editor, disable: true}]", 43, "o", &err), 0);
	assert_int_equal(fp_rules_count(r), n - 1);
	assert_int_equal(fp_rules_load(r, "rules: [{name: new, select: p.x}]", 33, "o", &err), 0);
	assert_int_equal(fp_rules_count(r), n);
	fp_error_init(&err);
	assert_int_equal(fp_rules_load_file(r, "/nonexistent/rules.yaml", &err), -1);
	assert_string_equal(err.reason, "rules-unreadable");
	fp_rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_matching),
		cmocka_unit_test(test_text_and_capture),
		cmocka_unit_test(test_sites),
		cmocka_unit_test(test_load_errors),
		cmocka_unit_test(test_override_and_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
