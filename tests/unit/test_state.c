/* Unit tests of lib/state.c: planning from the state of incremental runs
 * (new, unchanged, changed, touched, deleted files) and committing it; the
 * state in memory (lookup, order) and in its file (the bytes jansson
 * writes, lines jansson reads). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

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
	struct fp_state state;
	size_t n;
	FILE *f;

	fp_error_init(&err);
	assert_int_equal(fp_state_read(state_path, &state, &err), 0);
	assert_int_equal(fp_state_plan(&p, root, &walk, &state, full, dir, &err), 0);
	assert_int_equal(state.n, 0); /* stolen */
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
			 changed + touched > 0 || p.ngone > 0);
	/* The next state: sorted, every file found (none here is unreadable). */
	assert_int_equal(p.next.n, (size_t)files);
	for (size_t i = 1; i < p.next.n; i++)
		assert_true(strcmp(p.next.v[i - 1].path, p.next.v[i].path) < 0);
	if (commit)
		assert_int_equal(fp_state_write(state_path, root, &p.next, &err), 0);
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

/* The state as read from the database after the plan `p` was recorded by
 * load run 7, with a row whose file is gone, added in reverse order. */
static void db_state(struct fp_state *old, const struct fp_state_plan *p)
{
	struct fp_state_entry *e;

	fp_state_init(old);
	assert_non_null(e = fp_state_add(old, "gone.md"));
	e->bytes = 1;
	e->mtime_ns = 1;
	memcpy(e->sha256, "00", 3);
	for (size_t i = p->next.n; i-- > 0;) {
		assert_non_null(e = fp_state_add(old, p->next.v[i].path));
		e->bytes = p->next.v[i].bytes;
		e->mtime_ns = p->next.v[i].mtime_ns;
		memcpy(e->sha256, p->next.v[i].sha256, sizeof(e->sha256));
		e->load_run = 7;
	}
	assert_int_equal(fp_state_sort(old), 0);
}

/* What a database state needs: the rows to write, the rows to delete, the
 * load_run of a touched file kept; files of another shard are kept. */
static void test_diff(void **state)
{
	struct fp_state_plan p, first;
	struct fp_walk all = { 0 }, shard = { 0 };
	struct fp_error err;
	struct fp_state old;
	char path[256];

	(void)state;
	fp_error_init(&err);
	snprintf(root, sizeof(root), "%s/other", dir); /* a tree of its own */
	assert_int_equal(mkdir(root, 0755), 0);
	write_post("d.md", "d", 1600000000);
	write_post("e.md", "e", 1600000000);
	assert_int_equal(fp_state_plan(&first, root, &all, NULL, 0, dir, &err), 0);
	assert_int_equal(first.upsert.n, 2);
	assert_non_null(fp_state_find(&first.upsert, "d.md"));
	assert_int_equal(fp_state_find(&first.upsert, "d.md")->load_run, 0);
	assert_string_equal(fp_state_find(&first.upsert, "d.md")->sha256,
			    "18ac3e7343f016890c510e93f935261169d9e3f565436429830faf0934f4f8e4");
	assert_int_equal(fp_state_find(&first.upsert, "e.md")->bytes, 1);
	assert_int_equal(fp_state_find(&first.upsert, "e.md")->mtime_ns, 1600000000000000000LL);
	write_post("d.md", "d", 1600000100); /* touched */
	db_state(&old, &first);
	assert_int_equal(fp_state_plan(&p, root, &all, &old, 0, dir, &err), 0);
	assert_int_equal(p.recorded, 3);
	assert_int_equal(p.touched, 1);
	assert_int_equal(p.changed, 0);
	assert_int_equal(p.upsert.n, 1);
	assert_string_equal(p.upsert.v[0].path, "d.md");
	assert_int_equal(p.upsert.v[0].load_run, 7);
	assert_int_equal(p.upsert.v[0].mtime_ns, 1600000100000000000LL);
	assert_int_equal(p.ngone, 1);
	assert_string_equal(p.gone[0], "gone.md");
	assert_null(fp_state_find(&p.next, "gone.md"));
	assert_int_equal(p.next.n, 2);
	assert_int_equal(fp_state_find(&p.next, "d.md")->mtime_ns, 1600000100000000000LL);
	assert_int_equal(fp_state_find(&p.next, "e.md")->load_run, 7);
	fp_state_plan_release(&p);
	/* --full: every file again, as new (no load_run kept). */
	db_state(&old, &first);
	assert_int_equal(fp_state_plan(&p, root, &all, &old, 1, dir, &err), 0);
	assert_int_equal(p.changed, 2);
	assert_int_equal(p.touched, 0);
	assert_int_equal(p.upsert.n, 2);
	assert_int_equal(p.upsert.v[0].load_run + p.upsert.v[1].load_run, 0);
	assert_int_equal(p.ngone, 1);
	fp_state_plan_release(&p);
	/* A shard that does not hold e.md keeps its entry: it still exists. */
	assert_int_equal(fp_walk_parse_shard(&shard, "0/2"), 0);
	snprintf(path, sizeof(path), "%s", fp_walk_in_shard(&shard, "e.md") ? "1/2" : "0/2");
	assert_int_equal(fp_walk_parse_shard(&shard, path), 0);
	assert_false(fp_walk_in_shard(&shard, "e.md"));
	db_state(&old, &first);
	assert_int_equal(fp_state_plan(&p, root, &shard, &old, 0, dir, &err), 0);
	assert_non_null(fp_state_find(&p.next, "e.md"));
	assert_int_equal(fp_state_find(&p.next, "e.md")->load_run, 7);
	assert_null(fp_state_find(&p.upsert, "e.md"));
	assert_int_equal(p.ngone, 1);
	fp_state_plan_release(&p);
	fp_state_plan_release(&first);
	snprintf(path, sizeof(path), "%s/d.md", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/e.md", root);
	unlink(path);
	snprintf(root, sizeof(root), "%s/posts", dir);
}

/* A symbolic link to a file is planned with the file's size and mtime. */
static void test_symlink(void **state)
{
	struct fp_state_plan p;
	struct fp_walk walk = { 0 };
	struct fp_error err;
	struct fp_state_entry *e;
	char path[256];

	(void)state;
	fp_error_init(&err);
	snprintf(root, sizeof(root), "%s/links", dir);
	assert_int_equal(mkdir(root, 0755), 0);
	write_post("target.txt", "twelve bytes", 1500000000);
	snprintf(path, sizeof(path), "%s/link.md", root);
	assert_int_equal(symlink("target.txt", path), 0);
	assert_int_equal(fp_state_plan(&p, root, &walk, NULL, 0, dir, &err), 0);
	assert_int_equal(p.files, 1);
	assert_int_equal(p.upsert.n, 1);
	assert_non_null(e = fp_state_find(&p.upsert, "link.md"));
	assert_int_equal(e->bytes, 12);
	assert_int_equal(e->mtime_ns, 1500000000000000000LL);
	fp_state_plan_release(&p);
	snprintf(root, sizeof(root), "%s/posts", dir);
}

#define HEX "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Writes `text` as the state file. */
static void write_state(const char *text)
{
	FILE *f = fopen(state_path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* Reads the state file, expecting "state-invalid" at `line`. */
static void invalid_at(long line)
{
	struct fp_error err;
	struct fp_state old;

	fp_error_init(&err);
	assert_int_equal(fp_state_read(state_path, &old, &err), -1);
	assert_int_equal(old.n, 0);
	assert_string_equal(err.reason, "state-invalid");
	assert_string_equal(err.text, "not a feedpipe state file");
	assert_string_equal(err.source, state_path);
	assert_int_equal(err.line, line);
	fp_state_release(&old);
}

static void test_bad_state(void **state)
{
	static const char head[] = "{\"feedpipe_state\":1,\"root\":\"/r\"}\n";
	static const char *const bad[] = {
		"{\"path\":\"a.md\",\"bytes\":01,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a\x01.md\",\"bytes\":1,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a\xff.md\",\"bytes\":1,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a.md\",\"bytes\":\"1\",\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a.md\",\"bytes\":1,\"mtime_ns\":1,\"sha256\":\"" HEX "\"} x\n",
		"{\"path\":\"a.md\",\"bytes\":99999999999999999999,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a.md\",\"bytes\":9223372036854775808,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a.md\",\"bytes\":1,\"mtime_ns\":-9223372036854775809,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":\"a.md\",\"bytes\":1,\"mtime_ns\":1,\"sha256\":\"" HEX "\"\n",
		"{\"path\":\"a.md\",\"bytes\":-,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n",
		"{\"path\":7,\"bytes\":1}\n",
		"[\"a.md\"]\n",
		"\n",
	};
	char text[512];

	(void)state;
	write_state("not a state\n");
	invalid_at(1);
	/* An entry where the header belongs. */
	write_state("{\"path\":\"a.md\",\"bytes\":1,\"mtime_ns\":1,\"sha256\":\"" HEX "\"}\n");
	invalid_at(1);
	write_state("{\"feedpipe_state\":2,\"root\":\"/r\"}\n");
	invalid_at(1);
	/* Lines jansson refuses are refused, whoever reads them. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(text, sizeof(text), "%s{\"path\":\"ok.md\",\"bytes\":1,\"mtime_ns\":1,"
					     "\"sha256\":\"" HEX "\"}\n%s",
			 head, bad[i]);
		write_state(text);
		invalid_at(3);
	}
	unlink(state_path);
	fp_state_plan_release(NULL);
	fp_state_release(NULL);
}

/* Paths looked up among many entries added out of order, some twice. */
static void test_lookup(void **state)
{
	struct fp_state s;
	struct fp_state_entry *e, *v;
	char path[64];
	const unsigned n = 5000;

	(void)state;
	fp_state_init(&s);
	assert_null(fp_state_find(&s, "a.md"));
	assert_int_equal(fp_state_sort(&s), 0);
	/* 7919 is prime: i * 7919 % n visits every number below n once. */
	for (unsigned i = 0; i < n; i++) {
		unsigned k = i * 7919 % n;
		snprintf(path, sizeof(path), "d%u/%u.md", k % 37, k);
		assert_non_null(e = fp_state_add(&s, path));
		e->bytes = k;
	}
	for (unsigned k = 0; k < n; k += 3) { /* again, later: these win */
		snprintf(path, sizeof(path), "d%u/%u.md", k % 37, k);
		assert_non_null(e = fp_state_add(&s, path));
		e->bytes = k + n;
		e->load_run = 1;
	}
	assert_int_equal(fp_state_sort(&s), 0);
	assert_int_equal(s.n, n);
	for (size_t i = 1; i < s.n; i++)
		assert_true(strcmp(s.v[i - 1].path, s.v[i].path) < 0);
	for (unsigned k = 0; k < n; k++) {
		snprintf(path, sizeof(path), "d%u/%u.md", k % 37, k);
		assert_non_null(e = fp_state_find(&s, path));
		assert_string_equal(e->path, path);
		assert_int_equal(e->bytes, k % 3 ? k : k + n);
		assert_int_equal(e->load_run, k % 3 ? 0 : 1);
	}
	assert_null(fp_state_find(&s, ""));
	assert_null(fp_state_find(&s, "d0"));
	assert_null(fp_state_find(&s, "d0/"));
	assert_null(fp_state_find(&s, "d9/9.m"));
	assert_null(fp_state_find(&s, "zzz"));
	/* Sorted already: nothing moves. */
	v = s.v;
	assert_int_equal(fp_state_sort(&s), 0);
	assert_ptr_equal(s.v, v);
	fp_state_release(&s);
	assert_int_equal(s.n, 0);
	assert_null(s.v);
}

/* Every line of a state file as jansson writes the entry's object. */
static void test_file_format(void **state)
{
	static const char *const paths[] = {
		"plain.md", "quote\"d.md", "back\\slash.md", "tab\there.md", "ctl\x01\x1f.md",
		"new\nline.md", "日本語/記事 1.md", "del\x7f.md", "a/b/c.md", "a.md", "a",
	};
	const size_t n = sizeof(paths) / sizeof(*paths);
	struct fp_state s, back;
	struct fp_error err;
	struct fp_state_entry *e;
	char *line = NULL;
	size_t cap = 0, lines = 0;
	FILE *f;

	(void)state;
	fp_error_init(&err);
	fp_state_init(&s);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(e = fp_state_add(&s, paths[i]));
		e->bytes = (long long)i * 1000;
		e->mtime_ns = 1600000000123456789LL + (long long)i;
		e->load_run = i % 2 ? 0 : (long long)i + 40;
		if (i != 3)
			memcpy(e->sha256, HEX, sizeof(HEX));
	}
	assert_int_equal(fp_state_sort(&s), 0);
	assert_int_equal(fp_state_write(state_path, "/root/\"x\"", &s, &err), 0);
	f = fopen(state_path, "r");
	assert_non_null(f);
	while (getline(&line, &cap, f) > 0) {
		json_t *obj;
		char *expect;

		if (lines == 0) {
			obj = json_pack("{s:i, s:s}", "feedpipe_state", 1, "root", "/root/\"x\"");
		} else {
			e = &s.v[lines - 1];
			obj = json_pack("{s:s, s:I, s:I, s:s}", "path", e->path, "bytes",
					(json_int_t)e->bytes, "mtime_ns", (json_int_t)e->mtime_ns,
					"sha256", e->sha256);
			if (e->load_run)
				json_object_set_new(obj, "load_run", json_integer(e->load_run));
		}
		expect = json_dumps(obj, JSON_COMPACT);
		assert_non_null(expect);
		assert_int_equal(line[strlen(line) - 1], '\n');
		line[strlen(line) - 1] = '\0';
		assert_string_equal(line, expect);
		free(expect);
		json_decref(obj);
		lines++;
	}
	fclose(f);
	free(line);
	assert_int_equal(lines, n + 1);
	/* And read back as it was. */
	assert_int_equal(fp_state_read(state_path, &back, &err), 0);
	assert_int_equal(back.n, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(back.v[i].path, s.v[i].path);
		assert_int_equal(back.v[i].bytes, s.v[i].bytes);
		assert_int_equal(back.v[i].mtime_ns, s.v[i].mtime_ns);
		assert_int_equal(back.v[i].load_run, s.v[i].load_run);
		assert_string_equal(back.v[i].sha256, s.v[i].sha256);
	}
	fp_state_release(&back);
	fp_state_release(&s);
	unlink(state_path);
}

/* Lines written by other hands (or older versions) read as jansson reads
 * them; the last line of a path wins; the state comes out sorted. */
static void test_file_read(void **state)
{
	struct fp_state s;
	struct fp_error err;
	struct fp_state_entry *e;

	(void)state;
	fp_error_init(&err);
	write_state("{\"root\": \"/r\", \"feedpipe_state\": 1}\n"
		    "{\"path\":\"z.md\",\"bytes\":1,\"mtime_ns\":2,\"sha256\":\"" HEX "\"}\n"
		    "{ \"bytes\": 5, \"path\": \"x.md\", \"mtime_ns\": 7, \"sha256\": \"" HEX "\" }\n"
		    "{\"path\":\"y.md\",\"bytes\":1,\"mtime_ns\":2,\"sha256\":\"ABCDEF0123456789"
		    "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789\",\"load_run\":3,\"more\":[1]}\n"
		    "{\"path\":\"z\\u00e9\\/.md\",\"bytes\":1,\"mtime_ns\":2,\"sha256\":\"short\"}\n"
		    "{\"path\":\"w.md\",\"bytes\":-0}\n"
		    "{\"path\":\"big.md\",\"bytes\":1234567890123456789,\"mtime_ns\":-12,"
		    "\"sha256\":\"" HEX "\",\"load_run\":123456789012345678}\n"
		    "{\"path\":\"max.md\",\"bytes\":9223372036854775807,"
		    "\"mtime_ns\":-9223372036854775808,\"sha256\":\"" HEX "\"}\n"
		    "{\"path\":\"cr.md\",\"bytes\":4,\"mtime_ns\":5,\"sha256\":\"" HEX "\"}\r\n"
		    "{\"path\":\"z.md\",\"bytes\":9,\"mtime_ns\":10,\"sha256\":\"" HEX "\"}\n"
		    "{\"path\":\"last.md\",\"bytes\":0,\"mtime_ns\":0,\"sha256\":\"" HEX "\"}");
	assert_int_equal(fp_state_read(state_path, &s, &err), 0);
	assert_int_equal(s.n, 9);
	for (size_t i = 1; i < s.n; i++)
		assert_true(strcmp(s.v[i - 1].path, s.v[i].path) < 0);
	assert_non_null(e = fp_state_find(&s, "z.md"));
	assert_int_equal(e->bytes, 9);
	assert_int_equal(e->mtime_ns, 10);
	assert_non_null(e = fp_state_find(&s, "x.md"));
	assert_int_equal(e->bytes, 5);
	assert_int_equal(e->mtime_ns, 7);
	assert_string_equal(e->sha256, HEX);
	assert_non_null(e = fp_state_find(&s, "y.md"));
	assert_string_equal(e->sha256, "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789");
	assert_int_equal(e->load_run, 3);
	assert_non_null(e = fp_state_find(&s, "z\xc3\xa9/.md"));
	assert_string_equal(e->sha256, "");
	assert_non_null(e = fp_state_find(&s, "w.md"));
	assert_int_equal(e->bytes, 0);
	assert_int_equal(e->mtime_ns, 0);
	assert_string_equal(e->sha256, "");
	assert_non_null(e = fp_state_find(&s, "big.md"));
	assert_int_equal(e->bytes, 1234567890123456789LL);
	assert_int_equal(e->mtime_ns, -12);
	assert_int_equal(e->load_run, 123456789012345678LL);
	assert_non_null(e = fp_state_find(&s, "max.md"));
	assert_int_equal(e->bytes, LLONG_MAX);
	assert_true(e->mtime_ns == LLONG_MIN);
	assert_non_null(e = fp_state_find(&s, "cr.md"));
	assert_int_equal(e->bytes, 4);
	assert_non_null(fp_state_find(&s, "last.md"));
	fp_state_release(&s);
	/* No file: the empty state. */
	unlink(state_path);
	assert_int_equal(fp_state_read(state_path, &s, &err), 0);
	assert_int_equal(s.n, 0);
	assert_false(fp_error_isset(&err));
	fp_state_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_symlink),
		cmocka_unit_test(test_bad_state),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_file_format),
		cmocka_unit_test(test_file_read),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
