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

static int load_state(const char *path, json_t **out, struct fp_error *err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int ret = -1;

	if (!(*out = json_object())) {
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
		json_object_set_new(*out, rel, e);
	}
	if (ferror(f)) {
		fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		fp_error_at(err, path, 0, 0);
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
	FILE *list;
	int full;
};

static int plan_file(void *data, const char *root, const char *rel, const char *path,
		     const struct fp_error *werr)
{
	struct planning *p = data;
	const json_t *old = p->full ? NULL : json_object_get(p->old, rel);
	char hex[FP_SHA256_HEX_LEN + 1];
	struct stat st;
	json_int_t mtime_ns;

	(void)root;
	if (werr || stat(path, &st) < 0)
		goto process; /* extract reports it; not recorded, so retried next time */
	p->plan->files++;
	mtime_ns = (json_int_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	if (old && json_integer_value(json_object_get(old, "bytes")) == st.st_size &&
	    json_integer_value(json_object_get(old, "mtime_ns")) == mtime_ns)
		return json_object_set(p->plan->next, rel, (json_t *)old) < 0 ? -1 : 0;
	if (file_sha256(path, hex) < 0)
		goto process;
	if (json_object_set_new(p->plan->next, rel,
				json_pack("{s:s, s:I, s:I, s:s}", "path", rel, "bytes",
					  (json_int_t)st.st_size, "mtime_ns", mtime_ns, "sha256",
					  hex)) < 0)
		return -1;
	if (old && !strcmp(json_string_value(json_object_get(old, "sha256")) ?: "", hex)) {
		p->plan->touched++; /* same content, new mtime: nothing to load */
		return 0;
	}
process:
	p->plan->changed++;
	return fwrite(path, 1, strlen(path) + 1, p->list) == strlen(path) + 1 ? 0 : -1;
}

int fp_state_plan(struct fp_state_plan *plan, const char *root, const struct fp_walk *walk,
		  const char *state_path, int full, const char *tmpdir, struct fp_error *err)
{
	struct planning p = { .plan = plan, .full = full };
	char list[PATH_MAX];
	int fd, ret = -1;

	memset(plan, 0, sizeof(*plan));
	if (load_state(state_path, &p.old, err) < 0)
		goto out;
	plan->recorded = (long)json_object_size(p.old);
	snprintf(list, sizeof(list), "%s/feedpipe-list-XXXXXX", tmpdir);
	if ((fd = mkostemp(list, O_CLOEXEC)) < 0 || !(p.list = fdopen(fd, "w"))) {
		fp_error_set(err, "tmpdir", "cannot write the list of files: %s", strerror(errno));
		goto out;
	}
	if (!(plan->list_path = strdup(list)) || !(plan->state_path = strdup(state_path)) ||
	    !(plan->next = json_object())) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	if (fp_walk_dir(walk, root, plan_file, &p) != 0 || fflush(p.list) != 0) {
		fp_error_set(err, "tmpdir", "cannot write the list of files: %s", strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (p.list)
		fclose(p.list);
	json_decref(p.old);
	return ret;
}

int fp_state_commit(const struct fp_state_plan *plan, const char *root, struct fp_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *key;
	json_t *e, *head = json_pack("{s:i, s:s}", "feedpipe_state", 1, "root", root);
	FILE *f = NULL;
	int dfd, ret = -1;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", plan->state_path) >= sizeof(tmp) ||
	    !(f = fopen(tmp, "we"))) {
		fp_error_set(err, "state-write", "cannot write the state: %s", strerror(errno));
		goto out;
	}
	json_dumpf(head, f, JSON_COMPACT);
	fputc('\n', f);
	json_object_foreach(plan->next, key, e) {
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
	if (rename(tmp, plan->state_path) < 0) {
		fp_error_set(err, "state-write", "cannot replace the state: %s", strerror(errno));
		unlink(tmp);
		goto out;
	}
	/* The rename itself must survive a crash. */
	snprintf(dir, sizeof(dir), "%s", plan->state_path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	ret = 0;
out:
	if (ret < 0)
		fp_error_at(err, plan->state_path, 0, 0);
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
	free(plan->state_path);
	json_decref(plan->next);
	memset(plan, 0, sizeof(*plan));
}
