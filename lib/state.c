#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sha256.h"
#include "state.h"

#include "banned.h"

int fp_state_read(const char *path, json_t **state, struct fp_error *err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int ret = -1;

	if (!(*state = json_object())) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	if (!f) {
		if (errno == ENOENT)
			ret = 0; /* the first run */
		else
			fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *e = json_loadb(line, (size_t)n, 0, NULL);
		const char *rel = json_string_value(json_object_get(e, "path"));
		lineno++;
		if (lineno == 1 && json_integer_value(json_object_get(e, "feedpipe_state")) == 1) {
			json_decref(e);
			continue;
		}
		if (lineno == 1 || !rel || !json_is_integer(json_object_get(e, "bytes"))) {
			json_decref(e);
			fp_error_set(err, "state-invalid", "not a feedpipe state file");
			fp_error_at(err, path, lineno, 0);
			goto out;
		}
		json_object_set_new(*state, rel, e);
	}
	if (ferror(f)) {
		fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret < 0) {
		fp_error_at(err, path, 0, 0);
		json_decref(*state);
		*state = NULL;
	}
	if (f)
		fclose(f);
	free(line);
	return ret;
}

static int file_sha256(const char *path, char hex[FP_SHA256_HEX_LEN + 1])
{
	struct fp_sha256 ctx;
	unsigned char buf[1 << 16], digest[FP_SHA256_LEN];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	fp_sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0)
			fp_sha256_update(&ctx, buf, (size_t)n);
	close(fd);
	if (n < 0)
		return -1;
	fp_sha256_final(&ctx, digest);
	fp_sha256_tohex(digest, hex);
	return 0;
}

struct planning {
	struct fp_state_plan *plan;
	json_t *old;
	json_t *seen; /* paths the walk reported: rel -> true */
	FILE *list;
	int full;
};

/* Records `entry` (stolen) in the next state, and among the rows to write. */
static int record(struct planning *p, const char *rel, json_t *entry)
{
	if (!entry || json_object_set(p->plan->next, rel, entry) < 0 ||
	    json_object_set(p->plan->upsert, rel, entry) < 0) {
		json_decref(entry);
		return -1;
	}
	json_decref(entry);
	return 0;
}

static int plan_file(void *data, const char *root, const char *rel, const char *path,
		     const struct fp_error *werr)
{
	struct planning *p = data;
	json_t *old = p->full ? NULL : json_object_get(p->old, rel), *entry;
	char hex[FP_SHA256_HEX_LEN + 1];
	struct stat st;
	json_int_t mtime_ns;

	(void)root;
	if (json_object_set_new(p->seen, rel, json_true()) < 0)
		return -1;
	if (werr || stat(path, &st) < 0)
		goto process; /* extract reports it; not recorded, so retried next time */
	p->plan->files++;
	mtime_ns = (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (old && json_integer_value(json_object_get(old, "bytes")) == st.st_size &&
	    json_integer_value(json_object_get(old, "mtime_ns")) == mtime_ns)
		return json_object_set(p->plan->next, rel, old) < 0 ? -1 : 0;
	if (file_sha256(path, hex) < 0)
		goto process;
	entry = json_pack("{s:s, s:I, s:I, s:s}", "path", rel, "bytes", (json_int_t)st.st_size,
			  "mtime_ns", mtime_ns, "sha256", hex);
	if (old && !strcmp(json_string_value(json_object_get(old, "sha256")) ?: "", hex)) {
		/* Same content, new mtime: nothing to load, the load_run stays. */
		p->plan->touched++;
		if (entry && json_object_get(old, "load_run") &&
		    json_object_set(entry, "load_run", json_object_get(old, "load_run")) < 0)
			return json_decref(entry), -1;
		return record(p, rel, entry);
	}
	if (record(p, rel, entry) < 0)
		return -1;
process:
	p->plan->changed++;
	return fwrite(path, 1, strlen(path) + 1, p->list) == strlen(path) + 1 ? 0 : -1;
}

/*
 * The old entries the walk did not see: kept while their file exists (it
 * belongs to another shard or glob, or its directory was unreadable), gone
 * when it does not.
 */
static int keep_or_drop(struct planning *p, const char *root)
{
	const char *rel;
	json_t *e;
	char path[PATH_MAX];
	struct stat st;

	json_object_foreach(p->old, rel, e) {
		if (json_object_get(p->seen, rel))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) < sizeof(path) &&
		    stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
			if (json_array_append_new(p->plan->gone, json_string(rel)) < 0)
				return -1;
		} else if (json_object_set(p->plan->next, rel, e) < 0) {
			return -1;
		}
	}
	return 0;
}

int fp_state_plan(struct fp_state_plan *plan, const char *root, const struct fp_walk *walk,
		  json_t *state, int full, const char *tmpdir, struct fp_error *err)
{
	struct planning p = { .plan = plan, .old = state, .full = full };
	char list[PATH_MAX];
	int fd, ret = -1;

	memset(plan, 0, sizeof(*plan));
	if ((!p.old && !(p.old = json_object())) || !(p.seen = json_object()) ||
	    !(plan->next = json_object()) || !(plan->upsert = json_object()) ||
	    !(plan->gone = json_array())) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	plan->recorded = (long)json_object_size(p.old);
	snprintf(list, sizeof(list), "%s/feedpipe-list-XXXXXX", tmpdir);
	if ((fd = mkostemp(list, O_CLOEXEC)) < 0 || !(p.list = fdopen(fd, "w"))) {
		fp_error_set(err, "tmpdir", "cannot write the list of files: %s", strerror(errno));
		goto out;
	}
	if (!(plan->list_path = strdup(list))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	if (fp_walk_dir(walk, root, plan_file, &p) != 0 || fflush(p.list) != 0) {
		fp_error_set(err, "tmpdir", "cannot write the list of files: %s", strerror(errno));
		goto out;
	}
	if (keep_or_drop(&p, root) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (p.list)
		fclose(p.list);
	json_decref(p.seen);
	json_decref(p.old);
	return ret;
}

int fp_state_plan_dirty(const struct fp_state_plan *plan)
{
	return json_object_size(plan->upsert) > 0 || json_array_size(plan->gone) > 0;
}

int fp_state_write(const char *path, const char *root, const json_t *state,
		   struct fp_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *key;
	json_t *e, *head = json_pack("{s:i, s:s}", "feedpipe_state", 1, "root", root);
	FILE *f = NULL;
	int dfd, ret = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
	    !(f = fopen(tmp, "we"))) {
		fp_error_set(err, "state-write", "cannot write the state: %s", strerror(errno));
		goto out;
	}
	json_dumpf(head, f, JSON_COMPACT);
	fputc('\n', f);
	json_object_foreach((json_t *)state, key, e) {
		json_dumpf(e, f, JSON_COMPACT);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0 || fclose(f) != 0) {
		f = NULL;
		fp_error_set(err, "state-write", "cannot write the state: %s", strerror(errno));
		unlink(tmp);
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		fp_error_set(err, "state-write", "cannot replace the state: %s", strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself must survive a crash. */
	snprintf(dir, sizeof(dir), "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (ret < 0)
		fp_error_at(err, path, 0, 0);
	if (f)
		fclose(f);
	json_decref(head);
	return ret;
}

void fp_state_plan_release(struct fp_state_plan *plan)
{
	if (!plan)
		return;
	if (plan->list_path)
		unlink(plan->list_path);
	free(plan->list_path);
	json_decref(plan->next);
	json_decref(plan->upsert);
	json_decref(plan->gone);
	memset(plan, 0, sizeof(*plan));
}
