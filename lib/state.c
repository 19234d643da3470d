#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "sha256.h"
#include "state.h"
#include "utf8.h"

#include "banned.h"

_Static_assert(sizeof(((struct fp_state_entry *)0)->sha256) == FP_SHA256_HEX_LEN + 1,
	       "an entry holds a hex SHA-256");

/* ---- the state in memory --------------------------------------------------- */

/* Paths are copied one after another into blocks of growing size. */
struct fp_state_block {
	struct fp_state_block *next;
	size_t used, size;
	char data[];
};

#define MIN_BLOCK ((size_t)4 << 10)
#define MAX_BLOCK ((size_t)1 << 20)

void fp_state_init(struct fp_state *state)
{
	memset(state, 0, sizeof(*state));
}

void fp_state_release(struct fp_state *state)
{
	if (!state)
		return;
	while (state->blocks) {
		struct fp_state_block *next = state->blocks->next;
		free(state->blocks);
		state->blocks = next;
	}
	free(state->v);
	fp_state_init(state);
}

/* Copies the `len` bytes of `s` into the state, NUL-terminated. */
static const char *store(struct fp_state *state, const char *s, size_t len)
{
	struct fp_state_block *b = state->blocks;
	char *copy;

	if (!b || b->size - b->used <= len) {
		size_t size = b ? b->size * 2 : MIN_BLOCK;

		if (size > MAX_BLOCK)
			size = MAX_BLOCK;
		if (size <= len)
			size = len + 1;
		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->next = state->blocks;
		b->used = 0;
		b->size = size;
		state->blocks = b;
	}
	copy = b->data + b->used;
	memcpy(copy, s, len);
	copy[len] = '\0';
	b->used += len + 1;
	return copy;
}

static struct fp_state_entry *add(struct fp_state *state, const char *path, size_t len)
{
	struct fp_state_entry *e;

	if (state->n == state->cap) {
		size_t cap = state->cap ? state->cap * 2 : 64;
		struct fp_state_entry *v = reallocarray(state->v, cap, sizeof(*v));

		if (!v)
			return NULL;
		state->v = v;
		state->cap = cap;
	}
	e = &state->v[state->n];
	memset(e, 0, sizeof(*e));
	if (!(e->path = store(state, path, len)))
		return NULL;
	state->n++;
	return e;
}

struct fp_state_entry *fp_state_add(struct fp_state *state, const char *path)
{
	return add(state, path, strlen(path));
}

static int by_path_then_position(const void *a, const void *b)
{
	const struct fp_state_entry *const *x = a, *const *y = b;
	int c = strcmp((*x)->path, (*y)->path);

	/* Sorting pointers, not entries: the entries' positions order equal paths. */
	return c ? c : (*x > *y) - (*x < *y);
}

int fp_state_sort(struct fp_state *state)
{
	struct fp_state_entry **order, *v;
	size_t i, n = 0;

	for (i = 1; i < state->n && strcmp(state->v[i - 1].path, state->v[i].path) < 0; i++)
		;
	if (i >= state->n)
		return 0; /* sorted and unique: a state as this module writes it */
	order = malloc(state->n * sizeof(*order));
	v = malloc(state->n * sizeof(*v));
	if (!order || !v) {
		free(order);
		free(v);
		return -1;
	}
	for (i = 0; i < state->n; i++)
		order[i] = &state->v[i];
	qsort(order, state->n, sizeof(*order), by_path_then_position);
	for (i = 0; i < state->n; i++)
		if (i + 1 == state->n || strcmp(order[i]->path, order[i + 1]->path))
			v[n++] = *order[i]; /* the last of its path */
	free(order);
	free(state->v);
	state->cap = state->n;
	state->v = v;
	state->n = n;
	return 0;
}

static int path_cmp(const void *path, const void *entry)
{
	return strcmp(path, ((const struct fp_state_entry *)entry)->path);
}

struct fp_state_entry *fp_state_find(const struct fp_state *state, const char *path)
{
	if (!state->n)
		return NULL;
	return bsearch(path, state->v, state->n, sizeof(*state->v), path_cmp);
}

/* ---- the state file -------------------------------------------------------- */

static int put_file(const char *buf, size_t size, void *data)
{
	return fwrite(buf, 1, size, data) == size ? 0 : -1;
}

int fp_state_entry_dump(const struct fp_state_entry *e, FILE *f)
{
	json_t *o = json_pack("{s:s, s:I, s:I, s:s}", "path", e->path, "bytes",
			      (json_int_t)e->bytes, "mtime_ns", (json_int_t)e->mtime_ns, "sha256",
			      e->sha256);
	int ret = -1;

	/* json_pack fails on a path that is not UTF-8. */
	if (o && (!e->load_run ||
		  json_object_set_new(o, "load_run", json_integer(e->load_run)) == 0))
		ret = fp_json_dump(o, put_file, f);
	json_decref(o);
	return ret;
}

/* Adds the entry of the JSON object `e` (borrowed). */
static int add_object(struct fp_state *state, const json_t *obj)
{
	const char *sha = json_string_value(json_object_get(obj, "sha256"));
	struct fp_state_entry *e =
		fp_state_add(state, json_string_value(json_object_get(obj, "path")));

	if (!e)
		return -1;
	e->bytes = json_integer_value(json_object_get(obj, "bytes"));
	e->mtime_ns = json_integer_value(json_object_get(obj, "mtime_ns"));
	e->load_run = json_integer_value(json_object_get(obj, "load_run"));
	/* Anything but a hex digest never matches a file's; "" says so. */
	if (sha && strlen(sha) == FP_SHA256_HEX_LEN)
		memcpy(e->sha256, sha, FP_SHA256_HEX_LEN + 1);
	return 0;
}

int fp_state_read(const char *path, struct fp_state *state, struct fp_error *err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;
	int ret = -1, added;

	fp_state_init(state);
	if (!f) {
		if (errno == ENOENT)
			ret = 0; /* the first run */
		else
			fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto out;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		json_t *e;
		const char *rel;

		lineno++;
		/* The fast parser for the lines this module writes; jansson for
		 * the rest, and for the message of a bad line. */
		if (!(e = fp_json_parse(line, (size_t)n)))
			e = json_loadb(line, (size_t)n, 0, NULL);
		rel = json_string_value(json_object_get(e, "path"));
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
		added = add_object(state, e);
		json_decref(e);
		if (added < 0)
			goto nomem;
	}
	if (ferror(f)) {
		fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto out;
	}
	if (fp_state_sort(state) < 0)
		goto nomem;
	ret = 0;
	goto out;
nomem:
	fp_error_set(err, "out-of-memory", "out of memory");
out:
	if (ret < 0) {
		fp_error_at(err, path, 0, 0);
		fp_state_release(state);
	}
	if (f)
		fclose(f);
	free(line);
	return ret;
}

/* Writes the lines of a state file: called with the open temporary file,
 * returns 0 or -1 (a line could not be written). */
typedef int write_lines_fn(FILE *f, const void *data);

/*
 * Writes the state file `path` atomically: `head` (borrowed) as its first
 * line, then what `lines` writes, to FILE.tmp, fsync, rename, fsync of the
 * directory. Returns 0, or -1 with err ("state-write"); the old file is
 * then intact.
 */
static int write_state_file(const char *path, const json_t *head, write_lines_fn *lines,
			    const void *data, struct fp_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	FILE *f = NULL;
	int dfd, ret = -1, ok, saved;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp) ||
	    !(f = fopen(tmp, "we"))) {
		fp_error_set(err, "state-write", "cannot write the state: %s", strerror(errno));
		goto out;
	}
	json_dumpf(head, f, JSON_COMPACT);
	fputc('\n', f);
	/* Closed whatever failed, and the first failure's errno reported. */
	ok = head && lines(f, data) == 0 && fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
	saved = errno;
	if (fclose(f) != 0 && ok) {
		ok = 0;
		saved = errno;
	}
	f = NULL;
	if (!ok) {
		fp_error_set(err, "state-write", "cannot write the state: %s", strerror(saved));
		unlink(tmp);
		goto out;
	}
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
	return ret;
}

static int entry_lines(FILE *f, const void *data)
{
	const struct fp_state *state = data;

	for (size_t i = 0; i < state->n; i++)
		if (fp_state_entry_dump(&state->v[i], f) < 0 || fputc('\n', f) == EOF)
			return -1;
	return 0;
}

int fp_state_write(const char *path, const char *root, const struct fp_state *state,
		   struct fp_error *err)
{
	json_t *head = json_pack("{s:i, s:s}", "feedpipe_state", 1, "root", root);
	int ret = write_state_file(path, head, entry_lines, state, err);

	json_decref(head);
	return ret;
}

/* ---- the state of runs over a history -------------------------------------- */

/* The state file of commits as JSON objects (new array), or an empty one
 * when there is no file. Returns NULL with err. */
static json_t *read_commit_lines(const char *path, struct fp_error *err)
{
	FILE *f = fopen(path, "re");
	json_t *lines = json_array(), *e;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0;

	if (!lines) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto fail;
	}
	if (!f) {
		if (errno == ENOENT)
			return lines; /* the first run */
		fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto fail;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		lineno++;
		e = json_loadb(line, (size_t)n, 0, NULL);
		if (lineno == 1 && json_integer_value(json_object_get(e, "feedpipe_state")) == 1 &&
		    json_is_true(json_object_get(e, "git"))) {
			json_decref(e);
			continue;
		}
		if (lineno == 1 || !json_is_string(json_object_get(e, "repository")) ||
		    !json_is_string(json_object_get(e, "prefix")) ||
		    !json_is_string(json_object_get(e, "commit"))) {
			fp_error_set(err, "state-invalid", lineno == 1 && json_object_get(e, "root")
								 ? "the state of directory runs, not of --git runs"
								 : "not a feedpipe state file of --git runs");
			fp_error_at(err, path, lineno, 0);
			json_decref(e);
			goto fail;
		}
		if (json_array_append_new(lines, e) < 0) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto fail;
		}
	}
	if (ferror(f)) {
		fp_error_set(err, "state-read", "cannot read the state: %s", strerror(errno));
		goto fail;
	}
	fclose(f);
	free(line);
	return lines;
fail:
	fp_error_at(err, path, 0, 0);
	if (f)
		fclose(f);
	free(line);
	json_decref(lines);
	return NULL;
}

static int same_pair(const json_t *e, const char *repository, const char *prefix)
{
	return !strcmp(json_string_value(json_object_get(e, "repository")), repository) &&
	       !strcmp(json_string_value(json_object_get(e, "prefix")), prefix);
}

int fp_state_commit_read(const char *path, const char *repository, const char *prefix,
			 char commit[FP_STATE_COMMIT_HEX + 1], struct fp_error *err)
{
	json_t *lines = read_commit_lines(path, err), *e;
	size_t i;

	commit[0] = '\0';
	if (!lines)
		return -1;
	json_array_foreach(lines, i, e)
		if (same_pair(e, repository, prefix))
			snprintf(commit, FP_STATE_COMMIT_HEX + 1, "%s",
				 json_string_value(json_object_get(e, "commit")));
	json_decref(lines);
	return 0;
}

static int object_lines(FILE *f, const void *data)
{
	const json_t *lines = data, *e;
	size_t i;

	json_array_foreach(lines, i, e)
		if (json_dumpf(e, f, JSON_COMPACT) < 0 || fputc('\n', f) == EOF)
			return -1;
	return 0;
}

int fp_state_commit_write(const char *path, const char *repository, const char *prefix,
			  const char *commit, long long load_run, struct fp_error *err)
{
	json_t *lines = read_commit_lines(path, err), *head = NULL, *mine = NULL, *e;
	size_t i;
	int ret = -1;

	if (!lines)
		return -1;
	mine = json_pack("{s:s, s:s, s:s}", "repository", repository, "prefix", prefix, "commit",
			 commit);
	if (mine && load_run > 0)
		json_object_set_new(mine, "load_run", json_integer(load_run));
	head = json_pack("{s:i, s:b}", "feedpipe_state", 1, "git", 1);
	if (!mine || !head) {
		fp_error_set(err, "state-write", "cannot write the state: a path is not UTF-8");
		fp_error_at(err, path, 0, 0);
		goto out;
	}
	for (i = 0; i < json_array_size(lines); i++)
		if (same_pair(json_array_get(lines, i), repository, prefix))
			break;
	e = json_incref(mine);
	if ((i < json_array_size(lines) ? json_array_set_new(lines, i, e)
					: json_array_append_new(lines, e)) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	ret = write_state_file(path, head, object_lines, lines, err);
out:
	json_decref(mine);
	json_decref(head);
	json_decref(lines);
	return ret;
}

/* ---- planning -------------------------------------------------------------- */

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
	size_t hint; /* where in plan->old the next walked path probably is */
	FILE *list;
	int full;
};

/* The old entry of `rel`, or NULL. */
static struct fp_state_entry *find_old(struct planning *p, const char *rel)
{
	struct fp_state *old = &p->plan->old;
	struct fp_state_entry *e;

	/* The walk goes nearly in the state's order: the entry after the last
	 * one found is the likely one. */
	if (p->hint < old->n && !strcmp(old->v[p->hint].path, rel))
		e = &old->v[p->hint];
	else if (!(e = fp_state_find(old, rel)))
		return NULL;
	p->hint = (size_t)(e - old->v) + 1;
	return e;
}

static int plan_file(void *data, const char *root, const char *rel, const char *path,
		     const struct stat *st, const struct fp_error *werr)
{
	struct planning *p = data;
	struct fp_state_entry *old, *e;
	char hex[FP_SHA256_HEX_LEN + 1];
	long long mtime_ns;
	size_t len = strlen(rel);

	(void)root;
	/* Neither a state file nor the database could record it. */
	if (fp_utf8_valid_prefix(rel, len) != len)
		return -1;
	if ((old = find_old(p, rel)))
		old->seen = 1; /* and dropped from the next state unless kept below */
	if (p->full)
		old = NULL;
	if (werr || !st)
		goto process; /* extract reports it; not recorded, so retried next time */
	p->plan->files++;
	mtime_ns = (long long)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	if (old && old->bytes == st->st_size && old->mtime_ns == mtime_ns) {
		old->keep = 1;
		return 0;
	}
	if (file_sha256(path, hex) < 0)
		goto process;
	if (!(e = add(&p->plan->upsert, rel, len)))
		return -1;
	e->bytes = st->st_size;
	e->mtime_ns = mtime_ns;
	memcpy(e->sha256, hex, sizeof(hex));
	if (old && !strcmp(old->sha256, hex)) {
		/* Same content, new mtime: nothing to load, the load_run stays. */
		p->plan->touched++;
		e->load_run = old->load_run;
		return 0;
	}
process:
	p->plan->changed++;
	return fwrite(path, 1, strlen(path) + 1, p->list) == strlen(path) + 1 ? 0 : -1;
}

/*
 * The old entries the walk did not see: kept while their file exists (it
 * belongs to another shard or glob, or its directory was unreadable), gone
 * when it does not.
 */
static int keep_or_drop(struct fp_state_plan *plan, const char *root)
{
	char path[PATH_MAX];
	struct stat st;
	size_t cap = 0;

	for (size_t i = 0; i < plan->old.n; i++) {
		struct fp_state_entry *e = &plan->old.v[i];

		if (e->seen)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, e->path) < sizeof(path) &&
		    stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR)) {
			if (plan->ngone == cap) {
				const char **gone = reallocarray(plan->gone, cap ? cap * 2 : 16,
								 sizeof(*gone));
				if (!gone)
					return -1;
				plan->gone = gone;
				cap = cap ? cap * 2 : 16;
			}
			plan->gone[plan->ngone++] = e->path;
		} else {
			e->keep = 1;
		}
	}
	return 0;
}

/* plan->next: the old entries kept and the new ones, two sorted runs of
 * distinct paths (a walked path is never kept), merged. */
static int merge_next(struct fp_state_plan *plan)
{
	const struct fp_state *old = &plan->old, *upsert = &plan->upsert;
	struct fp_state *next = &plan->next;
	size_t i, j = 0, kept = 0;

	for (i = 0; i < old->n; i++)
		kept += old->v[i].keep;
	if (kept + upsert->n == 0)
		return 0;
	if (!(next->v = malloc((kept + upsert->n) * sizeof(*next->v))))
		return -1;
	next->cap = kept + upsert->n;
	for (i = 0; i < old->n || j < upsert->n;) {
		if (i < old->n && !old->v[i].keep) {
			i++;
		} else if (j == upsert->n ||
			   (i < old->n && strcmp(old->v[i].path, upsert->v[j].path) < 0)) {
			next->v[next->n] = old->v[i++];
			next->v[next->n].seen = next->v[next->n].keep = 0;
			next->n++;
		} else {
			next->v[next->n++] = upsert->v[j++];
		}
	}
	return 0;
}

int fp_state_plan(struct fp_state_plan *plan, const char *root, const struct fp_walk *walk,
		  struct fp_state *state, int full, const char *tmpdir, struct fp_error *err)
{
	struct planning p = { .plan = plan, .full = full };
	char list[PATH_MAX];
	int fd, ret = -1;

	memset(plan, 0, sizeof(*plan));
	if (state) {
		plan->old = *state;
		fp_state_init(state);
	}
	if (fp_state_sort(&plan->old) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	plan->recorded = (long)plan->old.n;
	snprintf(list, sizeof(list), "%s/feedpipe-list-XXXXXX", tmpdir);
	if ((fd = mkostemp(list, O_CLOEXEC)) < 0 || !(p.list = fdopen(fd, "w"))) {
		fp_error_set(err, "tmpdir", "cannot write the list of files: %s", strerror(errno));
		goto out;
	}
	if (!(plan->list_path = strdup(list))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	if (fp_walk_dir_stat(walk, root, plan_file, &p) != 0 || fflush(p.list) != 0) {
		fp_error_set(err, "tmpdir", "cannot write the list of files: %s", strerror(errno));
		goto out;
	}
	if (keep_or_drop(plan, root) < 0 || fp_state_sort(&plan->upsert) < 0 ||
	    merge_next(plan) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (p.list)
		fclose(p.list);
	return ret;
}

int fp_state_plan_dirty(const struct fp_state_plan *plan)
{
	return plan->upsert.n > 0 || plan->ngone > 0;
}

void fp_state_plan_release(struct fp_state_plan *plan)
{
	if (!plan)
		return;
	if (plan->list_path)
		unlink(plan->list_path);
	free(plan->list_path);
	fp_state_release(&plan->next);
	fp_state_release(&plan->upsert);
	fp_state_release(&plan->old);
	free(plan->gone);
	memset(plan, 0, sizeof(*plan));
}
