#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

static int report(fp_walk_fn fn, void *data, const char *root, const char *rel,
		  const char *path, const char *what)
{
	struct fp_error err;

	fp_error_init(&err);
	fp_error_set(&err, "read-error", "cannot %s: %s", what, strerror(errno));
	fp_error_at(&err, rel[0] ? rel : path, 0, 0);
	return fn(data, root, rel, path, &err);
}

/* `path` is root/rel (or root when rel is empty). */
static int walk(const struct fp_walk *w, const char *root, const char *rel, const char *path,
		fp_walk_fn fn, void *data)
{
	struct dirent **names = NULL;
	int n, i, ret = 0;

	n = scandir(path, &names, skip_hidden, by_name);
	if (n < 0)
		return report(fn, data, root, rel, path, "read directory");
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *child_rel = NULL, *child_path = NULL;
		struct stat st;

		if (ret)
			goto next;
		if (asprintf(&child_path, "%s/%s", path, name) < 0 ||
		    asprintf(&child_rel, "%s%s%s", rel, rel[0] ? "/" : "", name) < 0) {
			errno = ENOMEM;
			ret = report(fn, data, root, rel, path, "list directory");
			child_rel = child_path = NULL;
			goto next;
		}
		if (lstat(child_path, &st) < 0) {
			ret = report(fn, data, root, child_rel, child_path, "stat");
			goto next;
		}
		if (S_ISDIR(st.st_mode)) {
			ret = walk(w, root, child_rel, child_path, fn, data);
			goto next;
		}
		if (S_ISLNK(st.st_mode) && (stat(child_path, &st) < 0 || !S_ISREG(st.st_mode)))
			goto next; /* dangling, or a link to a directory: not followed */
		if (!S_ISREG(st.st_mode) || !fp_walk_match(w, name) || !fp_walk_in_shard(w, child_rel))
			goto next;
		ret = fn(data, root, child_rel, child_path, NULL);
next:
		free(child_rel);
		free(child_path);
		free(names[i]);
	}
	free(names);
	return ret;
}

int fp_walk_dir(const struct fp_walk *w, const char *root, fp_walk_fn fn, void *data)
{
	return walk(w, root, "", root, fn, data);
}
