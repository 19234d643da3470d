/* Unit tests of lib/pg.c that need no server: article checks, descriptions
 * of connection strings without their password. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pg.h"
#include "banned.h"

static json_t *valid(void)
{
	return json_loads(
		"{\"id\":\"0123456789abcdef\",\"title\":\"t\",\"author\":null,\"topic\":null,"
		"\"site\":null,\"feed\":null,\"categories\":[\"a\"],\"published_at\":"
		"\"2024-02-29T23:59:59Z\",\"published_raw\":null,\"image\":null,\"thumbnail\":null,"
		"\"comments\":null,\"editor\":null,\"original_title\":null,\"lang\":\"en\","
		"\"html\":\"<p>x</p>\",\"text\":\"x\",\"chars\":1,\"images\":[],\"links\":[],"
		"\"embeds\":[],\"content_hash\":"
		"\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\","
		"\"source\":{\"path\":\"a.md\",\"root\":\".\",\"bytes\":1,"
		"\"mtime\":\"2026-01-01T00:00:00Z\",\"sha256\":\"x\"},\"warnings\":[]}",
		0, NULL);
}

static void expect_invalid(const char *key, json_t *value, const char *text)
{
	json_t *a = valid();
	struct fp_error err;

	fp_error_init(&err);
	if (value)
		json_object_set_new(a, key, value);
	else
		json_object_del(a, key);
	assert_int_equal(fp_pg_check(a, &err), 0);
	assert_string_equal(err.reason, "article-invalid");
	assert_string_equal(err.text, text);
	json_decref(a);
}

static void test_check(void **state)
{
	json_t *a = valid();
	struct fp_error err;

	(void)state;
	fp_error_init(&err);
	assert_int_equal(fp_pg_check(a, &err), 1);
	json_decref(a);
	expect_invalid("id", json_string("0123"), "member 'id' is not 16 lowercase hex digits");
	expect_invalid("id", json_string("0123456789ABCDEF"),
		       "member 'id' is not 16 lowercase hex digits");
	expect_invalid("title", NULL, "member 'title' is missing");
	expect_invalid("title", json_null(), "member 'title' is null");
	expect_invalid("title", json_integer(1), "member 'title' is not a string");
	expect_invalid("title", json_stringn("a\0b", 3), "member 'title' holds NUL or invalid UTF-8");
	expect_invalid("published_at", json_string("2023-02-29T00:00:00Z"),
		       "member 'published_at' is not a timestamp YYYY-MM-DDTHH:MM:SSZ");
	expect_invalid("published_at", json_string("2023-01-01 00:00:00"),
		       "member 'published_at' is not a timestamp YYYY-MM-DDTHH:MM:SSZ");
	expect_invalid("categories", json_pack("[i]", 1), "member 'categories' holds a non-string");
	expect_invalid("chars", json_integer(-1), "member 'chars' is not a non-negative integer");
	expect_invalid("comments", json_string("yes"), "member 'comments' is not a boolean");
	expect_invalid("images", json_pack("[{s:s}]", "alt", "x"),
		       "member 'images' holds an image without a string src");
	expect_invalid("links", json_object(), "member 'links' is not an array");
	{
		char long_feed[2100];

		memset(long_feed, 'x', sizeof(long_feed) - 1);
		long_feed[sizeof(long_feed) - 1] = '\0';
		expect_invalid("feed", json_string(long_feed),
			       "member 'feed' is longer than 2000 bytes (the column is indexed)");
		expect_invalid("site", json_string(long_feed),
			       "member 'site' is longer than 2000 bytes (the column is indexed)");
		/* No index on author or topic: any length. */
		a = valid();
		json_object_set_new(a, "author", json_string(long_feed));
		json_object_set_new(a, "topic", json_string(long_feed));
		assert_int_equal(fp_pg_check(a, &err), 1);
		json_decref(a);
	}
	expect_invalid("content_hash", json_string("abc"),
		       "member 'content_hash' is not 64 lowercase hex digits");
}

static void test_schema(void **state)
{
	char name[80];
	struct fp_error err;

	(void)state;
	memset(name, 'a', sizeof(name));
	name[63] = '\0';
	assert_int_equal(fp_pg_check_schema(name, NULL), 0);
	assert_int_equal(fp_pg_check_schema("public", NULL), 0);
	assert_int_equal(fp_pg_check_schema("新闻", NULL), 0);
	name[63] = 'a';
	name[64] = '\0';
	fp_error_init(&err);
	assert_int_equal(fp_pg_check_schema(name, &err), -1);
	assert_string_equal(err.reason, "db-options");
	assert_string_equal(err.text, "a schema name is at most 63 bytes (PostgreSQL cuts longer ones)");
	fp_error_init(&err);
	assert_int_equal(fp_pg_check_schema("", &err), -1);
	assert_string_equal(err.text, "a schema name cannot be empty");
	assert_int_equal(fp_pg_check_schema("a\xff" "b", NULL), -1);
}

/* source.git: its commit and committed_at go into the tables, so they are
 * checked; the rest of it is not the sink's business. */
static void expect_git(json_t *git, const char *text)
{
	json_t *a = valid();
	struct fp_error err;

	fp_error_init(&err);
	json_object_set_new(json_object_get(a, "source"), "git", git);
	assert_int_equal(fp_pg_check(a, &err), text ? 0 : 1);
	if (text)
		assert_string_equal(err.text, text);
	json_decref(a);
}

static void test_check_git(void **state)
{
	static const char *const commit = "4f1c2e0000000000000000000000000000000001";

	(void)state;
	expect_git(json_pack("{s:s, s:s}", "commit", commit, "committed_at", "2021-12-20T05:10:00Z"),
		   NULL);
	expect_git(json_pack("{s:s, s:s}", "commit", "4F1C", "committed_at", "2021-12-20T05:10:00Z"),
		   "member 'source.git' has no commit of 40 lowercase hex digits");
	expect_git(json_pack("{s:s}", "commit", commit),
		   "member 'source.git' has no committed_at timestamp YYYY-MM-DDTHH:MM:SSZ");
	expect_git(json_pack("{s:s, s:s}", "commit", commit, "committed_at", "2021-02-30T05:10:00Z"),
		   "member 'source.git' has no committed_at timestamp YYYY-MM-DDTHH:MM:SSZ");
	expect_git(json_string(commit), "member 'source.git' has no commit of 40 lowercase hex digits");
}

static void test_describe(void **state)
{
	char buf[256];

	(void)state;
	unsetenv("PGUSER");
	unsetenv("PGHOST");
	unsetenv("PGPORT");
	unsetenv("PGDATABASE");
	assert_string_equal(fp_pg_describe("postgresql://bob:hunter22@db.example:5433/news", buf,
					   sizeof(buf)),
			    "bob@db.example:5433/news");
	assert_string_equal(fp_pg_describe("host=/run/pg dbname=x password=hunter22", buf,
					   sizeof(buf)),
			    "/run/pg/x");
	assert_string_equal(fp_pg_describe("password=hunter22 nonsense", buf, sizeof(buf)),
			    "(invalid connection string)");
	setenv("PGDATABASE", "envdb", 1);
	assert_string_equal(fp_pg_describe("", buf, sizeof(buf)), "localhost/envdb");
	assert_non_null(fp_pg_version());
	fp_pg_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_schema),
		cmocka_unit_test(test_check_git),
		cmocka_unit_test(test_describe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
