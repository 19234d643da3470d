/* Unit tests of lib/walk.c: sorted walk, hidden names, globs, links, and
 * sharding. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "walk.h"
#include "banned.h"

static char root[64];

static void touch(const char *rel)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("x\n", f);
	fclose(f);
}

static void mkdir_rel(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static void link_rel(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/fp-test-walk.XXXXXX");
	if (!mkdtemp(root))
		return -1;
	touch("b.md");
	touch("a.md");
	touch("A.md");
	touch("c.txt");
	touch("_draft.md");
	touch(".hidden.md");
	mkdir_rel(".git");
	touch(".git/x.md");
	mkdir_rel("sub");
	touch("sub/z.md");
	touch("sub/y.markdown");
	mkdir_rel("sub/deeper");
	touch("sub/deeper/y.md");
	touch("sub-file.md");
	mkdir_rel("empty");
	link_rel("a.md", "link.md");         /* link to a file: followed */
	link_rel("sub", "linkdir");          /* link to a directory: not */
	link_rel("missing.md", "dangling.md");
	mkdir_rel("dir.md");                 /* a directory named like a post */
	touch("dir.md/inner.md");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

struct seen {
	char list[4096];
	int calls, errors, stop_after, stop_value;
};

static int collect(void *data, const char *r, const char *rel, const char *path,
		   const struct fp_error *err)
{
	struct seen *s = data;
	char want[512];
	size_t n = strlen(s->list);

	assert_memory_equal(r, root, strlen(root));
	if (err) {
		s->errors++;
		snprintf(s->list + n, sizeof(s->list) - n, "!%s ", rel);
		return 0;
	}
	snprintf(want, sizeof(want), "%s/%s", root, rel);
	assert_string_equal(path, want);
	snprintf(s->list + n, sizeof(s->list) - n, "%s ", rel);
	s->calls++;
	if (s->stop_after && s->calls == s->stop_after)
		return s->stop_value;
	return 0;
}

static void walk(const char *const *globs, const char *want)
{
	struct fp_walk w = { globs, 0, 0 };
	struct seen s;

	memset(&s, 0, sizeof(s));
	assert_int_equal(fp_walk_dir(&w, root, collect, &s), 0);
	assert_string_equal(s.list, want);
	assert_int_equal(s.errors, 0);
}

static void test_sorted_hidden_links(void **state)
{
	(void)state;
	/* byte-wise order within each directory ('A' < '_' < 'a'), depth
	 * first; hidden names skipped; the link to a file taken, the link to a
	 * directory and the dangling one not */
	walk(NULL, "A.md _draft.md a.md b.md dir.md/inner.md link.md sub/deeper/y.md sub/z.md "
		   "sub-file.md ");
}

/* fp_walk_dir_stat: each file with stat(2)'s status of its path (a link
 * followed), in the same order as fp_walk_dir. */
static int check_stat(void *data, const char *r, const char *rel, const char *path,
		      const struct stat *st, const struct fp_error *err)
{
	struct seen *s = data;
	struct stat want;
	size_t n = strlen(s->list);

	(void)r;
	(void)rel;
	assert_null(err);
	assert_non_null(st);
	assert_int_equal(stat(path, &want), 0);
	assert_int_equal(st->st_ino, want.st_ino);
	assert_int_equal(st->st_size, want.st_size);
	assert_int_equal(st->st_mtim.tv_sec, want.st_mtim.tv_sec);
	assert_int_equal(st->st_mtim.tv_nsec, want.st_mtim.tv_nsec);
	assert_true(S_ISREG(st->st_mode));
	snprintf(s->list + n, sizeof(s->list) - n, "%s ", rel);
	return 0;
}

static void test_stat(void **state)
{
	struct fp_walk w = { NULL, 0, 0 };
	struct seen s;
	char path[256];
	FILE *f;

	(void)state;
	/* a.md grows, so that the link to it differs from a link's own lstat */
	snprintf(path, sizeof(path), "%s/a.md", root);
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("more bytes\n", f);
	fclose(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(fp_walk_dir_stat(&w, root, check_stat, &s), 0);
	assert_string_equal(s.list, "A.md _draft.md a.md b.md dir.md/inner.md link.md "
				    "sub/deeper/y.md sub/z.md sub-file.md ");
}

/* fp_walk_subdir: a part of the tree, with the whole tree's paths. */
static void test_subdir(void **state)
{
	struct fp_walk w = { NULL, 0, 0 };
	struct seen s;
	char path[512];

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(path, sizeof(path), "%s/sub", root);
	assert_int_equal(fp_walk_subdir(&w, root, "sub", path, collect, &s), 0);
	assert_string_equal(s.list, "sub/deeper/y.md sub/z.md ");
	memset(&s, 0, sizeof(s));
	assert_int_equal(fp_walk_subdir(&w, root, "", root, collect, &s), 0);
	assert_string_equal(s.list, "A.md _draft.md a.md b.md dir.md/inner.md link.md sub/deeper/y.md "
				    "sub/z.md sub-file.md ");
}

static void test_globs(void **state)
{
	static const char *const txt[] = { "*.txt", NULL };
	static const char *const two[] = { "*.markdown", "[ab].md", NULL };
	static const char *const none[] = { NULL };

	(void)state;
	walk(txt, "c.txt ");
	walk(two, "a.md b.md sub/y.markdown ");
	walk(none, "");
}

static void test_match(void **state)
{
	static const char *const globs[] = { "*.md", "post-?.txt", NULL };
	struct fp_walk def = { NULL, 0, 0 }, w = { globs, 0, 0 };

	(void)state;
	assert_true(fp_walk_match(&def, "a.md"));
	assert_true(fp_walk_match(&def, ".md"));
	assert_false(fp_walk_match(&def, "a.md.bak"));
	assert_false(fp_walk_match(&def, "a.MD"));
	assert_true(fp_walk_match(&w, "post-1.txt"));
	assert_false(fp_walk_match(&w, "post-12.txt"));
}

static void test_stop(void **state)
{
	struct fp_walk w = { NULL, 0, 0 };
	struct seen s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.stop_after = 4; /* stops inside dir.md/, the walk unwinds */
	s.stop_value = 7;
	assert_int_equal(fp_walk_dir(&w, root, collect, &s), 7);
	assert_string_equal(s.list, "A.md _draft.md a.md b.md ");
	memset(&s, 0, sizeof(s));
	s.stop_after = 5;
	s.stop_value = -3;
	assert_int_equal(fp_walk_dir(&w, root, collect, &s), -3);
	assert_string_equal(s.list, "A.md _draft.md a.md b.md dir.md/inner.md ");
}

static void test_unreadable(void **state)
{
	struct fp_walk w = { NULL, 0, 0 };
	struct seen s;
	char path[256];

	(void)state;
	memset(&s, 0, sizeof(s));
	snprintf(path, sizeof(path), "%s/no-such-dir", root);
	assert_int_equal(fp_walk_dir(&w, path, collect, &s), 0);
	assert_int_equal(s.errors, 1);
	if (geteuid() == 0)
		return; /* root reads everything */
	mkdir_rel("locked");
	touch("locked/x.md");
	snprintf(path, sizeof(path), "%s/locked", root);
	chmod(path, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(fp_walk_dir(&w, root, collect, &s), 0);
	chmod(path, 0755);
	assert_int_equal(s.errors, 1);
	assert_non_null(strstr(s.list, "!locked "));
	assert_non_null(strstr(s.list, "sub-file.md "));
}

static void test_shard_function(void **state)
{
	(void)state;
	/* FNV-1a 64: fixed values, so separate machines agree */
	assert_int_equal(fp_walk_shard("", 1000), 0xcbf29ce484222325ULL % 1000);
	assert_int_equal(fp_walk_shard("a", 1000), 0xaf63dc4c8601ec8cULL % 1000);
	assert_int_equal(fp_walk_shard("posts/2021/hello.md", 1000), 532);
	assert_int_equal(fp_walk_shard("posts/2021/hello.md", 7), 6);
	assert_int_equal(fp_walk_shard("anything", 1), 0);
	assert_int_equal(fp_walk_shard("anything", 0), 0);
}

/* Every path lands in exactly one of N shards. */
static void test_shard_partition(void **state)
{
	char rel[64];
	unsigned n, k, i;

	(void)state;
	for (n = 1; n <= 9; n++) {
		unsigned counts[9] = { 0 };

		for (i = 0; i < 2000; i++) {
			unsigned in = 0;

			snprintf(rel, sizeof(rel), "posts/%u/%u-post.md", i % 13, i);
			for (k = 0; k < n; k++) {
				struct fp_walk w = { NULL, (int)k, (int)n };

				if (fp_walk_in_shard(&w, rel)) {
					in++;
					counts[k]++;
				}
			}
			assert_int_equal(in, 1);
		}
		/* and the shards are roughly even */
		for (k = 0; k < n; k++)
			assert_true(counts[k] > 2000 / n / 2);
	}
}

/* Walking each shard of the tree gives the whole walk, once. */
static void test_shard_walk(void **state)
{
	struct seen all, s;
	struct fp_walk w = { NULL, 0, 0 };
	int k, total = 0;

	(void)state;
	memset(&all, 0, sizeof(all));
	fp_walk_dir(&w, root, collect, &all);
	for (k = 0; k < 3; k++) {
		char *tok, *save = NULL, copy[4096];

		w.shard_index = k;
		w.shard_count = 3;
		memset(&s, 0, sizeof(s));
		fp_walk_dir(&w, root, collect, &s);
		total += s.calls;
		snprintf(copy, sizeof(copy), "%s", s.list);
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
			char needle[300];

			snprintf(needle, sizeof(needle), "%s ", tok);
			assert_non_null(strstr(all.list, needle));
			assert_int_equal(fp_walk_shard(tok, 3), (unsigned)k);
		}
	}
	assert_int_equal(total, all.calls);
}

static void shard_ok(const char *spec, int k, int n)
{
	struct fp_walk w = { NULL, 0, 0 };

	if (fp_walk_parse_shard(&w, spec) != 0)
		fail_msg("shard '%s' rejected", spec);
	assert_int_equal(w.shard_index, k);
	assert_int_equal(w.shard_count, n);
}

static void shard_bad(const char *spec)
{
	struct fp_walk w = { NULL, 5, 9 };

	if (fp_walk_parse_shard(&w, spec) == 0)
		fail_msg("bad shard '%s' accepted", spec);
	assert_int_equal(w.shard_index, 5);
	assert_int_equal(w.shard_count, 9);
}

static void test_parse_shard(void **state)
{
	(void)state;
	shard_ok("0/1", 0, 1);
	shard_ok("3/4", 3, 4);
	shard_ok("0/1000000", 0, 1000000);
	shard_bad("");
	shard_bad("4/4");
	shard_bad("-1/4");
	shard_bad("1/0");
	shard_bad("1/-2");
	shard_bad("a/b");
	shard_bad("1");
	shard_bad("1/");
	shard_bad("/4");
	shard_bad("1/4x");
	shard_bad("1x/4");
	shard_bad("0/1000001");
	shard_bad("99999999999999999999/4");
	shard_bad("0/99999999999999999999");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted_hidden_links),
		cmocka_unit_test(test_stat),
		cmocka_unit_test(test_subdir),
		cmocka_unit_test(test_globs),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_shard_function),
		cmocka_unit_test(test_shard_partition),
		cmocka_unit_test(test_shard_walk),
		cmocka_unit_test(test_parse_shard),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
