/*
 * feedpipe-extract: post files in, one NDJSON record per file out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "git.h"
#include "post.h"
#include "record.h"
#include "stage.h"
#include "walk.h"
#include "banned.h"

enum {
	OPT_GIT = FP_OPT_FIRST_STAGE_OPTION,
	OPT_GLOB,
	OPT_INVALID_UTF8,
	OPT_MAX_FILE_SIZE,
	OPT_MAX_FRONTMATTER,
	OPT_MAX_YAML_DEPTH,
	OPT_MAX_YAML_NODES,
	OPT_PREFIX,
	OPT_REV,
	OPT_ROOT,
	OPT_SHARD,
};

static const struct option options[] = {
	FP_CLI_LONGOPTS,
	{ "git", required_argument, NULL, OPT_GIT },
	{ "glob", required_argument, NULL, OPT_GLOB },
	{ "invalid-utf8", required_argument, NULL, OPT_INVALID_UTF8 },
	{ "max-file-size", required_argument, NULL, OPT_MAX_FILE_SIZE },
	{ "max-frontmatter", required_argument, NULL, OPT_MAX_FRONTMATTER },
	{ "max-yaml-depth", required_argument, NULL, OPT_MAX_YAML_DEPTH },
	{ "max-yaml-nodes", required_argument, NULL, OPT_MAX_YAML_NODES },
	{ "null", no_argument, NULL, '0' },
	{ "prefix", required_argument, NULL, OPT_PREFIX },
	{ "rev", required_argument, NULL, OPT_REV },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "shard", required_argument, NULL, OPT_SHARD },
	{ NULL, 0, NULL, 0 },
};

static const char *argv_option_name(int opt)
{
	const struct option *o;

	for (o = options; o->name; o++)
		if (o->val == opt)
			return o->name;
	return "option";
}

static void usage(FILE *out)
{
	fputs("usage: feedpipe-extract [options] INPUT...\n"
	      "       feedpipe-extract [options] --git REPO [--rev RANGE] [--prefix DIR]\n"
	      "Reads post files (Markdown with YAML front matter) and writes one NDJSON\n"
	      "record per file to stdout. INPUT is a file, a directory (walked recursively\n"
	      "in sorted order) or '-' to read paths from stdin, one per line. With --git,\n"
	      "reads every version of every post from the repository's history instead.\n"
	      "\n"
	      "  -0, --null               paths on stdin are NUL-separated (find -print0)\n"
	      "      --git REPO           read the history of the git repository REPO (a work\n"
	      "                           tree or bare): one record per blob a commit adds\n"
	      "                           or changes, oldest commit first, first parents\n"
	      "      --glob PATTERN       take files whose name matches PATTERN in directories\n"
	      "                           (repeatable; default *.md)\n"
	      "      --invalid-utf8 MODE  repair (U+FFFD, with a warning; default) or reject\n"
	      "      --max-file-size SIZE reject larger files unread (default 64M)\n"
	      "      --max-frontmatter SIZE  reject larger front matter (default 1M)\n"
	      "      --max-yaml-depth N   reject front matter nested deeper (default 64)\n"
	      "      --max-yaml-nodes N   reject front matter with more nodes, aliases\n"
	      "                           expanded (default 100000)\n"
	      "      --prefix DIR         with --git: read the posts under DIR of the repository\n"
	      "                           (default: its root); paths are relative to DIR\n"
	      "      --rev RANGE          with --git: REV, A..B or A.. (default HEAD)\n"
	      "      --root DIR           report paths of files and stdin paths relative to DIR\n"
	      "      --shard K/N          take only the files of shard K of N (0 <= K < N)\n"
	      FP_CLI_COMMON_HELP,
	      out);
}

struct run {
	struct fp_stage st;
	struct fp_walk walk;
	struct fp_post_opts post;
	const char *root;     /* --root, without trailing '/' (but "/") */
	long readable;        /* files read (made a record or a reject of their content) */
	long unreadable;      /* inputs that could not be read at all */
	const char *git, *rev, *prefix; /* --git REPO, --rev, --prefix */
};

/* Writes the record of one post, or its reject (`rec` NULL, err set);
 * `source` is the record's source when known. Steals both. */
static int put_post(struct run *run, json_t *rec, json_t *source, const char *root,
		    const char *rel, const json_t *git, const struct fp_error *err)
{
	if (rec) {
		fp_stage_warned(&run->st, (long)json_array_size(json_object_get(rec, "warnings")));
		run->st.stats.bytes_in += json_integer_value(json_object_get(source, "bytes"));
		fp_stage_emit(&run->st, rec);
	} else {
		json_t *input = source ? json_pack("{s:O}", "source", source)
				       : json_pack("{s:{s:s, s:s, s:O*}}", "source", "path", rel,
						   "root", root, "git", git);

		/* A path that is not UTF-8 cannot be a JSON string: a version
		 * is still found by its commit. */
		if (!input && git)
			input = json_pack("{s:{s:s, s:O}}", "source", "root", root, "git", git);
		fp_stage_reject(&run->st, err, input);
		json_decref(input);
	}
	json_decref(rec);
	json_decref(source);
	return run->st.failed ? -1 : 0;
}

static int one_file(void *data, const char *root, const char *rel, const char *path,
		    const struct fp_error *werr)
{
	struct run *run = data;
	struct fp_error err;
	json_t *rec = NULL, *source = NULL;

	if (fp_stage_interrupted())
		return -1;
	run->st.stats.records_in++;
	fp_error_init(&err);
	if (werr)
		err = *werr;
	else
		rec = fp_post_read(root, rel, path, &run->post, &source, &err);
	if (!rec && (werr || !strcmp(err.reason, "read-error") || !strcmp(err.reason, "not-a-file")))
		run->unreadable++;
	else
		run->readable++;
	return put_post(run, rec, source, root, rel, NULL, &err);
}

/* One version from the history: the record its file would give, plus
 * source.git; source.mtime is the commit's time. */
static int one_blob(struct run *run, struct fp_git *g, const struct fp_git_change *c,
		    const char *root)
{
	struct fp_post_source src = { .root = root, .rel = c->path, .mtime = c->committed_at };
	struct fp_error err;
	json_t *rec = NULL, *source = NULL, *git = fp_git_source_new(c);
	const char *data;
	size_t len;
	int ret;

	run->st.stats.records_in++;
	fp_error_init(&err);
	src.git = git;
	if (!git)
		fp_error_set(&err, "out-of-memory", "out of memory");
	else if (fp_post_check_size(&run->post, c->size, &err) == 0 &&
		 fp_git_read(g, c, &data, &len, &err) == 0)
		rec = fp_post_parse(&src, data, len, &run->post, &source, &err);
	fp_error_at(&err, c->path, 0, 0);
	ret = put_post(run, rec, source, root, c->path, git, &err);
	json_decref(git);
	return ret;
}

static size_t trailing_slashes(const char *s)
{
	size_t n = strlen(s), k = 0;

	while (k + 1 < n && s[n - 1 - k] == '/')
		k++;
	return k;
}

/*
 * --git: every version of the history, then its counts in --stats. Returns
 * 0 (a failure in the middle of the history is the stage's I/O error, exit
 * 3), or the exit code when the repository or the range cannot be opened
 * (message printed).
 */
static int git_input(struct run *run)
{
	const struct fp_git_options opt = { .repo = run->git, .rev = run->rev,
					    .prefix = run->prefix, .walk = &run->walk };
	char msg[FP_ERROR_SOURCE_MAX + FP_ERROR_TEXT_MAX + 8];
	const struct fp_git_stats *gs;
	struct fp_git_change c;
	struct fp_git *g;
	struct fp_error err;
	char *root = NULL;
	int rc = 0;

	fp_error_init(&err);
	if (!(g = fp_git_open(&opt, &err))) {
		fp_cli_msg(&run->st.cli, "%s", fp_error_format(&err, msg, sizeof(msg)));
		return !strcmp(err.reason, "git-rev") ? FP_EXIT_USAGE : FP_EXIT_IO;
	}
	/* source.root + "/" + source.path is where the file is in a checkout. */
	if (asprintf(&root, "%.*s%s%s", (int)(strlen(run->git) - trailing_slashes(run->git)),
		     run->git, *fp_git_prefix(g) ? "/" : "", fp_git_prefix(g)) < 0) {
		root = NULL;
		rc = -1;
		fp_error_set(&err, "out-of-memory", "out of memory");
	}
	while (root && !run->st.failed && !fp_stage_interrupted() &&
	       (rc = fp_git_next(g, &c, &err)) > 0)
		if (one_blob(run, g, &c, root) < 0)
			break;
	if (rc < 0) {
		/* The stage ends as when its input cannot be read: exit 3. */
		fp_cli_msg(&run->st.cli, "%s", fp_error_format(&err, msg, sizeof(msg)));
		run->st.in.io_error = 1;
	}
	gs = fp_git_stats(g);
	if (gs->shallow && run->st.cli.verbosity > 0)
		fp_cli_msg(&run->st.cli, "%s: a shallow clone: its history starts at %.12s", run->git,
			   gs->boundary);
	json_object_set_new(run->st.stats.extra, "git",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:b, s:s?, s:s?, s:s?}",
				      "commits", (json_int_t)gs->commits, "versions",
				      (json_int_t)gs->changes, "added", (json_int_t)gs->added,
				      "modified", (json_int_t)gs->modified, "deleted",
				      (json_int_t)gs->deleted, "shallow", gs->shallow, "boundary",
				      gs->shallow ? gs->boundary : NULL, "first",
				      gs->first[0] ? gs->first : NULL, "last",
				      gs->last[0] ? gs->last : NULL));
	free(root);
	fp_git_free(g);
	return 0;
}

/* `rel` without leading "./" and '/' ("." is ""). */
static const char *skip_dots(const char *rel)
{
	for (;;) {
		while (*rel == '/')
			rel++;
		if (rel[0] != '.' || (rel[1] != '/' && rel[1]))
			return rel;
		rel++;
	}
}

/*
 * A path named on the command line or on stdin. With --root R every input
 * is relative to R: a path under R as written ("posts/a.md" with --root
 * posts; any absolute path with --root /) loses that prefix, another
 * relative path lies inside R ("a/b.md" is R/a/b.md, as the Hadoop and
 * Spark recipes list them), and a directory is walked as that part of R.
 * Without --root, or for an absolute path outside R, a directory is its own
 * root and a file's root is its directory.
 */
static int one_input(struct run *run, char *path)
{
	struct stat sb;
	size_t n = strlen(path), rlen = run->root ? strlen(run->root) : 0;
	const char *root, *rel = NULL, *open_path = path;
	char *dir = NULL, *joined = NULL;
	int ret;

	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	if (run->root && (!strcmp(run->root, "/") ? path[0] == '/'
			  : !strncmp(path, run->root, rlen) && (!path[rlen] || path[rlen] == '/'))) {
		rel = skip_dots(path + rlen);
	} else if (run->root && path[0] != '/') {
		if (asprintf(&joined, "%s%s%s", run->root, strcmp(run->root, "/") ? "/" : "", path) < 0) {
			fp_cli_msg(&run->st.cli, "out of memory");
			run->st.failed = 1;
			return -1;
		}
		open_path = joined;
		rel = skip_dots(path);
	}
	if (stat(open_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		ret = rel ? fp_walk_subdir(&run->walk, run->root, rel, open_path, one_file, run)
			  : fp_walk_dir(&run->walk, path, one_file, run);
		goto out;
	}
	if (rel && *rel) {
		root = run->root;
	} else {
		const char *slash = strrchr(path, '/');

		open_path = path;
		dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
		root = dir && dir[0] ? dir : "/";
		rel = skip_dots(slash ? slash + 1 : path);
	}
	ret = fp_walk_in_shard(&run->walk, rel) ? one_file(run, root, rel, open_path, NULL) : 0;
out:
	free(dir);
	free(joined);
	return ret;
}

static int stdin_inputs(struct run *run, int delim)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int ret = 0;

	while (!ret && (n = getdelim(&line, &cap, delim, stdin)) > 0) {
		if (line[n - 1] == delim)
			line[--n] = '\0';
		if (n > 0)
			ret = one_input(run, line);
	}
	free(line);
	return ret;
}

/* The options that take a value to check. Returns 0, or -1 (message printed). */
static int stage_option(struct run *run, int opt, const char *arg)
{
	const char *hint = "expected a size such as 64M";
	size_t size;
	long n;

	switch (opt) {
	case OPT_INVALID_UTF8:
		hint = "expected repair or reject";
		if (strcmp(arg, "repair") && strcmp(arg, "reject"))
			break;
		run->post.invalid_utf8 = !strcmp(arg, "repair") ? FP_UTF8_REPAIR : FP_UTF8_REJECT;
		return 0;
	case OPT_MAX_FILE_SIZE:
	case OPT_MAX_FRONTMATTER:
		if (fp_cli_parse_size(arg, &size) < 0 || size == 0)
			break;
		*(opt == OPT_MAX_FILE_SIZE ? &run->post.max_file : &run->post.yaml.max_bytes) = size;
		return 0;
	case OPT_MAX_YAML_DEPTH:
	case OPT_MAX_YAML_NODES:
		hint = "expected a positive number";
		if (fp_cli_parse_long(arg, &n) < 0 || n < 1)
			break;
		*(opt == OPT_MAX_YAML_DEPTH ? &run->post.yaml.max_depth : &run->post.yaml.max_nodes) = (size_t)n;
		return 0;
	case OPT_SHARD:
		hint = "expected K/N with 0 <= K < N";
		if (fp_walk_parse_shard(&run->walk, arg) < 0)
			break;
		return 0;
	default:
		usage(stderr);
		return -1;
	}
	fp_cli_msg(&run->st.cli, "invalid --%s '%s': %s", argv_option_name(opt), arg, hint);
	return -1;
}

/* Inputs are files and directories, or --git's history. Returns 0, or -1
 * after a message. */
static int check_inputs(struct run *run, int ninputs, int delim)
{
	if (!run->git && (run->rev || run->prefix))
		fp_cli_msg(&run->st.cli, "--%s needs --git", run->rev ? "rev" : "prefix");
	else if (run->git && (ninputs || run->root || delim != '\n'))
		fp_cli_msg(&run->st.cli, "--git reads a repository: no INPUT, --root or -0 with it");
	else if (!run->git && !ninputs)
		fp_cli_msg(&run->st.cli, "no input: name files, directories or '-', or --git REPO");
	else
		return 0;
	return -1;
}

int main(int argc, char **argv)
{
	struct run run;
	const char **globs = calloc((size_t)argc + 1, sizeof(*globs));
	size_t nglobs = 0;
	int opt, delim = '\n', i, rc, none_read, code = FP_EXIT_USAGE;

	memset(&run, 0, sizeof(run));
	fp_stage_init(&run.st, "feedpipe-extract", "extract");
	fp_post_opts_init(&run.post);
	while ((opt = getopt_long(argc, argv, FP_CLI_SHORTOPTS "0", options, NULL)) != -1) {
		if ((rc = fp_cli_option(&run.st.cli, opt, optarg)) != 0) {
			if (rc < 0)
				goto out;
			continue;
		}
		switch (opt) {
		case 'h': usage(stdout); code = FP_EXIT_OK; goto out;
		case 'V': fp_cli_version(&run.st.cli); code = FP_EXIT_OK; goto out;
		case '0': delim = '\0'; break;
		case OPT_GIT: run.git = optarg; break;
		case OPT_GLOB: globs[nglobs++] = optarg; break;
		case OPT_PREFIX: run.prefix = optarg; break;
		case OPT_REV: run.rev = optarg; break;
		case OPT_ROOT:
			if (!*optarg) {
				fp_cli_msg(&run.st.cli, "invalid --root '': expected a directory");
				goto out;
			}
			/* "posts/" is "posts"; "/" stays. */
			for (size_t n = strlen(optarg); n > 1 && optarg[n - 1] == '/';)
				optarg[--n] = '\0';
			run.root = optarg;
			break;
		default:
			if (stage_option(&run, opt, optarg) < 0)
				goto out;
		}
	}
	if (check_inputs(&run, argc - optind, delim) < 0) {
		usage(stderr);
		goto out;
	}
	run.walk.globs = nglobs ? globs : NULL;
	fp_writer_init(&run.st.out, stdout);
	fp_stage_catch_signals();
	if (run.git && (code = git_input(&run)) != 0)
		goto out;
	for (i = optind; i < argc && !run.st.failed && !fp_stage_interrupted(); i++)
		!strcmp(argv[i], "-") ? stdin_inputs(&run, delim) : one_input(&run, argv[i]);
	free(globs);
	/* Every input unreadable is a run pointed at the wrong place (a task
	 * folder, a wrong --root): an I/O error, not a stream of rejects. */
	none_read = run.unreadable > 0 && run.readable == 0 && !fp_stage_interrupted();
	if (none_read)
		fp_cli_msg(&run.st.cli, "none of the %ld inputs could be read: check the paths%s",
			   run.unreadable, run.root ? " and --root" : "");
	code = fp_stage_finish(&run.st);
	return none_read && code < FP_EXIT_IO ? FP_EXIT_IO : code;
out:
	free(globs);
	fp_stage_release(&run.st);
	return code;
}
