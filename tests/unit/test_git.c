/* Unit tests of lib/git.c: a repository's history as versions (order,
 * first parents, which blobs, prefix, ranges, shards, shallow clones,
 * errors). The repositories are made with the git program. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "git.h"
#include "walk.h"
#include "banned.h"

static char dir[64];

/* Runs a shell command in dir with a fixed identity; fails the test when it
 * fails. */
static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[4096], full[4400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(full, sizeof(full),
		 "cd '%s' && export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com"
		 " GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com GIT_CONFIG_NOSYSTEM=1"
		 " HOME='%s' && { %s; } >/dev/null 2>&1",
		 dir, dir, cmd);
	if (system(full) != 0)
		fail_msg("command failed: %s", cmd);
}

/* Commits everything with committer time `t` and author time `t - 60`. */
static void commit(const char *msg, long t)
{
	sh("cd r && git add -A && GIT_COMMITTER_DATE='%ld +0800' GIT_AUTHOR_DATE='%ld +0000'"
	   " git commit -q --allow-empty -m '%s'", t, t - 60, msg);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fp-test-git.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A fresh repository in dir/r. */
static void new_repo(void)
{
	sh("rm -rf r && git init -q -b main r");
}

/* Every version of `rev` under `prefix`, one line each: "PATH BLOB7 T" with
 * T the committer time, into buf. Returns the reader's stats in *stats. */
static char *versions(const char *repo, const char *rev, const char *prefix,
		      const struct fp_walk *walk, struct fp_git_stats *stats)
{
	static char buf[8192];
	const struct fp_git_options opt = { .repo = repo, .rev = rev, .prefix = prefix, .walk = walk };
	struct fp_git_change c;
	struct fp_error err;
	struct fp_git *g;
	size_t used = 0;
	int rc;

	fp_error_init(&err);
	g = fp_git_open(&opt, &err);
	if (!g)
		fail_msg("fp_git_open: %s: %s", err.reason, err.text);
	buf[0] = '\0';
	while ((rc = fp_git_next(g, &c, &err)) > 0)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s %.7s %lld\n", c.path,
					 c.blob, c.committed_at);
	if (rc < 0)
		fail_msg("fp_git_next: %s: %s", err.reason, err.text);
	if (stats)
		*stats = *fp_git_stats(g);
	fp_git_free(g);
	return buf;
}

/* The short id `spec` names, in one of 8 rotating buffers (several may be
 * used in one call). */
static char *blob_of(const char *spec)
{
	static char bufs[8][64];
	static int next;
	char *out = bufs[next++ % 8];
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "git -C '%s/r' rev-parse --short=7 '%s'", dir, spec);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, 64, p));
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

/* snprintf into `buf`, returning it. */
static char *strcpy_expect(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static char *strcpy_expect(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return buf;
}

static char *repo_path(void)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/r", dir);
	return path;
}

/* Oldest first along first parents; only blobs a commit adds or changes;
 * deletions, mode-only changes, other files, dot names, symbolic links and
 * blobs left alone give nothing. */
static void test_history(void **state)
{
	struct fp_git_stats st;
	char expect[2048], a1[8], a2[8], b1[8], c1[8];
	const char *got;

	(void)state;
	new_repo();
	sh("cd r && mkdir -p p/.hidden sub && echo a1 > p/a.md && echo b1 > p/b.md &&"
	   " echo x > p/x.txt && echo h > p/.hidden/h.md && echo d > p/.d.md && echo o > out.md");
	commit("one", 1000000000);
	snprintf(a1, sizeof(a1), "%s", blob_of("HEAD:p/a.md"));
	snprintf(b1, sizeof(b1), "%s", blob_of("HEAD:p/b.md"));
	sh("cd r && echo a2 > p/a.md && chmod +x p/b.md && ln -s a.md p/link.md && echo o2 > out.md");
	commit("two", 1000000100);
	snprintf(a2, sizeof(a2), "%s", blob_of("HEAD:p/a.md"));
	sh("cd r && git rm -q p/b.md");
	commit("three", 1000000200);
	sh("cd r && git mv p/a.md p/c.md && echo c > p/sub.md");
	commit("four", 1000000300);
	snprintf(c1, sizeof(c1), "%s", blob_of("HEAD:p/sub.md"));
	commit("empty", 1000000400);

	got = versions(repo_path(), NULL, "p", NULL, &st);
	snprintf(expect, sizeof(expect),
		 "a.md %s 1000000000\nb.md %s 1000000000\n"
		 "a.md %s 1000000100\n"
		 "c.md %s 1000000300\nsub.md %s 1000000300\n",
		 a1, b1, a2, a2, c1);
	assert_string_equal(got, expect);
	assert_int_equal(st.commits, 5);
	assert_int_equal(st.changes, 5);
	assert_int_equal(st.added, 4);
	assert_int_equal(st.modified, 1);
	assert_int_equal(st.deleted, 2); /* b.md, and a.md renamed away */
	assert_false(st.shallow);
	assert_string_equal(st.boundary, "");
	assert_int_equal(strlen(st.first), 40);
	assert_string_not_equal(st.first, st.last);

	/* The root: out.md too; "/p/" is the prefix "p". */
	got = versions(repo_path(), NULL, NULL, NULL, NULL);
	assert_non_null(strstr(got, "out.md"));
	assert_non_null(strstr(got, "p/a.md"));
	assert_string_equal(versions(repo_path(), NULL, "/p/", NULL, NULL), expect);
	/* A prefix that no commit has: nothing. */
	assert_string_equal(versions(repo_path(), NULL, "nope", NULL, NULL), "");
}

/* The tree diff: a file that becomes a directory of the same name, a
 * directory that becomes a file, names that sort differently as trees
 * ("a.md" and "a/"), a submodule, a directory under a dot name. */
static void test_tree_shapes(void **state)
{
	struct fp_git_stats st;
	char expect[1024];

	(void)state;
	new_repo();
	sh("cd r && echo 1 > x.md && mkdir -p a d/.git-like && echo 2 > a/in.md && echo 3 > a.md &&"
	   " echo 4 > a-b.md && echo 5 > d/.git-like/h.md && mkdir y && echo 6 > y/z.md");
	commit("one", 1000000000);
	sh("cd r && git rm -q x.md && mkdir x.md && echo 7 > x.md/inner.md && git rm -qr y && echo 8 > y"
	   " && echo 9 > a/in.md && git update-index --add --cacheinfo"
	   " 160000,1234567890123456789012345678901234567890,sub");
	commit("two", 1000000100);
	assert_string_equal(versions(repo_path(), "HEAD~1", NULL, NULL, NULL),
			    strcpy_expect(expect, sizeof(expect),
					  "a-b.md %s 1000000000\na.md %s 1000000000\na/in.md %s 1000000000\n"
					  "x.md %s 1000000000\ny/z.md %s 1000000000\n",
					  blob_of("HEAD~1:a-b.md"), blob_of("HEAD~1:a.md"),
					  blob_of("HEAD~1:a/in.md"), blob_of("HEAD~1:x.md"),
					  blob_of("HEAD~1:y/z.md")));
	assert_string_equal(versions(repo_path(), "HEAD~1..HEAD", NULL, NULL, &st),
			    strcpy_expect(expect, sizeof(expect), "a/in.md %s 1000000100\nx.md/inner.md %s 1000000100\n",
					  blob_of("HEAD:a/in.md"), blob_of("HEAD:x.md/inner.md")));
	assert_int_equal(st.deleted, 2); /* x.md, y/z.md */
}

/* "A..B" is what B adds to A, as if the history were loaded in two goes;
 * "A.." ends at HEAD; "B" alone is B's whole history. */
static void test_ranges(void **state)
{
	char whole[8192], first[8192], rest[8192], range[128];
	const char *b;

	(void)state;
	new_repo();
	for (int i = 0; i < 6; i++) {
		sh("cd r && echo v%d > a.md && echo w%d > b%d.md", i, i, i % 2);
		commit("c", 1000000000 + i * 100);
	}
	snprintf(whole, sizeof(whole), "%s", versions(repo_path(), NULL, NULL, NULL, NULL));
	snprintf(first, sizeof(first), "%s", versions(repo_path(), "HEAD~3", NULL, NULL, NULL));
	snprintf(rest, sizeof(rest), "%s", versions(repo_path(), "HEAD~3..HEAD", NULL, NULL, NULL));
	snprintf(first + strlen(first), sizeof(first) - strlen(first), "%s", rest);
	assert_string_equal(first, whole);
	assert_string_equal(versions(repo_path(), "HEAD~3..", NULL, NULL, NULL), rest);
	b = blob_of("HEAD~3");
	snprintf(range, sizeof(range), "%s..main", b);
	assert_string_equal(versions(repo_path(), range, NULL, NULL, NULL), rest);
	assert_string_equal(versions(repo_path(), "HEAD..HEAD", NULL, NULL, NULL), "");
}

/* Merges: first parents only; the merge commit brings the side branch's
 * changes, with its own times. */
static void test_merge(void **state)
{
	struct fp_git_stats st;
	const char *got;
	char expect[512];

	(void)state;
	new_repo();
	sh("cd r && echo 1 > a.md");
	commit("one", 1000000000);
	sh("cd r && git checkout -q -b side && echo side > s.md && echo a-side > a.md");
	commit("side", 1000000100);
	sh("cd r && echo side2 > s.md");
	commit("side2", 1000000150);
	sh("cd r && git checkout -q main && echo m > m.md");
	commit("main", 1000000200);
	sh("cd r && GIT_COMMITTER_DATE='1000000300 +0000' GIT_AUTHOR_DATE='1000000300 +0000'"
	   " git merge -q --no-ff -m merge side");
	got = versions(repo_path(), NULL, NULL, NULL, &st);
	snprintf(expect, sizeof(expect),
		 "a.md %s 1000000000\nm.md %s 1000000200\na.md %s 1000000300\ns.md %s 1000000300\n",
		 blob_of("HEAD~1:a.md"), blob_of("HEAD:m.md"), blob_of("HEAD:a.md"),
		 blob_of("HEAD:s.md"));
	assert_string_equal(got, expect);
	assert_int_equal(st.commits, 3);
}

/* The shards of a path split the versions: together they are the whole. */
static void test_shards(void **state)
{
	struct fp_walk w = { 0 };
	char whole[8192], parts[8192] = "";
	size_t lines = 0;

	(void)state;
	new_repo();
	sh("cd r && for i in $(seq 1 40); do echo $i > p$i.md; done");
	commit("one", 1000000000);
	sh("cd r && for i in $(seq 1 40 | awk 'NR %% 3 == 0'); do echo x$i > p$i.md; done");
	commit("two", 1000000100);
	snprintf(whole, sizeof(whole), "%s", versions(repo_path(), NULL, NULL, NULL, NULL));
	for (int k = 0; k < 3; k++) {
		char spec[8];
		const char *got;

		snprintf(spec, sizeof(spec), "%d/3", k);
		assert_int_equal(fp_walk_parse_shard(&w, spec), 0);
		got = versions(repo_path(), NULL, NULL, &w, NULL);
		for (const char *l = got; *l; l = strchr(l, '\n') + 1) {
			char path[64], line[128];

			snprintf(path, sizeof(path), "%.*s", (int)strcspn(l, " "), l);
			snprintf(line, sizeof(line), "%.*s", (int)strcspn(l, "\n") + 1, l);
			assert_int_equal(fp_walk_shard(path, 3), (unsigned)k);
			assert_non_null(strstr(whole, line));
			lines++;
		}
		snprintf(parts + strlen(parts), sizeof(parts) - strlen(parts), "%s", got);
	}
	assert_int_equal(lines, 40 + 13);
	assert_int_equal(strlen(parts), strlen(whole));
}

/* A shallow clone's history starts at its boundary, where every file is
 * new; a bare repository reads as its work tree would. */
static void test_shallow_and_bare(void **state)
{
	struct fp_git_stats st;
	char path[128], expect[512], boundary[64];
	const char *got;

	(void)state;
	new_repo();
	for (int i = 0; i < 4; i++) {
		sh("cd r && echo v%d > a.md && echo k > keep.md", i);
		commit("c", 1000000000 + i * 100);
	}
	sh("rm -rf shallow bare && git clone -q --depth 2 \"file://$PWD/r\" shallow &&"
	   " git clone -q --bare r bare");
	snprintf(path, sizeof(path), "%s/shallow", dir);
	got = versions(path, NULL, NULL, NULL, &st);
	snprintf(expect, sizeof(expect), "a.md %s 1000000200\nkeep.md %s 1000000200\na.md %s 1000000300\n",
		 blob_of("HEAD~1:a.md"), blob_of("HEAD:keep.md"), blob_of("HEAD:a.md"));
	assert_string_equal(got, expect);
	assert_true(st.shallow);
	assert_int_equal(st.commits, 2);
	snprintf(boundary, sizeof(boundary), "%s", st.first);
	assert_string_equal(st.boundary, boundary);

	snprintf(path, sizeof(path), "%s/bare", dir);
	assert_string_equal(versions(path, NULL, NULL, NULL, &st),
			    versions(repo_path(), NULL, NULL, NULL, NULL));
	assert_false(st.shallow);
}

/* The blob's bytes, and source.git. */
static void test_read_and_source(void **state)
{
	const struct fp_git_options opt = { .repo = repo_path() };
	struct fp_git_change c;
	struct fp_error err;
	struct fp_git *g;
	const char *data;
	size_t len;
	json_t *git, *expect;
	char hex[FP_GIT_OID_HEX + 1];

	(void)state;
	new_repo();
	sh("cd r && printf 'a\\0b\\n' > 'q \"x\".md'");
	commit("one", 1639976888);
	fp_error_init(&err);
	assert_non_null(g = fp_git_open(&opt, &err));
	assert_int_equal(fp_git_next(g, &c, &err), 1);
	assert_string_equal(c.path, "q \"x\".md");
	assert_int_equal(c.size, 4);
	assert_int_equal(c.author_at, 1639976888 - 60);
	assert_int_equal(fp_git_read(g, &c, &data, &len, &err), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(data, "a\0b\n", 4);
	git = fp_git_source_new(&c);
	assert_int_equal(fp_git_resolve(repo_path(), "HEAD", hex, &err), 0);
	assert_string_equal(c.commit, hex);
	expect = json_pack("{s:s, s:s, s:s, s:s}", "commit", hex, "blob", c.blob, "committed_at",
			   "2021-12-20T05:08:08Z", "author_at", "2021-12-20T05:07:08Z");
	assert_true(json_equal(git, expect));
	assert_int_equal(fp_git_next(g, &c, &err), 0);
	json_decref(git);
	json_decref(expect);
	fp_git_free(g);
}

static void expect_open_error(const char *repo, const char *rev, const char *reason)
{
	const struct fp_git_options opt = { .repo = repo, .rev = rev };
	struct fp_error err;

	fp_error_init(&err);
	assert_null(fp_git_open(&opt, &err));
	assert_string_equal(err.reason, reason);
}

static void test_errors(void **state)
{
	struct fp_error err;
	char hex[FP_GIT_OID_HEX + 1];

	(void)state;
	new_repo();
	/* An empty repository has no HEAD commit. */
	expect_open_error(repo_path(), NULL, "git-rev");
	sh("cd r && echo 1 > a.md");
	commit("one", 1000000000);
	expect_open_error(dir, NULL, "git-open");
	expect_open_error("/nonexistent/x", NULL, "git-open");
	expect_open_error(repo_path(), "nope", "git-rev");
	expect_open_error(repo_path(), "nope..HEAD", "git-rev");
	expect_open_error(repo_path(), "HEAD...HEAD", "git-rev");
	fp_error_init(&err);
	assert_int_equal(fp_git_resolve(repo_path(), "nope", hex, &err), -1);
	assert_string_equal(err.reason, "git-rev");
	assert_int_equal(strlen(fp_git_version()) > 0, 1);
	fp_git_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history),
		cmocka_unit_test(test_tree_shapes),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_shallow_and_bare),
		cmocka_unit_test(test_read_and_source),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
