#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "embedded.h"
#include "pg.h"
#include "record.h"
#include "sha256.h"
#include "state.h"
#include "utf8.h"
#include "banned.h"

/*
 * Outline. Each record becomes one line of COPY text (format text: tab
 * separated, \N for NULL, backslash escapes) in one of two buffers: articles
 * and rejects. A full batch is sent in one transaction:
 *
 *	BEGIN; COPY pg_temp.fp_stage ...; COPY pg_temp.fp_stage_rejects ...;
 *	upsert articles (DISTINCT ON (id) ORDER BY id, WINNER: of records
 *	with one id, the winner does not depend on their order, rows in id
 *	order so concurrent loaders cannot deadlock); replace the images of
 *	the rows that changed; insert new rejects; add the batch's counts to
 *	load_runs WHERE batches = N; COMMIT
 *
 * Which of two records with one id wins (two copies of a post under two
 * file names, met in any order under -j or --shard): a record from the
 * stored row's own source file always replaces it (the file changed);
 * otherwise the later source_mtime, then the greater source_path (bytes,
 * COLLATE "C"), then the greater content_hash. So parallel chains and concurrent loaders
 * give the same table as one sequential run. Records read from a git
 * history (source.git; source_mtime is the commit time) are versions of
 * one past, not the file as it is now: of them the greatest (source_mtime,
 * source_path, content_hash) wins, whatever the order of loading, even
 * one with the stored content (then only its source columns change).
 *
 * Every record also gives a row of article_versions, one per (id,
 * content_hash), first: its first_seen_at and last_seen_at are the least
 * and greatest "seen" time (the commit time, else now()), its other
 * columns the first record's (least seen, then source_path, then
 * source_sha256); articles.first_seen_at follows the least of them. The
 * versions' COPY (small rows: no bodies) is sent for every record, also
 * those whose article is skipped as unchanged.
 *
 * Batches are committed by a sender thread while the caller fills the next
 * one (struct batch), so the client's work (JSON to COPY text) overlaps
 * with the server's; one batch is in flight at most, and a failure shows at
 * the next hand-off or flush.
 *
 * The staging tables are ON COMMIT DELETE ROWS temporary tables, made once
 * per connection. load_runs.batches numbers the committed batches: after a
 * lost connection (even one lost during COMMIT, when we cannot know whether
 * it committed), the sink reconnects and looks at that number to decide
 * whether to redo the batch. The counts are read back from load_runs, so
 * they are exact even then.
 */

#define DEFAULT_BATCH_ROWS 1000
#define DEFAULT_BATCH_BYTES ((size_t)32 << 20)
#define DEFAULT_RETRIES 8
#define DEFAULT_BACKOFF 0.25
#define MAX_BACKOFF 8.0
#define COPY_CHUNK ((size_t)1 << 20)

/*
 * The text columns under a btree index, and the most bytes a value may have
 * there. A btree entry must fit a third of a page (2704 bytes with 8 KiB
 * pages, after compression, which cannot shrink random text): one longer
 * value makes the server refuse the whole batch ("index row size ...
 * exceeds btree maximum"), and every re-run of it. So an article with a
 * longer value is a load reject (article-invalid), and a reject, which must
 * be stored, keeps its value cut at a character boundary and ending in
 * BOUND_MARK (its `record` holds the whole value). (feed, published_at) and
 * (stage, reason) are one entry each: together they stay below the limit.
 * Other text columns are not indexed by a btree (title's trigram index is
 * GIN, whose entries are trigrams): they take any length.
 */
static const struct bound {
	const char *table, *column;
	size_t max;
} bounds[] = {
	{ "articles", "site", 2000 },
	{ "articles", "feed", 2000 },
	{ "rejects", "stage", 1000 },
	{ "rejects", "reason", 1000 },
};
#define BOUND_MARK "\xe2\x80\xa6[truncated]" /* U+2026 */

struct buf {
	char *data;
	size_t len, cap;
	int oom;
	int discard; /* checking only (fp_pg_check): appends do nothing */
};

/* An article of the batch: where its COPY row is, and what identifies its
 * content. */
struct row {
	char id[17];
	char hash[65];
	size_t off, len;
	int git;            /* read from a history (source.git) */
};

/*
 * A batch: the COPY text of its articles and rejects. The sink fills one
 * while a sender thread commits the other (see fp_pg_add), so building
 * rows, which is the client's work, overlaps with the server's.
 */
struct batch {
	struct buf art, rej; /* COPY text */
	struct buf ver;      /* COPY text of article_versions, a row per article */
	size_t n_art, n_rej;
	struct row *rows;   /* the articles, in order */
	size_t cap_rows;
	struct buf send;    /* the articles to send, when some are skipped */
	long long skip_records, skip_ids; /* left out: unchanged */
	int retries;        /* attempts at this batch after the first */
	int direct;         /* this attempt copies straight into articles */
	int no_direct;      /* the direct path failed once: staging only */
};

struct fp_pg {
	struct fp_pg_options opt;
	PGconn *conn;       /* the sender's while it runs */
	char *password;     /* to redact from every message, or NULL */
	char *schema_ident; /* quoted identifier */
	long long run_id;
	struct batch batch[2];
	struct batch *fill; /* being filled (the caller's thread) */
	struct batch *out;  /* being committed (the sender thread) */
	struct buf scratch;
	long long seq;
	struct fp_pg_counts counts;
	int broken;         /* a batch failed: error in `failure` */
	struct fp_error failure;

	/* The sender thread: `busy` while it commits `out`. */
	pthread_t sender;
	int threaded, busy, stop, out_failed;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* Columns of the articles staging table, in COPY order. first_seen_at
 * comes last: in staging it holds the record's seen time (source.git's
 * committed_at, NULL for now()), which put_direct_rows() fills in. */
#define FIRST_SEEN_COLUMN ", first_seen_at"
static const char *const article_columns =
	"seq, id, title, author, topic, site, feed, categories, published_at, published_raw, "
	"image, thumbnail, comments, editor, original_title, lang, html, text, chars, images, "
	"links, embeds, content_hash, source_path, source_root, source_bytes, source_mtime, "
	"source_sha256, source_commit, warnings" FIRST_SEEN_COLUMN;

/* Columns of a direct COPY into articles (the staging ones without seq). */
static const char *const direct_columns =
	"id, title, author, topic, site, feed, categories, published_at, published_raw, "
	"image, thumbnail, comments, editor, original_title, lang, html, text, chars, images, "
	"links, embeds, content_hash, source_path, source_root, source_bytes, source_mtime, "
	"source_sha256, source_commit, warnings, first_seen_at, load_run";

/* Columns of the versions staging table, in COPY order (seen_at: NULL for
 * the time of the load). */
static const char *const version_columns =
	"seq, id, content_hash, seen_at, title, published_at, source_path, source_sha256, commit";

static const char *const reject_columns =
	"seq, record_sha256, stage, reason, message, file, line, col, record_no, source_path, "
	"record";

/* ---- byte buffer -------------------------------------------------------- */

static int buf_grow(struct buf *b, size_t extra)
{
	size_t want;
	char *p;

	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	want = b->cap ? b->cap : 4096;
	while (want < b->len + extra + 1)
		want *= 2;
	p = realloc(b->data, want);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->data = p;
	b->cap = want;
	return 0;
}

static void buf_add(struct buf *b, const char *s, size_t len)
{
	if (b->discard || buf_grow(b, len) < 0)
		return;
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

static void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->discard)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_grow(b, (size_t)n) < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void buf_release(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/*
 * Appends `s` as a field of COPY text format: backslash, newline, carriage
 * return and tab are escaped, so no byte of the value can end the field, the
 * row or the data (a value "\." arrives as "\\.").
 */
static void copy_escape(struct buf *b, const char *s, size_t len)
{
	size_t i, start = 0;

	if (b->discard)
		return;
	for (i = 0; i < len; i++) {
		const char *esc;

		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default: continue;
		}
		buf_add(b, s + start, i - start);
		buf_add(b, esc, 2);
		start = i + 1;
	}
	buf_add(b, s + start, len - start);
}

/* ---- messages ----------------------------------------------------------- */

/* Replaces every occurrence of the password in `text` by "***", in place. */
static void redact(const char *password, char *text, size_t size)
{
	size_t plen;
	char *p;

	if (!password || !*password)
		return;
	plen = strlen(password);
	while ((p = strstr(text, password))) {
		size_t tail = strlen(p + plen);

		if (plen >= 3) {
			memcpy(p, "***", 3);
			memmove(p + 3, p + plen, tail + 1);
		} else {
			/* Make room for "***" when the password is shorter. */
			size_t used = (size_t)(p - text);
			if (used + 3 + tail + 1 > size)
				tail = size - used - 4;
			memmove(p + 3, p + plen, tail);
			memcpy(p, "***", 3);
			p[3 + tail] = '\0';
		}
	}
}

/* libpq's message for the connection or result: one line, redacted. */
static void set_pg_error(struct fp_pg *pg, struct fp_error *err, const char *reason,
			 const char *what, const PGresult *res)
{
	char text[FP_ERROR_TEXT_MAX];
	const char *msg = res ? PQresultErrorMessage(res) : "";
	size_t i;

	if (!msg || !*msg)
		msg = pg->conn ? PQerrorMessage(pg->conn) : "no connection";
	snprintf(text, sizeof(text), "%s", msg);
	for (i = 0; text[i]; i++)
		if (text[i] == '\n' || text[i] == '\t')
			text[i] = ' ';
	while (i > 0 && text[i - 1] == ' ')
		text[--i] = '\0';
	redact(pg->password, text, sizeof(text));
	fp_error_set(err, reason, "%s: %s", what, text);
}

char *fp_pg_describe(const char *conninfo, char *buf, size_t size)
{
	const char *user = getenv("PGUSER"), *host = getenv("PGHOST");
	const char *port = getenv("PGPORT"), *db = getenv("PGDATABASE");
	PQconninfoOption *opts = NULL, *o;
	char *msg = NULL;

	if (conninfo && *conninfo) {
		opts = PQconninfoParse(conninfo, &msg);
		if (!opts) {
			PQfreemem(msg);
			snprintf(buf, size, "(invalid connection string)");
			return buf;
		}
		for (o = opts; o->keyword; o++) {
			if (!o->val || !*o->val)
				continue;
			if (!strcmp(o->keyword, "user"))
				user = o->val;
			else if (!strcmp(o->keyword, "host"))
				host = o->val;
			else if (!strcmp(o->keyword, "port"))
				port = o->val;
			else if (!strcmp(o->keyword, "dbname"))
				db = o->val;
		}
	}
	snprintf(buf, size, "%s%s%s%s%s/%s", user ? user : "", user ? "@" : "",
		 host ? host : "localhost", port ? ":" : "", port ? port : "", db ? db : "");
	PQconninfoFree(opts);
	return buf;
}

/* ---- connection --------------------------------------------------------- */

static int is_interrupted(const struct fp_pg *pg)
{
	return pg->opt.interrupted && *pg->opt.interrupted;
}

/* Sleeps `seconds` in small steps; returns -1 early when interrupted. */
static int pause_for(const struct fp_pg *pg, double seconds)
{
	while (seconds > 0) {
		double step = seconds < 0.05 ? seconds : 0.05;
		struct timespec ts = { 0, (long)(step * 1e9) };

		if (is_interrupted(pg))
			return -1;
		nanosleep(&ts, NULL);
		seconds -= step;
	}
	return is_interrupted(pg) ? -1 : 0;
}

/*
 * True when a failure may be cured by reconnecting: the connection is gone,
 * the server is shutting down or starting, or a transaction was chosen as a
 * deadlock or serialization victim.
 */
static int transient(const struct fp_pg *pg, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK)
		return 1;
	/* Errors made by libpq itself (no SQLSTATE) are about the connection,
	 * and the status does not always say so yet. */
	if (!state)
		return 1;
	return !strncmp(state, "08", 2) || !strncmp(state, "57P", 3) ||
	       !strncmp(state, "53", 2) || !strcmp(state, "40001") || !strcmp(state, "40P01");
}

/* Runs `sql` (one or more statements); keeps the last tuples result in *out
 * when out is not NULL. Returns 0, or -1 with *failed the failing result. */
static int run(struct fp_pg *pg, const char *sql, PGresult **out, PGresult **failed)
{
	PGresult *res;
	int ret = 0;

	if (out)
		*out = NULL;
	*failed = NULL;
	if (!PQsendQuery(pg->conn, sql))
		return -1;
	while ((res = PQgetResult(pg->conn))) {
		ExecStatusType st = PQresultStatus(res);

		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
			if (!*failed)
				*failed = res;
			else
				PQclear(res);
			ret = -1;
		} else if (st == PGRES_TUPLES_OK && out && ret == 0) {
			PQclear(*out);
			*out = res;
		} else {
			PQclear(res);
		}
	}
	if (ret < 0 && out) {
		PQclear(*out);
		*out = NULL;
	}
	if (ret == 0 && PQstatus(pg->conn) != CONNECTION_OK)
		ret = -1;
	return ret;
}

/* run() that reports its failure as `reason` and tells whether it is
 * transient: returns 0, -1 (transient) or -2 (permanent). */
static int run_checked(struct fp_pg *pg, const char *sql, PGresult **out, const char *what,
		       struct fp_error *err)
{
	PGresult *failed;
	int tr;

	if (run(pg, sql, out, &failed) == 0)
		return 0;
	tr = transient(pg, failed);
	set_pg_error(pg, err, tr ? "db-unavailable" : "db-error", what, failed);
	PQclear(failed);
	return tr ? -1 : -2;
}

static void disconnect(struct fp_pg *pg)
{
	if (pg->conn)
		PQfinish(pg->conn);
	pg->conn = NULL;
}

static void ignore_notice(void *arg, const PGresult *res)
{
	(void)arg;
	(void)res;
}

/* One connection attempt, with the session set up for loading: search_path,
 * lz4 for the staging tables where the server has it. Returns 0, -1 (no
 * connection, reason "db-connect"; or a transient failure after it) or -2. */
static int connect_once(struct fp_pg *pg, struct fp_error *err)
{
	const char *keys[] = { "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "feedpipe-load", pg->opt.conninfo, NULL };
	PGresult *failed;
	struct buf sql = { 0 };
	int ret = -1;

	disconnect(pg);
	pg->conn = PQconnectdbParams(keys, vals, 1);
	if (!pg->conn) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -2;
	}
	if (PQstatus(pg->conn) != CONNECTION_OK) {
		set_pg_error(pg, err, "db-connect", "cannot connect", NULL);
		goto out;
	}
	PQsetNoticeReceiver(pg->conn, ignore_notice, NULL);
	buf_addf(&sql, "SET search_path TO %s", pg->schema_ident);
	if (sql.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		ret = -2;
		goto out;
	}
	if ((ret = run_checked(pg, sql.data, NULL, "cannot set search_path", err)) < 0)
		goto out;
	if (run(pg, "SET default_toast_compression = 'lz4'", NULL, &failed) < 0)
		PQclear(failed); /* older server or no lz4: keep the default */
	/* The staging tables hold a whole batch: keep it in memory rather
	 * than in temporary files (some 15% faster). */
	if (run(pg, "SET temp_buffers = '128MB'", NULL, &failed) < 0)
		PQclear(failed);
	ret = 0;
out:
	buf_release(&sql);
	if (ret < 0)
		disconnect(pg);
	return ret;
}

static double backoff_delay(const struct fp_pg *pg, int attempt)
{
	double d = pg->opt.backoff;

	while (attempt-- > 0 && d < MAX_BACKOFF)
		d *= 2;
	return d < MAX_BACKOFF ? d : MAX_BACKOFF;
}

/* After a failed connection: is the server down or starting (worth
 * waiting for), rather than refusing us (password, database)? */
static int server_may_come(const struct fp_pg *pg)
{
	const char *keys[] = { "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "feedpipe-load", pg->opt.conninfo, NULL };
	PGPing ping = PQpingParams(keys, vals, 1);

	return ping == PQPING_REJECT || ping == PQPING_NO_RESPONSE;
}

/* ---- migrations --------------------------------------------------------- */

/* Appends `s` as a SQL string literal. */
static void add_literal(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			buf_addc(b, '\'');
		buf_addc(b, *s);
	}
	buf_addc(b, '\'');
}

/* Applies the migrations not yet recorded. Returns 0, -1 (transient) or -2. */
static int migrate(struct fp_pg *pg, struct fp_error *err)
{
	const struct fp_embedded *e;
	struct buf sql = { 0 };
	PGresult *res = NULL;
	int ret = -2;

	buf_adds(&sql, "BEGIN; SELECT pg_advisory_xact_lock(hashtext('feedpipe-migrate:' || ");
	add_literal(&sql, pg->opt.schema);
	buf_adds(&sql, "));\n");
	/* CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when
	 * the schema exists: look first. */
	buf_adds(&sql, "DO $fp$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = ");
	add_literal(&sql, pg->opt.schema);
	buf_addf(&sql, ") THEN CREATE SCHEMA %s; END IF; END $fp$;\n", pg->schema_ident);
	buf_adds(&sql, "CREATE TABLE IF NOT EXISTS feedpipe_migrations (version text PRIMARY KEY,"
		       " name text NOT NULL, sha256 text NOT NULL,"
		       " applied_at timestamptz NOT NULL DEFAULT now());\n"
		       "SELECT version FROM feedpipe_migrations ORDER BY 1");
	if (sql.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	if ((ret = run_checked(pg, sql.data, &res, "cannot prepare migrations", err)) < 0)
		goto out;
	ret = -2;
	for (e = fp_embedded_files; e->name; e++) {
		const char *base = e->name + 4;
		char version[32], hex[FP_SHA256_HEX_LEN + 1];
		size_t vlen = strcspn(base, "-.");
		int i, done = 0;

		if (strncmp(e->name, "sql/", 4) || vlen == 0 || vlen >= sizeof(version))
			continue;
		memcpy(version, base, vlen);
		version[vlen] = '\0';
		for (i = 0; i < PQntuples(res); i++)
			if (!strcmp(PQgetvalue(res, i, 0), version))
				done = 1;
		if (done)
			continue;
		fp_sha256_hex(e->data, e->len, hex);
		buf_reset(&sql);
		buf_add(&sql, e->data, e->len);
		buf_adds(&sql, "\n;INSERT INTO feedpipe_migrations (version, name, sha256) VALUES (");
		add_literal(&sql, version);
		buf_addc(&sql, ',');
		add_literal(&sql, base);
		buf_addc(&sql, ',');
		add_literal(&sql, hex);
		buf_adds(&sql, ")");
		if (sql.oom) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
		if ((ret = run_checked(pg, sql.data, NULL, "cannot apply migration", err)) < 0) {
			fp_error_at(err, e->name, 0, 0);
			goto out;
		}
		ret = -2;
	}
	ret = run_checked(pg, "COMMIT", NULL, "cannot commit migrations", err);
out:
	PQclear(res);
	buf_release(&sql);
	if (ret < 0 && pg->conn && PQstatus(pg->conn) == CONNECTION_OK) {
		PGresult *failed;

		if (run(pg, "ROLLBACK", NULL, &failed) < 0)
			PQclear(failed);
	}
	return ret;
}

/* ---- load run ----------------------------------------------------------- */

/* Appends `s` as an element of a text[] literal: double-quoted, with
 * backslash and double quote escaped. */
static void array_elem(struct buf *b, const char *s, size_t len)
{
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			buf_addc(b, '\\');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

/* Inserts the run's load_runs row. Returns 0, -1 (transient) or -2. */
static int start_run(struct fp_pg *pg, struct fp_error *err)
{
	const char *params[3];
	char host[256] = "";
	struct buf args = { 0 };
	PGresult *res;
	int i, ret = -2;

	gethostname(host, sizeof(host) - 1);
	buf_addc(&args, '{');
	for (i = 0; i < pg->opt.argc; i++) {
		char arg[1024];

		snprintf(arg, sizeof(arg), "%s", pg->opt.argv[i]);
		/* A connection string among the arguments is described, not
		 * recorded: it may hold a password. */
		if (pg->opt.conninfo[0] && strstr(arg, pg->opt.conninfo)) {
			char desc[512];

			fp_pg_describe(pg->opt.conninfo, desc, sizeof(desc));
			snprintf(arg, sizeof(arg), "%s%s", strncmp(arg, "--pg=", 5) ? "" : "--pg=",
				 desc);
		}
		redact(pg->password, arg, sizeof(arg));
		if (i)
			buf_addc(&args, ',');
		array_elem(&args, arg, strlen(arg));
	}
	buf_addc(&args, '}');
	if (args.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	params[0] = host;
	params[1] = pg->opt.version ? pg->opt.version : "";
	params[2] = args.data;
	res = PQexecParams(pg->conn,
			   "INSERT INTO load_runs (host, version, arguments) VALUES ($1, $2, $3)"
			   " RETURNING id",
			   3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		ret = PQresultStatus(res) != PGRES_TUPLES_OK && transient(pg, res) ? -1 : -2;
		set_pg_error(pg, err, ret == -1 ? "db-unavailable" : "db-error",
			     "cannot start load run", res);
		PQclear(res);
		goto out;
	}
	pg->run_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	ret = 0;
out:
	buf_release(&args);
	return ret;
}

/* The staging tables of this session (again after each reconnect). */
static int prepare_session(struct fp_pg *pg, struct fp_error *err)
{
	struct buf sql = { 0 };
	int ret;

	buf_adds(&sql, "CREATE TEMP TABLE IF NOT EXISTS fp_stage ON COMMIT DELETE ROWS AS"
		       " SELECT 0::bigint AS ");
	buf_adds(&sql, article_columns);
	buf_adds(&sql, " FROM articles WITH NO DATA;"
		       "CREATE TEMP TABLE IF NOT EXISTS fp_stage_rejects (seq bigint,"
		       " record_sha256 text, stage text, reason text, message text, file text,"
		       " line bigint, col bigint, record_no bigint, source_path text, record jsonb)"
		       " ON COMMIT DELETE ROWS;"
		       "CREATE TEMP TABLE IF NOT EXISTS fp_changed (id text, inserted boolean,"
		       " changed boolean)"
		       " ON COMMIT DELETE ROWS;"
		       "CREATE TEMP TABLE IF NOT EXISTS fp_stage_versions (seq bigint, id text,"
		       " content_hash text, seen_at timestamptz, title text, published_at timestamptz,"
		       " source_path text, source_sha256 text, commit text) ON COMMIT DELETE ROWS;"
		       "CREATE TEMP TABLE IF NOT EXISTS fp_version_counts (ins bigint, upd bigint)"
		       " ON COMMIT DELETE ROWS;");
	if (sql.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		buf_release(&sql);
		return -2;
	}
	ret = run_checked(pg, sql.data, NULL, "cannot create staging tables", err);
	buf_release(&sql);
	return ret;
}

/* ---- records to COPY rows ----------------------------------------------- */

/* A string that PostgreSQL will take: no NUL, valid UTF-8. */
static int clean_string(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);

	return memchr(s, '\0', len) == NULL && fp_utf8_valid_prefix(s, len) == len;
}

/* True when every string (and key) inside `v` is clean. */
static int clean_tree(const json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return clean_string(v);
	case JSON_ARRAY:
		json_array_foreach(v, i, m)
			if (!clean_tree(m))
				return 0;
		return 1;
	case JSON_OBJECT:
		json_object_foreach((json_t *)v, key, m)
			if (fp_utf8_valid_prefix(key, strlen(key)) != strlen(key) || !clean_tree(m))
				return 0;
		return 1;
	default:
		return 1;
	}
}

static int invalid(struct fp_error *err, const char *member, const char *what)
{
	fp_error_set(err, "article-invalid", "member '%s' %s", member, what);
	return -1;
}

/* The most bytes a value of `column` in `table` may have (bounds[]), or 0
 * when any length will do. */
static size_t column_bound(const char *table, const char *column)
{
	size_t i;

	for (i = 0; i < sizeof(bounds) / sizeof(bounds[0]); i++)
		if (!strcmp(bounds[i].table, table) && !strcmp(bounds[i].column, column))
			return bounds[i].max;
	return 0;
}

/* Appends the string member `key` (NULL allowed when `nullable`) as the
 * value of the articles column `column`. */
static int put_string(struct buf *b, const json_t *rec, const char *key, int nullable,
		      const char *column, struct fp_error *err)
{
	const json_t *v = json_object_get(rec, key);
	size_t max = column ? column_bound("articles", column) : 0;

	if (!v || json_is_null(v)) {
		if (!nullable)
			return invalid(err, key, v ? "is null" : "is missing");
		buf_add(b, "\\N", 2);
		return 0;
	}
	if (!json_is_string(v))
		return invalid(err, key, "is not a string");
	if (!clean_string(v))
		return invalid(err, key, "holds NUL or invalid UTF-8");
	if (max && json_string_length(v) > max) {
		fp_error_set(err, "article-invalid",
			     "member '%s' is longer than %zu bytes (the column is indexed)", key, max);
		return -1;
	}
	copy_escape(b, json_string_value(v), json_string_length(v));
	return 0;
}

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Checks "YYYY-MM-DDTHH:MM:SSZ" strictly, so that the server cannot refuse
 * it (and with it the whole batch). */
static int valid_timestamp(const char *s, size_t len)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	int y, mo, d, h, mi, sec;
	size_t i;

	if (len != sizeof(pattern) - 1)
		return 0;
	for (i = 0; i < len; i++)
		if (pattern[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != pattern[i])
			return 0;
	y = atoi(s);
	mo = atoi(s + 5);
	d = atoi(s + 8);
	h = atoi(s + 11);
	mi = atoi(s + 14);
	sec = atoi(s + 17);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
		return 0;
	return d <= mdays[mo - 1] + (mo == 2 && leap(y));
}

static int put_timestamp(struct buf *b, const json_t *obj, const char *key, struct fp_error *err)
{
	const json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v)) {
		buf_add(b, "\\N", 2);
		return 0;
	}
	if (!json_is_string(v) || !valid_timestamp(json_string_value(v), json_string_length(v)))
		return invalid(err, key, "is not a timestamp YYYY-MM-DDTHH:MM:SSZ");
	buf_add(b, json_string_value(v), json_string_length(v));
	return 0;
}

/* An array of strings as a text[] literal. */
static int put_string_array(struct fp_pg *pg, struct buf *b, const json_t *rec, const char *key,
			    struct fp_error *err)
{
	const json_t *v = json_object_get(rec, key), *m;
	size_t i;

	if (!json_is_array(v))
		return invalid(err, key, "is not an array");
	buf_reset(&pg->scratch);
	buf_addc(&pg->scratch, '{');
	json_array_foreach(v, i, m) {
		if (!json_is_string(m))
			return invalid(err, key, "holds a non-string");
		if (!clean_string(m))
			return invalid(err, key, "holds NUL or invalid UTF-8");
		if (i)
			buf_addc(&pg->scratch, ',');
		array_elem(&pg->scratch, json_string_value(m), json_string_length(m));
	}
	buf_addc(&pg->scratch, '}');
	copy_escape(b, pg->scratch.data, pg->scratch.len);
	return 0;
}

/* A nested value as jsonb text. */
static int put_json(struct buf *b, const json_t *v, const char *key, json_type type,
		    struct fp_error *err)
{
	char *text;

	if (!v || json_typeof(v) != type)
		return invalid(err, key, type == JSON_ARRAY ? "is not an array" : "is not an object");
	if (!clean_tree(v))
		return invalid(err, key, "holds NUL or invalid UTF-8");
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	copy_escape(b, text, strlen(text));
	free(text);
	return 0;
}

static int is_hex(const char *s, size_t len, size_t want)
{
	size_t i;

	if (!s || len != want)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The images must fit article_images: objects with a string src. */
static int check_images(const json_t *images, struct fp_error *err)
{
	const json_t *m, *alt;
	size_t i;

	json_array_foreach(images, i, m) {
		alt = json_object_get(m, "alt");
		if (!json_is_object(m) || !json_is_string(json_object_get(m, "src")) ||
		    (alt && !json_is_null(alt) && !json_is_string(alt)))
			return invalid(err, "images", "holds an image without a string src");
	}
	return 0;
}

/* source.git, when present: an object with the commit (40 lowercase hex
 * digits) and a committed_at timestamp. Returns it (borrowed), NULL when
 * absent, or (json_t *)-1 with err. */
static const json_t *source_git(const json_t *source, struct fp_error *err)
{
	const json_t *git = json_object_get(source, "git"), *v;

	if (!git)
		return NULL;
	v = json_object_get(git, "commit");
	if (!json_is_object(git) || !json_is_string(v) ||
	    !is_hex(json_string_value(v), json_string_length(v), 40)) {
		invalid(err, "source.git", "has no commit of 40 lowercase hex digits");
		return (const json_t *)-1;
	}
	v = json_object_get(git, "committed_at");
	if (!json_is_string(v) || !valid_timestamp(json_string_value(v), json_string_length(v))) {
		invalid(err, "source.git", "has no committed_at timestamp YYYY-MM-DDTHH:MM:SSZ");
		return (const json_t *)-1;
	}
	return git;
}

/* Appends the COPY row of the article's version to pg->fill->ver (the
 * values were checked by article_row). */
static void version_row(struct fp_pg *pg, const json_t *rec, const json_t *source,
			const json_t *git)
{
	struct buf *b = &pg->fill->ver;
	const json_t *v;

	buf_addf(b, "%lld\t", pg->seq);
	buf_add(b, fp_json_str(rec, "id"), 16);
	buf_addc(b, '\t');
	buf_add(b, fp_json_str(rec, "content_hash"), 64);
	buf_addc(b, '\t');
	put_timestamp(b, git, "committed_at", NULL);
	buf_addc(b, '\t');
	v = json_object_get(rec, "title");
	copy_escape(b, json_string_value(v), json_string_length(v));
	buf_addc(b, '\t');
	put_timestamp(b, rec, "published_at", NULL);
	buf_addc(b, '\t');
	put_string(b, source, "path", 1, NULL, NULL);
	buf_addc(b, '\t');
	put_string(b, source, "sha256", 1, NULL, NULL);
	buf_addc(b, '\t');
	put_string(b, git, "commit", 1, NULL, NULL);
	buf_addc(b, '\n');
}

/* Appends the COPY row of an article to pg->fill->art, and of its version
 * to pg->fill->ver. On -1 the buffers are restored to what they were. */
static int article_row(struct fp_pg *pg, const json_t *rec, struct fp_error *err)
{
	static const char *const nullable_strings[] = { "author", "topic", "site", "feed", NULL };
	static const char *const nullable_strings2[] = { "image", "thumbnail", NULL };
	struct buf *b = &pg->fill->art;
	size_t start = b->len, ver_start = pg->fill->ver.len;
	const json_t *v, *source, *git;
	int i;

#define TAB buf_addc(b, '\t')
	v = json_object_get(rec, "id");
	if (!json_is_string(v) || !is_hex(json_string_value(v), json_string_length(v), 16)) {
		invalid(err, "id", "is not 16 lowercase hex digits");
		goto fail;
	}
	buf_addf(b, "%lld\t", ++pg->seq);
	buf_add(b, json_string_value(v), 16);
	TAB;
	if (put_string(b, rec, "title", 0, "title", err) < 0)
		goto fail;
	for (i = 0; nullable_strings[i]; i++) {
		TAB;
		if (put_string(b, rec, nullable_strings[i], 1, nullable_strings[i], err) < 0)
			goto fail;
	}
	TAB;
	if (put_string_array(pg, b, rec, "categories", err) < 0)
		goto fail;
	TAB;
	if (put_timestamp(b, rec, "published_at", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, rec, "published_raw", 1, "published_raw", err) < 0)
		goto fail;
	for (i = 0; nullable_strings2[i]; i++) {
		TAB;
		if (put_string(b, rec, nullable_strings2[i], 1, nullable_strings2[i], err) < 0)
			goto fail;
	}
	TAB;
	v = json_object_get(rec, "comments");
	if (!v || json_is_null(v))
		buf_add(b, "\\N", 2);
	else if (json_is_boolean(v))
		buf_addc(b, json_is_true(v) ? 't' : 'f');
	else {
		invalid(err, "comments", "is not a boolean");
		goto fail;
	}
	TAB;
	if (put_string(b, rec, "editor", 1, "editor", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, rec, "original_title", 1, "original_title", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, rec, "lang", 0, "lang", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, rec, "html", 0, "html", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, rec, "text", 0, "text", err) < 0)
		goto fail;
	TAB;
	v = json_object_get(rec, "chars");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > INT32_MAX) {
		invalid(err, "chars", "is not a non-negative integer");
		goto fail;
	}
	buf_addf(b, "%lld", (long long)json_integer_value(v));
	TAB;
	v = json_object_get(rec, "images");
	if (put_json(b, v, "images", JSON_ARRAY, err) < 0 || check_images(v, err) < 0)
		goto fail;
	TAB;
	if (put_json(b, json_object_get(rec, "links"), "links", JSON_ARRAY, err) < 0)
		goto fail;
	TAB;
	if (put_json(b, json_object_get(rec, "embeds"), "embeds", JSON_ARRAY, err) < 0)
		goto fail;
	TAB;
	v = json_object_get(rec, "content_hash");
	if (!json_is_string(v) || !is_hex(json_string_value(v), json_string_length(v), 64)) {
		invalid(err, "content_hash", "is not 64 lowercase hex digits");
		goto fail;
	}
	buf_add(b, json_string_value(v), 64);
	source = json_object_get(rec, "source");
	if (source && !json_is_object(source)) {
		invalid(err, "source", "is not an object");
		goto fail;
	}
	TAB;
	if (put_string(b, source, "path", 1, "source_path", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, source, "root", 1, "source_root", err) < 0)
		goto fail;
	TAB;
	v = json_object_get(source, "bytes");
	if (json_is_integer(v))
		buf_addf(b, "%lld", (long long)json_integer_value(v));
	else
		buf_add(b, "\\N", 2);
	TAB;
	if (put_timestamp(b, source, "mtime", err) < 0)
		goto fail;
	TAB;
	if (put_string(b, source, "sha256", 1, "source_sha256", err) < 0)
		goto fail;
	TAB;
	if ((git = source_git(source, err)) == (const json_t *)-1)
		goto fail;
	put_string(b, git, "commit", 1, NULL, NULL);
	TAB;
	v = json_object_get(rec, "warnings");
	if (!v)
		buf_add(b, "[]", 2);
	else if (put_json(b, v, "warnings", JSON_ARRAY, err) < 0)
		goto fail;
	TAB;
	put_timestamp(b, git, "committed_at", NULL);
	buf_addc(b, '\n');
#undef TAB
	pg->fill->ver.discard = b->discard;
	version_row(pg, rec, source, git);
	if (b->oom || pg->scratch.oom || pg->fill->ver.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto fail;
	}
	return 0;
fail:
	b->len = start;
	if (b->data)
		b->data[start] = '\0';
	pg->fill->ver.len = ver_start;
	if (pg->fill->ver.data)
		pg->fill->ver.data[ver_start] = '\0';
	return -1;
}

/* Replaces NUL in every string of `v` by U+FFFD (jsonb cannot hold it). */
static void replace_nuls(json_t *v)
{
	const char *key;
	json_t *m;
	size_t i;

	if (json_is_string(v) && !clean_string(v)) {
		char *fixed = NULL;
		size_t len;

		if (fp_utf8_repair(json_string_value(v), json_string_length(v), &fixed, &len, NULL,
				   NULL) > 0)
			json_string_setn(v, fixed, len);
		free(fixed);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, m)
			replace_nuls(m);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, m)
			replace_nuls(m);
	}
}

static void put_reject_int(struct buf *b, const json_t *v)
{
	if (json_is_integer(v))
		buf_addf(b, "%lld", (long long)json_integer_value(v));
	else
		buf_add(b, "\\N", 2);
}

/* Appends the string member `key` as the value of the rejects column
 * `column`, cut to its bound (with BOUND_MARK); `dflt` or NULL when it is
 * not a string. */
static void put_reject_string(struct buf *b, const json_t *obj, const char *key,
			      const char *column, const char *dflt)
{
	const json_t *v = json_object_get(obj, key);
	size_t max = column_bound("rejects", column);

	if (json_is_string(v) && max && json_string_length(v) > max) {
		assert(max > sizeof(BOUND_MARK));
		copy_escape(b, json_string_value(v),
			    fp_utf8_cut(json_string_value(v), json_string_length(v),
					max - (sizeof(BOUND_MARK) - 1)));
		buf_adds(b, BOUND_MARK);
	} else if (json_is_string(v))
		copy_escape(b, json_string_value(v), json_string_length(v));
	else if (dflt)
		buf_adds(b, dflt);
	else
		buf_add(b, "\\N", 2);
}

/* Appends the COPY row of a reject to pg->fill->rej. */
static int reject_row(struct fp_pg *pg, const json_t *reject, struct fp_error *err)
{
	struct buf *b = &pg->fill->rej;
	json_t *copy = NULL;
	const json_t *rej, *src;
	char hex[FP_SHA256_HEX_LEN + 1];
	char *text;

	/* Strings here come from anywhere: a reject made of a bad line holds
	 * what was on it. The stored copy drops NUL, which jsonb refuses. */
	if (!clean_tree(reject)) {
		copy = json_deep_copy(reject);
		if (!copy) {
			fp_error_set(err, "out-of-memory", "out of memory");
			return -1;
		}
		replace_nuls(copy);
		reject = copy;
	}
	text = json_dumps(reject, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!text) {
		json_decref(copy);
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	fp_sha256_hex(text, strlen(text), hex);
	rej = json_object_get(reject, "reject");
	src = json_object_get(reject, "source");
	buf_addf(b, "%lld\t%s\t", ++pg->seq, hex);
	put_reject_string(b, rej, "stage", "stage", "unknown");
	buf_addc(b, '\t');
	put_reject_string(b, rej, "reason", "reason", "unknown");
	buf_addc(b, '\t');
	put_reject_string(b, rej, "message", "message", NULL);
	buf_addc(b, '\t');
	put_reject_string(b, rej, "file", "file", NULL);
	buf_addc(b, '\t');
	put_reject_int(b, json_object_get(rej, "line"));
	buf_addc(b, '\t');
	put_reject_int(b, json_object_get(rej, "column"));
	buf_addc(b, '\t');
	put_reject_int(b, json_object_get(rej, "record"));
	buf_addc(b, '\t');
	put_reject_string(b, src, "path", "source_path", NULL);
	buf_addc(b, '\t');
	copy_escape(b, text, strlen(text));
	buf_addc(b, '\n');
	free(text);
	json_decref(copy);
	if (b->oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	return 0;
}

/* ---- batches ------------------------------------------------------------ */

/* Streams the rows of a direct batch: "seq\t...\tSEEN\n" -> "...\tSEEN\trun\n",
 * a SEEN of \N (no commit time) becoming `now`, the transaction's time. */
static int put_direct_rows(struct fp_pg *pg, const struct batch *b, const char *now)
{
	char run[32];
	int n = snprintf(run, sizeof(run), "\t%lld\n", pg->run_id);
	size_t i, now_len = strlen(now);

	for (i = 0; i < b->n_art; i++) {
		const struct row *r = &b->rows[i];
		const char *row = b->art.data + r->off;
		const char *tab = memchr(row, '\t', r->len);
		size_t skip = (size_t)(tab - row) + 1, len = r->len - skip - 1;
		int seen_null = len >= 3 && !memcmp(row + skip + len - 3, "\t\\N", 3);

		if (seen_null)
			len -= 2;
		if (PQputCopyData(pg->conn, row + skip, (int)len) != 1 ||
		    (seen_null && PQputCopyData(pg->conn, now, (int)now_len) != 1) ||
		    PQputCopyData(pg->conn, run, n) != 1)
			return -1;
	}
	return 0;
}

/* COPY of `data`, or of the rows of the direct batch `direct` (with `now`,
 * see put_direct_rows). */
static int send_copy(struct fp_pg *pg, const char *table, const char *columns,
		     const struct buf *data, const struct batch *direct, const char *now,
		     struct fp_error *err)
{
	struct buf sql = { 0 };
	size_t sent, chunk = 0;
	PGresult *res;
	int ret = -1, put;

	buf_addf(&sql, "COPY %s (", table);
	buf_adds(&sql, columns);
	buf_adds(&sql, ") FROM STDIN");
	res = PQexec(pg->conn, sql.data);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		ret = transient(pg, res) ? -1 : -2;
		set_pg_error(pg, err, ret == -1 ? "db-unavailable" : "db-error", "cannot copy",
			     res);
		PQclear(res);
		goto out;
	}
	PQclear(res);
	if (direct) {
		put = put_direct_rows(pg, direct, now) == 0;
	} else {
		for (sent = 0; sent < data->len; sent += chunk) {
			chunk = data->len - sent < COPY_CHUNK ? data->len - sent : COPY_CHUNK;
			if (PQputCopyData(pg->conn, data->data + sent, (int)chunk) != 1)
				break;
		}
		put = sent == data->len;
	}
	if (!put || PQputCopyEnd(pg->conn, NULL) != 1) {
		set_pg_error(pg, err, "db-unavailable", "cannot copy", NULL);
		goto out;
	}
	ret = 0;
	while ((res = PQgetResult(pg->conn))) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK && ret == 0) {
			ret = transient(pg, res) ? -1 : -2;
			set_pg_error(pg, err, ret == -1 ? "db-unavailable" : "db-error",
				     "cannot copy", res);
		}
		PQclear(res);
	}
out:
	buf_release(&sql);
	return ret;
}

/* The counts of a load_runs row, as read_counts() takes them. */
#define COUNT_COLUMNS "load_runs.records_in, load_runs.inserted, load_runs.updated," \
	" load_runs.unchanged, load_runs.duplicates, load_runs.rejects, load_runs.batches," \
	" load_runs.versions_inserted, load_runs.versions_updated"

/* Of records with one id in a batch, the winner first (see Outline). */
#define WINNER "source_mtime DESC NULLS LAST, source_path COLLATE \"C\" DESC NULLS LAST, " \
	"content_hash DESC, seq DESC"
/* EXCLUDED comes after the stored row a in the winner's order. */
#define GREATER "(coalesce(EXCLUDED.source_mtime, '-infinity'), " \
	"coalesce(EXCLUDED.source_path, '') COLLATE \"C\", EXCLUDED.content_hash)" \
	" > (coalesce(a.source_mtime, '-infinity'), coalesce(a.source_path, '') COLLATE \"C\"," \
	" a.content_hash)"
/* The row stored is replaced by EXCLUDED (see Outline): another content
 * from the row's own file, or the greater record; a version from a history
 * whenever it is the greater. */
#define REPLACES "((a.content_hash IS DISTINCT FROM EXCLUDED.content_hash" \
	" AND ((a.source_commit IS NULL AND EXCLUDED.source_commit IS NULL" \
	" AND a.source_path IS NOT DISTINCT FROM EXCLUDED.source_path) OR " GREATER "))" \
	" OR (EXCLUDED.source_commit IS NOT NULL AND " GREATER "))"

/* The versions of the batch's records into article_versions (see
 * Outline), counted into fp_version_counts; before the articles, whose
 * first_seen_at is read from them. */
static void versions_sql(struct fp_pg *pg, struct buf *sql)
{
	static const char *const first_of[] = { "title", "published_at", "source_path",
						"source_sha256", "commit", NULL };
	/* EXCLUDED, the batch's first record of the version, saw it before the
	 * stored row's first record did. */
	static const char earlier[] =
		"(EXCLUDED.first_seen_at, coalesce(EXCLUDED.source_path, '') COLLATE \"C\","
		" coalesce(EXCLUDED.source_sha256, '')) < (v.first_seen_at,"
		" coalesce(v.source_path, '') COLLATE \"C\", coalesce(v.source_sha256, ''))";
	int i;

	buf_adds(sql, "WITH up AS (INSERT INTO article_versions AS v (id, content_hash,"
		      " first_seen_at, last_seen_at, title, published_at, source_path, source_sha256,"
		      " commit, load_run) SELECT DISTINCT ON (id, content_hash) id, content_hash,"
		      " min(seen) OVER w, max(seen) OVER w, title, published_at, source_path,"
		      " source_sha256, commit, ");
	buf_addf(sql, "%lld FROM (SELECT *, coalesce(seen_at, now()) AS seen"
		      " FROM pg_temp.fp_stage_versions) s WINDOW w AS (PARTITION BY id, content_hash)"
		      " ORDER BY id, content_hash, seen, source_path COLLATE \"C\", source_sha256, seq"
		      " ON CONFLICT (id, content_hash) DO UPDATE SET"
		      " first_seen_at = least(v.first_seen_at, EXCLUDED.first_seen_at),"
		      " last_seen_at = greatest(v.last_seen_at, EXCLUDED.last_seen_at), ", pg->run_id);
	for (i = 0; first_of[i]; i++)
		buf_addf(sql, "%s = CASE WHEN %s THEN EXCLUDED.%s ELSE v.%s END, ", first_of[i],
			 earlier, first_of[i], first_of[i]);
	buf_addf(sql, "load_run = EXCLUDED.load_run WHERE EXCLUDED.last_seen_at > v.last_seen_at OR %s"
		      " RETURNING (v.xmax = 0) AS inserted)"
		      " INSERT INTO pg_temp.fp_version_counts SELECT count(*) FILTER (WHERE inserted),"
		      " count(*) FILTER (WHERE NOT inserted) FROM up", earlier);
}

static void upsert_sql(struct fp_pg *pg, struct buf *sql)
{
	static const char *const cols[] = {
		"title", "author", "topic", "site", "feed", "categories", "published_at",
		"published_raw", "image", "thumbnail", "comments", "editor", "original_title",
		"lang", "html", "text", "chars", "images", "links", "embeds", "content_hash",
		"source_path", "source_root", "source_bytes", "source_mtime", "source_sha256",
		"source_commit", "warnings", NULL
	};
	/* The staging columns without seq and first_seen_at, which is the
	 * earliest version's. */
	const char *art_cols = article_columns + strlen("seq, ");
	int art_cols_len = (int)(strlen(art_cols) - strlen(FIRST_SEEN_COLUMN));
	const char *rej_cols = reject_columns + strlen("seq, ");
	const struct batch *b = pg->out;
	size_t k;
	int i;

	if (b->direct) {
		/* The articles are in (all new, one row per id): their
		 * images, from the rows just copied. The ids are 16 hex
		 * digits (article_row() checks), safe in a literal. */
		buf_adds(sql, "INSERT INTO article_images (article_id, position, src, alt)"
			      " SELECT a.id, e.ord, e.img->>'src', e.img->>'alt'"
			      " FROM articles a CROSS JOIN LATERAL"
			      " jsonb_array_elements(a.images) WITH ORDINALITY AS e(img, ord)"
			      " WHERE a.id = ANY('{");
		for (k = 0; k < b->n_art; k++)
			buf_addf(sql, "%s%s", k ? "," : "", b->rows[k].id);
		buf_adds(sql, "}'::text[]) ORDER BY a.id, e.ord;\n");
		goto rejects;
	}
	/* `old` is the table before the statement: an update that keeps the
	 * content (a later record of a version from a history) is no update. */
	buf_adds(sql, "WITH old AS (SELECT id, content_hash FROM articles"
		      " WHERE id IN (SELECT id FROM pg_temp.fp_stage)),"
		      " up AS (INSERT INTO articles AS a (");
	/* The earliest version of each id, grouped over the ids of the batch:
	 * a min() per row would be planned along the first_seen_at index. */
	buf_addf(sql, "%.*s, first_seen_at, load_run) SELECT DISTINCT ON (id) %.*s, f.first, %lld"
		      " FROM pg_temp.fp_stage s JOIN (SELECT v.id AS fid, min(v.first_seen_at) AS first"
		      " FROM article_versions v WHERE v.id IN (SELECT id FROM pg_temp.fp_stage)"
		      " GROUP BY v.id) f ON f.fid = s.id"
		      " ORDER BY id, " WINNER " ON CONFLICT (id) DO UPDATE SET ",
		 art_cols_len, art_cols, art_cols_len, art_cols, pg->run_id);
	for (i = 0; cols[i]; i++)
		buf_addf(sql, "%s = EXCLUDED.%s, ", cols[i], cols[i]);
	buf_adds(sql, "first_seen_at = least(a.first_seen_at, EXCLUDED.first_seen_at),"
		      " updated_at = CASE WHEN a.content_hash IS DISTINCT FROM EXCLUDED.content_hash"
		      " THEN now() ELSE a.updated_at END, load_run = EXCLUDED.load_run"
		      " WHERE " REPLACES
		      " RETURNING a.id, a.content_hash, (a.xmax = 0) AS inserted)"
		      " INSERT INTO pg_temp.fp_changed SELECT up.id, up.inserted,"
		      " old.content_hash IS DISTINCT FROM up.content_hash FROM up"
		      " LEFT JOIN old ON old.id = up.id;\n"
		      "DELETE FROM article_images i USING pg_temp.fp_changed c"
		      " WHERE i.article_id = c.id AND NOT c.inserted;\n"
		      "INSERT INTO article_images (article_id, position, src, alt)"
		      " SELECT s.id, e.ord, e.img->>'src', e.img->>'alt'"
		      " FROM (SELECT DISTINCT ON (id) id, images FROM pg_temp.fp_stage"
		      " ORDER BY id, " WINNER ") s"
		      " JOIN pg_temp.fp_changed c ON c.id = s.id"
		      " CROSS JOIN LATERAL jsonb_array_elements(s.images) WITH ORDINALITY AS e(img, ord)"
		      " ORDER BY s.id, e.ord;\n");
	/* A version seen before the stored ones (a history loaded out of
	 * order) moves first_seen_at back. */
	buf_adds(sql, "UPDATE articles a SET first_seen_at = m.first FROM (SELECT v.id,"
		      " min(v.first_seen_at) AS first FROM article_versions v"
		      " WHERE v.id IN (SELECT id FROM pg_temp.fp_stage_versions) GROUP BY v.id) m"
		      " WHERE a.id = m.id AND m.first < a.first_seen_at;\n");
rejects:
	buf_adds(sql, "WITH r AS (INSERT INTO rejects (");
	buf_adds(sql, rej_cols);
	buf_adds(sql, ", load_run) SELECT DISTINCT ON (record_sha256) ");
	buf_adds(sql, rej_cols);
	buf_addf(sql, ", %lld FROM pg_temp.fp_stage_rejects ORDER BY record_sha256, seq"
		      " ON CONFLICT (record_sha256) DO NOTHING RETURNING 1),", pg->run_id);
	if (b->direct)
		buf_addf(sql, " c AS (SELECT %zu::bigint AS ins, 0::bigint AS upd),"
			      " s AS (SELECT %zu::bigint AS n, %zu::bigint AS d),",
			 b->n_art, b->n_art, b->n_art);
	else
		buf_adds(sql, " c AS (SELECT count(*) FILTER (WHERE inserted) AS ins,"
			      " count(*) FILTER (WHERE changed AND NOT inserted) AS upd"
			      " FROM pg_temp.fp_changed),"
			      " s AS (SELECT count(*) AS n, count(DISTINCT id) AS d FROM pg_temp.fp_stage),");
	buf_addf(sql, " j AS (SELECT count(*) AS n FROM pg_temp.fp_stage_rejects),"
		      " vc AS (SELECT coalesce(sum(ins), 0) AS ins, coalesce(sum(upd), 0) AS upd"
		      " FROM pg_temp.fp_version_counts)"
		      " UPDATE load_runs SET records_in = records_in + s.n + j.n + %lld,"
		      " inserted = inserted + c.ins, updated = updated + c.upd,"
		      " unchanged = unchanged + s.d - c.ins - c.upd + %lld,"
		      " duplicates = duplicates + s.n - s.d + %lld,"
		      " rejects = rejects + j.n, batches = batches + 1, retries = retries + %d,"
		      " versions_inserted = versions_inserted + vc.ins,"
		      " versions_updated = versions_updated + vc.upd",
		 pg->out->skip_records, pg->out->skip_ids, pg->out->skip_records - pg->out->skip_ids,
		 pg->out->retries);
	buf_addf(sql, " FROM c, s, j, vc WHERE load_runs.id = %lld AND load_runs.batches = %lld",
		 pg->run_id, pg->counts.batches);
	buf_adds(sql, " RETURNING " COUNT_COLUMNS ", (SELECT count(*) FROM r)");
}

/* Takes the cumulative counts from a load_runs row: COUNT_COLUMNS, then
 * (when there) the new rejects of the batch. */
static void read_counts(struct fp_pg *pg, const PGresult *res)
{
	struct fp_pg_counts *c = &pg->counts;

	c->rejects = strtoll(PQgetvalue(res, 0, 5), NULL, 10);
	c->records = strtoll(PQgetvalue(res, 0, 0), NULL, 10) - c->rejects;
	c->inserted = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	c->updated = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	c->unchanged = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	c->duplicates = strtoll(PQgetvalue(res, 0, 4), NULL, 10);
	c->batches = strtoll(PQgetvalue(res, 0, 6), NULL, 10);
	c->versions_inserted = strtoll(PQgetvalue(res, 0, 7), NULL, 10);
	c->versions_updated = strtoll(PQgetvalue(res, 0, 8), NULL, 10);
	if (PQnfields(res) > 9)
		c->rejects_new += strtoll(PQgetvalue(res, 0, 9), NULL, 10);
}

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct row *rows = arg;
	size_t i = *(const size_t *)a, k = *(const size_t *)b;
	int c = strcmp(rows[i].id, rows[k].id);

	return c ? c : (i > k) - (i < k);
}

static int row_id_cmp(const void *a, const void *b)
{
	return strcmp(((const struct row *)a)->id, ((const struct row *)b)->id);
}

static int stored_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * A batch none of whose ids is stored yet and without two records of one
 * id (a first load) goes straight into articles, as the COPY of a bare
 * table would, skipping the staging table and the upsert: the rows in id
 * order (so that concurrent loaders lock keys in one order), without their
 * seq, with the load run, streamed from the batch (put_direct_rows: no
 * copy of it in memory). Should another loader store one of the ids in the
 * meantime, the COPY fails on the primary key and the batch is sent again
 * through staging (commit_out). Sets b->direct when the batch qualifies.
 */
static void choose_direct(struct batch *b)
{
	size_t i;

	if (b->no_direct || b->n_art == 0)
		return;
	/* In id order (rows[] may be reordered: each row carries its seq). */
	qsort(b->rows, b->n_art, sizeof(*b->rows), row_id_cmp);
	for (i = 1; i < b->n_art; i++)
		if (!strcmp(b->rows[i - 1].id, b->rows[i].id))
			return; /* duplicates: the upsert picks the winner */
	b->direct = 1;
}

/*
 * Leaves out of the COPY the articles whose stored content_hash equals the
 * one they come with (the last of their id in the batch): a re-run of an
 * unchanged archive then sends ids, not bodies. The upsert would leave them
 * alone anyway; this only saves the transfer and the staging. Sets *data to
 * what is to be sent. Returns 0, -1 (transient) or -2.
 */
static int skip_unchanged(struct fp_pg *pg, const struct buf **data, struct fp_error *err)
{
	struct buf ids = { 0 };
	const char *param;
	PGresult *res;
	size_t *order = NULL, i, n = pg->out->n_art, g;
	char **stored = NULL;
	unsigned char *skip = NULL;
	int ret = -2, nstored;

	pg->out->skip_records = pg->out->skip_ids = 0;
	buf_addc(&ids, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(&ids, ',');
		buf_adds(&ids, pg->out->rows[i].id);
	}
	buf_addc(&ids, '}');
	if (ids.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	param = ids.data;
	res = PQexecParams(pg->conn,
			   "SELECT id || ' ' || content_hash FROM articles WHERE id = ANY($1::text[])",
			   1, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ret = transient(pg, res) ? -1 : -2;
		set_pg_error(pg, err, ret == -1 ? "db-unavailable" : "db-error",
			     "cannot read stored hashes", res);
		PQclear(res);
		goto out;
	}
	nstored = PQntuples(res);
	if (nstored == 0) {
		PQclear(res);
		choose_direct(pg->out);
		ret = 0;
		goto out;
	}
	stored = malloc((size_t)nstored * sizeof(*stored));
	order = malloc(n * sizeof(*order));
	skip = calloc(n, 1);
	if (!stored || !order || !skip) {
		PQclear(res);
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	for (i = 0; i < (size_t)nstored; i++)
		stored[i] = PQgetvalue(res, (int)i, 0); /* "id hash" */
	qsort(stored, (size_t)nstored, sizeof(*stored), stored_cmp);
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), row_cmp, pg->out->rows);
	/* Each group of one id: skipped as a whole when every row of it is
	 * the stored version (the upsert would change nothing, whichever
	 * row wins); a group with another version goes to the server, which
	 * picks the winner. */
	for (g = 0; g < n;) {
		size_t end = g, k;
		char key[17 + 1 + 65];
		const char *kp = key;
		char **hit = NULL;

		while (end + 1 < n && !strcmp(pg->out->rows[order[end + 1]].id, pg->out->rows[order[g]].id))
			end++;
		for (k = g; k <= end; k++) {
			const struct row *r = &pg->out->rows[order[k]];

			/* A version from a history may move the stored row to
			 * itself even with the stored content (see Outline). */
			if (r->git) {
				hit = NULL;
				break;
			}
			snprintf(key, sizeof(key), "%s %s", r->id, r->hash);
			hit = bsearch(&kp, stored, (size_t)nstored, sizeof(*stored), stored_cmp);
			if (!hit)
				break;
		}
		if (hit) {
			for (k = g; k <= end; k++)
				skip[order[k]] = 1;
			pg->out->skip_records += (long long)(end - g + 1);
			pg->out->skip_ids++;
		}
		g = end + 1;
	}
	PQclear(res);
	ret = 0;
	if (pg->out->skip_records == 0)
		goto out;
	buf_reset(&pg->out->send);
	for (i = 0; i < n; i++)
		if (!skip[i])
			buf_add(&pg->out->send, pg->out->art.data + pg->out->rows[i].off, pg->out->rows[i].len);
	if (pg->out->send.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		ret = -2;
		goto out;
	}
	*data = &pg->out->send;
out:
	free(stored);
	free(order);
	free(skip);
	buf_release(&ids);
	return ret;
}

/*
 * The batch's versions: COPY, then upsert (versions_sql). Also fetches the
 * transaction's time into `now` for a direct batch. Returns 0, -1
 * (transient), -2 (permanent).
 */
static int send_versions(struct fp_pg *pg, char *now, size_t size, struct fp_error *err)
{
	struct buf sql = { 0 };
	PGresult *res = NULL;
	int ret;

	if ((ret = send_copy(pg, "pg_temp.fp_stage_versions", version_columns, &pg->out->ver, NULL,
			     NULL, err)) < 0)
		return ret;
	versions_sql(pg, &sql);
	if (pg->out->direct)
		buf_adds(&sql, ";SELECT to_char(now() AT TIME ZONE 'UTC',"
			       " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')");
	if (sql.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		ret = -2;
	} else {
		ret = run_checked(pg, sql.data, &res, "cannot store versions", err);
	}
	if (ret == 0 && pg->out->direct) {
		if (!res || PQntuples(res) != 1) {
			fp_error_set(err, "db-error", "cannot read the time of the transaction");
			ret = -2;
		} else {
			snprintf(now, size, "%s", PQgetvalue(res, 0, 0));
		}
	}
	PQclear(res);
	buf_release(&sql);
	return ret;
}

/* One attempt at committing the batch: 0, -1 (transient), -2 (permanent). */
static int send_batch(struct fp_pg *pg, struct fp_error *err)
{
	struct buf sql = { 0 };
	PGresult *res = NULL, *failed;
	char now[64] = "";
	int ret;

	const struct buf *articles = &pg->out->art;

	pg->out->direct = 0;
	if ((ret = run_checked(pg, "BEGIN", NULL, "cannot begin", err)) < 0)
		return ret;
	if (pg->out->n_art && ((ret = skip_unchanged(pg, &articles, err)) < 0 ||
			       (ret = send_versions(pg, now, sizeof(now), err)) < 0))
		goto out;
	if (articles->len && (ret = send_copy(pg, pg->out->direct ? "articles" : "pg_temp.fp_stage",
				 pg->out->direct ? direct_columns : article_columns, articles,
				 pg->out->direct ? pg->out : NULL, now, err)) < 0)
		goto out;
	if (pg->out->n_rej &&
	    (ret = send_copy(pg, "pg_temp.fp_stage_rejects", reject_columns, &pg->out->rej, NULL,
			       NULL, err)) < 0)
		goto out;
	upsert_sql(pg, &sql);
	if (sql.oom) {
		fp_error_set(err, "out-of-memory", "out of memory");
		ret = -2;
		goto out;
	}
	if ((ret = run_checked(pg, sql.data, &res, "cannot store batch", err)) < 0)
		goto out;
	if (!res || PQntuples(res) != 1) {
		fp_error_set(err, "db-error", "load run %lld is not at batch %lld", pg->run_id,
			     pg->counts.batches);
		ret = -2;
		goto out;
	}
	if (is_interrupted(pg)) {
		fp_error_set(err, "interrupted", "interrupted");
		ret = -2;
		goto out;
	}
	if ((ret = run_checked(pg, "COMMIT", NULL, "cannot commit", err)) < 0)
		goto out;
	read_counts(pg, res);
	pg->counts.direct += pg->out->direct;
out:
	PQclear(res);
	buf_release(&sql);
	if (ret < 0 && pg->conn && PQstatus(pg->conn) == CONNECTION_OK &&
	    PQtransactionStatus(pg->conn) != PQTRANS_IDLE) {
		if (run(pg, "ROLLBACK", NULL, &failed) < 0)
			PQclear(failed);
	}
	return ret;
}

/*
 * After a reconnect: did the lost batch commit after all? Returns 1 (yes,
 * counts refreshed), 0 (no), -1 (transient failure), -2 (permanent).
 */
static int batch_committed(struct fp_pg *pg, struct fp_error *err)
{
	struct buf sql = { 0 };
	PGresult *res = NULL;
	int ret;

	buf_addf(&sql, "SELECT " COUNT_COLUMNS " FROM load_runs WHERE id = %lld", pg->run_id);
	ret = run_checked(pg, sql.data, &res, "cannot read load run", err);
	buf_release(&sql);
	if (ret < 0)
		return ret;
	if (!res || PQntuples(res) != 1) {
		PQclear(res);
		fp_error_set(err, "db-error", "load run %lld has gone", pg->run_id);
		return -2;
	}
	ret = strtoll(PQgetvalue(res, 0, 6), NULL, 10) > pg->counts.batches;
	if (ret)
		read_counts(pg, res);
	PQclear(res);
	return ret;
}

static void clear_batch(struct batch *b)
{
	buf_reset(&b->art);
	buf_reset(&b->rej);
	buf_reset(&b->ver);
	b->n_art = b->n_rej = 0;
	b->retries = 0;
	b->no_direct = 0;
}

static void release_batch(struct batch *b)
{
	buf_release(&b->art);
	buf_release(&b->rej);
	buf_release(&b->ver);
	buf_release(&b->send);
	free(b->rows);
}

/* Commits pg->out, reconnecting and retrying. Returns 0 or -1 with err. */
static int commit_out(struct fp_pg *pg, struct fp_error *err)
{
	int attempt, rc;

	for (attempt = 0;; attempt++) {
		struct fp_error e;

		fp_error_init(&e);
		rc = pg->conn ? 0 : -1;
		if (!pg->conn) {
			if (connect_once(pg, &e) == 0 && (rc = prepare_session(pg, &e)) == 0) {
				rc = batch_committed(pg, &e);
				if (rc == 1)
					break;
			}
		}
		if (rc == 0)
			rc = send_batch(pg, &e);
		if (rc == -2 && pg->out->direct && !pg->out->no_direct && pg->conn &&
		    PQstatus(pg->conn) == CONNECTION_OK) {
			/* Another loader stored one of the ids first (or the
			 * direct COPY failed otherwise): again, through staging. */
			pg->out->no_direct = 1;
			pg->counts.direct_fallbacks++;
			fp_error_init(&e);
			rc = send_batch(pg, &e);
		}
		if (rc == 0)
			break;
		if (!strcmp(e.reason, "interrupted") || is_interrupted(pg)) {
			fp_error_set(err, "interrupted", "interrupted");
			return -1;
		}
		/* NEEDSWORK: a batch the server refuses for its data (a case
		 * article_row() does not check) fails the load; splitting the
		 * batch down to the one article and rejecting it would let the
		 * rest through. */
		if (rc == -2 && pg->conn && PQstatus(pg->conn) == CONNECTION_OK) {
			fp_error_set(err, e.reason[0] ? e.reason : "db-error", "%s", e.text);
			return -1;
		}
		disconnect(pg);
		if (attempt >= pg->opt.retries) {
			fp_error_set(err, "db-unavailable", "gave up after %d retries: %s", attempt,
				     e.text);
			return -1;
		}
		pg->counts.retries++;
		pg->out->retries++;
		if (pause_for(pg, backoff_delay(pg, attempt)) < 0) {
			fp_error_set(err, "interrupted", "interrupted");
			return -1;
		}
	}
	return 0;
}

static void *sender_main(void *arg)
{
	struct fp_pg *pg = arg;
	struct fp_error e;
	int rc;

	pthread_mutex_lock(&pg->lock);
	for (;;) {
		while (!pg->busy && !pg->stop)
			pthread_cond_wait(&pg->cond, &pg->lock);
		if (!pg->busy)
			break;
		pthread_mutex_unlock(&pg->lock);
		fp_error_init(&e);
		rc = commit_out(pg, &e);
		pthread_mutex_lock(&pg->lock);
		if (rc < 0) {
			pg->failure = e;
			pg->out_failed = 1;
		}
		pg->busy = 0;
		pthread_cond_broadcast(&pg->cond);
	}
	pthread_mutex_unlock(&pg->lock);
	return NULL;
}

/* Starts the sender thread; without one, batches are committed in the
 * caller's thread. Signals stay with the main thread (the stage's
 * handler must interrupt its read of stdin). */
static void start_sender(struct fp_pg *pg)
{
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pg->threaded = pthread_create(&pg->sender, NULL, sender_main, pg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void stop_sender(struct fp_pg *pg)
{
	if (!pg->threaded)
		return;
	pthread_mutex_lock(&pg->lock);
	pg->stop = 1;
	pthread_cond_broadcast(&pg->cond);
	pthread_mutex_unlock(&pg->lock);
	pthread_join(pg->sender, NULL);
	pg->threaded = 0;
}

/* Waits until no batch is being committed. Returns 0, or -1 with err when
 * one failed (the sink is broken from then on). */
static int wait_sender(struct fp_pg *pg, struct fp_error *err)
{
	int failed = 0;

	if (pg->threaded) {
		pthread_mutex_lock(&pg->lock);
		while (pg->busy)
			pthread_cond_wait(&pg->cond, &pg->lock);
		failed = pg->out_failed;
		pthread_mutex_unlock(&pg->lock);
	}
	if (failed)
		pg->broken = 1;
	if (pg->broken) {
		if (err)
			*err = pg->failure;
		return -1;
	}
	return 0;
}

/*
 * Hands the batch being filled to the sender (after the previous one is
 * committed) and starts filling the other. Returns 0, or -1 with err when
 * a batch failed. Without a sender thread, commits it here.
 */
static int hand_off(struct fp_pg *pg, struct fp_error *err)
{
	struct batch *b;

	if (wait_sender(pg, err) < 0)
		return -1;
	if (!pg->fill->n_art && !pg->fill->n_rej)
		return 0;
	b = pg->out;
	pg->out = pg->fill;
	pg->fill = b;
	clear_batch(pg->fill);
	if (!pg->threaded) {
		if (commit_out(pg, &pg->failure) < 0) {
			pg->broken = 1;
			if (err)
				*err = pg->failure;
			return -1;
		}
		return 0;
	}
	pthread_mutex_lock(&pg->lock);
	pg->busy = 1;
	pthread_cond_broadcast(&pg->cond);
	pthread_mutex_unlock(&pg->lock);
	return 0;
}

int fp_pg_flush(struct fp_pg *pg, struct fp_error *err)
{
	if (hand_off(pg, err) < 0)
		return -1;
	return wait_sender(pg, err);
}

static int batch_full(const struct fp_pg *pg)
{
	const struct batch *b = pg->fill;

	return b->n_art + b->n_rej >= pg->opt.batch_rows ||
	       b->art.len + b->rej.len >= pg->opt.batch_bytes;
}

int fp_pg_add(struct fp_pg *pg, const json_t *rec, struct fp_error *err)
{
	struct batch *b = pg->fill;
	struct row *row;
	size_t start;

	if (pg->broken) {
		fp_error_set(err, "db-error", "the database sink has failed");
		return -1;
	}
	start = b->art.len;
	if (article_row(pg, rec, err) < 0)
		return strcmp(err ? err->reason : "", "out-of-memory") ? 0 : -1;
	if (b->n_art == b->cap_rows) {
		size_t cap = b->cap_rows ? 2 * b->cap_rows : 256;
		struct row *rows = realloc(b->rows, cap * sizeof(*rows));

		if (!rows) {
			b->art.len = start;
			fp_error_set(err, "out-of-memory", "out of memory");
			return -1;
		}
		b->rows = rows;
		b->cap_rows = cap;
	}
	row = &b->rows[b->n_art];
	snprintf(row->id, sizeof(row->id), "%s", fp_json_str(rec, "id"));
	snprintf(row->hash, sizeof(row->hash), "%s", fp_json_str(rec, "content_hash"));
	row->git = json_object_get(json_object_get(rec, "source"), "git") != NULL;
	row->off = start;
	row->len = b->art.len - start;
	b->n_art++;
	if (batch_full(pg) && hand_off(pg, err) < 0)
		return -1;
	return 1;
}

int fp_pg_add_reject(struct fp_pg *pg, const json_t *reject, struct fp_error *err)
{
	if (pg->broken) {
		fp_error_set(err, "db-error", "the database sink has failed");
		return -1;
	}
	if (reject_row(pg, reject, err) < 0)
		return -1;
	pg->fill->n_rej++;
	return batch_full(pg) ? hand_off(pg, err) : 0;
}

int fp_pg_check(const json_t *rec, struct fp_error *err)
{
	struct fp_pg pg;
	int ret;

	/* The checks of article_row() without building the COPY text. */
	memset(&pg, 0, sizeof(pg));
	pg.fill = &pg.batch[0];
	pg.fill->art.discard = pg.scratch.discard = 1;
	ret = article_row(&pg, rec, err);
	release_batch(&pg.batch[0]);
	buf_release(&pg.scratch);
	if (ret == 0)
		return 1;
	return strcmp(err ? err->reason : "", "out-of-memory") ? 0 : -1;
}

const char *fp_pg_version(void)
{
	static char buf[32];
	int v = PQlibVersion();

	if (!buf[0])
		snprintf(buf, sizeof(buf), "%d.%d", v / 10000, v % 10000);
	return buf;
}

/* ---- lifecycle ---------------------------------------------------------- */

void fp_pg_options_init(struct fp_pg_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->conninfo = "";
	opt->schema = "public";
	opt->retries = -1;
}

int fp_pg_check_schema(const char *name, struct fp_error *err)
{
	size_t len = strlen(name);

	if (len == 0)
		fp_error_set(err, "db-options", "a schema name cannot be empty");
	else if (len > 63)
		fp_error_set(err, "db-options",
			     "a schema name is at most 63 bytes (PostgreSQL cuts longer ones)");
	else if (fp_utf8_valid_prefix(name, len) != len)
		fp_error_set(err, "db-options", "a schema name must be valid UTF-8");
	else
		return 0;
	return -1;
}

/* The password of `conninfo` or PGPASSWORD, for redaction (new, or NULL). */
static char *find_password(const char *conninfo)
{
	PQconninfoOption *opts, *o;
	char *msg = NULL, *pw = NULL;

	if (getenv("PGPASSWORD") && *getenv("PGPASSWORD"))
		pw = strdup(getenv("PGPASSWORD"));
	if (!*conninfo)
		return pw;
	opts = PQconninfoParse(conninfo, &msg);
	PQfreemem(msg);
	for (o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val) {
			free(pw);
			pw = strdup(o->val);
		}
	PQconninfoFree(opts);
	return pw;
}

/*
 * Everything before the first batch: connect, migrate, start the run (once:
 * a retry keeps its row), make the staging tables. A connection lost on the
 * way (the server restarting, a backend terminated) is retried with backoff
 * as one lost mid-load is; a server that answers but refuses us (password,
 * database) or an error in the SQL is not. Returns 0 or -1 with err.
 */
static int start_up(struct fp_pg *pg, int migrate_only, struct fp_error *err)
{
	int attempt, rc;

	for (attempt = 0;; attempt++) {
		struct fp_error e;
		int connected;

		fp_error_init(&e);
		rc = connect_once(pg, &e);
		connected = rc == 0 || strcmp(e.reason, "db-connect");
		if (!connected)
			rc = server_may_come(pg) ? -1 : -2;
		if (rc == 0)
			rc = migrate(pg, &e);
		if (rc == 0 && !migrate_only && !pg->run_id)
			rc = start_run(pg, &e);
		if (rc == 0 && !migrate_only)
			rc = prepare_session(pg, &e);
		if (rc == 0)
			return 0;
		if (!strcmp(e.reason, "interrupted") || is_interrupted(pg)) {
			fp_error_set(err, "interrupted", "interrupted");
			return -1;
		}
		if (rc == -2 || attempt >= pg->opt.retries) {
			if (rc == -1 && attempt)
				fp_error_set(err, connected ? e.reason : "db-connect",
					     "gave up after %d retries: %s", attempt, e.text);
			else
				fp_error_set(err, e.reason, "%s", e.text);
			if (e.source[0])
				fp_error_at(err, e.source, 0, 0);
			return -1;
		}
		disconnect(pg);
		if (pause_for(pg, backoff_delay(pg, attempt)) < 0) {
			fp_error_set(err, "interrupted", "interrupted");
			return -1;
		}
	}
}

struct fp_pg *fp_pg_open(const struct fp_pg_options *opt, int migrate_only, struct fp_error *err)
{
	struct fp_pg *pg = calloc(1, sizeof(*pg));
	char *msg = NULL;
	PQconninfoOption *parsed;

	if (!pg) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return NULL;
	}
	pg->opt = *opt;
	pthread_mutex_init(&pg->lock, NULL);
	pthread_cond_init(&pg->cond, NULL);
	pg->fill = &pg->batch[0];
	pg->out = &pg->batch[1];
	if (!pg->opt.conninfo)
		pg->opt.conninfo = "";
	if (!pg->opt.schema)
		pg->opt.schema = "public";
	if (fp_pg_check_schema(pg->opt.schema, err) < 0)
		goto fail;
	if (!pg->opt.batch_rows)
		pg->opt.batch_rows = DEFAULT_BATCH_ROWS;
	if (!pg->opt.batch_bytes)
		pg->opt.batch_bytes = DEFAULT_BATCH_BYTES;
	if (pg->opt.retries < 0)
		pg->opt.retries = DEFAULT_RETRIES;
	if (pg->opt.backoff <= 0)
		pg->opt.backoff = DEFAULT_BACKOFF;
	/* libpq's parse errors quote the string, password and all: say less. */
	if (*pg->opt.conninfo) {
		parsed = PQconninfoParse(pg->opt.conninfo, &msg);
		PQfreemem(msg);
		if (!parsed) {
			fp_error_set(err, "db-connect", "invalid connection string");
			goto fail;
		}
		PQconninfoFree(parsed);
	}
	pg->password = find_password(pg->opt.conninfo);
	pg->schema_ident = malloc(2 * strlen(pg->opt.schema) + 3);
	if (!pg->schema_ident) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto fail;
	} else {
		const char *s;
		char *d = pg->schema_ident;

		*d++ = '"';
		for (s = pg->opt.schema; *s; s++) {
			if (*s == '"')
				*d++ = '"';
			*d++ = *s;
		}
		*d++ = '"';
		*d = '\0';
	}
	if (start_up(pg, migrate_only, err) < 0)
		goto fail;
	if (!migrate_only)
		start_sender(pg);
	return pg;
fail:
	fp_pg_free(pg);
	return NULL;
}

int fp_pg_finish(struct fp_pg *pg, const char *status, struct fp_error *err)
{
	const char *params[2];
	char id[32];
	PGresult *res;
	int ret = 0;

	/* The batch in flight commits (or, interrupted, rolls back) first. */
	wait_sender(pg, NULL);
	stop_sender(pg);
	if (!pg->run_id)
		return 0;
	if (!pg->conn || PQstatus(pg->conn) != CONNECTION_OK) {
		if (connect_once(pg, err) < 0)
			return -1;
	}
	snprintf(id, sizeof(id), "%lld", pg->run_id);
	params[0] = status;
	params[1] = id;
	res = PQexecParams(pg->conn,
			   "UPDATE load_runs SET status = $1, finished_at = now() WHERE id = $2", 2,
			   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_pg_error(pg, err, "db-error", "cannot finish load run", res);
		ret = -1;
	}
	PQclear(res);
	return ret;
}

const struct fp_pg_counts *fp_pg_counts(const struct fp_pg *pg)
{
	return &pg->counts;
}

long long fp_pg_run_id(const struct fp_pg *pg)
{
	return pg->run_id;
}

void fp_pg_free(struct fp_pg *pg)
{
	if (!pg)
		return;
	stop_sender(pg);
	disconnect(pg);
	free(pg->password);
	free(pg->schema_ident);
	release_batch(&pg->batch[0]);
	release_batch(&pg->batch[1]);
	buf_release(&pg->scratch);
	pthread_mutex_destroy(&pg->lock);
	pthread_cond_destroy(&pg->cond);
	free(pg);
}

/* ---- the driver's incremental state (source_files) ------------------------ */

/* A connection to the schema, migrated as a loader would, no load run. */
static struct fp_pg *open_for_state(const struct fp_pg_state_options *opt, struct fp_error *err)
{
	struct fp_pg_options po;

	fp_pg_options_init(&po);
	po.conninfo = opt->conninfo ? opt->conninfo : "";
	po.schema = opt->schema;
	return fp_pg_open(&po, 1, err);
}

int fp_pg_state_read(const struct fp_pg_state_options *opt, struct fp_state *state,
		     struct fp_error *err)
{
	struct fp_pg *pg;
	PGresult *res = NULL;
	const char *params[1] = { opt->root };
	int ret = -1;

	fp_state_init(state);
	/* The table may not exist yet: migrate exactly as a loader would. */
	if (!(pg = open_for_state(opt, err)))
		return -1;
	res = PQexecParams(pg->conn,
			   "SELECT path, bytes, mtime_ns, sha256, load_run FROM source_files"
			   " WHERE root = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_pg_error(pg, err, "db-error", "cannot read source_files", res);
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		struct fp_state_entry *e = fp_state_add(state, PQgetvalue(res, i, 0));

		if (!e) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
		e->bytes = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		e->mtime_ns = strtoll(PQgetvalue(res, i, 2), NULL, 10);
		/* Anything but a hex digest never matches a file's; "" says so. */
		if (PQgetlength(res, i, 3) == (int)sizeof(e->sha256) - 1)
			memcpy(e->sha256, PQgetvalue(res, i, 3), sizeof(e->sha256));
		if (!PQgetisnull(res, i, 4))
			e->load_run = strtoll(PQgetvalue(res, i, 4), NULL, 10);
	}
	if (fp_state_sort(state) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	ret = 0;
out:
	if (ret < 0)
		fp_state_release(state);
	PQclear(res);
	fp_pg_free(pg);
	return ret;
}

/* Runs `sql` with text parameters; fails unless it completed. */
static int run_state_sql(struct fp_pg *pg, const char *sql, int n, const char *const *params,
			 const char *what, struct fp_error *err)
{
	PGresult *res = PQexecParams(pg->conn, sql, n, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		set_pg_error(pg, err, "db-error", what, res);
	PQclear(res);
	return ok ? 0 : -1;
}

int fp_pg_state_write(const struct fp_pg_state_options *opt, const struct fp_state *upsert,
		      const char *const *gone, size_t ngone, long long load_run,
		      struct fp_error *err)
{
	/* Sorted by path, so that concurrent writers (shards) lock rows in one order. */
	static const char upsert_sql[] =
		"INSERT INTO source_files AS s (root, path, bytes, mtime_ns, sha256, load_run)"
		" SELECT $1, r.path, r.bytes, r.mtime_ns, r.sha256, coalesce(r.load_run, $3)"
		" FROM json_to_recordset($2::json)"
		" AS r(path text, bytes bigint, mtime_ns bigint, sha256 text, load_run bigint)"
		" ORDER BY r.path COLLATE \"C\""
		" ON CONFLICT (root, path) DO UPDATE SET bytes = EXCLUDED.bytes,"
		" mtime_ns = EXCLUDED.mtime_ns, sha256 = EXCLUDED.sha256,"
		" load_run = EXCLUDED.load_run, recorded_at = now()";
	static const char delete_sql[] =
		"DELETE FROM source_files WHERE root = $1"
		" AND path IN (SELECT json_array_elements_text($2::json))";
	const char *params[3];
	json_t *paths = json_array();
	char *rows_json = NULL, *gone_json = NULL, run_id[32];
	size_t rows_len;
	FILE *rows;
	struct fp_pg *pg = NULL;
	int ret = -1, dumped = 0, failed;

	/* The rows as one JSON array, written from the entries. */
	if (!paths || !(rows = open_memstream(&rows_json, &rows_len)))
		goto nomem;
	fputc('[', rows);
	for (size_t i = 0; i < upsert->n && dumped == 0; i++) {
		if (i)
			fputc(',', rows);
		dumped = fp_state_entry_dump(&upsert->v[i], rows);
	}
	fputc(']', rows);
	failed = dumped < 0 || ferror(rows);
	if (fclose(rows) != 0 || failed)
		goto nomem;
	for (size_t i = 0; i < ngone; i++)
		if (json_array_append_new(paths, json_string(gone[i])) < 0)
			goto nomem;
	if (!(gone_json = json_dumps(paths, JSON_COMPACT)))
		goto nomem;
	snprintf(run_id, sizeof(run_id), "%lld", load_run);
	if (!(pg = open_for_state(opt, err)))
		goto out;
	params[0] = opt->root;
	params[1] = rows_json;
	params[2] = load_run > 0 ? run_id : NULL;
	if (run_state_sql(pg, "BEGIN", 0, NULL, "cannot write source_files", err) < 0 ||
	    (upsert->n > 0 &&
	     run_state_sql(pg, upsert_sql, 3, params, "cannot write source_files", err) < 0))
		goto out;
	params[1] = gone_json;
	if ((ngone > 0 &&
	     run_state_sql(pg, delete_sql, 2, params, "cannot write source_files", err) < 0) ||
	    run_state_sql(pg, "COMMIT", 0, NULL, "cannot commit source_files", err) < 0)
		goto out;
	ret = 0;
	goto out;
nomem:
	fp_error_set(err, "out-of-memory", "out of memory");
out:
	fp_pg_free(pg); /* an open transaction is rolled back */
	free(rows_json);
	free(gone_json);
	json_decref(paths);
	return ret;
}

/* ---- the driver's incremental state over a history (source_commits) ------- */

int fp_pg_commit_state_read(const struct fp_pg_state_options *opt, const char *prefix,
			    char commit[41], struct fp_error *err)
{
	const char *params[2] = { opt->root, prefix };
	struct fp_pg *pg;
	PGresult *res;
	int ret = -1;

	commit[0] = '\0';
	if (!(pg = open_for_state(opt, err)))
		return -1;
	res = PQexecParams(pg->conn,
			   "SELECT commit FROM source_commits WHERE repository = $1 AND prefix = $2", 2,
			   NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_pg_error(pg, err, "db-error", "cannot read source_commits", res);
	} else {
		if (PQntuples(res) == 1)
			snprintf(commit, 41, "%s", PQgetvalue(res, 0, 0));
		ret = 0;
	}
	PQclear(res);
	fp_pg_free(pg);
	return ret;
}

int fp_pg_commit_state_write(const struct fp_pg_state_options *opt, const char *prefix,
			     const char *commit, long long load_run, struct fp_error *err)
{
	const char *params[4];
	char run_id[32];
	struct fp_pg *pg;
	int ret;

	snprintf(run_id, sizeof(run_id), "%lld", load_run);
	params[0] = opt->root;
	params[1] = prefix;
	params[2] = commit;
	params[3] = load_run > 0 ? run_id : NULL;
	if (!(pg = open_for_state(opt, err)))
		return -1;
	ret = run_state_sql(pg,
			    "INSERT INTO source_commits (repository, prefix, commit, load_run)"
			    " VALUES ($1, $2, $3, $4) ON CONFLICT (repository, prefix) DO UPDATE SET"
			    " commit = EXCLUDED.commit, load_run = EXCLUDED.load_run, recorded_at = now()",
			    4, params, "cannot write source_commits", err);
	fp_pg_free(pg);
	return ret;
}
