#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <git2.h>

#include "git.h"
#include "banned.h"

/*
 * Outline. fp_git_open() resolves the range to its tip (and the commit it
 * stops at, for "A..B"), then follows first parents from the tip to the
 * start of the range: the root commit, a shallow boundary, or the first
 * commit that the range's start reaches. Those ids, reversed, are the walk.
 * fp_git_next() diffs each commit's tree under the prefix against its first
 * parent's (diff_trees: a merge-walk of two sorted trees that skips a
 * subtree with the same id on both sides and never loads a blob; libgit2's
 * git_diff_tree_to_tree took five times as long) and returns the added and
 * modified blobs the rules take, one at a time; fp_git_read() loads the one
 * in hand.
 */

/*
 * libgit2's caches and pack windows are process-wide; these caps keep its
 * memory a constant whatever the repository's size (with its delta-base
 * cache, 16 MB in libgit2 1.5 and not configurable). Trees up to CACHE_TREE
 * are cached (libgit2 caches none over 4 KB): a commit's parent's trees are
 * the previous commit's, read again (measured: 15% less RSS, no more CPU).
 */
#define CACHE_MAX ((ssize_t)4 << 20)
#define CACHE_TREE ((size_t)256 << 10)
#define MWINDOW_SIZE ((size_t)4 << 20)
#define MWINDOW_MAPPED ((size_t)16 << 20)

struct fp_git {
	git_repository *repo;
	git_odb *odb;
	char *prefix;            /* without leading or trailing '/'; "" root */
	struct fp_walk walk;     /* a copy; globs borrowed */
	git_oid *commits;        /* the range, newest first */
	size_t ncommits, next;   /* next: commits[ncommits - 1 - next] comes next */
	git_oid boundary;        /* a shallow boundary reached (when stats.shallow) */

	git_commit *commit;      /* the commit being diffed */
	struct delta *deltas;    /* its changes under the prefix, in tree order */
	size_t ndeltas, cap_deltas, delta; /* delta: the next to look at */
	char *path;              /* the directory being diffed, "a/b/" */
	size_t path_len, path_cap;
	git_blob *blob;          /* the blob fp_git_read returned last */
	struct fp_git_stats stats;
};

/* A path of the prefix's tree that differs between a commit and its first
 * parent, where one side at least is a file the rules take (taken()). */
struct delta {
	char *path;             /* relative to the prefix (owned) */
	int old_taken, new_taken;
	git_oid old_id, new_id;
};

/* Trees nested deeper are refused: they could only be hostile. */
#define MAX_TREE_DEPTH 512

static int libgit2_users;

/* libgit2's last error as err, "WHAT: MESSAGE". */
static void set_git_error(struct fp_error *err, const char *reason, const char *what)
{
	const git_error *e = git_error_last();

	fp_error_set(err, reason, "%s: %s", what, e && e->message ? e->message : "unknown error");
}

static int init_libgit2(void)
{
	if (git_libgit2_init() < 0)
		return -1;
	if (libgit2_users++ == 0) {
		git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, CACHE_MAX);
		git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_TREE, CACHE_TREE);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, MWINDOW_SIZE);
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, MWINDOW_MAPPED);
		/* Objects are not hashed again when read (git does not
		 * either): it was a third of the CPU time of a history. */
		git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
		/* Never look in the system or global configuration for
		 * anything that could change what is read. */
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
		git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
	}
	return 0;
}

static void shutdown_libgit2(void)
{
	libgit2_users--;
	git_libgit2_shutdown();
}

/* Opens exactly `path` (no search upwards), a work tree or a bare one. */
static git_repository *open_repo(const char *path, struct fp_error *err)
{
	git_repository *repo = NULL;

	if (git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		set_git_error(err, "git-open", "not a git repository");
		fp_error_at(err, path, 0, 0);
		return NULL;
	}
	return repo;
}

/* The commit `spec` names (NULL or "": HEAD). */
static int resolve_commit(git_repository *repo, const char *spec, git_oid *out,
			  struct fp_error *err)
{
	git_object *obj = NULL, *peeled = NULL;
	int ret = -1;

	if (git_revparse_single(&obj, repo, spec && *spec ? spec : "HEAD") < 0 ||
	    git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) < 0) {
		set_git_error(err, "git-rev", "no such commit");
		fp_error_at(err, spec && *spec ? spec : "HEAD", 0, 0);
		goto out;
	}
	git_oid_cpy(out, git_object_id(peeled));
	ret = 0;
out:
	git_object_free(peeled);
	git_object_free(obj);
	return ret;
}

/* "A..B", "A..", "..B" or "B" into the tip and, for a range, its start. */
static int parse_range(git_repository *repo, const char *rev, git_oid *tip, git_oid *hide,
		       int *has_hide, struct fp_error *err)
{
	const char *dots = rev ? strstr(rev, "..") : NULL;
	char *from = NULL;
	int ret = -1;

	*has_hide = 0;
	if (!dots)
		return resolve_commit(repo, rev, tip, err);
	if (dots[2] == '.') {
		fp_error_set(err, "git-rev", "symmetric ranges (A...B) are not supported");
		fp_error_at(err, rev, 0, 0);
		return -1;
	}
	from = strndup(rev, (size_t)(dots - rev));
	if (!from) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	if (resolve_commit(repo, from, hide, err) < 0 || resolve_commit(repo, dots + 2, tip, err) < 0)
		goto out;
	*has_hide = 1;
	ret = 0;
out:
	free(from);
	return ret;
}

static int push_commit(struct fp_git *g, size_t *cap, const git_oid *id)
{
	if (g->ncommits == *cap) {
		size_t n = *cap ? 2 * *cap : 1024;
		git_oid *v = realloc(g->commits, n * sizeof(*v));

		if (!v)
			return -1;
		g->commits = v;
		*cap = n;
	}
	git_oid_cpy(&g->commits[g->ncommits++], id);
	return 0;
}

/*
 * True when `c` is where "A..B" stops: A itself or a commit A reaches. The
 * reachability test is skipped for commits younger than A, which A cannot
 * reach unless clocks were wrong (they are then read again: harmless, as
 * the loader's upsert absorbs a version seen twice).
 */
static int is_hidden(git_repository *repo, const git_commit *c, const git_oid *hide,
		     git_time_t hide_time)
{
	if (git_oid_equal(git_commit_id(c), hide))
		return 1;
	if (git_commit_time(c) > hide_time)
		return 0;
	return git_graph_descendant_of(repo, hide, git_commit_id(c)) == 1;
}

/* Follows first parents from `tip` down to the start of the range. */
static int list_commits(struct fp_git *g, const git_oid *tip, const git_oid *hide, int has_hide,
			struct fp_error *err)
{
	git_commit *c = NULL, *hide_commit = NULL;
	git_time_t hide_time = 0;
	size_t cap = 0;
	git_oid id;
	int ret = -1;

	if (has_hide) {
		if (git_commit_lookup(&hide_commit, g->repo, hide) < 0) {
			set_git_error(err, "git-rev", "cannot read the range's start");
			goto out;
		}
		hide_time = git_commit_time(hide_commit);
	}
	git_oid_cpy(&id, tip);
	for (;;) {
		int rc = git_commit_lookup(&c, g->repo, &id);

		if (rc == GIT_ENOTFOUND && g->ncommits > 0 && git_repository_is_shallow(g->repo) == 1) {
			/* The parent of the last commit listed is beyond the
			 * shallow boundary: that commit starts the history. */
			git_oid_cpy(&g->boundary, &g->commits[g->ncommits - 1]);
			g->stats.shallow = 1;
			git_oid_tostr(g->stats.boundary, sizeof(g->stats.boundary), &g->boundary);
			break;
		}
		if (rc < 0) {
			char hex[FP_GIT_OID_HEX + 1];

			set_git_error(err, "git-error", "cannot read commit");
			fp_error_at(err, git_oid_tostr(hex, sizeof(hex), &id), 0, 0);
			goto out;
		}
		if (has_hide && is_hidden(g->repo, c, hide, hide_time))
			break;
		if (push_commit(g, &cap, &id) < 0) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
		if (git_commit_parentcount(c) == 0)
			break;
		git_oid_cpy(&id, git_commit_parent_id(c, 0));
		git_commit_free(c);
		c = NULL;
	}
	if (g->ncommits) {
		git_oid_tostr(g->stats.last, sizeof(g->stats.last), &g->commits[0]);
		git_oid_tostr(g->stats.first, sizeof(g->stats.first), &g->commits[g->ncommits - 1]);
	}
	ret = 0;
out:
	git_commit_free(c);
	git_commit_free(hide_commit);
	return ret;
}

char *fp_git_prefix_new(const char *prefix)
{
	char *out = malloc(strlen(prefix ? prefix : "") + 1), *o = out;
	const char *p = prefix ? prefix : "";

	if (!out)
		return NULL;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n && !(n == 1 && p[0] == '.')) {
			if (o != out)
				*o++ = '/';
			memcpy(o, p, n);
			o += n;
		}
		p += n + (p[n] == '/');
	}
	*o = '\0';
	return out;
}

struct fp_git *fp_git_open(const struct fp_git_options *opt, struct fp_error *err)
{
	struct fp_git *g;
	git_oid tip, hide;
	int has_hide;

	if (init_libgit2() < 0) {
		set_git_error(err, "git-error", "cannot initialize libgit2");
		return NULL;
	}
	g = calloc(1, sizeof(*g));
	if (!g || !(g->prefix = fp_git_prefix_new(opt->prefix))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto fail;
	}
	if (opt->walk)
		g->walk = *opt->walk;
	if (!(g->repo = open_repo(opt->repo, err)))
		goto fail;
	if (git_repository_odb(&g->odb, g->repo) < 0) {
		set_git_error(err, "git-open", "cannot open the object database");
		goto fail;
	}
	if (parse_range(g->repo, opt->rev, &tip, &hide, &has_hide, err) < 0 ||
	    list_commits(g, &tip, &hide, has_hide, err) < 0)
		goto fail;
	return g;
fail:
	if (!fp_error_isset(err) || !err->source[0])
		fp_error_at(err, opt->repo, 0, 0);
	fp_git_free(g);
	return NULL;
}

/* The tree under the prefix at `commit`, or NULL (*tree) when there is none
 * there. Returns 0 or -1. */
static int prefix_tree(struct fp_git *g, const git_commit *commit, git_tree **tree)
{
	git_tree *root = NULL;
	git_tree_entry *entry = NULL;
	int ret = -1, rc;

	*tree = NULL;
	if (git_commit_tree(&root, commit) < 0)
		return -1;
	if (!g->prefix[0]) {
		*tree = root;
		return 0;
	}
	rc = git_tree_entry_bypath(&entry, root, g->prefix);
	if (rc == GIT_ENOTFOUND) {
		ret = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (git_tree_entry_type(entry) == GIT_OBJECT_TREE &&
	    git_tree_lookup(tree, g->repo, git_tree_entry_id(entry)) < 0)
		goto out;
	ret = 0;
out:
	git_tree_entry_free(entry);
	git_tree_free(root);
	return ret;
}

static void end_commit(struct fp_git *g)
{
	for (size_t i = 0; i < g->ndeltas; i++)
		free(g->deltas[i].path);
	git_commit_free(g->commit);
	g->commit = NULL;
	g->ndeltas = g->delta = 0;
}

/* A file the walk's rules take: a regular file (no symbolic link, no
 * submodule), its name matching a glob, its path in the shard. Names
 * starting with '.' are never walked into (diff_trees). */
static int taken(const struct fp_git *g, const char *path, size_t name_off, git_filemode_t mode)
{
	if (mode != GIT_FILEMODE_BLOB && mode != GIT_FILEMODE_BLOB_EXECUTABLE)
		return 0;
	return fp_walk_match(&g->walk, path + name_off) && fp_walk_in_shard(&g->walk, path);
}

/* Notes the file `name` of the directory being diffed, `old` and `new` its
 * entries (either NULL), when the rules take either side. Returns 0 or -1. */
static int add_delta(struct fp_git *g, const char *name, const git_tree_entry *old,
		     const git_tree_entry *new)
{
	size_t n = strlen(name);
	struct delta *d;
	char *path;
	int old_taken, new_taken;

	if (g->path_len + n + 1 > g->path_cap) {
		size_t cap = 2 * (g->path_len + n + 1);
		char *p = realloc(g->path, cap);

		if (!p)
			return -1;
		g->path = p;
		g->path_cap = cap;
	}
	memcpy(g->path + g->path_len, name, n + 1);
	old_taken = old && taken(g, g->path, g->path_len, git_tree_entry_filemode(old));
	new_taken = new && taken(g, g->path, g->path_len, git_tree_entry_filemode(new));
	if (!old_taken && !new_taken)
		return 0;
	if (g->ndeltas == g->cap_deltas) {
		size_t cap = g->cap_deltas ? 2 * g->cap_deltas : 64;
		struct delta *v = realloc(g->deltas, cap * sizeof(*v));

		if (!v)
			return -1;
		g->deltas = v;
		g->cap_deltas = cap;
	}
	if (!(path = strdup(g->path)))
		return -1;
	d = &g->deltas[g->ndeltas++];
	d->path = path;
	d->old_taken = old_taken;
	d->new_taken = new_taken;
	if (old)
		git_oid_cpy(&d->old_id, git_tree_entry_id(old));
	if (new)
		git_oid_cpy(&d->new_id, git_tree_entry_id(new));
	return 0;
}

static int diff_trees(struct fp_git *g, const git_tree *a, const git_tree *b, int depth);

/* The entries `old` and `new` (either NULL) of one name: files are noted,
 * trees diffed, submodules ignored. */
static int diff_entries(struct fp_git *g, const git_tree_entry *old, const git_tree_entry *new,
			int depth)
{
	const git_tree_entry *e = old ? old : new;
	const char *name = git_tree_entry_name(e);
	git_tree *ta = NULL, *tb = NULL;
	size_t saved = g->path_len, n = strlen(name);
	int ret = -1;

	if (name[0] == '.' || git_tree_entry_type(e) == GIT_OBJECT_COMMIT)
		return 0;
	if (git_tree_entry_type(e) != GIT_OBJECT_TREE)
		return add_delta(g, name, old, new);
	if ((old && git_tree_lookup(&ta, g->repo, git_tree_entry_id(old)) < 0) ||
	    (new && git_tree_lookup(&tb, g->repo, git_tree_entry_id(new)) < 0))
		goto out;
	if (g->path_len + n + 2 > g->path_cap) {
		size_t cap = 2 * (g->path_len + n + 2);
		char *p = realloc(g->path, cap);

		if (!p)
			goto out;
		g->path = p;
		g->path_cap = cap;
	}
	memcpy(g->path + g->path_len, name, n);
	g->path_len += n;
	g->path[g->path_len++] = '/';
	ret = diff_trees(g, ta, tb, depth + 1);
	g->path_len = saved;
out:
	git_tree_free(ta);
	git_tree_free(tb);
	return ret;
}

/*
 * The files that differ between the trees `a` (the parent's) and `b`
 * (either NULL: empty), as git diffs trees: both lists of entries are in
 * tree order (git_tree_entry_cmp), so one merge-walk pairs them, and a
 * subtree with the same id on both sides is skipped unread.
 */
static int diff_trees(struct fp_git *g, const git_tree *a, const git_tree *b, int depth)
{
	size_t i = 0, j = 0, na = a ? git_tree_entrycount(a) : 0, nb = b ? git_tree_entrycount(b) : 0;

	if (depth > MAX_TREE_DEPTH) {
		git_error_set_str(GIT_ERROR_INVALID, "trees nested too deep");
		return -1;
	}
	while (i < na || j < nb) {
		const git_tree_entry *ea = i < na ? git_tree_entry_byindex(a, i) : NULL;
		const git_tree_entry *eb = j < nb ? git_tree_entry_byindex(b, j) : NULL;
		int c = !ea ? 1 : !eb ? -1 : git_tree_entry_cmp(ea, eb), rc;

		if (c == 0 && git_oid_equal(git_tree_entry_id(ea), git_tree_entry_id(eb)) &&
		    git_tree_entry_filemode(ea) == git_tree_entry_filemode(eb)) {
			i++, j++;
			continue;
		}
		rc = diff_entries(g, c <= 0 ? ea : NULL, c >= 0 ? eb : NULL, depth);
		i += c <= 0;
		j += c >= 0;
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Diffs the next commit of the range against its first parent. Returns 1,
 * 0 when the range is done, -1 with err. */
static int start_commit(struct fp_git *g, struct fp_error *err)
{
	git_commit *parent = NULL;
	git_tree *old_tree = NULL, *new_tree = NULL;
	const git_oid *id;
	char hex[FP_GIT_OID_HEX + 1];
	int ret = -1;

	end_commit(g);
	if (g->next == g->ncommits)
		return 0;
	id = &g->commits[g->ncommits - 1 - g->next++];
	if (git_commit_lookup(&g->commit, g->repo, id) < 0 ||
	    prefix_tree(g, g->commit, &new_tree) < 0)
		goto fail;
	/* The first commit of a shallow history is compared with nothing. */
	if (git_commit_parentcount(g->commit) > 0 &&
	    !(g->stats.shallow && git_oid_equal(id, &g->boundary))) {
		if (git_commit_parent(&parent, g->commit, 0) < 0 ||
		    prefix_tree(g, parent, &old_tree) < 0)
			goto fail;
	}
	g->path_len = 0;
	if (diff_trees(g, old_tree, new_tree, 0) < 0) {
		if (!git_error_last())
			git_error_set_str(GIT_ERROR_NOMEMORY, "out of memory");
		goto fail;
	}
	g->stats.commits++;
	ret = 1;
	goto out;
fail:
	set_git_error(err, "git-error", "cannot read commit");
	fp_error_at(err, git_oid_tostr(hex, sizeof(hex), id), 0, 0);
out:
	git_commit_free(parent);
	git_tree_free(old_tree);
	git_tree_free(new_tree);
	return ret;
}

int fp_git_next(struct fp_git *g, struct fp_git_change *change, struct fp_error *err)
{
	git_blob_free(g->blob);
	g->blob = NULL;
	for (;;) {
		const struct delta *d;
		const git_signature *author;
		size_t size;
		git_object_t type;
		int rc;

		if (g->delta == g->ndeltas) {
			rc = start_commit(g, err);
			if (rc <= 0)
				return rc;
			continue;
		}
		d = &g->deltas[g->delta++];
		if (!d->new_taken) {
			/* Deleted, or no longer a file the rules take. */
			g->stats.deleted++;
			continue;
		}
		if (d->old_taken && git_oid_equal(&d->old_id, &d->new_id))
			continue; /* only the mode changed */
		memset(change, 0, sizeof(*change));
		git_oid_tostr(change->commit, sizeof(change->commit), git_commit_id(g->commit));
		if (git_odb_read_header(&size, &type, g->odb, &d->new_id) < 0)
			goto fail;
		change->path = d->path;
		git_oid_tostr(change->blob, sizeof(change->blob), &d->new_id);
		change->committed_at = git_commit_time(g->commit);
		author = git_commit_author(g->commit);
		change->author_at = author ? author->when.time : change->committed_at;
		change->size = size;
		g->stats.changes++;
		d->old_taken ? g->stats.modified++ : g->stats.added++;
		return 1;
	}
fail:
	set_git_error(err, "git-error", "cannot read blob");
	fp_error_at(err, change->commit, 0, 0);
	return -1;
}

int fp_git_read(struct fp_git *g, const struct fp_git_change *change, const char **data,
		size_t *len, struct fp_error *err)
{
	git_oid id;

	git_blob_free(g->blob);
	g->blob = NULL;
	if (git_oid_fromstr(&id, change->blob) < 0 || git_blob_lookup(&g->blob, g->repo, &id) < 0) {
		set_git_error(err, "git-error", "cannot read blob");
		fp_error_at(err, change->blob, 0, 0);
		return -1;
	}
	*data = git_blob_rawcontent(g->blob);
	*len = (size_t)git_blob_rawsize(g->blob);
	return 0;
}

const char *fp_git_prefix(const struct fp_git *g)
{
	return g->prefix;
}

const struct fp_git_stats *fp_git_stats(const struct fp_git *g)
{
	return &g->stats;
}

static void iso_time(long long t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *fp_git_source_new(const struct fp_git_change *change)
{
	char committed[32], authored[32];

	iso_time(change->committed_at, committed);
	iso_time(change->author_at, authored);
	return json_pack("{s:s, s:s, s:s, s:s}", "commit", change->commit, "blob", change->blob,
			 "committed_at", committed, "author_at", authored);
}

void fp_git_free(struct fp_git *g)
{
	if (!g)
		return;
	end_commit(g);
	free(g->deltas);
	free(g->path);
	git_blob_free(g->blob);
	git_odb_free(g->odb);
	git_repository_free(g->repo);
	free(g->commits);
	free(g->prefix);
	free(g);
	shutdown_libgit2();
}

int fp_git_resolve(const char *repo, const char *rev, char hex[FP_GIT_OID_HEX + 1],
		   struct fp_error *err)
{
	git_repository *r;
	git_oid id;
	int ret = -1;

	if (init_libgit2() < 0) {
		set_git_error(err, "git-error", "cannot initialize libgit2");
		return -1;
	}
	if ((r = open_repo(repo, err)) && resolve_commit(r, rev, &id, err) == 0) {
		git_oid_tostr(hex, FP_GIT_OID_HEX + 1, &id);
		ret = 0;
	}
	git_repository_free(r);
	shutdown_libgit2();
	return ret;
}

const char *fp_git_version(void)
{
	static char buf[32];
	int major, minor, rev;

	if (!buf[0] && git_libgit2_version(&major, &minor, &rev) == 0)
		snprintf(buf, sizeof(buf), "%d.%d.%d", major, minor, rev);
	return buf;
}
