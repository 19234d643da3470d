#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "article.h"
#include "html.h"
#include "lang.h"
#include "record.h"
#include "sha256.h"
#include "text.h"
#include "url.h"
#include "utf8.h"
#include "banned.h"

void fp_article_options_init(struct fp_article_options *opt)
{
	opt->now = (int64_t)time(NULL);
	opt->tz = NULL;
}

/* ---- identity ---- */

char *fp_article_title_key(const char *title, size_t len, size_t *outlen, struct fp_error *err)
{
	size_t ulen, nlen, i, o;
	char *u, *norm, *src;
	int rc;

	u = fp_html_unescape(title, len, &ulen);
	if (!u) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return NULL;
	}
	rc = fp_text_normalize(u, ulen, FP_TEXT_NFC | FP_TEXT_CONTROLS, &norm, &nlen, err);
	if (rc < 0) {
		free(u);
		return NULL;
	}
	if (rc == 1) {
		free(u);
		src = norm;
	} else {
		src = u;
		nlen = ulen;
	}
	/* In place: the key is never longer than the text. */
	for (i = 0, o = 0; i < nlen; i++) {
		char c = src[i];

		if (c == '.' || c == '#' || c == '\r' || c == '\n')
			continue;
		if (c == ':' || c == '[' || c == ']' || c == '/')
			c = '_';
		src[o++] = c;
	}
	src[o] = '\0';
	if (outlen)
		*outlen = o;
	return src;
}

int fp_article_id(const char *topic, const char *site, const char *feed, const char *title,
		  size_t title_len, char id[FP_ARTICLE_ID_LEN + 1], struct fp_error *err)
{
	struct fp_sha256 ctx;
	unsigned char digest[FP_SHA256_LEN];
	char hex[FP_SHA256_HEX_LEN + 1];
	size_t klen;
	char *key = fp_article_title_key(title, title_len, &klen, err);

	if (!key)
		return -1;
	fp_sha256_init(&ctx);
	fp_sha256_update(&ctx, topic ? topic : "", topic ? strlen(topic) : 0);
	fp_sha256_update(&ctx, "/", 1);
	fp_sha256_update(&ctx, site ? site : "", site ? strlen(site) : 0);
	fp_sha256_update(&ctx, "/", 1);
	fp_sha256_update(&ctx, feed ? feed : "", feed ? strlen(feed) : 0);
	fp_sha256_update(&ctx, "/", 1);
	fp_sha256_update(&ctx, key, klen);
	fp_sha256_final(&ctx, digest);
	fp_sha256_tohex(digest, hex);
	memcpy(id, hex, FP_ARTICLE_ID_LEN);
	id[FP_ARTICLE_ID_LEN] = '\0';
	free(key);
	return 0;
}

/* ---- building ---- */

struct build {
	const struct fp_article_options *opt;
	json_t *warnings; /* the article's warnings array */
	long warned;
	int oom;
	struct fp_error *err;
};

static void warn(struct build *b, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void warn(struct build *b, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	json_t *w;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	msg[fp_utf8_valid_prefix(msg, strlen(msg))] = '\0'; /* truncation may split */
	w = json_pack("{s:s, s:s, s:s}", "stage", "normalize", "code", code, "message", msg);
	if (!w || json_array_append_new(b->warnings, w) < 0)
		b->oom = 1;
	else
		b->warned++;
}

/* A JSON scalar as text: a new reference to a string, or NULL for null,
 * objects and arrays. */
static json_t *scalar_string(json_t *v)
{
	char *s;
	json_t *r;

	if (json_is_string(v))
		return json_incref(v);
	if (json_is_true(v))
		return json_string("true");
	if (json_is_false(v))
		return json_string("false");
	if (!json_is_number(v))
		return NULL;
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	r = s ? json_string(s) : NULL;
	free(s);
	return r;
}

/* A one-line label from a scalar: a new reference, or NULL when missing,
 * not a scalar or empty after normalization. */
static json_t *label(json_t *v, struct build *b)
{
	json_t *s = scalar_string(v), *n;

	if (!s)
		return NULL;
	n = fp_text_json(s, FP_TEXT_LINE, b->err);
	json_decref(s);
	if (!n) {
		b->oom = 1;
		return NULL;
	}
	if (json_string_length(n) == 0) {
		json_decref(n);
		return NULL;
	}
	return n;
}

static json_t *or_null(json_t *v)
{
	return v ? v : json_null();
}

/* A list marker that leaked into a category: "— 创新", "- a", "* a". */
static size_t list_marker(const char *s)
{
	static const char *const marks[] = { "\xe2\x80\x94", "\xe2\x80\x93", "-", "*", "\xe2\x80\xa2" };
	size_t k, n;

	for (k = 0; k < sizeof(marks) / sizeof(marks[0]); k++) {
		n = strlen(marks[k]);
		if (!strncmp(s, marks[k], n) && s[n] == ' ')
			return n + 1;
	}
	return 0;
}

/*
 * meta.categories to a flat array of labels. *malformed is set when the
 * value was not a plain list of strings: a scalar, a nested list, empty
 * items or list-marker prefixes (which are removed).
 */
static json_t *categories(json_t *v, int *malformed, struct build *b)
{
	json_t *out = json_array(), *item, *sub, *l;
	size_t i, j, skip;

	*malformed = 0;
	if (!out) {
		b->oom = 1;
		return NULL;
	}
	if (v && !json_is_array(v)) {
		*malformed = !json_is_null(v);
		if ((l = label(v, b)))
			json_array_append_new(out, l);
		return out;
	}
	json_array_foreach(v, i, item) {
		if (json_is_array(item)) {
			*malformed = 1;
			json_array_foreach(item, j, sub) {
				if ((l = label(sub, b)))
					json_array_append_new(out, l);
			}
			continue;
		}
		l = label(item, b);
		if (!l) {
			*malformed = 1;
			continue;
		}
		skip = list_marker(json_string_value(l));
		if (skip) {
			json_t *rest;

			*malformed = 1;
			rest = json_string(json_string_value(l) + skip);
			json_decref(l);
			l = rest ? label(rest, b) : NULL;
			json_decref(rest);
			if (!l)
				continue;
		}
		json_array_append_new(out, l);
	}
	return out;
}

/* The directory components of source.path, one-line labels. */
static json_t *path_dirs(const char *path, struct build *b)
{
	json_t *out = json_array(), *s, *l;
	const char *p = path, *slash;

	if (!out) {
		b->oom = 1;
		return NULL;
	}
	while (p && (slash = strchr(p, '/')) != NULL) {
		if (slash > p && !(slash - p == 1 && *p == '.')) {
			s = json_stringn(p, (size_t)(slash - p));
			l = s ? label(s, b) : NULL;
			json_decref(s);
			if (l)
				json_array_append_new(out, l);
		}
		p = slash + 1;
	}
	return out;
}

struct taxonomy {
	json_t *categories; /* the cleaned list */
	json_t *level[3];   /* topic, site, feed: new references or NULL */
};

static void taxonomy(json_t *meta, const char *path, struct taxonomy *t, struct build *b)
{
	int malformed, k;
	size_t n, nd;
	json_t *dirs;

	memset(t, 0, sizeof(*t));
	t->categories = categories(json_object_get(meta, "categories"), &malformed, b);
	if (!t->categories)
		return;
	n = json_array_size(t->categories);
	if (!malformed && n >= 3) {
		for (k = 0; k < 3; k++)
			t->level[k] = json_incref(json_array_get(t->categories, (size_t)k));
		if (n > 3)
			warn(b, "taxonomy-extra-levels",
			     "categories has %zu levels: topic, site and feed are the first three", n);
		return;
	}
	dirs = path_dirs(path, b);
	nd = json_array_size(dirs);
	if (nd >= 3) {
		for (k = 0; k < 3; k++)
			t->level[k] = json_incref(json_array_get(dirs, nd - 3 + (size_t)k));
		warn(b, "taxonomy-from-path",
		     "topic, site and feed taken from the folder path: categories %s",
		     n < 3 ? "has fewer than three levels" : "is malformed");
	} else {
		for (k = 0; k < 3 && (size_t)k < n; k++)
			t->level[k] = json_incref(json_array_get(t->categories, (size_t)k));
		if (n >= 3)
			warn(b, "taxonomy-repaired",
			     "topic, site and feed taken from repaired categories (nested items "
			     "flattened, list markers removed): no folder path to use");
		else
			warn(b, "taxonomy-incomplete",
			     "topic, site and feed incomplete (usable levels: %zu in categories, %zu "
			     "in the folder path): missing levels are null", n, nd);
	}
	json_decref(dirs);
}

/* The file name of `path` without its extension, or NULL. */
static json_t *path_stem(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL, *dot;

	base = base ? base + 1 : path;
	if (!base || !*base)
		return NULL;
	dot = strrchr(base, '.');
	return json_stringn(base, dot && dot > base ? (size_t)(dot - base) : strlen(base));
}

/* An optional URL member: a new reference, or NULL (with a warning when
 * the value was there but unusable). */
static json_t *url_value(json_t *v, const char *field, struct build *b)
{
	struct fp_error uerr;
	char *u;
	int rc;
	json_t *r;

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		warn(b, "url-invalid", "%s: not a string", field);
		return NULL;
	}
	fp_error_init(&uerr);
	rc = fp_url_normalize(json_string_value(v), json_string_length(v), &u, &uerr);
	if (rc < 0) {
		if (!strcmp(uerr.reason, "out-of-memory"))
			b->oom = 1;
		else
			warn(b, "url-invalid", "%s: %s", field, uerr.text);
		return NULL;
	}
	if (rc == 0)
		return NULL;
	if (!strcmp(u, json_string_value(v))) {
		free(u);
		return json_incref(v);
	}
	r = json_string(u);
	free(u);
	if (!r)
		b->oom = 1;
	return r;
}

/*
 * images / links / embeds: arrays of objects with a URL member `ukey` and
 * a text member `tkey`. Entries whose URL is empty or unparseable are
 * dropped (unparseable ones with one warning for the array). `tkind`: 0 a
 * one-line text, null when missing (alt), 1 a one-line text, "" when
 * missing, 2 a lowercase tag name.
 */
static json_t *url_list(json_t *arr, const char *field, const char *ukey, const char *tkey,
			int tkind, struct build *b)
{
	json_t *out = json_array(), *item, *u, *t, *o;
	struct build quiet = *b;
	size_t i, bad = 0;
	char first[300] = "";

	if (!out) {
		b->oom = 1;
		return NULL;
	}
	/* URL warnings of single entries are collected here, then summarized. */
	quiet.warnings = json_array();
	quiet.warned = 0;
	if (!quiet.warnings) {
		b->oom = 1;
		json_decref(out);
		return NULL;
	}
	json_array_foreach(arr, i, item) {
		size_t before = json_array_size(quiet.warnings);

		u = url_value(json_object_get(item, ukey), field, &quiet);
		if (!u) {
			if (json_array_size(quiet.warnings) > before && bad++ == 0)
				snprintf(first, sizeof(first), "%s",
					 fp_json_str(json_array_get(quiet.warnings, before), "message") +
						 strlen(field) + 2);
			continue;
		}
		t = label(json_object_get(item, tkey), &quiet);
		if (!t && (tkind != 0 || json_is_string(json_object_get(item, tkey))))
			t = json_string(""); /* alt="" (decorative) stays "", unlike no alt */
		if (t && tkind == 2) {
			char *lower = strdup(json_string_value(t));
			size_t k;

			if (lower) {
				for (k = 0; lower[k]; k++)
					lower[k] = (char)tolower((unsigned char)lower[k]);
				json_decref(t);
				t = json_string(lower);
				free(lower);
			}
		}
		o = json_object();
		if (!o) {
			json_decref(u);
			json_decref(t);
			quiet.oom = 1;
			continue;
		}
		if (json_object_set_new_nocheck(o, ukey, u) < 0 ||
		    json_object_set_new_nocheck(o, tkey, or_null(t)) < 0 ||
		    json_array_append_new(out, o) < 0)
			quiet.oom = 1;
	}
	if (quiet.oom)
		b->oom = 1;
	json_decref(quiet.warnings);
	if (bad)
		warn(b, "url-invalid", "%s: %zu entr%s dropped, first: %s", field, bad,
		     bad == 1 ? "y" : "ies", first);
	return out;
}

static json_t *date_value(json_t *v, json_t **raw, struct build *b)
{
	struct fp_error derr;
	char iso[FP_DATE_ISO_LEN + 1];
	int64_t t;

	*raw = NULL;
	if (!v || json_is_null(v)) {
		warn(b, "date-missing", "no date in the front matter");
		return NULL;
	}
	*raw = scalar_string(v);
	if (!*raw) {
		char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

		*raw = dump ? json_string(dump) : NULL;
		free(dump);
		warn(b, "date-invalid", "date is not a scalar");
		return NULL;
	}
	fp_error_init(&derr);
	if (fp_date_parse(json_string_value(*raw), json_string_length(*raw), b->opt->tz, &t,
			  &derr) < 0 ||
	    fp_date_check_plausible(t, b->opt->now, &derr) < 0) {
		warn(b, derr.reason, "%s", derr.text);
		return NULL;
	}
	return json_string(fp_date_format(t, iso));
}

static json_t *comments_value(json_t *v, struct build *b)
{
	const char *s;

	if (!v || json_is_null(v))
		return NULL;
	if (json_is_boolean(v))
		return json_incref(v);
	s = json_string_value(v);
	if (s && (!strcasecmp(s, "true") || !strcasecmp(s, "yes") || !strcasecmp(s, "on")))
		return json_true();
	if (s && (!strcasecmp(s, "false") || !strcasecmp(s, "no") || !strcasecmp(s, "off")))
		return json_false();
	warn(b, "comments-invalid", "comments is neither true nor false");
	return NULL;
}

/* html or text: a new reference to the NFC, control-free string. */
static json_t *body_value(json_t *v, struct build *b)
{
	json_t *r;

	if (!json_is_string(v))
		return NULL;
	r = fp_text_json(v, FP_TEXT_BODY, b->err);
	if (!r)
		b->oom = 1;
	return r;
}

static json_t *content_hash(const char *title, size_t tlen, const char *text, size_t xlen)
{
	struct fp_sha256 ctx;
	unsigned char digest[FP_SHA256_LEN];
	char hex[FP_SHA256_HEX_LEN + 1];

	fp_sha256_init(&ctx);
	fp_sha256_update(&ctx, title, tlen);
	fp_sha256_update(&ctx, "\n", 1);
	fp_sha256_update(&ctx, text, xlen);
	fp_sha256_final(&ctx, digest);
	fp_sha256_tohex(digest, hex);
	return json_string(hex);
}

static const char *str_or_null(json_t *v)
{
	return v ? json_string_value(v) : NULL;
}

json_t *fp_article_new(json_t *rec, const struct fp_article_options *opt, long *warned,
		       struct fp_error *err)
{
	struct fp_article_options defaults;
	struct build b = { 0 };
	struct taxonomy tax = { 0 };
	struct fp_lang_counts lc;
	json_t *meta, *found, *source, *in_warnings, *art = NULL;
	json_t *title = NULL, *raw_title = NULL, *author = NULL, *published = NULL, *raw_date = NULL;
	json_t *image = NULL, *thumb = NULL, *comments = NULL, *editor = NULL, *orig = NULL;
	json_t *html = NULL, *text = NULL, *images = NULL, *links = NULL, *embeds = NULL;
	json_t *hash = NULL;
	const char *path, *field = NULL;
	char id[FP_ARTICLE_ID_LEN + 1];
	int rc = 0, k;

	if (warned)
		*warned = 0;
	if (!opt) {
		fp_article_options_init(&defaults);
		opt = &defaults;
	}
	b.opt = opt;
	b.err = err;
	meta = json_object_get(rec, "meta");
	found = json_object_get(rec, "found");
	source = json_object_get(rec, "source");
	path = fp_json_str(source, "path");
	if (!json_is_object(source)) {
		field = "source";
		goto invalid;
	}
	if (!json_is_string(json_object_get(rec, "html"))) {
		field = "html";
		goto invalid;
	}
	if (!json_is_string(json_object_get(rec, "text"))) {
		field = "text";
		goto invalid;
	}
	b.warnings = json_array();
	if (!b.warnings)
		goto oom;
	in_warnings = json_object_get(rec, "warnings");
	if (json_is_array(in_warnings) && json_array_extend(b.warnings, in_warnings) < 0)
		goto oom;

	raw_title = scalar_string(json_object_get(meta, "title"));
	if (raw_title) {
		char *u;
		size_t ulen;
		json_t *tmp;

		u = fp_html_unescape(json_string_value(raw_title), json_string_length(raw_title),
				     &ulen);
		tmp = u ? json_stringn(u, ulen) : NULL;
		free(u);
		title = tmp ? label(tmp, &b) : NULL;
		json_decref(tmp);
	}
	if (!title) {
		json_decref(raw_title);
		raw_title = path_stem(path);
		title = raw_title ? label(raw_title, &b) : NULL;
		if (!title) {
			field = "title";
			goto invalid;
		}
		warn(&b, "title-from-path", "no title in the front matter: the file name is used");
	}
	taxonomy(meta, path, &tax, &b);
	if (!tax.categories)
		goto oom;
	if (fp_article_id(str_or_null(tax.level[0]), str_or_null(tax.level[1]),
			  str_or_null(tax.level[2]), json_string_value(raw_title),
			  json_string_length(raw_title), id, err) < 0)
		goto fail;

	author = label(json_object_get(meta, "author"), &b);
	published = date_value(json_object_get(meta, "date"), &raw_date, &b);
	image = url_value(json_object_get(meta, "headimg"), "image", &b);
	thumb = url_value(json_object_get(meta, "thumbnail"), "thumbnail", &b);
	comments = comments_value(json_object_get(meta, "comments"), &b);
	editor = label(json_object_get(found, "editor"), &b);
	orig = label(json_object_get(found, "original_title"), &b);
	html = body_value(json_object_get(rec, "html"), &b);
	text = body_value(json_object_get(rec, "text"), &b);
	if (!html || !text)
		goto oom;
	images = url_list(json_object_get(rec, "images"), "images", "src", "alt", 0, &b);
	links = url_list(json_object_get(rec, "links"), "links", "href", "text", 1, &b);
	embeds = url_list(json_object_get(rec, "embeds"), "embeds", "src", "tag", 2, &b);
	hash = content_hash(json_string_value(title), json_string_length(title),
			    json_string_value(text), json_string_length(text));
	if (b.oom || !images || !links || !embeds || !hash)
		goto oom;
	fp_lang_counts_init(&lc);
	fp_lang_count(&lc, json_string_value(title), json_string_length(title), FP_LANG_SCAN_MAX);
	fp_lang_count(&lc, json_string_value(text), json_string_length(text), FP_LANG_SCAN_MAX);

	art = json_object();
	if (!art)
		goto oom;
	rc |= json_object_set_new_nocheck(art, "id", json_string(id));
	rc |= json_object_set_nocheck(art, "title", title);
	rc |= json_object_set_nocheck(art, "author", or_null(author));
	rc |= json_object_set_nocheck(art, "topic", or_null(tax.level[0]));
	rc |= json_object_set_nocheck(art, "site", or_null(tax.level[1]));
	rc |= json_object_set_nocheck(art, "feed", or_null(tax.level[2]));
	rc |= json_object_set_nocheck(art, "categories", tax.categories);
	rc |= json_object_set_nocheck(art, "published_at", or_null(published));
	rc |= json_object_set_nocheck(art, "published_raw", or_null(raw_date));
	rc |= json_object_set_nocheck(art, "image", or_null(image));
	rc |= json_object_set_nocheck(art, "thumbnail", or_null(thumb));
	rc |= json_object_set_nocheck(art, "comments", or_null(comments));
	rc |= json_object_set_nocheck(art, "editor", or_null(editor));
	rc |= json_object_set_nocheck(art, "original_title", or_null(orig));
	rc |= json_object_set_new_nocheck(art, "lang", json_string(fp_lang_decide(&lc)));
	rc |= json_object_set_nocheck(art, "html", html);
	rc |= json_object_set_nocheck(art, "text", text);
	rc |= json_object_set_new_nocheck(
		art, "chars",
		json_integer((json_int_t)fp_utf8_count(json_string_value(text), json_string_length(text))));
	rc |= json_object_set_nocheck(art, "images", images);
	rc |= json_object_set_nocheck(art, "links", links);
	rc |= json_object_set_nocheck(art, "embeds", embeds);
	rc |= json_object_set_nocheck(art, "content_hash", hash);
	rc |= json_object_set_nocheck(art, "source", source);
	rc |= json_object_set_nocheck(art, "warnings", b.warnings);
	if (rc || b.oom) {
		json_decref(art);
		art = NULL;
		goto oom;
	}
	if (warned)
		*warned = b.warned;
	goto out;
invalid:
	fp_error_set(err, "article-invalid", "field '%s': missing or empty", field);
	goto fail;
oom:
	fp_error_set(err, "out-of-memory", "out of memory building the article");
fail:
	json_decref(art);
	art = NULL;
out:
	json_decref(b.warnings);
	json_decref(tax.categories);
	for (k = 0; k < 3; k++)
		json_decref(tax.level[k]);
	json_decref(title);
	json_decref(raw_title);
	json_decref(author);
	json_decref(published);
	json_decref(raw_date);
	json_decref(image);
	json_decref(thumb);
	json_decref(comments);
	json_decref(editor);
	json_decref(orig);
	json_decref(html);
	json_decref(text);
	json_decref(images);
	json_decref(links);
	json_decref(embeds);
	json_decref(hash);
	return art;
}

/* ---- counters ---- */

static int bump(json_t *tally, const char *group, const char *key)
{
	json_t *g = json_object_get(tally, group), *n;

	if (!g) {
		g = json_object();
		if (!g || json_object_set_new(tally, group, g) < 0)
			return -1;
	}
	n = json_object_get(g, key);
	if (n)
		return json_integer_set(n, json_integer_value(n) + 1);
	return json_object_set_new(g, key, json_integer(1));
}

int fp_article_tally(json_t *tally, const json_t *article)
{
	const json_t *w, *n;
	size_t i;
	int rc = 0;

	rc |= bump(tally, "lang", json_string_value(json_object_get(article, "lang")));
	json_array_foreach(json_object_get(article, "warnings"), i, w) {
		if (!strcmp(fp_json_str(w, "stage") ? fp_json_str(w, "stage") : "", "normalize"))
			rc |= bump(tally, "warning_codes", fp_json_str(w, "code"));
	}
	if (json_is_null(json_object_get(article, "published_at"))) {
		n = json_object_get(tally, "published_at_null");
		if (n)
			rc |= json_integer_set((json_t *)n, json_integer_value(n) + 1);
		else
			rc |= json_object_set_new(tally, "published_at_null", json_integer(1));
	}
	return rc ? -1 : 0;
}

/* ---- validation ---- */

enum kind {
	K_ID,        /* 16 lowercase hex digits */
	K_TITLE,     /* non-empty one-line string */
	K_LABEL,     /* non-empty one-line string or null */
	K_LABELS,    /* array of non-empty strings */
	K_DATE,      /* "YYYY-MM-DDTHH:MM:SSZ" or null */
	K_STR_NULL,  /* any string or null */
	K_URL,       /* non-empty string or null */
	K_BOOL_NULL, /* boolean or null */
	K_LANG,      /* BCP 47 tag */
	K_STR,       /* any string */
	K_COUNT,     /* integer >= 0: code points of text */
	K_IMAGES,    /* [{src, alt}] */
	K_LINKS,     /* [{href, text}] */
	K_EMBEDS,    /* [{src, tag}] */
	K_HASH,      /* 64 lowercase hex digits */
	K_SOURCE,    /* {path, root, bytes, mtime, sha256, git?, ...} */
	K_WARNINGS,  /* [{stage, code, message, ...}] */
};

static const struct {
	const char *name;
	enum kind kind;
} article_fields[] = {
	{ "id", K_ID },
	{ "title", K_TITLE },
	{ "author", K_LABEL },
	{ "topic", K_LABEL },
	{ "site", K_LABEL },
	{ "feed", K_LABEL },
	{ "categories", K_LABELS },
	{ "published_at", K_DATE },
	{ "published_raw", K_STR_NULL },
	{ "image", K_URL },
	{ "thumbnail", K_URL },
	{ "comments", K_BOOL_NULL },
	{ "editor", K_LABEL },
	{ "original_title", K_LABEL },
	{ "lang", K_LANG },
	{ "html", K_STR },
	{ "text", K_STR },
	{ "chars", K_COUNT },
	{ "images", K_IMAGES },
	{ "links", K_LINKS },
	{ "embeds", K_EMBEDS },
	{ "content_hash", K_HASH },
	{ "source", K_SOURCE },
	{ "warnings", K_WARNINGS },
};

#define NFIELDS (sizeof(article_fields) / sizeof(article_fields[0]))

static int is_hex(const json_t *v, size_t n)
{
	const char *s = json_string_value(v);
	size_t i;

	if (!s || json_string_length(v) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return 0;
	return 1;
}

static int is_line(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i, n = json_string_length(v);

	if (!s || n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
			return 0;
	return 1;
}

/* "YYYY-MM-DDTHH:MM:SSZ" */
static int is_iso_date(const json_t *v)
{
	static const char form[] = "dddd-dd-ddTdd:dd:ddZ";
	const char *s = json_string_value(v);
	size_t i;

	if (!s || json_string_length(v) != sizeof(form) - 1)
		return 0;
	for (i = 0; form[i]; i++)
		if (form[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != form[i])
			return 0;
	return 1;
}

/* und, or a language subtag of 2-3 letters, then subtags of 2-8 letters
 * or digits. */
static int is_lang(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t i = 0, n;

	if (!s)
		return 0;
	while (s[i] >= 'a' && s[i] <= 'z')
		i++;
	if (i < 2 || i > 3)
		return 0;
	while (s[i] == '-') {
		for (n = 0, i++; isalnum((unsigned char)s[i]); i++)
			n++;
		if (n < 2 || n > 8)
			return 0;
	}
	return s[i] == '\0';
}

/* An array of objects with exactly members `a` (non-empty string) and `b`
 * (string, or also null when b_null). */
static const char *check_pairs(const json_t *arr, const char *a, const char *b, int b_null)
{
	const json_t *item, *bv;
	size_t i;

	if (!json_is_array(arr))
		return "not an array";
	json_array_foreach(arr, i, item) {
		if (!json_is_object(item) || json_object_size(item) != 2)
			return "items must be objects with two members";
		if (json_string_length(json_object_get(item, a)) == 0)
			return "an item lacks its url";
		bv = json_object_get(item, b);
		if (!json_is_string(bv) && !(b_null && json_is_null(bv)))
			return "an item has a member of the wrong type";
	}
	return NULL;
}

/* source.git, when present: where in a repository's history the version
 * was read (lib/git.h). */
static const char *check_git(const json_t *git)
{
	if (!git)
		return NULL;
	if (!json_is_object(git) || json_object_size(git) != 4 ||
	    !is_hex(json_object_get(git, "commit"), 40) || !is_hex(json_object_get(git, "blob"), 40) ||
	    !is_iso_date(json_object_get(git, "committed_at")) ||
	    !is_iso_date(json_object_get(git, "author_at")))
		return "has a git member that is not {commit, blob, committed_at, author_at}";
	return NULL;
}

static const char *check_field(const json_t *art, const json_t *v, enum kind kind)
{
	const json_t *item;
	size_t i;

	switch (kind) {
	case K_ID:
		return is_hex(v, FP_ARTICLE_ID_LEN) ? NULL : "not 16 lowercase hex digits";
	case K_TITLE:
		return is_line(v) ? NULL : "not a non-empty one-line string";
	case K_LABEL:
		return json_is_null(v) || is_line(v) ? NULL : "not null or a non-empty one-line string";
	case K_LABELS:
		if (!json_is_array(v))
			return "not an array";
		json_array_foreach(v, i, item)
			if (!is_line(item))
				return "items must be non-empty one-line strings";
		return NULL;
	case K_DATE:
		return json_is_null(v) || is_iso_date(v) ? NULL : "not null or YYYY-MM-DDTHH:MM:SSZ";
	case K_STR_NULL:
		return json_is_null(v) || json_is_string(v) ? NULL : "not null or a string";
	case K_URL:
		return json_is_null(v) || json_string_length(v) > 0 ? NULL
								     : "not null or a non-empty string";
	case K_BOOL_NULL:
		return json_is_null(v) || json_is_boolean(v) ? NULL : "not null or a boolean";
	case K_LANG:
		return is_lang(v) ? NULL : "not a BCP 47 tag";
	case K_STR:
		return json_is_string(v) ? NULL : "not a string";
	case K_COUNT: {
		const json_t *text = json_object_get(art, "text");

		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return "not a non-negative integer";
		if (json_is_string(text) &&
		    (size_t)json_integer_value(v) !=
			    fp_utf8_count(json_string_value(text), json_string_length(text)))
			return "not the number of code points of text";
		return NULL;
	}
	case K_IMAGES:
		return check_pairs(v, "src", "alt", 1);
	case K_LINKS:
		return check_pairs(v, "href", "text", 0);
	case K_EMBEDS:
		return check_pairs(v, "src", "tag", 0);
	case K_HASH:
		return is_hex(v, FP_SHA256_HEX_LEN) ? NULL : "not 64 lowercase hex digits";
	case K_SOURCE:
		if (!json_is_object(v))
			return "not an object";
		if (!json_is_string(json_object_get(v, "path")) ||
		    !json_is_string(json_object_get(v, "root")) ||
		    !json_is_integer(json_object_get(v, "bytes")) ||
		    !json_is_string(json_object_get(v, "mtime")) ||
		    !is_hex(json_object_get(v, "sha256"), FP_SHA256_HEX_LEN))
			return "lacks path, root, bytes, mtime or sha256 of the right type";
		return check_git(json_object_get(v, "git"));
	case K_WARNINGS:
		if (!json_is_array(v))
			return "not an array";
		json_array_foreach(v, i, item)
			if (!json_is_string(json_object_get(item, "stage")) ||
			    !json_is_string(json_object_get(item, "code")) ||
			    !json_is_string(json_object_get(item, "message")))
				return "items must have string stage, code and message";
		return NULL;
	}
	return "unknown kind";
}

static int known_field(const char *key)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (!strcmp(key, article_fields[i].name))
			return 1;
	return 0;
}

int fp_article_validate(const json_t *article, struct fp_error *err)
{
	void *it;
	size_t i = 0;
	const char *key, *why;

	if (!json_is_object(article)) {
		fp_error_set(err, "article-invalid", "article is not an object");
		return -1;
	}
	for (it = json_object_iter((json_t *)article); it;
	     it = json_object_iter_next((json_t *)article, it), i++) {
		key = json_object_iter_key(it);
		if (i >= NFIELDS || strcmp(key, article_fields[i].name) != 0) {
			if (!known_field(key))
				fp_error_set(err, "article-invalid", "field '%.64s': unexpected member",
					     key);
			else if (!json_object_get(article, article_fields[i].name))
				fp_error_set(err, "article-invalid", "field '%s': missing",
					     article_fields[i].name);
			else
				fp_error_set(err, "article-invalid", "field '%s': out of order",
					     article_fields[i].name);
			return -1;
		}
		why = check_field(article, json_object_iter_value(it), article_fields[i].kind);
		if (why) {
			fp_error_set(err, "article-invalid", "field '%s': %s", key, why);
			return -1;
		}
	}
	if (i < NFIELDS) {
		fp_error_set(err, "article-invalid", "field '%s': missing", article_fields[i].name);
		return -1;
	}
	return 0;
}
