/* Unit tests of lib/state.c: planning from the state of incremental runs
 * (new, unchanged, changed, touched, deleted files) and committing it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "state.h"
#include "banned.h"

static char dir[64], root[96], state_path[96];

static void write_post(const char *rel, const char *text, long mtime)
{
	char path[256];
	struct timespec t[2] = { { mtime, 0 }, { mtime, 0 } };
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(utimensat(AT_FDCWD, path, t, 0), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fp-test-state.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(root, sizeof(root), "%s/posts", dir);
	snprintf(state_path, sizeof(state_path), "%s/state", dir);
	return mkdir(root, 0755);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Plans, checks the counts and the list, commits when asked. */
static void plan(long files, long changed, long touched, const char *list, int commit, int full)
{
	struct fp_state_plan p;
	struct fp_walk walk = { 0 };
	struct fp_error err;
	char buf[512] = "", expect[512];
	json_t *state;
	size_t n;
	FILE *f;

	fp_error_init(&err);
	assert_int_equal(fp_state_read(state_path, &state, &err), 0);
	assert_int_equal(fp_state_plan(&p, root, &walk, state, full, dir, &err), 0);
	assert_int_equal(p.files, files);
	assert_int_equal(p.changed, changed);
	assert_int_equal(p.touched, touched);
	f = fopen(p.list_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '|';
	buf[n] = '\0';
	/* "a.md|b.md|" stands for ROOT/a.md NUL ROOT/b.md NUL. */
	expect[0] = '\0';
	for (const char *l = list, *bar; (bar = strchr(l, '|')); l = bar + 1) {
		size_t len = strlen(expect);
		snprintf(expect + len, sizeof(expect) - len, "%s/%.*s|", root, (int)(bar - l), l);
	}
	assert_string_equal(buf, expect);
	/* Something to record exactly when a file is new, changed, touched or gone. */
	assert_int_equal(fp_state_plan_dirty(&p),
			 changed + touched > 0 || json_array_size(p.gone) > 0);
	if (commit)
		assert_int_equal(fp_state_write(state_path, root, p.next, &err), 0);
	fp_state_plan_release(&p);
}

static void test_plan(void **state)
{
	(void)state;
	write_post("a.md", "---\ntitle: a\n---\nA\n", 1600000000);
	write_post("b.md", "---\ntitle: b\n---\nB\n", 1600000000);
	plan(2, 2, 0, "a.md|b.md|", 0, 0);
	plan(2, 2, 0, "a.md|b.md|", 1, 0); /* not committed before: all again */
	plan(2, 0, 0, "", 0, 0);
	/* Changed content (same size, new mtime), then only a new mtime. */
	write_post("b.md", "---\ntitle: b\n---\nC\n", 1600000100);
	plan(2, 1, 0, "b.md|", 1, 0);
	write_post("a.md", "---\ntitle: a\n---\nA\n", 1600000200);
	plan(2, 0, 1, "", 1, 0);
	plan(2, 0, 0, "", 0, 0);
	/* --full, a new file, a deleted file. */
	plan(2, 2, 0, "a.md|b.md|", 0, 1);
	write_post("c.md", "x", 1600000300);
	plan(3, 1, 0, "c.md|", 1, 0);
	{
		char path[256];
		snprintf(path, sizeof(path), "%s/a.md", root);
		assert_int_equal(unlink(path), 0);
	}
	plan(2, 0, 0, "", 1, 0);
	write_post("a.md", "---\ntitle: a\n---\nA\n", 1600000200);
	plan(3, 1, 0, "a.md|", 0, 0);
}

/* What a database state needs: the rows to write, the rows to delete, the
 * load_run of a touched file kept; files of another shard are kept. */
static void test_diff(void **state)
{
	struct fp_state_plan p;
	struct fp_walk all = { 0 }, shard = { 0 };
	struct fp_error err;
	json_t *old = json_object();
	char path[256];

	(void)state;
	fp_error_init(&err);
	snprintf(root, sizeof(root), "%s/other", dir); /* a tree of its own */
	assert_int_equal(mkdir(root, 0755), 0);
	write_post("d.md", "d", 1600000000);
	write_post("e.md", "e", 1600000000);
	assert_int_equal(fp_state_plan(&p, root, &all, NULL, 0, dir, &err), 0);
	assert_int_equal(json_object_size(p.upsert), 2);
	assert_null(json_object_get(json_object_get(p.upsert, "d.md"), "load_run"));
	/* As read from the database, with the run that loaded them. */
	json_object_update(old, p.next);
	json_object_set_new(json_object_get(old, "d.md"), "load_run", json_integer(7));
	json_object_set_new(json_object_get(old, "e.md"), "load_run", json_integer(7));
	json_object_set_new(old, "gone.md", json_pack("{s:s, s:i, s:i, s:s}", "path", "gone.md",
						      "bytes", 1, "mtime_ns", 1, "sha256", "00"));
	fp_state_plan_release(&p);
	write_post("d.md", "d", 1600000100); /* touched */
	json_incref(old);
	assert_int_equal(fp_state_plan(&p, root, &all, old, 0, dir, &err), 0);
	assert_int_equal(p.touched, 1);
	assert_int_equal(json_object_size(p.upsert), 1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p.upsert, "d.md"),
							    "load_run")),
			 7);
	assert_int_equal(json_array_size(p.gone), 1);
	assert_string_equal(json_string_value(json_array_get(p.gone, 0)), "gone.md");
	assert_null(json_object_get(p.next, "gone.md"));
	fp_state_plan_release(&p);
	/* A shard that does not hold e.md keeps its entry: it still exists. */
	assert_int_equal(fp_walk_parse_shard(&shard, "0/2"), 0);
	snprintf(path, sizeof(path), "%s", fp_walk_in_shard(&shard, "e.md") ? "1/2" : "0/2");
	assert_int_equal(fp_walk_parse_shard(&shard, path), 0);
	assert_false(fp_walk_in_shard(&shard, "e.md"));
	assert_int_equal(fp_state_plan(&p, root, &shard, old, 0, dir, &err), 0);
	assert_non_null(json_object_get(p.next, "e.md"));
	assert_null(json_object_get(p.upsert, "e.md"));
	assert_int_equal(json_array_size(p.gone), 1);
	fp_state_plan_release(&p);
	snprintf(path, sizeof(path), "%s/d.md", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/e.md", root);
	unlink(path);
	snprintf(root, sizeof(root), "%s/posts", dir);
}

static void test_bad_state(void **state)
{
	struct fp_state_plan p;
	struct fp_walk walk = { 0 };
	struct fp_error err;
	json_t *old;
	FILE *f = fopen(state_path, "w");

	(void)state;
	assert_non_null(f);
	fputs("not a state\n", f);
	fclose(f);
	fp_error_init(&err);
	memset(&p, 0, sizeof(p));
	assert_int_equal(fp_state_read(state_path, &old, &err), -1);
	assert_null(old);
	assert_string_equal(err.reason, "state-invalid");
	fp_state_plan_release(&p);
	(void)walk;
	unlink(state_path);
	fp_state_plan_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_bad_state),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
