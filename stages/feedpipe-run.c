#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "pipeline.h"

#include "banned.h"

static void usage(FILE *f)
{
	fputs("usage: feedpipe run [options] INPUT... (--pg DSN | --out FILE | --out-dir DIR)...\n"
	      "Runs feedpipe-extract | feedpipe-clean | feedpipe-normalize | feedpipe-load over the\n"
	      "INPUT files and directories (\"-\": read paths from stdin).\n"
	      "\n"
	      "  -0                     with -, paths are NUL-separated (extract)\n"
	      "      --batch-rows N     rows per database batch (load)\n"
	      "      --clean-opt ARG    pass ARG to feedpipe-clean (repeatable)\n"
	      "      --default-tz TZ    zone of dates that have none (normalize)\n"
	      "      --extract-opt ARG  pass ARG to feedpipe-extract (repeatable)\n"
	      "      --glob PATTERN     file names to take from directories (extract)\n"
	      "  -j, --jobs N           run N extract|clean|normalize chains into one loader\n"
	      "      --load-opt ARG     pass ARG to feedpipe-load (repeatable)\n"
	      "      --lock FILE        exit 5 at once if another run holds FILE\n"
	      "      --normalize-opt ARG  pass ARG to feedpipe-normalize (repeatable)\n"
	      "      --out FILE         write gzipped JSON Lines to FILE (load)\n"
	      "      --out-dir DIR      write a dt=YYYY-MM-DD/ partitioned tree (load)\n"
	      "      --pg DSN           load into PostgreSQL (load)\n"
	      "      --root DIR         paths are relative to DIR (extract)\n"
	      "      --rules FILE       add or override cleaning rules (clean)\n"
	      "      --schema NAME      database schema (load)\n"
	      "      --shard K/N        take only shard K of N of the files (extract)\n"
	      FP_CLI_COMMON_HELP
	      "--max-line and --max-rejects apply to each stage; --stats merges every stage's.\n"
	      "Progress is shown on a terminal, or with -v.\n"
	      "Exit: 0 ok, 1 rejects over --max-rejects, 2 usage, 3 I/O, 5 locked, 6 a stage failed,\n"
	      "130/143 interrupted.\n",
	      f);
}

enum { O_BATCH = FP_OPT_FIRST_STAGE_OPTION, O_CLEAN_OPT, O_DEFAULT_TZ, O_EXTRACT_OPT, O_GLOB,
       O_LOAD_OPT, O_LOCK, O_NORMALIZE_OPT, O_OUT, O_OUT_DIR, O_PG, O_ROOT, O_RULES, O_SCHEMA,
       O_SHARD };

/* Where each pass-through option goes, and under which name. */
static const struct { int opt; enum fp_stage_id stage; const char *name; } passed[] = {
	{ '0', FP_STAGE_EXTRACT, "-0" },           { O_BATCH, FP_STAGE_LOAD, "--batch-rows" },
	{ O_DEFAULT_TZ, FP_STAGE_NORMALIZE, "--default-tz" },
	{ O_GLOB, FP_STAGE_EXTRACT, "--glob" },     { O_OUT, FP_STAGE_LOAD, "--out" },
	{ O_OUT_DIR, FP_STAGE_LOAD, "--out-dir" },  { O_PG, FP_STAGE_LOAD, "--pg" },
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

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "batch-rows", required_argument, NULL, O_BATCH },
		{ "clean-opt", required_argument, NULL, O_CLEAN_OPT },
		{ "default-tz", required_argument, NULL, O_DEFAULT_TZ },
		{ "extract-opt", required_argument, NULL, O_EXTRACT_OPT },
		{ "glob", required_argument, NULL, O_GLOB },
		{ "jobs", required_argument, NULL, 'j' },
		{ "load-opt", required_argument, NULL, O_LOAD_OPT },
		{ "lock", required_argument, NULL, O_LOCK },
		{ "normalize-opt", required_argument, NULL, O_NORMALIZE_OPT },
		{ "out", required_argument, NULL, O_OUT },
		{ "out-dir", required_argument, NULL, O_OUT_DIR },
		{ "pg", required_argument, NULL, O_PG },
		{ "root", required_argument, NULL, O_ROOT },
		{ "rules", required_argument, NULL, O_RULES },
		{ "schema", required_argument, NULL, O_SCHEMA },
		{ "shard", required_argument, NULL, O_SHARD },
		FP_CLI_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct fp_cli cli;
	struct fp_pipeline pl;
	struct fp_error err;
	const char *lock = NULL, *glob = NULL;
	char msg[256];
	int opt, sinks = 0, rc, all_rejects = 1, primary = 0;
	long jobs = 1, shard_k, shard_n;
	struct sigaction sa = { .sa_handler = on_signal };
	struct display display = { .tty = isatty(STDERR_FILENO) };

	fp_cli_init(&cli, "feedpipe");
	fp_pipeline_init(&pl);
	fp_error_init(&err);
	if (argc > 1 && !strcmp(argv[1], "run"))
		argv++, argc--;
	else if (argc > 1 && argv[1][0] != '-')
		return fp_cli_msg(&cli, "unknown command '%s' (try 'feedpipe run')", argv[1]), 2;
	while ((opt = getopt_long(argc, argv, FP_CLI_SHORTOPTS "0j:", longopts, NULL)) != -1) {
		size_t i;
		for (i = 0; i < sizeof(passed) / sizeof(passed[0]) && passed[i].opt != opt; i++)
			;
		if (i < sizeof(passed) / sizeof(passed[0])) {
			if ((passed[i].name && fp_pipeline_add_arg(&pl, passed[i].stage, passed[i].name, &err)) ||
			    (optarg && fp_pipeline_add_arg(&pl, passed[i].stage, optarg, &err)))
				return fp_cli_msg(&cli, "%s", err.text), 3;
			sinks += opt == O_PG || opt == O_OUT || opt == O_OUT_DIR;
			glob = opt == O_GLOB ? optarg : glob;
		} else if (opt == 'j') {
			if (fp_cli_parse_long(optarg, &jobs) < 0 || jobs < 1 || jobs > 256)
				return fp_cli_msg(&cli, "invalid --jobs '%s': expected 1 to 256", optarg), 2;
		} else if (opt == O_LOCK) {
			lock = optarg;
		} else if (opt == O_SHARD) {
			if (sscanf(optarg, "%ld/%ld%n", &shard_k, &shard_n, &(int){ 0 }) != 2 ||
			    shard_n < 1 || shard_k < 0 || shard_k >= shard_n)
				return fp_cli_msg(&cli, "invalid --shard '%s': expected K/N, 0 <= K < N", optarg), 2;
			pl.shard = optarg;
		} else if (opt == 'h') {
			return usage(stdout), 0;
		} else if (opt == 'V') {
			return fp_cli_version(&cli), 0;
		} else if ((rc = fp_cli_option(&cli, opt, optarg)) <= 0) {
			if (rc == 0)
				usage(stderr);
			return 2;
		}
		/* The common options but --stats go to every stage. */
		if ((opt == 'q' && to_all(&pl, "-q", NULL)) || (opt == 'v' && to_all(&pl, "-v", NULL)) ||
		    (opt == FP_OPT_MAX_LINE && to_all(&pl, "--max-line", optarg)) ||
		    (opt == FP_OPT_MAX_REJECTS && to_all(&pl, "--max-rejects", optarg)))
			return fp_cli_msg(&cli, "out of memory"), 3;
	}
	if (optind >= argc || sinks < 1) {
		fp_cli_msg(&cli, optind >= argc ? "no INPUT given" : "give --pg, --out or --out-dir");
		return usage(stderr), 2;
	}
	pl.jobs = (int)jobs;
	pl.inputs = argv + optind;
	pl.ninputs = (size_t)(argc - optind);
	if (fp_pipeline_find_stages(&pl, &err) < 0)
		return fp_cli_msg(&cli, "%s", err.text), 2;
	if (lock && fp_pipeline_lock(lock, &err) < 0)
		return fp_cli_msg(&cli, "%s: %s", lock, err.text), !strcmp(err.reason, "locked") ? 5 : 3;
	if (cli.verbosity > 0 && (display.tty || cli.verbosity > 1)) {
		pl.progress = show_progress;
		pl.progress_ctx = &display;
		pl.files_total = fp_pipeline_count_inputs(pl.inputs, pl.ninputs, glob);
		if (pl.files_total > 0 && pl.shard)
			pl.files_total = (pl.files_total + shard_n - 1) / shard_n;
	}
	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	pl.interrupted = &got_signal;

	rc = fp_pipeline_run(&pl, &err);
	if (rc < 0)
		fp_cli_msg(&cli, "%s", err.text);
	for (int pass = 1; rc > 0 && pass <= 2 && !primary; pass++)
		for (size_t i = 0; i < pl.nprocs; i++)
			if (fp_pipeline_describe(&pl, &pl.procs[i], msg, sizeof(msg)) == pass) {
				fp_cli_msg(&cli, "%s", msg);
				primary++;
				all_rejects &= pl.procs[i].status == (1 << 8);
			}
	if (cli.stats_path && pl.stats && json_dump_file(pl.stats, cli.stats_path, JSON_INDENT(2)) < 0)
		fp_cli_msg(&cli, "%s: cannot write stats", cli.stats_path), rc = rc ? rc : -1;
	rc = pl.signal ? 128 + pl.signal : rc < 0 ? 3 : rc > 0 ? (all_rejects && primary ? 1 : 6) : 0;
	fp_pipeline_release(&pl);
	return rc;
}
