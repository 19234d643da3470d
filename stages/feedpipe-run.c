#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "git.h"
#include "pg.h"
#include "pipeline.h"
#include "state.h"
#include "walk.h"

#include "banned.h"

static void usage(FILE *f)
{
	fputs("usage: feedpipe run [options] INPUT... (--pg DSN | --out FILE | --out-dir DIR)...\n"
	      "       feedpipe run [options] --git REPO [--rev REV] [--prefix DIR] SINK...\n"
	      "Runs feedpipe-extract | feedpipe-clean | feedpipe-normalize | feedpipe-load over the\n"
	      "INPUT files and directories (\"-\": read paths from stdin), or over every version\n"
	      "of every post in the history of the git repository REPO.\n"
	      "\n"
	      "  -0                     with -, paths are NUL-separated (extract)\n"
	      "      --batch-rows N     rows per database batch (load)\n"
	      "      --clean-opt ARG    pass ARG to feedpipe-clean (repeatable)\n"
	      "      --default-tz TZ    zone of dates that have none (normalize)\n"
	      "      --extract-opt ARG  pass ARG to feedpipe-extract (repeatable)\n"
	      "      --full             with --incremental: process every file, then record them\n"
	      "      --git REPO         read the history of the git repository REPO (extract)\n"
	      "      --glob PATTERN     file names to take from directories (extract)\n"
	      "      --incremental      process only the files of the one INPUT directory that\n"
	      "                         changed since the last successful run (with --git: the\n"
	      "                         commits after the last one loaded); the state is kept\n"
	      "                         in the database (--pg) or in DIR/_feedpipe_state.jsonl\n"
	      "                         (--out-dir DIR), and the parts of a run get new names\n"
	      "  -j, --jobs N           run N extract|clean|normalize chains into one loader\n"
	      "      --load-opt ARG     pass ARG to feedpipe-load (repeatable)\n"
	      "      --lock FILE        exit 5 at once if another run holds FILE\n"
	      "      --normalize-opt ARG  pass ARG to feedpipe-normalize (repeatable)\n"
	      "      --out FILE         write gzipped JSON Lines to FILE (load)\n"
	      "      --out-dir DIR      write a dt=YYYY-MM-DD/ partitioned tree (load)\n"
	      "      --pg DSN           load into PostgreSQL (load; a password on a command\n"
	      "                         line is visible to every user: use ~/.pgpass)\n"
	      "      --pg-fd N          --pg with the DSN read from file descriptor N\n"
	      "      --prefix DIR       with --git: the posts are under DIR of REPO (extract)\n"
	      "      --rev REV          with --git: the commits to read, REV, A..B or A.. (extract);\n"
	      "                         with --incremental, the tip to read up to (default HEAD)\n"
	      "      --root DIR         paths are relative to DIR (extract)\n"
	      "      --rules FILE       add or override cleaning rules (clean)\n"
	      "      --schema NAME      database schema (load)\n"
	      "      --shard K/N        take only shard K of N of the files (extract)\n"
	      "      --state FILE       --incremental, with the state in FILE\n"
	      FP_CLI_COMMON_HELP
	      "--max-line and --max-rejects apply to each stage; --stats merges every stage's.\n"
	      "Progress is shown on a terminal, or with -v.\n"
	      "Exit: 0 ok, 1 rejects over --max-rejects, 2 usage, 3 I/O, 5 locked, 6 a stage failed,\n"
	      "130/143 interrupted.\n",
	      f);
}

enum { O_BATCH = FP_OPT_FIRST_STAGE_OPTION, O_CLEAN_OPT, O_DEFAULT_TZ, O_EXTRACT_OPT, O_GLOB,
       O_LOAD_OPT, O_LOCK, O_NORMALIZE_OPT, O_OUT, O_OUT_DIR, O_PG, O_ROOT, O_RULES, O_SCHEMA,
       O_SHARD, O_FULL, O_INCREMENTAL, O_STATE, O_PG_FD, O_GIT, O_PREFIX, O_REV };

/* Where each pass-through option goes, and under which name. */
static const struct { int opt; enum fp_stage_id stage; const char *name; } passed[] = {
	{ '0', FP_STAGE_EXTRACT, "-0" },           { O_BATCH, FP_STAGE_LOAD, "--batch-rows" },
	{ O_DEFAULT_TZ, FP_STAGE_NORMALIZE, "--default-tz" },
	{ O_GLOB, FP_STAGE_EXTRACT, "--glob" },     { O_OUT, FP_STAGE_LOAD, "--out" },
	{ O_GIT, FP_STAGE_EXTRACT, "--git" },       { O_PREFIX, FP_STAGE_EXTRACT, "--prefix" },
	{ O_OUT_DIR, FP_STAGE_LOAD, "--out-dir" },
	{ O_ROOT, FP_STAGE_EXTRACT, "--root" },     { O_RULES, FP_STAGE_CLEAN, "--rules" },
	{ O_SCHEMA, FP_STAGE_LOAD, "--schema" },    { O_EXTRACT_OPT, FP_STAGE_EXTRACT, NULL },
	{ O_CLEAN_OPT, FP_STAGE_CLEAN, NULL },      { O_NORMALIZE_OPT, FP_STAGE_NORMALIZE, NULL },
	{ O_LOAD_OPT, FP_STAGE_LOAD, NULL },
};

static int to_all(struct fp_pipeline *pl, const char *opt, const char *arg)
{
	for (int s = 0; s < FP_STAGE_COUNT; s++)
		if (fp_pipeline_add_arg(pl, s, opt, NULL) < 0 ||
		    (arg && fp_pipeline_add_arg(pl, s, arg, NULL) < 0))
			return -1;
	return 0;
}

/* Says so and returns the exit code of a failed allocation. */
static int out_of_memory(struct fp_cli *cli)
{
	fp_cli_msg(cli, "out of memory");
	return FP_EXIT_IO;
}

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

struct display {
	int tty;
	double printed;
};

/* Prints the progress line: in place on a terminal, a line every 10 s under -v. */
static void show_progress(const struct fp_progress *p, void *ctx)
{
	struct display *d = ctx;
	int tty = d->tty;
	double rate = p->elapsed > 0 ? p->records / p->elapsed : 0;
	char total[32] = "?", eta[32] = "";

	if (!tty && !p->final && p->elapsed - d->printed < 10)
		return;
	d->printed = p->elapsed;
	if (p->files_total >= 0)
		snprintf(total, sizeof(total), "%ld", p->files_total);
	if (p->files_total > p->records && rate > 0 && !p->final)
		snprintf(eta, sizeof(eta), ", eta %.0f s", (p->files_total - p->records) / rate);
	fprintf(stderr, "%sfeedpipe: %ld/%s files, %.0f docs/s, %.1f MB/s, %ld rejects, %.1f s%s%s",
		tty ? "\r\033[K" : "", p->records, total, rate,
		p->elapsed > 0 ? p->bytes / 1e6 / p->elapsed : 0.0, p->rejects, p->elapsed, eta,
		tty && !p->final ? "" : "\n");
}

/* An incremental run: where its state lives, and its plan. */
struct incremental {
	int on;                       /* --incremental or --state */
	int full;
	const char *file;             /* the state file, or NULL: the database */
	char file_buf[PATH_MAX];
	char root[PATH_MAX];          /* realpath(INPUT): the database rows' root */
	struct fp_pg_state_options db; /* --pg and --schema of the run */
	struct fp_state_plan plan;
	/* --git: the state is the last commit loaded of (root, prefix) */
	const char *git, *rev;        /* --git REPO, --rev */
	char *prefix;                 /* --prefix as the history reads it (owned) */
	char loaded[FP_GIT_OID_HEX + 1]; /* the last commit loaded, "" none */
	char tip[FP_GIT_OID_HEX + 1]; /* the commit this run loads up to */
};

/* True when an incremental run has nothing to do: no file changed, or no
 * commit since the last one loaded. */
static int up_to_date(const struct incremental *inc)
{
	return inc->on && (inc->git ? !strcmp(inc->loaded, inc->tip) : inc->plan.changed == 0);
}

/*
 * Checks the options of an incremental run and decides where its state
 * lives: FILE of --state; else the database of --pg; else the one --out-dir.
 * Returns 0, or -1 after a message (usage).
 */
static int check_incremental(struct fp_cli *cli, struct incremental *inc, char *const *inputs,
			     size_t ninputs, int outs, const char *out_dir, int out_dirs)
{
	struct stat sb;

	if (inc->git) {
		if (ninputs || !realpath(inc->git, inc->root)) {
			fp_cli_msg(cli, ninputs ? "--git reads a repository: no INPUT with it"
						: "--git '%s': no such directory", inc->git);
			return -1;
		}
	} else if (ninputs != 1 || stat(inputs[0], &sb) < 0 || !S_ISDIR(sb.st_mode) ||
		   !realpath(inputs[0], inc->root)) {
		fp_cli_msg(cli, "--incremental and --state take one INPUT directory");
		return -1;
	}
	if (outs) {
		fp_cli_msg(cli, "--incremental cannot write --out FILE (a run would replace it with "
				"the changed files' articles): use --out-dir");
		return -1;
	}
	if (inc->file || inc->db.conninfo)
		return 0;
	if (out_dirs != 1 || (size_t)snprintf(inc->file_buf, sizeof(inc->file_buf),
					      "%s/_feedpipe_state.jsonl", out_dir) >=
				     sizeof(inc->file_buf)) {
		fp_cli_msg(cli, "--incremental keeps its state in the database of --pg or in the "
				"one --out-dir: give --state FILE");
		return -1;
	}
	inc->file = inc->file_buf;
	return 0;
}

/*
 * The name of an incremental run's part files: its UTC start time, made
 * unique among the runs that wrote to the --out-dir directories (each wrote
 * its DIR/rejects-ID.jsonl.gz) by waiting for the next second.
 */
static void make_run_id(char *buf, size_t size, const char *const *dirs)
{
	for (int tries = 0;; tries++) {
		time_t t = time(NULL);
		struct tm tm;
		int taken = 0;

		strftime(buf, size, "%Y%m%dT%H%M%SZ", gmtime_r(&t, &tm));
		for (size_t i = 0; dirs[i]; i++) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "%s/rejects-%s.jsonl.gz", dirs[i], buf);
			taken |= access(path, F_OK) == 0;
		}
		if (!taken || tries == 3)
			return;
		sleep(1);
	}
}

/*
 * Reads the state, plans which files of the one INPUT directory to process
 * and points extract at that list. Returns 0, or -1 with err.
 */
static int plan_incremental(struct fp_pipeline *pl, struct incremental *inc,
			    const char *const *globs, struct fp_error *err)
{
	static char stdin_arg[] = "-";
	static char *dash[] = { stdin_arg, NULL };
	struct fp_walk walk = { .globs = globs[0] ? globs : NULL };
	struct fp_state_plan *plan = &inc->plan;
	const char *tmp = getenv("TMPDIR"), *root = pl->inputs[0];
	struct fp_state state;

	if (pl->shard)
		fp_walk_parse_shard(&walk, pl->shard);
	if ((inc->file ? fp_state_read(inc->file, &state, err)
		       : fp_pg_state_read(&inc->db, &state, err)) < 0)
		return -1;
	if (fp_state_plan(plan, root, &walk, &state, inc->full, tmp && *tmp ? tmp : "/tmp", err) < 0)
		return -1;
	if (plan->changed == 0)
		return 0;
	pl->stdin_path = plan->list_path;
	pl->inputs = dash;
	pl->ninputs = 1;
	pl->files_total = plan->changed;
	if (fp_pipeline_add_arg(pl, FP_STAGE_EXTRACT, "-0", err) < 0 ||
	    fp_pipeline_add_arg(pl, FP_STAGE_EXTRACT, "--root", err) < 0 ||
	    fp_pipeline_add_arg(pl, FP_STAGE_EXTRACT, root, err) < 0)
		return -1;
	return 0;
}

/*
 * Plans a run over a history: the tip of --rev (HEAD) now, so that commits
 * made meanwhile wait for the next run; the last commit loaded from the
 * state; extract reads LOADED..TIP (the whole history the first time or
 * with --full). Returns 0, or -1 with err ("git-state": the commit loaded
 * last is no longer in the repository).
 */
static int plan_git(struct fp_pipeline *pl, struct incremental *inc, struct fp_error *err)
{
	char range[2 * FP_GIT_OID_HEX + 3];

	if (fp_git_resolve(inc->git, inc->rev, inc->tip, err) < 0)
		return -1;
	if (!inc->full && (inc->file ? fp_state_commit_read(inc->file, inc->root, inc->prefix,
							     inc->loaded, err)
				     : fp_pg_commit_state_read(&inc->db, inc->prefix, inc->loaded,
							       err)) < 0)
		return -1;
	if (inc->loaded[0] && strcmp(inc->loaded, inc->tip)) {
		char hex[FP_GIT_OID_HEX + 1];
		struct fp_error e;

		fp_error_init(&e);
		if (fp_git_resolve(inc->git, inc->loaded, hex, &e) < 0) {
			fp_error_set(err, "git-state",
				     "the commit loaded last, %s, is not in the repository (was the "
				     "history rewritten?): run with --full",
				     inc->loaded);
			return -1;
		}
	}
	snprintf(range, sizeof(range), "%s%s%s", inc->loaded, inc->loaded[0] ? ".." : "", inc->tip);
	return fp_pipeline_add_arg(pl, FP_STAGE_EXTRACT, "--rev", err) < 0 ||
			       fp_pipeline_add_arg(pl, FP_STAGE_EXTRACT, range, err) < 0
		       ? -1
		       : 0;
}

/*
 * Records the state after a successful run (the loader's `load_run`, 0 when
 * none started), when it changed. Returns 0, or -1 with err.
 */
static int record_incremental(struct incremental *inc, const char *root, long long load_run,
			      struct fp_error *err)
{
	if (inc->git) {
		if (!strcmp(inc->loaded, inc->tip))
			return 0;
		return inc->file ? fp_state_commit_write(inc->file, inc->root, inc->prefix, inc->tip,
							 load_run, err)
				 : fp_pg_commit_state_write(&inc->db, inc->prefix, inc->tip, load_run,
							    err);
	}
	if (!fp_state_plan_dirty(&inc->plan))
		return 0;
	if (inc->file)
		return fp_state_write(inc->file, root, &inc->plan.next, err);
	return fp_pg_state_write(&inc->db, &inc->plan.upsert, inc->plan.gone, inc->plan.ngone,
				 load_run, err);
}

/* The exit code and message for a failure of the incremental state. */
static int incremental_failed(struct fp_cli *cli, const struct incremental *inc,
			      const struct fp_error *err)
{
	char desc[256];

	if (!strncmp(err->reason, "git-", 4)) {
		fp_cli_msg(cli, "%s%s%s", err->source, err->source[0] ? ": " : "", err->text);
		return !strcmp(err->reason, "git-open") ? FP_EXIT_IO : FP_EXIT_USAGE;
	}
	if (inc->file || !strcmp(err->reason, "out-of-memory")) {
		fp_cli_msg(cli, "%s%s%s", err->source, err->source[0] ? ": " : "", err->text);
		return FP_EXIT_IO;
	}
	fp_cli_msg(cli, "state in %s: %s", fp_pg_describe(inc->db.conninfo, desc, sizeof(desc)),
		   err->text);
	return FP_EXIT_DB;
}

/* What parse_options and prepare return when the run goes on; else they
 * return its exit code. */
enum { GO_ON = -1 };

/* A run of the driver: its pipeline and what its options asked. */
struct run {
	struct fp_pipeline pl;
	struct incremental inc;
	struct display display;
	const char *input;     /* the first INPUT (the incremental run's root) */
	const char *dsn;       /* --pg, or --pg-fd's value */
	char *dsn_read;        /* --pg-fd's value (owned) */
	const char *prefix;    /* --prefix as given */
	const char *lock;
	const char *globs[17], *out_dirs[17];
	size_t nglobs, nout_dirs;
	int sinks, outs;
	long jobs, shard_n;
};

/* Passes option `opt` to the stages it is for, and notes what the run
 * needs of it. Returns 0, or -1 out of memory. */
static int pass_option(struct run *r, size_t i, int opt, struct fp_error *err)
{
	if ((passed[i].name && fp_pipeline_add_arg(&r->pl, passed[i].stage, passed[i].name, err)) ||
	    (optarg && fp_pipeline_add_arg(&r->pl, passed[i].stage, optarg, err)))
		return -1;
	r->sinks += opt == O_OUT || opt == O_OUT_DIR;
	r->outs += opt == O_OUT;
	if (opt == O_GLOB && r->nglobs < 16)
		r->globs[r->nglobs++] = optarg;
	if (opt == O_OUT_DIR && r->nout_dirs < 16)
		r->out_dirs[r->nout_dirs++] = optarg;
	r->inc.git = opt == O_GIT ? optarg : r->inc.git;
	r->prefix = opt == O_PREFIX ? optarg : r->prefix;
	r->inc.db.schema = opt == O_SCHEMA ? optarg : r->inc.db.schema;
	return 0;
}

/*
 * Parses the command line into r. Returns GO_ON, else the exit code
 * (0 after --help or --version) after a message.
 */
static int parse_options(struct run *r, struct fp_cli *cli, int argc, char **argv,
			 struct fp_error *err)
{
	static const struct option longopts[] = {
		{ "batch-rows", required_argument, NULL, O_BATCH },
		{ "clean-opt", required_argument, NULL, O_CLEAN_OPT },
		{ "default-tz", required_argument, NULL, O_DEFAULT_TZ },
		{ "extract-opt", required_argument, NULL, O_EXTRACT_OPT },
		{ "full", no_argument, NULL, O_FULL },
		{ "git", required_argument, NULL, O_GIT },
		{ "glob", required_argument, NULL, O_GLOB },
		{ "incremental", no_argument, NULL, O_INCREMENTAL },
		{ "jobs", required_argument, NULL, 'j' },
		{ "load-opt", required_argument, NULL, O_LOAD_OPT },
		{ "lock", required_argument, NULL, O_LOCK },
		{ "normalize-opt", required_argument, NULL, O_NORMALIZE_OPT },
		{ "out", required_argument, NULL, O_OUT },
		{ "out-dir", required_argument, NULL, O_OUT_DIR },
		{ "pg", required_argument, NULL, O_PG },
		{ "pg-fd", required_argument, NULL, O_PG_FD },
		{ "prefix", required_argument, NULL, O_PREFIX },
		{ "rev", required_argument, NULL, O_REV },
		{ "root", required_argument, NULL, O_ROOT },
		{ "rules", required_argument, NULL, O_RULES },
		{ "schema", required_argument, NULL, O_SCHEMA },
		{ "shard", required_argument, NULL, O_SHARD },
		{ "state", required_argument, NULL, O_STATE },
		FP_CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const size_t npassed = sizeof(passed) / sizeof(passed[0]);
	int opt, rc;

	while ((opt = getopt_long(argc, argv, FP_CLI_SHORTOPTS "0j:", longopts, NULL)) != -1) {
		size_t i;
		for (i = 0; i < npassed && passed[i].opt != opt; i++)
			;
		if (i < npassed) {
			/* Refused here too: the driver keeps its state there. */
			if (opt == O_SCHEMA && fp_pg_check_schema(optarg, err) < 0)
				return fp_cli_msg(cli, "invalid --schema '%s': %s", optarg, err->text),
				       FP_EXIT_USAGE;
			if (pass_option(r, i, opt, err) < 0)
				return out_of_memory(cli);
		} else if (opt == O_PG || opt == O_PG_FD) {
			if (r->dsn)
				return fp_cli_msg(cli, "one database: give --pg or --pg-fd once"),
				       FP_EXIT_USAGE;
			if (opt == O_PG_FD && fp_cli_read_fd(optarg, &r->dsn_read, err) < 0)
				return fp_cli_msg(cli, "invalid --pg-fd '%s': %s", optarg, err->text),
				       FP_EXIT_USAGE;
			r->dsn = r->inc.db.conninfo = opt == O_PG ? optarg : r->dsn_read;
			r->sinks++;
		} else if (opt == 'j') {
			if (fp_cli_parse_long(optarg, &r->jobs) < 0 || r->jobs < 1 || r->jobs > 256)
				return fp_cli_msg(cli, "invalid --jobs '%s': expected 1 to 256", optarg),
				       FP_EXIT_USAGE;
		} else if (opt == O_REV) {
			r->inc.rev = optarg; /* the range is the plan's with --incremental */
		} else if (opt == O_FULL || opt == O_INCREMENTAL || opt == O_LOCK || opt == O_STATE) {
			r->inc.full |= opt == O_FULL;
			r->inc.on |= opt == O_INCREMENTAL || opt == O_STATE;
			r->lock = opt == O_LOCK ? optarg : r->lock;
			r->inc.file = opt == O_STATE ? optarg : r->inc.file;
		} else if (opt == O_SHARD) {
			struct fp_walk w = { 0 };

			/* As extract parses it: "1/2x" is refused, not read as 1/2. */
			if (fp_walk_parse_shard(&w, optarg) < 0)
				return fp_cli_msg(cli, "invalid --shard '%s': expected K/N, 0 <= K < N",
						  optarg),
				       FP_EXIT_USAGE;
			r->shard_n = w.shard_count;
			r->pl.shard = optarg;
		} else if (opt == 'h' || opt == 'V') {
			opt == 'h' ? usage(stdout) : fp_cli_version(cli);
			return FP_EXIT_OK;
		} else if ((rc = fp_cli_option(cli, opt, optarg)) <= 0) {
			if (rc == 0)
				usage(stderr);
			return FP_EXIT_USAGE;
		}
		/* The common options but --stats go to every stage. */
		if ((opt == 'q' && to_all(&r->pl, "-q", NULL)) ||
		    (opt == 'v' && to_all(&r->pl, "-v", NULL)) ||
		    (opt == FP_OPT_MAX_LINE && to_all(&r->pl, "--max-line", optarg)) ||
		    (opt == FP_OPT_MAX_REJECTS && to_all(&r->pl, "--max-rejects", optarg)))
			return out_of_memory(cli);
	}
	if ((optind >= argc && !r->inc.git) || r->sinks < 1) {
		fp_cli_msg(cli, r->sinks < 1 ? "give --pg, --out or --out-dir" : "no INPUT given");
		usage(stderr);
		return FP_EXIT_USAGE;
	}
	if (r->inc.git ? optind < argc || (r->pl.shard && r->inc.on) : !!(r->prefix || r->inc.rev)) {
		fp_cli_msg(cli, !r->inc.git	  ? "--prefix and --rev need --git"
				: optind < argc ? "--git reads a repository: no INPUT with it"
						: "--incremental --git takes no --shard (its state is the"
						  " whole history's)");
		return FP_EXIT_USAGE;
	}
	/* The loader gets the connection string, password and all, by a
	 * descriptor: any user can read a command line (ps). */
	if (r->dsn && fp_pipeline_add_secret(&r->pl, FP_STAGE_LOAD, "--pg-fd", r->dsn, err) < 0)
		return fp_cli_msg(cli, "%s", err->text), FP_EXIT_IO;
	r->pl.jobs = (int)r->jobs;
	r->pl.inputs = argv + optind;
	r->pl.ninputs = (size_t)(argc - optind);
	r->input = argv[optind];
	return GO_ON;
}

/*
 * Everything before the stages start: the incremental run's checks, the
 * stage executables, the lock, the progress display, the plan. Returns
 * GO_ON, else the exit code after a message.
 */
static int prepare(struct run *r, struct fp_cli *cli, struct fp_error *err)
{
	struct incremental *inc = &r->inc;
	char run_id[32];

	if (inc->on && check_incremental(cli, inc, r->pl.inputs, r->pl.ninputs, r->outs,
					 r->out_dirs[r->nout_dirs ? r->nout_dirs - 1 : 0],
					 (int)r->nout_dirs) < 0)
		return FP_EXIT_USAGE;
	inc->db.root = inc->root;
	if (inc->git && !(inc->prefix = fp_git_prefix_new(r->prefix)))
		return out_of_memory(cli);
	if (inc->git && !inc->on && inc->rev &&
	    (fp_pipeline_add_arg(&r->pl, FP_STAGE_EXTRACT, "--rev", err) < 0 ||
	     fp_pipeline_add_arg(&r->pl, FP_STAGE_EXTRACT, inc->rev, err) < 0))
		return out_of_memory(cli);
	if (fp_pipeline_find_stages(&r->pl, err) < 0)
		return fp_cli_msg(cli, "%s", err->text), FP_EXIT_USAGE;
	if (r->lock && fp_pipeline_lock(r->lock, err) < 0)
		return fp_cli_msg(cli, "%s: %s", r->lock, err->text),
		       !strcmp(err->reason, "locked") ? FP_EXIT_LOCKED : FP_EXIT_IO;
	if (cli->verbosity > 0 && (r->display.tty || cli->verbosity > 1)) {
		r->pl.progress = show_progress;
		r->pl.progress_ctx = &r->display;
		r->pl.files_total = inc->git ? -1
					     : fp_pipeline_count_inputs(r->pl.inputs, r->pl.ninputs,
									r->globs);
		if (r->pl.files_total > 0)
			r->pl.files_total = (r->pl.files_total + r->shard_n - 1) / r->shard_n;
	}
	if (inc->on && (inc->git ? plan_git(&r->pl, inc, err)
				 : plan_incremental(&r->pl, inc, r->globs, err)) < 0)
		return incremental_failed(cli, inc, err);
	/* The parts of an incremental run are added beside the earlier runs'. */
	if (inc->on && r->nout_dirs && !up_to_date(inc)) {
		make_run_id(run_id, sizeof(run_id), r->out_dirs);
		if (fp_pipeline_add_arg(&r->pl, FP_STAGE_LOAD, "--run-id", err) < 0 ||
		    fp_pipeline_add_arg(&r->pl, FP_STAGE_LOAD, run_id, err) < 0)
			return out_of_memory(cli);
	}
	return GO_ON;
}

/* An incremental run with nothing to load: no stage starts, nothing is
 * written but new mtimes. Returns the exit code. */
static int run_nothing(struct run *r, struct fp_cli *cli, struct fp_error *err)
{
	if (cli->verbosity > 1 && r->inc.git)
		fp_cli_msg(cli, "no commit after %.12s", r->inc.tip);
	else if (cli->verbosity > 1)
		fp_cli_msg(cli, "%ld files, none changed", r->inc.plan.files);
	r->pl.stats = json_pack("{s:s, s:i, s:i, s:i}", "program", "feedpipe", "files", 0,
				"records_out", 0, "rejects", 0);
	if (record_incremental(&r->inc, r->input, 0, err) < 0)
		return incremental_failed(cli, &r->inc, err);
	return FP_EXIT_OK;
}

/*
 * Runs the stages, names each that failed (the cause before the stages it
 * took down), and records an incremental run's state when all committed.
 * Returns the exit code: 1 when every failure was rejects over
 * --max-rejects, 6 for any other, 128 + the signal that interrupted it.
 */
static int run_stages(struct run *r, struct fp_cli *cli, struct fp_error *err)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char msg[256];
	int rc, ret, failed = 0, all_rejects = 1;
	json_t *load;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r->pl.interrupted = &got_signal;
	rc = fp_pipeline_run(&r->pl, err);
	if (rc < 0)
		fp_cli_msg(cli, "%s", err->text);
	for (int pass = 1; rc > 0 && pass <= 2 && !failed; pass++)
		for (size_t i = 0; i < r->pl.nprocs; i++)
			if (fp_pipeline_describe(&r->pl, &r->pl.procs[i], msg, sizeof(msg)) == pass) {
				fp_cli_msg(cli, "%s", msg);
				failed++;
				all_rejects &= r->pl.procs[i].status == (1 << 8);
			}
	ret = r->pl.signal ? 128 + r->pl.signal
	      : rc < 0	   ? FP_EXIT_IO
	      : rc > 0	   ? (all_rejects && failed ? FP_EXIT_DATA : FP_EXIT_STAGE)
			   : FP_EXIT_OK;
	/* The state advances only when everything was committed. */
	load = json_object_get(json_object_get(r->pl.stats, "stages"), "load");
	if (ret == FP_EXIT_OK && r->inc.on &&
	    record_incremental(&r->inc, r->input, json_integer_value(json_object_get(load, "load_run")),
			       err) < 0)
		ret = incremental_failed(cli, &r->inc, err);
	return ret;
}

/* Adds the incremental plan's counts to the stats and writes --stats. */
static int write_stats(struct run *r, struct fp_cli *cli, int ret)
{
	const struct fp_state_plan *plan = &r->inc.plan;
	json_t *commits = json_object_get(
		json_object_get(json_object_get(json_object_get(r->pl.stats, "stages"), "extract"), "git"),
		"commits");

	/* Every chain's extract reads every commit (and the blobs of its
	 * shard): the merged count is the chains' sum. */
	if (commits && r->jobs > 1)
		json_integer_set(commits, json_integer_value(commits) / r->jobs);

	if (r->inc.on && r->inc.git && r->pl.stats)
		json_object_set_new(r->pl.stats, "state",
				    json_pack("{s:s?, s:s, s:s}", "from",
					      r->inc.loaded[0] ? r->inc.loaded : NULL, "to", r->inc.tip,
					      "in", r->inc.file ? r->inc.file : "database"));
	else if (r->inc.on && r->pl.stats)
		json_object_set_new(r->pl.stats, "state",
				    json_pack("{s:I, s:I, s:I, s:I, s:s}", "files",
					      (json_int_t)plan->files, "changed",
					      (json_int_t)plan->changed, "touched",
					      (json_int_t)plan->touched, "gone", (json_int_t)plan->ngone,
					      "in", r->inc.file ? r->inc.file : "database"));
	if (cli->stats_path && r->pl.stats &&
	    json_dump_file(r->pl.stats, cli->stats_path, JSON_INDENT(2)) < 0) {
		fp_cli_msg(cli, "%s: cannot write stats", cli->stats_path);
		ret = ret ? ret : FP_EXIT_IO;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct run r = { .display.tty = isatty(STDERR_FILENO), .jobs = 1, .shard_n = 1 };
	struct fp_cli cli;
	struct fp_error err;
	int ret;

	fp_cli_init(&cli, "feedpipe");
	fp_pipeline_init(&r.pl);
	fp_error_init(&err);
	if (argc > 1 && !strcmp(argv[1], "run"))
		argv++, argc--;
	else if (argc > 1 && argv[1][0] != '-')
		return fp_cli_msg(&cli, "unknown command '%s' (try 'feedpipe run')", argv[1]),
		       FP_EXIT_USAGE;
	ret = parse_options(&r, &cli, argc, argv, &err);
	if (ret == GO_ON)
		ret = prepare(&r, &cli, &err);
	if (ret == GO_ON) {
		ret = up_to_date(&r.inc) ? run_nothing(&r, &cli, &err) : run_stages(&r, &cli, &err);
		ret = write_stats(&r, &cli, ret);
	}
	fp_state_plan_release(&r.inc.plan);
	free(r.inc.prefix);
	fp_pipeline_release(&r.pl);
	free(r.dsn_read);
	return ret;
}
