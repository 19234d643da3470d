#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "walk.h"
#include "banned.h"

static const char *const default_globs[] = { "*.md", NULL };

int fp_walk_match(const struct fp_walk *w, const char *name)
{
	const char *const *g = w->globs ? w->globs : default_globs;

	for (; *g; g++)
		if (fnmatch(*g, name, 0) == 0)
			return 1;
	return 0;
}

unsigned fp_walk_shard(const char *rel, unsigned count)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *rel; rel++) {
		h ^= (unsigned char)*rel;
		h *= 0x100000001b3ULL;
	}
	return count ? (unsigned)(h % count) : 0;
}

int fp_walk_in_shard(const struct fp_walk *w, const char *rel)
{
	return w->shard_count <= 1 ||
	       fp_walk_shard(rel, (unsigned)w->shard_count) == (unsigned)w->shard_index;
}

int fp_walk_parse_shard(struct fp_walk *w, const char *spec)
{
	char *end;
	long k, n;

	errno = 0;
	k = strtol(spec, &end, 10);
	if (errno || end == spec || *end != '/')
		return -1;
	spec = end + 1;
	n = strtol(spec, &end, 10);
	if (errno || end == spec || *end || n < 1 || n > 1000000 || k < 0 || k >= n)
		return -1;
	w->shard_index = (int)k;
	w->shard_count = (int)n;
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* The caller's callback, of either kind. */
struct visitor {
	fp_walk_fn fn;
	fp_walk_stat_fn stat_fn;
	void *data;
};

static int visit(const struct visitor *v, const char *root, const char *rel, const char *path,
		 const struct stat *st, const struct fp_error *err)
{
	if (v->stat_fn)
		return v->stat_fn(v->data, root, rel, path, st, err);
	return v->fn(v->data, root, rel, path, err);
}

static int report(const struct visitor *v, const char *root, const char *rel, const char *path,
		  const char *what)
{
	struct fp_error err;

	fp_error_init(&err);
	fp_error_set(&err, "read-error", "cannot %s: %s", what, strerror(errno));
	fp_error_at(&err, rel[0] ? rel : path, 0, 0);
	return visit(v, root, rel, path, NULL, &err);
}

/* `path` is root/rel (or root when rel is empty). */
static int walk(const struct fp_walk *w, const char *root, const char *rel, const char *path,
		const struct visitor *v)
{
	struct dirent **names = NULL;
	int n, i, dfd, ret = 0;

	n = scandir(path, &names, skip_hidden, by_name);
	if (n < 0)
		return report(v, root, rel, path, "read directory");
	/* Each entry is looked up in the directory rather than along its whole
	 * path again; by its path when there is no descriptor (EMFILE in a
	 * deep tree). */
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *child_rel = NULL, *child_path = NULL;
		const char *at_name; /* the entry, relative to `at` */
		int at = dfd >= 0 ? dfd : AT_FDCWD;
		struct stat st;

		if (ret)
			goto next;
		if (asprintf(&child_path, "%s/%s", path, name) < 0 ||
		    asprintf(&child_rel, "%s%s%s", rel, rel[0] ? "/" : "", name) < 0) {
			errno = ENOMEM;
			ret = report(v, root, rel, path, "list directory");
			child_rel = child_path = NULL;
			goto next;
		}
		at_name = dfd >= 0 ? name : child_path;
		if (fstatat(at, at_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			ret = report(v, root, child_rel, child_path, "stat");
			goto next;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = walk(w, root, child_rel, child_path, v);
			goto next;
		}
		if (S_ISLNK(st.st_mode) && (fstatat(at, at_name, &st, 0) < 0 || !S_ISREG(st.st_mode)))
			goto next; /* dangling, or a link to a directory: not followed */
		if (!S_ISREG(st.st_mode) || !fp_walk_match(w, name) || !fp_walk_in_shard(w, child_rel))
			goto next;
		ret = visit(v, root, child_rel, child_path, &st, NULL);
next:
		free(child_rel);
		free(child_path);
		free(names[i]);
	}
	free(names);
	if (dfd >= 0)
		close(dfd);
	return ret;
}

int fp_walk_dir(const struct fp_walk *w, const char *root, fp_walk_fn fn, void *data)
{
	const struct visitor v = { .fn = fn, .data = data };

	return walk(w, root, "", root, &v);
}

int fp_walk_subdir(const struct fp_walk *w, const char *root, const char *rel, const char *path,
		   fp_walk_fn fn, void *data)
{
	const struct visitor v = { .fn = fn, .data = data };

	return walk(w, root, rel, path, &v);
}

int fp_walk_dir_stat(const struct fp_walk *w, const char *root, fp_walk_stat_fn fn, void *data)
{
	const struct visitor v = { .stat_fn = fn, .data = data };

	return walk(w, root, "", root, &v);
}
