/* Unit tests of lib/jsonl.c: files appear complete or not at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "jsonl.h"
#include "banned.h"

static char dir[] = "/tmp/fp-test-jsonl.XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

/* The decompressed content of `path` (new), or NULL when it cannot be read. */
static char *slurp_gz(const char *path)
{
	char cmd[512], *out = NULL;
	size_t len = 0;
	FILE *p, *mem;
	int c;

	if (access(path, R_OK) < 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	p = popen(cmd, "r");
	mem = open_memstream(&out, &len);
	while ((c = fgetc(p)) != EOF)
		fputc(c, mem);
	fclose(mem);
	if (pclose(p) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static json_t *article(const char *id, const char *date)
{
	return json_pack("{s:s, s:s?, s:s}", "id", id, "published_at", date, "title", "t\t\"x\"");
}

static void test_single_file(void **state)
{
	struct fp_jsonl_options opt;
	struct fp_jsonl *j;
	struct fp_error err;
	char path[256], rpath[256], *text;
	json_t *a = article("a", "2020-01-02T03:04:05Z"), *rej = json_pack("{s:{s:s}}", "reject", "reason", "x");

	(void)state;
	snprintf(path, sizeof(path), "%s/one/articles.jsonl.gz", dir);
	snprintf(rpath, sizeof(rpath), "%s/one/articles.rejects.jsonl.gz", dir);
	fp_error_init(&err);
	fp_jsonl_options_init(&opt);
	opt.path = path;
	j = fp_jsonl_open(&opt, &err);
	assert_non_null(j);
	assert_int_equal(fp_jsonl_put(j, a, NULL, 0, &err), 0);
	assert_int_equal(fp_jsonl_put(j, a, "{\"raw\":1}", 9, &err), 0);
	assert_int_equal(fp_jsonl_put_reject(j, rej, NULL, 0, &err), 0);
	/* Nothing under the final names before close. */
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(fp_jsonl_close(j, &err), 0);
	assert_int_equal(fp_jsonl_counts(j)->files, 2);
	fp_jsonl_free(j);
	text = slurp_gz(path);
	assert_non_null(text);
	assert_string_equal(text, "{\"id\":\"a\",\"published_at\":\"2020-01-02T03:04:05Z\","
				  "\"title\":\"t\\t\\\"x\\\"\"}\n{\"raw\":1}\n");
	free(text);
	text = slurp_gz(rpath);
	assert_non_null(text);
	assert_string_equal(text, "{\"reject\":{\"reason\":\"x\"}}\n");
	free(text);
	/* Only the two final files: the temporaries were renamed. */
	snprintf(path, sizeof(path), "%s/one", dir);
	assert_int_equal(count_entries(path), 2);
	json_decref(a);
	json_decref(rej);
}

static void test_abandon(void **state)
{
	struct fp_jsonl_options opt;
	struct fp_jsonl *j;
	struct fp_error err;
	char path[256];
	json_t *a = article("a", NULL);

	(void)state;
	snprintf(path, sizeof(path), "%s/two/a.jsonl.gz", dir);
	fp_error_init(&err);
	fp_jsonl_options_init(&opt);
	opt.path = path;
	j = fp_jsonl_open(&opt, &err);
	assert_non_null(j);
	assert_int_equal(fp_jsonl_put(j, a, NULL, 0, &err), 0);
	fp_jsonl_free(j); /* not closed: abandoned */
	snprintf(path, sizeof(path), "%s/two", dir);
	assert_int_equal(count_entries(path), 0);
	json_decref(a);
}

static void test_partitions(void **state)
{
	struct fp_jsonl_options opt;
	struct fp_jsonl *j;
	struct fp_error err;
	char path[256], id[16], date[32], *text;
	int i, day;

	(void)state;
	snprintf(path, sizeof(path), "%s/tree", dir);
	fp_error_init(&err);
	fp_jsonl_options_init(&opt);
	opt.dir = path;
	opt.max_open = 2;     /* forces closing and appending members */
	opt.part_bytes = 200; /* forces rotation */
	j = fp_jsonl_open(&opt, &err);
	assert_non_null(j);
	for (i = 0; i < 60; i++) {
		json_t *a;

		snprintf(id, sizeof(id), "%d", i);
		snprintf(date, sizeof(date), "2021-03-%02dT00:00:00Z", i % 5 + 1);
		a = article(id, i % 7 == 0 ? NULL : date);
		assert_int_equal(fp_jsonl_put(j, a, NULL, 0, &err), 0);
		json_decref(a);
	}
	assert_int_equal(fp_jsonl_close(j, &err), 0);
	assert_int_equal(fp_jsonl_counts(j)->records, 60);
	fp_jsonl_free(j);
	/* Each article once, in its partition. */
	for (i = 0; i < 60; i++) {
		int found = 0, part;

		day = i % 5 + 1;
		for (part = 0; part < 100; part++) {
			char needle[64];

			if (i % 7 == 0)
				snprintf(path, sizeof(path),
					 "%s/tree/dt=__HIVE_DEFAULT_PARTITION__/part-%05d.jsonl.gz", dir,
					 part);
			else
				snprintf(path, sizeof(path), "%s/tree/dt=2021-03-%02d/part-%05d.jsonl.gz",
					 dir, day, part);
			text = slurp_gz(path);
			if (!text)
				break;
			snprintf(needle, sizeof(needle), "{\"id\":\"%d\",", i);
			found += strstr(text, needle) != NULL;
			free(text);
		}
		assert_true(part > 1); /* rotated */
		assert_int_equal(found, 1);
	}
	snprintf(path, sizeof(path), "%s/tree/rejects.jsonl.gz", dir);
	text = slurp_gz(path);
	assert_non_null(text);
	assert_string_equal(text, "");
	free(text);
}

/* With a run id, a second run adds its files beside the first run's. */
static void test_run_id(void **state)
{
	static const char *const ids[] = { "20261127T040000Z", "20261127T040001Z" };
	struct fp_jsonl_options opt;
	struct fp_jsonl *j;
	struct fp_error err;
	char path[256], *text;
	json_t *a = article("1", "2021-03-01T00:00:00Z");

	(void)state;
	snprintf(path, sizeof(path), "%s/runs", dir);
	for (int r = 0; r < 2; r++) {
		fp_error_init(&err);
		fp_jsonl_options_init(&opt);
		opt.dir = path;
		opt.run_id = ids[r];
		j = fp_jsonl_open(&opt, &err);
		assert_non_null(j);
		assert_int_equal(fp_jsonl_put(j, a, NULL, 0, &err), 0);
		assert_int_equal(fp_jsonl_close(j, &err), 0);
		fp_jsonl_free(j);
	}
	json_decref(a);
	for (int r = 0; r < 2; r++) {
		char file[320];

		snprintf(file, sizeof(file), "%s/dt=2021-03-01/part-%s-00000.jsonl.gz", path, ids[r]);
		text = slurp_gz(file);
		assert_non_null(text);
		assert_non_null(strstr(text, "{\"id\":\"1\","));
		free(text);
		snprintf(file, sizeof(file), "%s/rejects-%s.jsonl.gz", path, ids[r]);
		text = slurp_gz(file);
		assert_non_null(text);
		free(text);
	}
	snprintf(path, sizeof(path), "%s/runs/dt=2021-03-01", dir);
	assert_int_equal(count_entries(path), 2);
	snprintf(path, sizeof(path), "%s/runs", dir);
	assert_int_equal(count_entries(path), 3); /* dt=, two rejects files */
	/* Names only from A-Z a-z 0-9 _ -. */
	fp_error_init(&err);
	fp_jsonl_options_init(&opt);
	opt.dir = path;
	opt.run_id = "../x";
	assert_null(fp_jsonl_open(&opt, &err));
	assert_string_equal(err.reason, "jsonl-options");
}

/* --partition month and year: dt=YYYY-MM, dt=YYYY; no date stays apart. */
static void test_partition_units(void **state)
{
	static const char *const units[] = { "month", "year" };
	static const char *const dirs[][3] = {
		{ "dt=2021-03", "dt=2022-12", "dt=__HIVE_DEFAULT_PARTITION__" },
		{ "dt=2021", "dt=2022", "dt=__HIVE_DEFAULT_PARTITION__" },
	};
	struct fp_jsonl_options opt;
	struct fp_jsonl *j;
	struct fp_error err;
	char path[256], file[384], *text;
	json_t *a[4];
	int u, k;

	(void)state;
	a[0] = article("1", "2021-03-01T00:00:00Z");
	a[1] = article("2", "2021-03-31T23:59:59Z");
	a[2] = article("3", "2022-12-24T00:00:00Z");
	a[3] = article("4", NULL);
	for (u = 0; u < 2; u++) {
		snprintf(path, sizeof(path), "%s/unit-%s", dir, units[u]);
		fp_error_init(&err);
		fp_jsonl_options_init(&opt);
		opt.dir = path;
		opt.partition = fp_jsonl_parse_partition(units[u]);
		assert_int_equal(opt.partition, u == 0 ? FP_JSONL_MONTH : FP_JSONL_YEAR);
		j = fp_jsonl_open(&opt, &err);
		assert_non_null(j);
		for (k = 0; k < 4; k++)
			assert_int_equal(fp_jsonl_put(j, a[k], NULL, 0, &err), 0);
		assert_int_equal(fp_jsonl_close(j, &err), 0);
		fp_jsonl_free(j);
		assert_int_equal(count_entries(path), 4); /* three dt=, rejects */
		for (k = 0; k < 3; k++) {
			snprintf(file, sizeof(file), "%s/%s/part-00000.jsonl.gz", path, dirs[u][k]);
			text = slurp_gz(file);
			assert_non_null(text);
			assert_non_null(strstr(text, k == 0 ? "{\"id\":\"2\"," : k == 1 ? "{\"id\":\"3\","
										  : "{\"id\":\"4\","));
			if (k == 0)
				assert_non_null(strstr(text, "{\"id\":\"1\","));
			free(text);
		}
	}
	for (k = 0; k < 4; k++)
		json_decref(a[k]);
	assert_int_equal(fp_jsonl_parse_partition("day"), FP_JSONL_DAY);
	assert_int_equal(fp_jsonl_parse_partition("week"), -1);
}

static void test_options(void **state)
{
	struct fp_jsonl_options opt;
	struct fp_error err;

	(void)state;
	fp_error_init(&err);
	fp_jsonl_options_init(&opt);
	assert_null(fp_jsonl_open(&opt, &err));
	assert_string_equal(err.reason, "jsonl-options");
	fp_error_init(&err);
	opt.path = "a.jsonl.gz";
	opt.dir = "b";
	assert_null(fp_jsonl_open(&opt, &err));
	assert_string_equal(err.reason, "jsonl-options");
	fp_jsonl_free(NULL);
	assert_non_null(fp_jsonl_version());

	/* Run ids become part of file names. */
	assert_int_equal(fp_jsonl_check_run_id("20261127T040000Z", NULL), 0);
	assert_int_equal(fp_jsonl_check_run_id("a_b-C9", NULL), 0);
	fp_error_init(&err);
	assert_int_equal(fp_jsonl_check_run_id("../x", &err), -1);
	assert_string_equal(err.reason, "jsonl-options");
	assert_int_equal(fp_jsonl_check_run_id("", NULL), -1);
	assert_int_equal(fp_jsonl_check_run_id("a.b", NULL), -1);
	assert_int_equal(fp_jsonl_check_run_id("a/b", NULL), -1);
	assert_int_equal(fp_jsonl_check_run_id("é", NULL), -1);
	{
		char id[66];

		memset(id, 'r', sizeof(id));
		id[64] = '\0';
		assert_int_equal(fp_jsonl_check_run_id(id, NULL), 0);
		id[64] = 'r';
		id[65] = '\0';
		assert_int_equal(fp_jsonl_check_run_id(id, NULL), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_file),
		cmocka_unit_test(test_abandon),
		cmocka_unit_test(test_partitions),
		cmocka_unit_test(test_run_id),
		cmocka_unit_test(test_partition_units),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
