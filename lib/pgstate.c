#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "pg.h"
#include "pgstate.h"

#include "banned.h"

/*
 * A second, small user of libpq, beside lib/pg.c: the loader's sink keeps
 * one connection per load run, the driver's state needs two short
 * conversations around a run (lib/pg.c's migrations are reused through its
 * public API).
 */

static const char *conninfo_of(const struct fp_pgstate_options *opt)
{
	return opt->conninfo ? opt->conninfo : "";
}

/* Whether `text` holds the password of the connection (or PGPASSWORD). */
static int shows_password(const char *conninfo, const char *text)
{
	const char *env = getenv("PGPASSWORD");
	PQconninfoOption *opts, *o;
	char *msg = NULL;
	int shows = env && *env && strstr(text, env);

	if (!*conninfo)
		return shows;
	opts = PQconninfoParse(conninfo, &msg);
	PQfreemem(msg);
	for (o = opts; o && o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val && strstr(text, o->val))
			shows = 1;
	PQconninfoFree(opts);
	return shows;
}

/* The message of a failed result or connection: one line, never a password. */
static void set_error(const struct fp_pgstate_options *opt, PGconn *conn, const PGresult *res,
		      const char *reason, const char *what, struct fp_error *err)
{
	char text[FP_ERROR_TEXT_MAX];
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	size_t i;

	if (!msg || !*msg)
		msg = conn ? PQerrorMessage(conn) : "out of memory";
	snprintf(text, sizeof(text), "%s", msg);
	for (i = 0; text[i]; i++)
		if (text[i] == '\n' || text[i] == '\t')
			text[i] = ' ';
	while (i > 0 && text[i - 1] == ' ')
		text[--i] = '\0';
	if (shows_password(conninfo_of(opt), text))
		snprintf(text, sizeof(text), "(message withheld: it shows the password)");
	fp_error_set(err, reason, "%s: %s", what, text);
}

/* Connects with search_path set to the schema. Returns a connection or NULL. */
static PGconn *connect_to(const struct fp_pgstate_options *opt, struct fp_error *err)
{
	const char *keys[] = { "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "feedpipe", conninfo_of(opt), NULL };
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	PGresult *res = NULL;
	char *ident = NULL, *sql = NULL;
	size_t len;

	if (!conn || PQstatus(conn) != CONNECTION_OK) {
		set_error(opt, conn, NULL, "db-connect", "cannot connect", err);
		goto fail;
	}
	ident = PQescapeIdentifier(conn, opt->schema && *opt->schema ? opt->schema : "public",
				   strlen(opt->schema && *opt->schema ? opt->schema : "public"));
	len = ident ? strlen(ident) + 32 : 0;
	if (!ident || !(sql = malloc(len))) {
		set_error(opt, conn, NULL, "out-of-memory", "cannot set search_path", err);
		goto fail;
	}
	snprintf(sql, len, "SET search_path TO %s", ident);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		set_error(opt, conn, res, "db-error", "cannot set search_path", err);
		goto fail;
	}
	PQclear(res);
	PQfreemem(ident);
	free(sql);
	return conn;
fail:
	PQclear(res);
	PQfreemem(ident);
	free(sql);
	PQfinish(conn);
	return NULL;
}

int fp_pgstate_read(const struct fp_pgstate_options *opt, json_t **state, struct fp_error *err)
{
	struct fp_pg_options po;
	struct fp_pg *pg;
	PGconn *conn = NULL;
	PGresult *res = NULL;
	const char *params[1] = { opt->root };
	int ret = -1;

	*state = NULL;
	/* The table may not exist yet: migrate exactly as a loader would. */
	fp_pg_options_init(&po);
	po.conninfo = conninfo_of(opt);
	po.schema = opt->schema;
	if (!(pg = fp_pg_open(&po, 1, err)))
		return -1;
	fp_pg_free(pg);
	if (!(conn = connect_to(opt, err)))
		goto out;
	res = PQexecParams(conn,
			   "SELECT path, bytes, mtime_ns, sha256, load_run FROM source_files"
			   " WHERE root = $1",
			   1, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		set_error(opt, conn, res, "db-error", "cannot read source_files", err);
		goto out;
	}
	if (!(*state = json_object())) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	for (int i = 0; i < PQntuples(res); i++) {
		const char *rel = PQgetvalue(res, i, 0);
		json_t *e = json_pack("{s:s, s:I, s:I, s:s}", "path", rel, "bytes",
				      (json_int_t)strtoll(PQgetvalue(res, i, 1), NULL, 10),
				      "mtime_ns",
				      (json_int_t)strtoll(PQgetvalue(res, i, 2), NULL, 10),
				      "sha256", PQgetvalue(res, i, 3));
		if (e && !PQgetisnull(res, i, 4))
			json_object_set_new(e, "load_run",
					    json_integer(strtoll(PQgetvalue(res, i, 4), NULL, 10)));
		if (!e || json_object_set_new(*state, rel, e) < 0) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	if (ret < 0) {
		json_decref(*state);
		*state = NULL;
	}
	PQclear(res);
	PQfinish(conn);
	return ret;
}

/* Runs `sql` with text parameters; fails unless it completed. */
static int run(const struct fp_pgstate_options *opt, PGconn *conn, const char *sql, int n,
	       const char *const *params, const char *what, struct fp_error *err)
{
	PGresult *res = PQexecParams(conn, sql, n, NULL, params, NULL, NULL, 0);
	int ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	if (!ok)
		set_error(opt, conn, res, "db-error", what, err);
	PQclear(res);
	return ok ? 0 : -1;
}

int fp_pgstate_write(const struct fp_pgstate_options *opt, const json_t *upsert,
		     const json_t *gone, long long load_run, struct fp_error *err)
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
	const char *key, *params[3];
	json_t *rows = json_array(), *e;
	char *rows_json = NULL, *gone_json = NULL, run_id[32];
	PGconn *conn = NULL;
	int ret = -1;

	if (!rows) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	json_object_foreach((json_t *)upsert, key, e)
		if (json_array_append(rows, e) < 0) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
	if (!(rows_json = json_dumps(rows, JSON_COMPACT)) ||
	    !(gone_json = json_dumps(gone, JSON_COMPACT))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	snprintf(run_id, sizeof(run_id), "%lld", load_run);
	if (!(conn = connect_to(opt, err)))
		goto out;
	params[0] = opt->root;
	params[1] = rows_json;
	params[2] = load_run > 0 ? run_id : NULL;
	if (run(opt, conn, "BEGIN", 0, NULL, "cannot write source_files", err) < 0 ||
	    (json_array_size(rows) > 0 &&
	     run(opt, conn, upsert_sql, 3, params, "cannot write source_files", err) < 0))
		goto out;
	params[1] = gone_json;
	if ((json_array_size(gone) > 0 &&
	     run(opt, conn, delete_sql, 2, params, "cannot write source_files", err) < 0) ||
	    run(opt, conn, "COMMIT", 0, NULL, "cannot commit source_files", err) < 0)
		goto out;
	ret = 0;
out:
	PQfinish(conn); /* an open transaction is rolled back */
	free(rows_json);
	free(gone_json);
	json_decref(rows);
	return ret;
}
