#ifndef FP_HTML_H
#define FP_HTML_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "rules.h"

/*
 * HTML: the only module that includes libxml2. Parses a feed body, removes
 * boilerplate, sanitizes it to an allowlist and derives plain text, images,
 * links and embeds (see fp_html_clean(), below).
 */

/*
 * Decodes HTML character references (named, decimal, hex) in `s` (`len`
 * bytes). Returns a new NUL-terminated malloc'd string (caller frees) and its
 * length in *outlen (may be NULL), or NULL when out of memory.
 *
 * Named references need their ';' (the HTML 4 set, as libxml2 knows it);
 * numeric ones may omit it. A numeric reference to NUL, a surrogate or a
 * value above U+10FFFF becomes U+FFFD; 0x80-0x9F map as windows-1252 (as
 * HTML5 does). Anything that is not a valid reference is kept literally.
 */
char *fp_html_unescape(const char *s, size_t len, size_t *outlen);

#define FP_HTML_DEFAULT_MAX_BYTES ((size_t)8 << 20) /* 8 MiB */
#define FP_HTML_DEFAULT_MAX_DEPTH 256

struct fp_html_options {
	size_t max_bytes; /* longer bodies are rejected ("html-too-large") */
	size_t max_depth; /* deeper element nesting is rejected ("html-too-deep") */
};

/* Fills `opt` with the defaults above. */
void fp_html_options_init(struct fp_html_options *opt);

/* A cleaner: options, rules and buffers reused from one body to the next. */
struct fp_html;

/*
 * Returns a new cleaner, or NULL when out of memory. `opt` is copied (NULL
 * for the defaults); `rules` is borrowed, may be NULL (no site rules), and
 * must outlive the cleaner.
 */
struct fp_html *fp_html_new(const struct fp_html_options *opt, struct fp_rules *rules);

/* Frees the cleaner. Accepts NULL. */
void fp_html_free(struct fp_html *h);

/*
 * Cleans one body (`len` bytes of UTF-8; NUL bytes end it): activates the
 * rules for `meta` and `source` (borrowed, may be NULL), parses the body as
 * HTML (a body without markup as plain text: blank lines separate
 * paragraphs, newlines break lines), removes boilerplate and sanitizes.
 *
 * Returns a new object {"html", "text", "images", "links", "embeds",
 * "found"} (README.md, "feedpipe-clean → feedpipe-normalize"), or NULL with
 * err: "html-too-large", "html-too-deep", "html-too-complex" (a tag with more
 * than 128 attributes: libxml2 is quadratic in them), "html-unparseable" or
 * "out-of-memory".
 */
json_t *fp_html_clean(struct fp_html *h, const char *body, size_t len, const json_t *meta,
		      const json_t *source, struct fp_error *err);

/*
 * Cleans the record `rec` (borrowed) in place: replaces its `body` with the
 * members fp_html_clean() returns and appends warnings to its `warnings`:
 * "url-refused" (links, images or embeds with an unsafe URL were removed)
 * and "content-empty" (the body had text, nothing is left). Returns the
 * number of warnings added, or -1 with err as above or "body-missing" (no
 * string member `body`); `rec` is unchanged then.
 */
int fp_html_clean_record(struct fp_html *h, json_t *rec, struct fp_error *err);

/*
 * Adds the totals over all bodies cleaned so far to `extra` (borrowed; the
 * stage's --stats counters): "images", "links", "embeds", "urls_refused",
 * and "found" (records per captured field). Returns 0, or -1 when out of
 * memory.
 */
int fp_html_stats(const struct fp_html *h, json_t *extra);

/* libxml2's runtime version ("2.9.14"), for --version. Borrowed, static. */
const char *fp_html_version(void);

#endif
