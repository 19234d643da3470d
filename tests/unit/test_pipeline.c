/* Unit tests of lib/pipeline.c: merging --stats documents, describing failed
 * stages, the lock, counting inputs, and a whole run with stand-in stages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "pipeline.h"
#include "banned.h"

static char dir[64];

static void write_file(const char *rel, const char *text, int mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, (mode_t)mode), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fp-test-pipeline.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_merge_stats(void **state)
{
	json_t *a = json_pack("{s:i, s:f, s:i, s:{s:i}, s:s}", "records_in", 3, "seconds", 1.5,
			      "max_rss_kb", 100, "reasons", "bad", 1, "program", "x");
	json_t *b = json_pack("{s:i, s:f, s:i, s:{s:i, s:i}, s:s, s:i}", "records_in", 4, "seconds",
			      0.5, "max_rss_kb", 300, "reasons", "bad", 2, "worse", 1, "program", "y",
			      "new", 7);

	(void)state;
	assert_int_equal(fp_pipeline_merge_stats(a, b), 0);
	assert_int_equal(json_integer_value(json_object_get(a, "records_in")), 7);
	assert_true(json_real_value(json_object_get(a, "seconds")) == 1.5);
	assert_int_equal(json_integer_value(json_object_get(a, "max_rss_kb")), 300);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "reasons"), "bad")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(a, "reasons"), "worse")), 1);
	assert_string_equal(json_string_value(json_object_get(a, "program")), "x");
	assert_int_equal(json_integer_value(json_object_get(a, "new")), 7);
	json_decref(a);
	json_decref(b);
}

static void test_describe(void **state)
{
	struct fp_pipeline pl;
	struct fp_proc p = { .stage = FP_STAGE_CLEAN, .chain = 1, .reaped = 1 };
	char buf[128];

	(void)state;
	fp_pipeline_init(&pl);
	p.status = 0;
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 0);
	p.status = 9; /* killed by SIGKILL */
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "feedpipe-clean killed by signal 9 (Killed)");
	pl.jobs = 2;
	p.status = 3 << 8;
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 1);
	assert_string_equal(buf, "feedpipe-clean (chain 2 of 2) exited with status 3");
	p.status = 13; /* SIGPIPE: a consequence */
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 2);
	p.collateral = 1;
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 0);
	/* Interrupted by SIGINT: stages that obeyed it are not failures. */
	p.collateral = 0;
	pl.signal = 2;
	p.status = 130 << 8;
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 0);
	p.status = 2;
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 0);
	p.status = 4 << 8;
	assert_int_equal(fp_pipeline_describe(&pl, &p, buf, sizeof(buf)), 1);
	fp_pipeline_release(&pl);
}

static void test_lock(void **state)
{
	struct fp_error err;
	char path[128];
	int a, b;

	(void)state;
	snprintf(path, sizeof(path), "%s/lock", dir);
	fp_error_init(&err);
	a = fp_pipeline_lock(path, &err);
	assert_true(a >= 0);
	/* flock locks belong to the open file: a second open conflicts. */
	b = fp_pipeline_lock(path, &err);
	assert_int_equal(b, -1);
	assert_string_equal(err.reason, "locked");
	close(a);
	fp_error_init(&err);
	b = fp_pipeline_lock(path, &err);
	assert_true(b >= 0);
	close(b);
	fp_error_init(&err);
	assert_int_equal(fp_pipeline_lock("/nonexistent-dir/lock", &err), -1);
	assert_string_equal(err.reason, "lock-open");
}

static void test_count_inputs(void **state)
{
	char sub[128], *inputs[2] = { dir, NULL };
	const char *globs[] = { "*.txt", NULL };

	(void)state;
	snprintf(sub, sizeof(sub), "%s/posts", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	write_file("posts/a.md", "x", 0644);
	write_file("posts/b.md", "x", 0644);
	write_file("posts/.hidden.md", "x", 0644);
	write_file("posts/c.txt", "x", 0644);
	inputs[0] = sub;
	assert_int_equal(fp_pipeline_count_inputs(inputs, 1, NULL), 2);
	assert_int_equal(fp_pipeline_count_inputs(inputs, 1, globs), 1);
	inputs[1] = (char *)"-";
	assert_int_equal(fp_pipeline_count_inputs(inputs, 2, NULL), -1);
}

/* Stand-in stages: every stage copies stdin to stdout; one may fail. */
static void stand_ins(const char *failing, int status)
{
	static const char *const names[] = { "feedpipe-extract", "feedpipe-clean",
					     "feedpipe-normalize", "feedpipe-load" };
	char script[512];

	for (int i = 0; i < 4; i++) {
		if (i == 0)
			snprintf(script, sizeof(script),
				 "#!/bin/sh\nfor i in 1 2 3; do echo '{\"n\":'$i'}'; done\n");
		else if (i == 3)
			snprintf(script, sizeof(script), "#!/bin/sh\ncat > %s/loaded\n", dir);
		else
			snprintf(script, sizeof(script), "#!/bin/sh\ncat\nexit %d\n",
				 failing && !strcmp(failing, names[i]) ? status : 0);
		write_file(names[i], script, 0755);
	}
}

static int run(struct fp_pipeline *pl, struct fp_error *err)
{
	static char input[] = "in";
	static char *inputs[] = { input, NULL };

	fp_pipeline_init(pl);
	pl->inputs = inputs;
	pl->ninputs = 1;
	setenv("FEEDPIPE_LIBEXEC", dir, 1);
	assert_int_equal(fp_pipeline_find_stages(pl, err), 0);
	return fp_pipeline_run(pl, err);
}

static void test_run(void **state)
{
	struct fp_pipeline pl;
	struct fp_error err;
	char path[128], buf[64] = "";
	FILE *f;

	(void)state;
	fp_error_init(&err);
	stand_ins(NULL, 0);
	assert_int_equal(run(&pl, &err), 0);
	assert_int_equal(pl.last.records, 3);
	assert_non_null(pl.stats);
	assert_int_equal(json_integer_value(json_object_get(pl.stats, "lines_relayed")), 3);
	fp_pipeline_release(&pl);
	snprintf(path, sizeof(path), "%s/loaded", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fread(buf, 1, sizeof(buf) - 1, f), 24);
	fclose(f);
	assert_string_equal(buf, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");

	/* A failing stage: 1, the stage described, the loader stopped. */
	stand_ins("feedpipe-normalize", 4);
	assert_int_equal(run(&pl, &err), 1);
	for (size_t i = 0, found = 0; i < pl.nprocs; i++) {
		char msg[128];
		if (fp_pipeline_describe(&pl, &pl.procs[i], msg, sizeof(msg)) == 1) {
			assert_string_equal(msg, "feedpipe-normalize exited with status 4");
			assert_int_equal(++found, 1);
		}
	}
	fp_pipeline_release(&pl);
	fp_pipeline_release(NULL);
}

static void test_not_found(void **state)
{
	struct fp_pipeline pl;
	struct fp_error err;

	(void)state;
	fp_pipeline_init(&pl);
	fp_error_init(&err);
	setenv("FEEDPIPE_LIBEXEC", "/nonexistent-dir", 1);
	assert_int_equal(fp_pipeline_find_stages(&pl, &err), -1);
	assert_string_equal(err.reason, "stage-not-found");
	fp_pipeline_release(&pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_stats),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_count_inputs),
		cmocka_unit_test(test_run),
		cmocka_unit_test(test_not_found),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
