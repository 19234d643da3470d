/*
 * feedpipe-load: canonical articles in, rows in PostgreSQL and/or gzipped
 * JSON Lines out; rejects on the stream are stored, not passed on.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jsonl.h"
#include "pg.h"
#include "record.h"
#include "stage.h"
#include "banned.h"

enum {
	OPT_BATCH_BYTES = FP_OPT_FIRST_STAGE_OPTION,
	OPT_BATCH_ROWS,
	OPT_COMPRESS_LEVEL,
	OPT_MIGRATE,
	OPT_OUT,
	OPT_OUT_DIR,
	OPT_PART_SIZE,
	OPT_PARTITION,
	OPT_PG,
	OPT_PG_FD,
	OPT_RETRIES,
	OPT_RUN_ID,
	OPT_SCHEMA,
	OPT_END
};

static const struct option options[] = {
	FP_CLI_LONGOPTS,
	{ "batch-bytes", required_argument, NULL, OPT_BATCH_BYTES },
	{ "batch-rows", required_argument, NULL, OPT_BATCH_ROWS },
	{ "compress-level", required_argument, NULL, OPT_COMPRESS_LEVEL },
	{ "migrate", no_argument, NULL, OPT_MIGRATE },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "part-size", required_argument, NULL, OPT_PART_SIZE },
	{ "partition", required_argument, NULL, OPT_PARTITION },
	{ "pg", required_argument, NULL, OPT_PG },
	{ "pg-fd", required_argument, NULL, OPT_PG_FD },
	{ "retries", required_argument, NULL, OPT_RETRIES },
	{ "run-id", required_argument, NULL, OPT_RUN_ID },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: feedpipe-load [options] (--pg DSN | --out FILE | --out-dir DIR)...\n"
	      "Reads canonical articles (NDJSON from feedpipe-normalize) on stdin and stores\n"
	      "them, and the rejects on the stream, in PostgreSQL and/or gzipped JSON Lines.\n"
	      "\n"
	      "      --batch-bytes SIZE   commit a batch at this much COPY data (default 32M)\n"
	      "      --batch-rows N       commit a batch at N records (default 1000)\n"
	      "      --compress-level N   gzip level 0-9 (default 1, fastest)\n"
	      "      --migrate            apply the schema migrations and exit\n"
	      "      --out FILE           write FILE, say out/a.jsonl.gz (rejects: the sibling\n"
	      "                           out/a.rejects.jsonl.gz)\n"
	      "      --out-dir DIR        write DIR/dt=YYYY-MM-DD/part-NNNNN.jsonl.gz\n"
	      "                           (rejects: DIR/rejects.jsonl.gz)\n"
	      "      --part-size SIZE     start a new part after SIZE of JSON (default 256M)\n"
	      "      --partition UNIT     with --out-dir: dt= by day (YYYY-MM-DD, the default),\n"
	      "                           month (YYYY-MM) or year (YYYY)\n"
	      "      --pg DSN             load into PostgreSQL: conninfo or URI; '' takes\n"
	      "                           PGHOST, PGDATABASE... and ~/.pgpass (a password\n"
	      "                           on a command line is visible to every user)\n"
	      "      --pg-fd N            --pg with the DSN read from file descriptor N\n"
	      "      --retries N          reconnect N times with backoff when the\n"
	      "                           connection is lost (default 8), then exit 4\n"
	      "      --run-id ID          with --out-dir: part-ID-NNNNN.jsonl.gz and\n"
	      "                           rejects-ID.jsonl.gz, added beside earlier runs' files\n"
	      "      --schema NAME        tables in schema NAME (default public)\n"
	      FP_CLI_COMMON_HELP,
	      out);
}

struct load {
	struct fp_stage st;
	struct fp_pg_options pgo;
	struct fp_jsonl_options jo;
	const char *dsn;
	char *dsn_read;     /* --pg-fd's (owned) */
	int migrate_only;
	unsigned seen;      /* bit (OPT_x - OPT_BATCH_BYTES) for each option given */
	struct fp_pg *pg;
	struct fp_jsonl *jsonl;
	int code; /* FP_EXIT_DB or FP_EXIT_IO once a sink failed */
};

static void fail(struct load *ld, const struct fp_error *err, int code)
{
	char msg[FP_ERROR_SOURCE_MAX + FP_ERROR_TEXT_MAX + 32];

	if (!fp_stage_interrupted())
		fp_cli_msg(&ld->st.cli, "%s", fp_error_format(err, msg, sizeof(msg)));
	ld->code = code;
}

/* Stores a reject (borrowed) in every sink. `raw` is its input line or NULL. */
static int store_reject(struct load *ld, const json_t *rej, const char *raw, size_t len)
{
	struct fp_error err;

	fp_error_init(&err);
	if (ld->pg && fp_pg_add_reject(ld->pg, rej, &err) < 0) {
		fail(ld, &err, FP_EXIT_DB);
		return -1;
	}
	if (ld->jsonl && fp_jsonl_put_reject(ld->jsonl, rej, raw, len, &err) < 0) {
		fail(ld, &err, FP_EXIT_IO);
		return -1;
	}
	return 0;
}

static int one_record(struct load *ld, json_t *rec)
{
	const char *raw = ld->st.in.line;
	struct fp_error err;
	json_t *rej;
	int rc;

	if (fp_record_is_reject(rec)) {
		/* A bad line made into a reject here has no line of its own. */
		int ours = !strcmp(fp_json_str(json_object_get(rec, "reject"), "stage") ?: "", "load");
		return store_reject(ld, rec, ours ? NULL : raw, ours ? 0 : ld->st.in.len);
	}
	fp_error_init(&err);
	rc = ld->pg ? fp_pg_add(ld->pg, rec, &err) : fp_pg_check(rec, &err);
	if (rc > 0) {
		ld->st.stats.records_out++;
		if (ld->jsonl && fp_jsonl_put(ld->jsonl, rec, raw, ld->st.in.len, &err) < 0) {
			fail(ld, &err, FP_EXIT_IO);
			return -1;
		}
		return 0;
	}
	if (rc < 0) {
		fail(ld, &err, FP_EXIT_DB);
		return -1;
	}
	/* An article the database could not take: a reject of this stage. */
	err.record = ld->st.in.record;
	fp_error_at(&err, fp_json_str(json_object_get(rec, "source"), "path"), 0, 0);
	fp_stats_count_reject(&ld->st.stats, err.reason);
	if (ld->st.cli.verbosity > 0) {
		char msg[FP_ERROR_SOURCE_MAX + FP_ERROR_TEXT_MAX + 32];
		fp_cli_msg(&ld->st.cli, "%s", fp_error_format(&err, msg, sizeof(msg)));
	}
	rej = fp_reject_new("load", &err, json_object_get(rec, "source"), rec);
	if (!rej) {
		fp_cli_msg(&ld->st.cli, "out of memory");
		ld->code = FP_EXIT_IO;
		return -1;
	}
	rc = store_reject(ld, rej, NULL, 0);
	json_decref(rej);
	if (ld->st.cli.max_rejects >= 0 && ld->st.stats.rejects > ld->st.cli.max_rejects)
		ld->st.failed = 1;
	return rc;
}

/* Commits or abandons the sinks; records the counts for --stats. */
static void finish_sinks(struct load *ld)
{
	json_t *x = ld->st.stats.extra;
	struct fp_error err;

	fp_error_init(&err);
	if (ld->pg) {
		const struct fp_pg_counts *c;

		if (!fp_stage_interrupted() && !ld->code && fp_pg_flush(ld->pg, &err) < 0)
			fail(ld, &err, FP_EXIT_DB);
		fp_error_init(&err);
		fp_pg_finish(ld->pg,
			     fp_stage_interrupted() ? "interrupted" : ld->code ? "failed" : "ok",
			     &err);
		c = fp_pg_counts(ld->pg);
		json_object_set_new(x, "load_run", json_integer(fp_pg_run_id(ld->pg)));
		json_object_set_new(x, "inserted", json_integer(c->inserted));
		json_object_set_new(x, "updated", json_integer(c->updated));
		json_object_set_new(x, "unchanged", json_integer(c->unchanged));
		json_object_set_new(x, "versions_inserted", json_integer(c->versions_inserted));
		json_object_set_new(x, "versions_updated", json_integer(c->versions_updated));
		json_object_set_new(x, "duplicates", json_integer(c->duplicates));
		json_object_set_new(x, "rejects_stored", json_integer(c->rejects));
		json_object_set_new(x, "rejects_new", json_integer(c->rejects_new));
		json_object_set_new(x, "batches", json_integer(c->batches));
		json_object_set_new(x, "retries", json_integer(c->retries));
		json_object_set_new(x, "batches_direct", json_integer(c->direct));
		json_object_set_new(x, "direct_fallbacks", json_integer(c->direct_fallbacks));
	}
	if (ld->jsonl) {
		const struct fp_jsonl_counts *c = fp_jsonl_counts(ld->jsonl);

		fp_error_init(&err);
		if (!fp_stage_interrupted() && !ld->code && fp_jsonl_close(ld->jsonl, &err) < 0)
			fail(ld, &err, FP_EXIT_IO);
		json_object_set_new(x, "jsonl_records", json_integer(c->records));
		json_object_set_new(x, "jsonl_rejects", json_integer(c->rejects));
		json_object_set_new(x, "jsonl_files", json_integer(c->files));
	}
	fp_pg_free(ld->pg);
	fp_jsonl_free(ld->jsonl); /* removes what was not completed */
	ld->pg = NULL;
	ld->jsonl = NULL;
}

/* The sink an option is for: it is a usage error without that sink. */
enum { FOR_PG = 1, FOR_DIR = 2, FOR_JSONL = 4 };
static const struct { int opt, sink; } scoped[] = {
	{ OPT_BATCH_BYTES, FOR_PG },   { OPT_BATCH_ROWS, FOR_PG }, { OPT_COMPRESS_LEVEL, FOR_JSONL },
	{ OPT_MIGRATE, FOR_PG },       { OPT_PART_SIZE, FOR_DIR }, { OPT_PARTITION, FOR_DIR },
	{ OPT_RETRIES, FOR_PG },       { OPT_RUN_ID, FOR_DIR },    { OPT_SCHEMA, FOR_PG },
};

static const char *option_name(int opt)
{
	const struct option *o;

	for (o = options; o->name && o->val != opt; o++)
		;
	return o->name ? o->name : "option";
}

/*
 * Options with a value to check. A value is taken as it is or refused,
 * never changed; a sink named twice is refused (one of them would be
 * dropped). Returns 0, or -1 (message printed).
 */
static int stage_option(struct load *ld, int opt, const char *arg)
{
	const char *why = NULL;
	struct fp_error err;
	size_t size;
	long n;

	if (opt >= OPT_BATCH_BYTES && opt < OPT_END) {
		unsigned bit = 1u << (opt - OPT_BATCH_BYTES);

		if ((ld->seen & bit) && (opt == OPT_OUT || opt == OPT_OUT_DIR)) {
			fp_cli_msg(&ld->st.cli, "--%s given twice: one sink of each kind",
				   option_name(opt));
			return -1;
		}
		if ((opt == OPT_PG || opt == OPT_PG_FD) && ld->dsn) {
			fp_cli_msg(&ld->st.cli, "one database: give --pg or --pg-fd once");
			return -1;
		}
		ld->seen |= bit;
	}
	fp_error_init(&err);
	switch (opt) {
	case OPT_BATCH_BYTES:
	case OPT_PART_SIZE:
		if (fp_cli_parse_size(arg, &size) < 0 || size == 0)
			break;
		*(opt == OPT_BATCH_BYTES ? &ld->pgo.batch_bytes : &ld->jo.part_bytes) = size;
		return 0;
	case OPT_BATCH_ROWS:
		if (fp_cli_parse_long(arg, &n) < 0 || n < 1)
			break;
		ld->pgo.batch_rows = (size_t)n;
		return 0;
	case OPT_COMPRESS_LEVEL:
	case OPT_RETRIES:
		if (fp_cli_parse_long(arg, &n) < 0 || n > (opt == OPT_RETRIES ? 1000 : 9))
			break;
		*(opt == OPT_RETRIES ? &ld->pgo.retries : &ld->jo.level) = (int)n;
		return 0;
	case OPT_MIGRATE: ld->migrate_only = 1; return 0;
	case OPT_OUT:
	case OPT_OUT_DIR:
		why = "expected a path";
		if (!*arg)
			break;
		*(opt == OPT_OUT ? &ld->jo.path : &ld->jo.dir) = arg;
		return 0;
	case OPT_PG: ld->dsn = arg; return 0;
	case OPT_PG_FD:
		if (fp_cli_read_fd(arg, &ld->dsn_read, &err) < 0)
			break;
		ld->dsn = ld->dsn_read;
		return 0;
	case OPT_RUN_ID:
		if (fp_jsonl_check_run_id(arg, &err) < 0)
			break;
		ld->jo.run_id = arg;
		return 0;
	case OPT_PARTITION:
		if ((n = fp_jsonl_parse_partition(arg)) < 0)
			break;
		ld->jo.partition = (int)n;
		return 0;
	case OPT_SCHEMA:
		if (fp_pg_check_schema(arg, &err) < 0)
			break;
		ld->pgo.schema = arg;
		return 0;
	default:
		usage(stderr);
		return -1;
	}
	if (!why && fp_error_isset(&err))
		why = err.text;
	fp_cli_msg(&ld->st.cli, "invalid --%s '%s'%s%s", option_name(opt), arg, why ? ": " : "",
		   why ? why : "");
	return -1;
}

/* Refuses an option that no sink of the command line would use. Returns
 * 0, or -1 (message printed). */
static int check_scope(struct load *ld)
{
	int sinks = (ld->dsn ? FOR_PG : 0) | (ld->jo.dir ? FOR_DIR | FOR_JSONL : 0) |
		    (ld->jo.path ? FOR_JSONL : 0);
	size_t i;

	for (i = 0; i < sizeof(scoped) / sizeof(scoped[0]); i++) {
		if (!(ld->seen & (1u << (scoped[i].opt - OPT_BATCH_BYTES))) || (sinks & scoped[i].sink))
			continue;
		fp_cli_msg(&ld->st.cli, "--%s needs %s", option_name(scoped[i].opt),
			   scoped[i].sink == FOR_PG    ? "--pg"
			   : scoped[i].sink == FOR_DIR ? "--out-dir"
						       : "--out or --out-dir");
		return -1;
	}
	return 0;
}

/* Opens the sinks named by the options. Returns 0 or -1 (message printed). */
static int open_sinks(struct load *ld, int argc, char **argv)
{
	struct fp_error err;

	fp_error_init(&err);
	if (!ld->dsn && !ld->jo.path && !ld->jo.dir) {
		fp_cli_msg(&ld->st.cli, "no sink: give --pg, --out or --out-dir");
		usage(stderr);
		ld->code = FP_EXIT_USAGE;
		return -1;
	}
	if (ld->jo.path && ld->jo.dir)
		fp_cli_msg(&ld->st.cli, "--out and --out-dir exclude each other");
	if ((ld->jo.path && ld->jo.dir) || check_scope(ld) < 0) {
		ld->code = FP_EXIT_USAGE;
		return -1;
	}
	ld->pgo.conninfo = ld->dsn;
	ld->pgo.version = FP_VERSION;
	ld->pgo.argc = argc;
	ld->pgo.argv = argv;
	ld->pgo.interrupted = fp_stage_interrupt_flag();
	if (ld->dsn && !(ld->pg = fp_pg_open(&ld->pgo, ld->migrate_only, &err))) {
		char desc[256];

		if (strcmp(err.reason, "db-connect") || !strcmp(err.text, "invalid connection string"))
			fp_cli_msg(&ld->st.cli, "%s", err.text);
		else
			fp_cli_msg(&ld->st.cli, "%s: %s", fp_pg_describe(ld->dsn, desc, sizeof(desc)),
				   err.text);
		ld->code = fp_stage_interrupted() ? 128 + fp_stage_interrupted() : FP_EXIT_DB;
		return -1;
	}
	if ((ld->jo.path || ld->jo.dir) && !(ld->jsonl = fp_jsonl_open(&ld->jo, &err))) {
		fail(ld, &err, FP_EXIT_IO);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct load ld;
	json_t *rec;
	int opt, rc, code;

	memset(&ld, 0, sizeof(ld));
	fp_stage_init(&ld.st, "feedpipe-load", "load");
	fp_pg_options_init(&ld.pgo);
	fp_jsonl_options_init(&ld.jo);
	while ((opt = getopt_long(argc, argv, FP_CLI_SHORTOPTS, options, NULL)) != -1) {
		if ((rc = fp_cli_option(&ld.st.cli, opt, optarg)) != 0) {
			if (rc < 0)
				goto usage;
			continue;
		}
		if (opt == 'h' || opt == 'V') {
			opt == 'h' ? usage(stdout) : fp_cli_version(&ld.st.cli);
			fp_stage_release(&ld.st);
			return FP_EXIT_OK;
		}
		if (stage_option(&ld, opt, optarg) < 0)
			goto usage;
	}
	if (optind < argc) {
		fp_cli_msg(&ld.st.cli, "unexpected argument '%s': input is read from stdin", argv[optind]);
		goto usage;
	}
	fp_stage_catch_signals();
	/* Over `ulimit -f`, a write fails with EFBIG (exit 3, temporaries
	 * removed) instead of SIGXFSZ killing us with a temporary left behind. */
	signal(SIGXFSZ, SIG_IGN);
	if (open_sinks(&ld, argc, argv) < 0 || ld.migrate_only) {
		finish_sinks(&ld);
		fp_stage_release(&ld.st);
		free(ld.dsn_read);
		return ld.code;
	}
	ld.st.keep_rejects = 1;
	fp_stage_start(&ld.st);
	while (!fp_stage_interrupted() && (rc = fp_stage_next(&ld.st, &rec)) > 0) {
		rc = one_record(&ld, rec);
		json_decref(rec);
		if (rc < 0)
			break;
	}
	finish_sinks(&ld);
	code = fp_stage_finish(&ld.st);
	free(ld.dsn_read);
	if (fp_stage_interrupted())
		return 128 + fp_stage_interrupted();
	return ld.code ? ld.code : code;
usage:
	fp_stage_release(&ld.st);
	free(ld.dsn_read);
	return FP_EXIT_USAGE;
}
