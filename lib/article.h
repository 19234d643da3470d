#ifndef FP_ARTICLE_H
#define FP_ARTICLE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "date.h"
#include "error.h"

/*
 * The canonical article: what feedpipe-normalize writes and both sinks
 * store. One JSON object whose members, in this order, are described in
 * README.md ("The canonical article") and lib/article.schema.json:
 *
 *   id title author topic site feed categories published_at published_raw
 *   image thumbnail comments editor original_title lang html text chars
 *   images links embeds content_hash source warnings
 */

#define FP_ARTICLE_ID_LEN 16

struct fp_article_options {
	int64_t now;                   /* the run's "now" (UTC seconds), for the
					  plausibility of dates */
	const struct fp_date_zone *tz; /* zone of zone-less dates; NULL: UTC */
};

/* Defaults: now = the clock, tz = NULL (UTC). */
void fp_article_options_init(struct fp_article_options *opt);

/*
 * Builds the canonical article from feedpipe-clean's record `rec`
 * (borrowed, not modified). Large members (html, text, source) are shared
 * with `rec` by reference when they need no normalization, never copied.
 * Warnings that the record had are kept; the ones this stage adds are
 * counted in *warned (may be NULL).
 *
 * Returns a new reference, or NULL with err set: reason "article-invalid"
 * and a message naming the field ("field 'title': missing or empty"), or
 * "out-of-memory". The result still has to pass fp_article_validate().
 */
json_t *fp_article_new(json_t *rec, const struct fp_article_options *opt, long *warned,
		       struct fp_error *err);

/*
 * Checks `article` (borrowed) against the canonical schema, the same rules
 * as lib/article.schema.json: every member present, in order, nothing
 * else, each of its type and form. Returns 0, or -1 with err reason
 * "article-invalid" and a message naming the first failing field.
 */
int fp_article_validate(const json_t *article, struct fp_error *err);

/*
 * Adds `article` (borrowed) to the run's counters in `tally` (an object,
 * feedpipe-normalize's --stats extras): {"lang": {tag: n}, "warning_codes":
 * {code: n} for this stage's warnings, "published_at_null": n}. Returns 0,
 * or -1 when out of memory.
 */
int fp_article_tally(json_t *tally, const json_t *article);

/*
 * The archive key of a title: the file name (without ".md") that the
 * archive gives the post. After HTML character references are decoded
 * and the text is put in NFC without control characters, '.', '#', CR
 * and LF are removed and ':', '[', ']', '/' become '_', as Hexo/RSSHub
 * sanitize titles into file names. Returns a new malloc'd string (*outlen
 * its length, may be NULL) or NULL with err ("out-of-memory").
 */
char *fp_article_title_key(const char *title, size_t len, size_t *outlen, struct fp_error *err);

/*
 * The id: the first 16 hex digits of SHA-256 over
 * "<topic>/<site>/<feed>/<title key>", the post's path in the archive
 * under source/_posts without ".md". NULL parts count as empty. Writes
 * a NUL-terminated id into `id`. Returns 0 or -1 with err.
 */
int fp_article_id(const char *topic, const char *site, const char *feed, const char *title,
		  size_t title_len, char id[FP_ARTICLE_ID_LEN + 1], struct fp_error *err);

#endif
