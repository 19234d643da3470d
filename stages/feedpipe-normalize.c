/*
 * feedpipe-normalize: feedpipe-clean's records in, canonical articles out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "article.h"
#include "cli.h"
#include "date.h"
#include "stage.h"
#include "banned.h"

enum {
	OPT_DEFAULT_TZ = FP_OPT_FIRST_STAGE_OPTION,
	OPT_NOW,
};

static const struct option options[] = {
	FP_CLI_LONGOPTS,
	{ "default-tz", required_argument, NULL, OPT_DEFAULT_TZ },
	{ "now", required_argument, NULL, OPT_NOW },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: feedpipe-normalize [options] < records.jsonl\n"
	      "Reads feedpipe-clean records and writes one canonical article per record:\n"
	      "stable id, topic/site/feed, UTC dates, NFC text, checked URLs, language.\n"
	      "\n"
	      "      --default-tz ZONE    zone of dates written without one: UTC (default),\n"
	      "                           an offset such as +08:00, or an IANA name such as\n"
	      "                           Asia/Shanghai\n"
	      "      --now TIME           the time of the run, for rejecting dates more than\n"
	      "                           a day in the future (default: the clock)\n"
	      FP_CLI_COMMON_HELP,
	      out);
}

int main(int argc, char **argv)
{
	struct fp_stage st;
	struct fp_article_options aopt;
	struct fp_date_zone tz;
	struct fp_error err;
	int opt, rc, code = FP_EXIT_USAGE;
	long warned;
	json_t *rec, *art;

	fp_stage_init(&st, "feedpipe-normalize", "normalize");
	fp_article_options_init(&aopt);
	fp_date_zone_init(&tz);
	while ((opt = getopt_long(argc, argv, FP_CLI_SHORTOPTS, options, NULL)) != -1) {
		if ((rc = fp_cli_option(&st.cli, opt, optarg)) != 0) {
			if (rc < 0)
				goto out;
			continue;
		}
		fp_error_init(&err);
		switch (opt) {
		case 'h': usage(stdout); code = FP_EXIT_OK; goto out;
		case 'V': fp_cli_version(&st.cli); code = FP_EXIT_OK; goto out;
		case OPT_DEFAULT_TZ:
			if (fp_date_zone_set(&tz, optarg, &err) < 0) {
				fp_cli_msg(&st.cli, "invalid --default-tz: %s", err.text);
				goto out;
			}
			break;
		case OPT_NOW:
			if (fp_date_parse(optarg, strlen(optarg), NULL, &aopt.now, &err) < 0) {
				fp_cli_msg(&st.cli, "invalid --now '%s': expected a date such as 2026-01-31T12:00:00Z", optarg);
				goto out;
			}
			break;
		default: usage(stderr); goto out;
		}
	}
	if (optind < argc) {
		fp_cli_msg(&st.cli, "unexpected argument '%s': records are read from stdin", argv[optind]);
		goto out;
	}
	aopt.tz = &tz;
	fp_stage_start(&st);
	while (fp_stage_next(&st, &rec) > 0) {
		fp_error_init(&err);
		art = fp_article_new(rec, &aopt, &warned, &err);
		if (!art || fp_article_validate(art, &err) < 0) {
			fp_error_at(&err, fp_json_str(json_object_get(rec, "source"), "path"), 0, 0);
			fp_stage_reject(&st, &err, rec);
		} else {
			fp_stage_warned(&st, warned);
			fp_article_tally(st.stats.extra, art);
			fp_stage_emit(&st, art);
		}
		json_decref(art);
		json_decref(rec);
	}
	code = fp_stage_finish(&st);
	goto done;
out:
	fp_stage_release(&st);
done:
	fp_date_zone_release(&tz);
	return code;
}
