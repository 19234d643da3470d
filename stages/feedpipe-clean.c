/*
 * feedpipe-clean: records with a raw `body` in, records with sanitized
 * `html`, plain `text`, `images`, `links`, `embeds` and `found` out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "html.h"
#include "rules.h"
#include "stage.h"
#include "banned.h"

enum {
	OPT_MAX_DEPTH = FP_OPT_FIRST_STAGE_OPTION,
	OPT_MAX_HTML,
	OPT_NO_DEFAULT_RULES,
	OPT_RULES,
};

static const struct option options[] = {
	FP_CLI_LONGOPTS,
	{ "max-depth", required_argument, NULL, OPT_MAX_DEPTH },
	{ "max-html", required_argument, NULL, OPT_MAX_HTML },
	{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT_RULES },
	{ "rules", required_argument, NULL, OPT_RULES },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fputs("usage: feedpipe-clean [options] < records.jsonl\n"
	      "Reads feedpipe-extract records and replaces each raw body with sanitized\n"
	      "html, plain text, images, links, embeds and captured fields.\n"
	      "\n"
	      "      --max-depth N        reject bodies nested deeper than N elements\n"
	      "                           (default 256)\n"
	      "      --max-html SIZE      reject bodies larger than SIZE (default 8M)\n"
	      "      --no-default-rules   do not load the built-in site rules\n"
	      "      --rules FILE         add the site rules in FILE (repeatable; a rule named\n"
	      "                           like a built-in one replaces it)\n"
	      FP_CLI_COMMON_HELP,
	      out);
}

/* Loads the built-in rules, then the --rules files. Returns 0 or -1 (printed). */
static int load_rules(struct fp_stage *st, struct fp_rules *rules, int defaults, char **files,
		      size_t nfiles)
{
	struct fp_error err;
	char msg[1024];
	size_t i;

	fp_error_init(&err);
	if (defaults && fp_rules_load_defaults(rules, &err) < 0)
		goto bad;
	for (i = 0; i < nfiles; i++)
		if (fp_rules_load_file(rules, files[i], &err) < 0)
			goto bad;
	return 0;
bad:
	fp_cli_msg(&st->cli, "%s", fp_error_format(&err, msg, sizeof(msg)));
	return -1;
}

int main(int argc, char **argv)
{
	struct fp_stage st;
	struct fp_html_options hopt;
	struct fp_rules *rules = fp_rules_new();
	struct fp_html *html = NULL;
	char **files = calloc((size_t)argc + 1, sizeof(*files));
	size_t nfiles = 0;
	int opt, rc, defaults = 1, code = FP_EXIT_USAGE;
	long n;
	json_t *rec;

	fp_stage_init(&st, "feedpipe-clean", "clean");
	fp_html_options_init(&hopt);
	if (!rules || !files) {
		fp_cli_msg(&st.cli, "out of memory");
		goto out;
	}
	while ((opt = getopt_long(argc, argv, FP_CLI_SHORTOPTS, options, NULL)) != -1) {
		if ((rc = fp_cli_option(&st.cli, opt, optarg)) != 0) {
			if (rc < 0)
				goto out;
			continue;
		}
		switch (opt) {
		case 'h': usage(stdout); code = FP_EXIT_OK; goto out;
		case 'V': fp_cli_version(&st.cli); code = FP_EXIT_OK; goto out;
		case OPT_MAX_DEPTH:
			if (fp_cli_parse_long(optarg, &n) < 0 || n < 1 || n > 100000) {
				fp_cli_msg(&st.cli, "invalid --max-depth '%s': expected a number from 1 to 100000", optarg);
				goto out;
			}
			hopt.max_depth = (size_t)n;
			break;
		case OPT_MAX_HTML:
			if (fp_cli_parse_size(optarg, &hopt.max_bytes) < 0 || hopt.max_bytes == 0) {
				fp_cli_msg(&st.cli, "invalid --max-html '%s': expected a size such as 8M", optarg);
				goto out;
			}
			break;
		case OPT_NO_DEFAULT_RULES: defaults = 0; break;
		case OPT_RULES: files[nfiles++] = optarg; break;
		default: usage(stderr); goto out;
		}
	}
	if (optind < argc) {
		fp_cli_msg(&st.cli, "unexpected argument '%s': records are read from stdin", argv[optind]);
		goto out;
	}
	if (load_rules(&st, rules, defaults, files, nfiles) < 0)
		goto out;
	if (!(html = fp_html_new(&hopt, rules))) {
		fp_cli_msg(&st.cli, "out of memory");
		goto out;
	}
	fp_stage_start(&st);
	while (fp_stage_next(&st, &rec) > 0) {
		struct fp_error err;

		fp_error_init(&err);
		if ((rc = fp_html_clean_record(html, rec, &err)) < 0) {
			fp_error_at(&err, fp_json_str(json_object_get(rec, "source"), "path"), 0, 0);
			fp_stage_reject(&st, &err, rec);
		} else {
			fp_stage_warned(&st, rc);
			fp_stage_emit(&st, rec);
		}
		json_decref(rec);
	}
	fp_html_stats(html, st.stats.extra);
	code = fp_stage_finish(&st);
	goto done;
out:
	fp_stage_release(&st);
done:
	fp_html_free(html);
	fp_rules_free(rules);
	free(files);
	return code;
}
