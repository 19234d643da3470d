/* Unit tests of lib/article.c: the id rule, taxonomy, building and
 * validating the canonical article. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "article.h"
#include "sha256.h"
#include "banned.h"

#define NOW "2026-11-26T00:00:00Z"

/* A feedpipe-clean record, with members replaced from `patch` (JSON). */
static json_t *record(const char *patch)
{
	json_error_t jerr;
	json_t *rec = json_loads(
		"{\"source\": {\"path\": \"金融/新浪财经/新浪财经－国內/a.md\", \"root\": \"posts\","
		" \"bytes\": 100, \"mtime\": \"2026-11-26T00:00:00Z\","
		" \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"},"
		" \"meta\": {\"title\": \"王毅谈2022年中国外交六大任务\","
		"  \"categories\": [\"金融\", \"新浪财经\", \"新浪财经－国內\"],"
		"  \"author\": \"新浪财经\", \"comments\": false,"
		"  \"date\": \"Mon, 20 Dec 2021 05:08:08 GMT\","
		"  \"headimg\": \"https://n.sinaimg.cn/a.png\", \"thumbnail\": \"https://n.sinaimg.cn/a.png\"},"
		" \"warnings\": [{\"stage\": \"clean\", \"code\": \"x\", \"message\": \"kept\"}],"
		" \"html\": \"<p>王毅表示，我们将隆重召开</p>\", \"text\": \"王毅表示，我们将隆重召开\","
		" \"images\": [{\"src\": \"//n.sinaimg.cn/b.png\", \"alt\": null}],"
		" \"links\": [{\"href\": \"https://finance.sina.com.cn/\", \"text\": \" 新浪 \"}],"
		" \"embeds\": [],"
		" \"found\": {\"editor\": \"蒋晓桐 \", \"original_title\": null}}",
		0, &jerr);
	json_t *p;

	assert_non_null(rec);
	if (patch) {
		p = json_loads(patch, 0, &jerr);
		if (!p)
			fail_msg("patch: %s", jerr.text);
		if (json_object_get(p, "meta")) {
			json_object_update(json_object_get(rec, "meta"), json_object_get(p, "meta"));
			json_object_del(p, "meta");
		}
		json_object_update(rec, p);
		json_decref(p);
	}
	return rec;
}

static struct fp_article_options options(void)
{
	struct fp_article_options opt;
	struct fp_error err;

	fp_article_options_init(&opt);
	fp_error_init(&err);
	assert_int_equal(fp_date_parse(NOW, strlen(NOW), NULL, &opt.now, &err), 0);
	return opt;
}

/* Builds and validates; fails the test on error. */
static json_t *build(json_t *rec, long *warned)
{
	struct fp_article_options opt = options();
	struct fp_error err;
	json_t *art;

	fp_error_init(&err);
	art = fp_article_new(rec, &opt, warned, &err);
	if (!art)
		fail_msg("build: %s: %s", err.reason, err.text);
	if (fp_article_validate(art, &err) < 0)
		fail_msg("validate: %s", err.text);
	return art;
}

static const char *str(const json_t *art, const char *key)
{
	return json_string_value(json_object_get(art, key));
}

/* The codes of the warnings this stage added, space-separated. */
static void codes(const json_t *art, char *buf, size_t size)
{
	const json_t *w;
	size_t i, o = 0;

	buf[0] = '\0';
	json_array_foreach(json_object_get(art, "warnings"), i, w) {
		if (strcmp(str(w, "stage"), "normalize") != 0)
			continue;
		o += (size_t)snprintf(buf + o, size - o, "%s%s", o ? " " : "", str(w, "code"));
	}
}

static void test_title_key(void **state)
{
	static const struct {
		const char *title, *key;
	} cases[] = {
		/* titles and file names from the corpus MANIFEST */
		{ "《Invisible》第2話 (8.0分)", "《Invisible》第2話 (80分)" },
		{ "© . Anja Diabaté .", "©  Anja Diabaté " },
		{ "_podcast_ sp. 科技島讀請回答", "_podcast_ sp 科技島讀請回答" },
		{ "05-18 📉 -0.1839%", "05-18 📉 -01839%" },
		{ "1370.巴菲特2021年致股东的信看点", "1370巴菲特2021年致股东的信看点" },
		{ "007：无暇赴死 评分：8.6", "007：无暇赴死 评分：86" },
		{ "'Do Not Split': A Hong Kong protest film [video]",
		  "'Do Not Split'_ A Hong Kong protest film _video_" },
		{ "## 入手umi\n对于路由的考虑真心全乎，666", " 入手umi对于路由的考虑真心全乎，666" },
		{ "@003_miss_ \"(CW) \"", "@003_miss_ \"(CW) \"" },
		{ "a/b", "a_b" },
		{ "Q&amp;A &#123;x&#125;", "Q&A {x}" },
		{ "Kamiko\xcc\x84" "chi", "Kamik\xc5\x8d" "chi" },
	};
	struct fp_error err;
	size_t i, len;
	char *key;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fp_error_init(&err);
		key = fp_article_title_key(cases[i].title, strlen(cases[i].title), &len, &err);
		assert_non_null(key);
		if (strcmp(key, cases[i].key) != 0)
			fail_msg("'%s': key '%s', expected '%s'", cases[i].title, key, cases[i].key);
		assert_int_equal(len, strlen(key));
		free(key);
	}
}

static void test_id_rule(void **state)
{
	const char *title = "ONE PIECE｜海贼王｜航海王｜ONE PIECE｜海賊王";
	const char *path = "二次元/Bangumi/放送列表/ONE PIECE｜海贼王｜航海王｜ONE PIECE｜海賊王";
	char id[FP_ARTICLE_ID_LEN + 1], id2[FP_ARTICLE_ID_LEN + 1];
	char hex[FP_SHA256_HEX_LEN + 1];
	struct fp_error err;

	(void)state;
	fp_error_init(&err);
	/* the id is the hash of the archive path */
	assert_int_equal(fp_article_id("二次元", "Bangumi", "放送列表", title, strlen(title), id, &err), 0);
	fp_sha256_hex(path, strlen(path), hex);
	assert_memory_equal(id, hex, FP_ARTICLE_ID_LEN);
	assert_int_equal(strlen(id), FP_ARTICLE_ID_LEN);
	/* another feed, same title: another id */
	assert_int_equal(fp_article_id("二次元", "Bangumi", "其他", title, strlen(title), id2, &err), 0);
	assert_string_not_equal(id, id2);
	/* the separator keeps levels apart */
	assert_int_equal(fp_article_id("a", "b", "c", "d", 1, id, &err), 0);
	assert_int_equal(fp_article_id("a", "bc", "", "d", 1, id2, &err), 0);
	assert_string_not_equal(id, id2);
	/* NULL levels count as empty */
	assert_int_equal(fp_article_id(NULL, NULL, NULL, "d", 1, id, &err), 0);
	fp_sha256_hex("///d", 4, hex);
	assert_memory_equal(id, hex, FP_ARTICLE_ID_LEN);
}

static void test_same_post_twice(void **state)
{
	json_t *r1 = record(NULL);
	json_t *r2 = record("{\"meta\": {\"date\": \"Tue, 21 Dec 2021 08:00:00 GMT\"},"
			    " \"text\": \"王毅表示，我们将隆重召开。（更新）\","
			    " \"source\": {\"path\": \"b/a.md\", \"root\": \"other\", \"bytes\": 1,"
			    " \"mtime\": \"x\", \"sha256\": \"1111111111111111111111111111111111111111111111111111111111111111\"}}");
	json_t *r3 = record("{\"meta\": {\"title\": \"另一篇文章\"}}");
	json_t *a1 = build(r1, NULL), *a2 = build(r2, NULL), *a3 = build(r3, NULL);

	(void)state;
	/* re-rendered with another date and an edited body: same id, new hash */
	assert_string_equal(str(a1, "id"), str(a2, "id"));
	assert_string_not_equal(str(a1, "content_hash"), str(a2, "content_hash"));
	assert_string_not_equal(str(a1, "published_at"), str(a2, "published_at"));
	/* another post: another id */
	assert_string_not_equal(str(a1, "id"), str(a3, "id"));
	json_decref(a1);
	json_decref(a2);
	json_decref(a3);
	json_decref(r1);
	json_decref(r2);
	json_decref(r3);
}

static void test_fields(void **state)
{
	json_t *rec = record(NULL), *art;
	char buf[256];
	long warned = -1;
	char hex[FP_SHA256_HEX_LEN + 1];
	const char *t = "王毅谈2022年中国外交六大任务\n王毅表示，我们将隆重召开";

	(void)state;
	art = build(rec, &warned);
	assert_int_equal(warned, 0);
	assert_string_equal(str(art, "title"), "王毅谈2022年中国外交六大任务");
	assert_string_equal(str(art, "topic"), "金融");
	assert_string_equal(str(art, "site"), "新浪财经");
	assert_string_equal(str(art, "feed"), "新浪财经－国內");
	assert_string_equal(str(art, "published_at"), "2021-12-20T05:08:08Z");
	assert_string_equal(str(art, "published_raw"), "Mon, 20 Dec 2021 05:08:08 GMT");
	assert_string_equal(str(art, "editor"), "蒋晓桐");
	assert_true(json_is_null(json_object_get(art, "original_title")));
	assert_true(json_is_false(json_object_get(art, "comments")));
	assert_string_equal(str(art, "lang"), "zh-Hans");
	assert_int_equal(json_integer_value(json_object_get(art, "chars")), 12);
	fp_sha256_hex(t, strlen(t), hex);
	assert_string_equal(str(art, "content_hash"), hex);
	/* protocol-relative image made https:, link text trimmed */
	json_unpack(art, "{s:[{s:s}]}", "images", "src", &t);
	assert_string_equal(t, "https://n.sinaimg.cn/b.png");
	json_unpack(art, "{s:[{s:s}]}", "links", "text", &t);
	assert_string_equal(t, "新浪");
	/* the big strings and source are shared with the input, not copied */
	assert_ptr_equal(json_object_get(art, "html"), json_object_get(rec, "html"));
	assert_ptr_equal(json_object_get(art, "text"), json_object_get(rec, "text"));
	assert_ptr_equal(json_object_get(art, "source"), json_object_get(rec, "source"));
	/* upstream warnings kept */
	assert_int_equal(json_array_size(json_object_get(art, "warnings")), 1);
	codes(art, buf, sizeof(buf));
	assert_string_equal(buf, "");
	json_decref(art);
	json_decref(rec);
}

static void test_text_rules(void **state)
{
	json_t *rec = record("{\"meta\": {\"title\": \"  Q&amp;A:\\n Cafe\\u0301 \\u0001 &#128512; \"},"
			     " \"text\": \"Cafe\\u0301\\u001b ok\\u0007\", \"html\": \"<p>Cafe\\u0301</p>\"}");
	json_t *art = build(rec, NULL);

	(void)state;
	assert_string_equal(str(art, "title"), "Q&A: Café 😀");
	assert_string_equal(str(art, "text"), "Café ok");
	assert_string_equal(str(art, "html"), "<p>Café</p>");
	assert_int_equal(json_integer_value(json_object_get(art, "chars")), 7);
	assert_string_equal(str(art, "lang"), "en");
	json_decref(art);
	json_decref(rec);
}

static void test_taxonomy(void **state)
{
	static const struct {
		const char *patch, *topic, *site, *feed, *codes;
	} cases[] = {
		/* em-dash prefix: the folder path wins */
		{ "{\"meta\": {\"categories\": [\"学习\", \"知識分子\", \"— 创新\"]},"
		  " \"source\": {\"path\": \"学习/知識分子/创新/a.md\", \"root\": \"r\", \"bytes\": 1,"
		  " \"mtime\": \"m\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		  "学习", "知識分子", "创新", "taxonomy-from-path" },
		/* em-dash prefix, no folders: repaired */
		{ "{\"meta\": {\"categories\": [\"学习\", \"知識分子\", \"— 创新\"]},"
		  " \"source\": {\"path\": \"0010.md\", \"root\": \"r\", \"bytes\": 1,"
		  " \"mtime\": \"m\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		  "学习", "知識分子", "创新", "taxonomy-repaired" },
		/* a nested list item */
		{ "{\"meta\": {\"categories\": [\"a\", [\"b\"], \"c\"]},"
		  " \"source\": {\"path\": \"x/y/z/a.md\", \"root\": \"r\", \"bytes\": 1,"
		  " \"mtime\": \"m\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		  "x", "y", "z", "taxonomy-from-path" },
		/* short: path deeper than three folders, the last three */
		{ "{\"meta\": {\"categories\": [\"a\"]},"
		  " \"source\": {\"path\": \"_posts/t/s/f/a.md\", \"root\": \"r\", \"bytes\": 1,"
		  " \"mtime\": \"m\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		  "t", "s", "f", "taxonomy-from-path" },
		/* a single string, no folders */
		{ "{\"meta\": {\"categories\": \"solo\"},"
		  " \"source\": {\"path\": \"a.md\", \"root\": \"r\", \"bytes\": 1,"
		  " \"mtime\": \"m\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		  "solo", NULL, NULL, "taxonomy-incomplete" },
		/* four levels */
		{ "{\"meta\": {\"categories\": [\"a\", \"b\", \"c\", \"d\"]}}", "a", "b", "c",
		  "taxonomy-extra-levels" },
		/* none at all */
		{ "{\"meta\": {\"categories\": null},"
		  " \"source\": {\"path\": \"a.md\", \"root\": \"r\", \"bytes\": 1,"
		  " \"mtime\": \"m\", \"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}}",
		  NULL, NULL, NULL, "taxonomy-incomplete" },
	};
	size_t i;
	char buf[256];

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *rec = record(cases[i].patch), *art = build(rec, NULL);
		const char *want[3] = { cases[i].topic, cases[i].site, cases[i].feed };
		const char *keys[3] = { "topic", "site", "feed" };
		int k;

		for (k = 0; k < 3; k++) {
			const json_t *v = json_object_get(art, keys[k]);

			if (want[k] ? !json_is_string(v) || strcmp(json_string_value(v), want[k])
				    : !json_is_null(v))
				fail_msg("case %zu: %s is '%s', expected '%s'", i, keys[k],
					 json_string_value(v), want[k] ? want[k] : "null");
		}
		codes(art, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].codes);
		json_decref(art);
		json_decref(rec);
	}
}

static void test_dates_and_urls(void **state)
{
	json_t *rec = record("{\"meta\": {\"date\": \"Wed, 08 Apr 2189 00:00:00 GMT\","
			     " \"headimg\": \"https://bad\\\"host/\", \"thumbnail\": \"\","
			     " \"comments\": \"maybe\"},"
			     " \"links\": [{\"href\": \"https://a.example/\", \"text\": \"a\"},"
			     "  {\"href\": \"http://\", \"text\": \"b\"}, {\"href\": \" \", \"text\": \"c\"}],"
			     " \"embeds\": [{\"src\": \"//player.example/v\", \"tag\": \"IFRAME\"}]}");
	json_t *art = build(rec, NULL);
	char buf[256];
	const char *s;

	(void)state;
	assert_true(json_is_null(json_object_get(art, "published_at")));
	assert_string_equal(str(art, "published_raw"), "Wed, 08 Apr 2189 00:00:00 GMT");
	assert_true(json_is_null(json_object_get(art, "image")));
	assert_true(json_is_null(json_object_get(art, "thumbnail")));
	assert_true(json_is_null(json_object_get(art, "comments")));
	assert_int_equal(json_array_size(json_object_get(art, "links")), 1);
	json_unpack(art, "{s:[{s:s}]}", "embeds", "tag", &s);
	assert_string_equal(s, "iframe");
	json_unpack(art, "{s:[{s:s}]}", "embeds", "src", &s);
	assert_string_equal(s, "https://player.example/v");
	codes(art, buf, sizeof(buf));
	assert_string_equal(buf, "date-implausible url-invalid comments-invalid url-invalid");
	json_decref(art);
	json_decref(rec);

	rec = record("{\"meta\": {\"date\": \"Invalid Date\"}}");
	art = build(rec, NULL);
	codes(art, buf, sizeof(buf));
	assert_string_equal(buf, "date-invalid");
	assert_string_equal(str(art, "published_raw"), "Invalid Date");
	json_decref(art);
	json_decref(rec);

	rec = record("{\"meta\": {\"date\": null}}");
	art = build(rec, NULL);
	codes(art, buf, sizeof(buf));
	assert_string_equal(buf, "date-missing");
	assert_true(json_is_null(json_object_get(art, "published_raw")));
	json_decref(art);
	json_decref(rec);
}

static void test_title_fallback_and_rejects(void **state)
{
	struct fp_article_options opt = options();
	struct fp_error err;
	json_t *rec, *art;
	char buf[256];

	(void)state;
	rec = record("{\"meta\": {\"title\": \"  \"}}");
	art = build(rec, NULL);
	assert_string_equal(str(art, "title"), "a");
	codes(art, buf, sizeof(buf));
	assert_string_equal(buf, "title-from-path");
	json_decref(art);
	json_decref(rec);

	/* a numeric title is text */
	rec = record("{\"meta\": {\"title\": 2046}}");
	art = build(rec, NULL);
	assert_string_equal(str(art, "title"), "2046");
	json_decref(art);
	json_decref(rec);

	rec = record("{\"meta\": {\"title\": null}, \"source\": {\"path\": \"\"}}");
	fp_error_init(&err);
	assert_null(fp_article_new(rec, &opt, NULL, &err));
	assert_string_equal(err.reason, "article-invalid");
	assert_string_equal(err.text, "field 'title': missing or empty");
	json_decref(rec);

	rec = record(NULL);
	json_object_del(rec, "html");
	fp_error_init(&err);
	assert_null(fp_article_new(rec, &opt, NULL, &err));
	assert_string_equal(err.text, "field 'html': missing or empty");
	json_decref(rec);
}

/* Tampers with a good article and expects the validator to name `field`. */
static void tamper(const char *key, json_t *value, const char *want)
{
	json_t *rec = record(NULL), *art = build(rec, NULL);
	struct fp_error err;

	if (value)
		json_object_set_new(art, key, value);
	else
		json_object_del(art, key);
	fp_error_init(&err);
	assert_int_equal(fp_article_validate(art, &err), -1);
	assert_string_equal(err.reason, "article-invalid");
	if (strncmp(err.text, want, strlen(want)) != 0)
		fail_msg("%s: '%s', expected '%s...'", key, err.text, want);
	json_decref(art);
	json_decref(rec);
}

static void test_validate(void **state)
{
	(void)state;
	tamper("id", json_string("ABCDEF0123456789"), "field 'id':");
	tamper("id", json_string("abc"), "field 'id':");
	tamper("title", json_string(""), "field 'title':");
	tamper("title", json_string("two\nlines"), "field 'title':");
	tamper("author", json_integer(1), "field 'author':");
	tamper("categories", json_pack("[s, i]", "a", 1), "field 'categories':");
	tamper("published_at", json_string("2021-12-20 05:08:08"), "field 'published_at':");
	tamper("comments", json_string("no"), "field 'comments':");
	tamper("lang", json_string("Chinese"), "field 'lang':");
	tamper("chars", json_integer(3), "field 'chars':");
	tamper("images", json_pack("[{s:s}]", "src", "x"), "field 'images':");
	tamper("links", json_pack("[{s:s, s:n}]", "href", "x", "text"), "field 'links':");
	tamper("content_hash", json_string("00"), "field 'content_hash':");
	tamper("source", json_pack("{s:s}", "path", "a.md"), "field 'source':");
	tamper("warnings", json_pack("[{s:s}]", "stage", "x"), "field 'warnings':");
	tamper("extra", json_true(), "field 'extra': unexpected member");
	tamper("lang", NULL, "field 'lang': missing");
	tamper("warnings", NULL, "field 'warnings': missing");
	{
		/* out of order: title moved to the end */
		json_t *rec = record(NULL), *art = build(rec, NULL), *t;
		struct fp_error err;

		t = json_incref(json_object_get(art, "title"));
		json_object_del(art, "title");
		json_object_set_new(art, "title", t);
		fp_error_init(&err);
		assert_int_equal(fp_article_validate(art, &err), -1);
		assert_string_equal(err.text, "field 'title': out of order");
		json_decref(art);
		json_decref(rec);
	}
}

/* source.git (a version read from a history) is kept as it came, and the
 * id does not depend on it: every version of a post has the post's id. */
static void test_source_git(void **state)
{
	static const char git[] =
		"{\"commit\": \"4f1c2e0000000000000000000000000000000001\","
		" \"blob\": \"9a2e000000000000000000000000000000000002\","
		" \"committed_at\": \"2021-12-20T05:10:00Z\", \"author_at\": \"2021-12-20T05:09:12Z\"}";
	json_t *plain = record(NULL), *rec = record(NULL), *g = json_loads(git, 0, NULL);
	json_t *a1, *a2, *bad;
	struct fp_error err;

	(void)state;
	assert_non_null(g);
	json_object_set(json_object_get(rec, "source"), "git", g);
	a1 = build(plain, NULL);
	a2 = build(rec, NULL);
	assert_true(json_equal(json_object_get(json_object_get(a2, "source"), "git"), g));
	assert_string_equal(str(a1, "id"), str(a2, "id"));
	assert_string_equal(str(a1, "content_hash"), str(a2, "content_hash"));
	for (int k = 0; k < 5; k++) {
		bad = json_deep_copy(a2);
		json_t *bg = json_object_get(json_object_get(bad, "source"), "git");

		if (k == 0)
			json_object_set_new(bg, "commit", json_string("4F1C"));
		else if (k == 1)
			json_object_del(bg, "blob");
		else if (k == 2)
			json_object_set_new(bg, "committed_at", json_string("2021-12-20 05:10:00"));
		else if (k == 3)
			json_object_set_new(bg, "extra", json_true());
		else
			json_object_set_new(json_object_get(bad, "source"), "git", json_string("x"));
		fp_error_init(&err);
		assert_int_equal(fp_article_validate(bad, &err), -1);
		assert_string_equal(err.text, "field 'source': has a git member that is not"
					      " {commit, blob, committed_at, author_at}");
		json_decref(bad);
	}
	json_decref(a1);
	json_decref(a2);
	json_decref(g);
	json_decref(plain);
	json_decref(rec);
}

static void test_tally(void **state)
{
	json_t *r1 = record(NULL), *r2 = record("{\"meta\": {\"date\": \"Invalid Date\"}}");
	json_t *a1 = build(r1, NULL), *a2 = build(r2, NULL), *tally = json_object();
	char *s;

	(void)state;
	assert_int_equal(fp_article_tally(tally, a1), 0);
	assert_int_equal(fp_article_tally(tally, a2), 0);
	s = json_dumps(tally, JSON_COMPACT);
	assert_string_equal(s, "{\"lang\":{\"zh-Hans\":2},\"warning_codes\":{\"date-invalid\":1},"
			       "\"published_at_null\":1}");
	free(s);
	json_decref(tally);
	json_decref(a1);
	json_decref(a2);
	json_decref(r1);
	json_decref(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_title_key),
		cmocka_unit_test(test_id_rule),
		cmocka_unit_test(test_same_post_twice),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_text_rules),
		cmocka_unit_test(test_taxonomy),
		cmocka_unit_test(test_dates_and_urls),
		cmocka_unit_test(test_title_fallback_and_rejects),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_source_git),
		cmocka_unit_test(test_tally),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
