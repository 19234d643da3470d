#include <stdlib.h>
#include <string.h>

#include "frontmatter.h"
#include "record.h"
#include "banned.h"

/* A line of `text`: [start, end) without the line break, `next` after it. */
struct line {
	const char *start, *end, *next;
};

static int next_line(const char *p, const char *limit, struct line *l)
{
	const char *nl;

	if (p >= limit)
		return 0;
	nl = memchr(p, '\n', (size_t)(limit - p));
	l->start = p;
	l->next = nl ? nl + 1 : limit;
	l->end = nl ? nl : limit;
	if (l->end > l->start && l->end[-1] == '\r')
		l->end--;
	return 1;
}

/* The line without trailing spaces and tabs. */
static size_t trimmed_len(const struct line *l)
{
	const char *e = l->end;

	while (e > l->start && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - l->start);
}

static int is_blank(const struct line *l)
{
	return trimmed_len(l) == 0;
}

/* A separator line: three or more of `c` and nothing else. */
static int is_separator(const struct line *l, char c)
{
	size_t n = trimmed_len(l), i;

	if (n < 3)
		return 0;
	for (i = 0; i < n; i++)
		if (l->start[i] != c)
			return 0;
	return 1;
}

static json_t *parse_json(const char *s, size_t len, long line0, struct fp_error *err)
{
	json_error_t jerr;
	json_t *v;
	size_t i = 0;
	char *wrapped;

	while (i < len && strchr(" \t\r\n", s[i]))
		i++;
	if (i < len && s[i] == '{') {
		v = json_loadb(s, len, JSON_DECODE_ANY, &jerr);
	} else {
		/* Hexo's form: the members without braces. */
		wrapped = malloc(len + 3);
		if (!wrapped) {
			fp_error_set(err, "out-of-memory", "out of memory");
			return NULL;
		}
		wrapped[0] = '{';
		memcpy(wrapped + 1, s, len);
		wrapped[len + 1] = '}';
		v = json_loadb(wrapped, len + 2, 0, &jerr);
		free(wrapped);
	}
	if (!v) {
		fp_error_set(err, "json-invalid", "invalid JSON front matter: %s", jerr.text);
		fp_error_at(err, NULL, line0 + (jerr.line > 0 ? jerr.line : 1), 0);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		fp_error_set(err, "frontmatter-not-mapping", "front matter is not a set of key: value pairs");
		fp_error_at(err, NULL, line0 + 1, 0);
		return NULL;
	}
	return v;
}

/* ---- recovery of front matter that is not valid YAML ---- */

struct buf {
	char *s;
	size_t len, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->s, cap);
		if (!p)
			return -1;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *rtrim(const char *p, const char *e)
{
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return e;
}

/*
 * A top-level key line "key: value" or "key:" at column 0. Returns the
 * length of the key (0 when not a key line); *value is where the value
 * starts.
 */
static size_t key_line(const struct line *l, const char **value)
{
	const char *p;

	if (l->start == l->end || strchr(" \t#-[{'\"", l->start[0]))
		return 0;
	for (p = l->start; p < l->end; p++) {
		if (*p == ':' && (p + 1 == l->end || p[1] == ' ' || p[1] == '\t')) {
			*value = p + 1;
			return (size_t)(p - l->start);
		}
	}
	return 0;
}

/* Removes one pair of surrounding quotes, the way a reader would. */
static json_t *unquote(const char *p, const char *e, int *unbalanced)
{
	char q;
	struct buf b = { 0 };
	json_t *v;

	p = skip_ws(p, e);
	e = rtrim(p, e);
	if (p == e || (*p != '"' && *p != '\''))
		return json_stringn(p, (size_t)(e - p));
	q = *p++;
	if (e > p && e[-1] == q)
		e--;
	else
		*unbalanced = 1;
	/* Undo the escapes a writer would have used for the same quote. */
	while (p < e) {
		if (q == '\'' && p + 1 < e && p[0] == '\'' && p[1] == '\'') {
			buf_add(&b, "'", 1);
			p += 2;
		} else if (q == '"' && p + 1 < e && p[0] == '\\' && (p[1] == '"' || p[1] == '\\')) {
			buf_add(&b, p + 1, 1);
			p += 2;
		} else {
			buf_add(&b, p, 1);
			p++;
		}
	}
	v = json_stringn(b.s ? b.s : "", b.len);
	free(b.s);
	return v;
}

/* Recovers the value of one entry from its raw lines. New reference. */
static json_t *recover_value(const char *value, const char *vend, const char *cont,
			     const char *cont_end, int *unbalanced)
{
	struct line l;
	struct buf folded = { 0 };
	json_t *items = NULL, *v;
	const char *p;
	size_t breaks = 0;

	value = skip_ws(value, vend);
	vend = rtrim(value, vend);
	if (value == vend) {
		/* A block: list items become a list, other text a string. */
		for (p = cont; next_line(p, cont_end, &l); p = l.next) {
			const char *s = skip_ws(l.start, l.end);

			if (s < l.end && *s == '-') {
				while (s < l.end && (*s == '-' || *s == ' ' || *s == '\t'))
					s++;
				if (!items && !(items = json_array()))
					return NULL;
				json_array_append_new(items, unquote(s, l.end, unbalanced));
			} else if (s < l.end && *s != '#') {
				if (folded.len)
					buf_add(&folded, " ", 1);
				buf_add(&folded, s, (size_t)(rtrim(s, l.end) - s));
			}
		}
		if (items) {
			free(folded.s);
			return items;
		}
		v = folded.len ? json_stringn(folded.s, folded.len) : json_null();
		free(folded.s);
		return v;
	}
	/* A scalar, maybe over several lines: fold them as YAML does (a line
	 * break becomes a space, a blank line a newline) and drop the blank
	 * lines at the end, which separate this entry from the next. */
	buf_add(&folded, value, (size_t)(vend - value));
	for (p = cont; next_line(p, cont_end, &l); p = l.next) {
		const char *s = skip_ws(l.start, l.end);
		const char *e = rtrim(s, l.end);

		if (s == e) {
			breaks++;
			continue;
		}
		if (!breaks)
			buf_add(&folded, " ", 1);
		for (; breaks; breaks--)
			buf_add(&folded, "\n", 1);
		buf_add(&folded, s, (size_t)(e - s));
	}
	v = unquote(folded.s, folded.s + folded.len, unbalanced);
	free(folded.s);
	return v;
}

/*
 * Nodes in `v`, shared values (aliases) counted each time they appear, as
 * fp_yaml_parse() counts them; stops counting past `limit`. The recursion
 * is bounded by the depth limit the value was parsed with.
 */
static size_t count_nodes(const json_t *v, size_t limit)
{
	size_t n = 1, i;
	const char *key;
	json_t *child;

	if (json_is_array(v)) {
		json_array_foreach(v, i, child) {
			if (n > limit)
				break;
			n += count_nodes(child, limit - n);
		}
	} else if (json_is_object(v)) {
		json_object_foreach((json_t *)v, key, child) {
			if (n > limit)
				break;
			n += 1 + count_nodes(child, limit - n); /* the key, the value */
		}
	}
	return n;
}

/*
 * Parses entries one by one. Returns the mapping (new reference), or NULL
 * when no entry could be read at all, or with err set when the entries
 * together have more nodes than the limit allows. Appends the names of the
 * recovered keys to `names`.
 */
static json_t *recover(const char *fm, size_t len, long line0, const struct fp_yaml_limits *lim,
		       struct buf *names, struct fp_error *err)
{
	const char *end = fm + len, *p = fm;
	json_t *meta = json_object();
	struct line l;
	int entries = 0;
	/* Each entry is parsed alone, under the limit; together they must be too. */
	size_t budget = lim ? lim->max_nodes : FP_YAML_DEFAULT_MAX_NODES, used = 1;
	long lineno = line0;

	if (!meta)
		return NULL;
	while (next_line(p, end, &l)) {
		long entry_line = ++lineno;
		const char *value, *cont, *cont_end;
		size_t klen = key_line(&l, &value);
		struct line c;
		json_t *v = NULL, *parsed;
		char *key;
		int unbalanced = 0;

		p = l.next;
		if (!klen)
			continue; /* stray line before the first key: nothing to attach it to */
		cont = cont_end = p;
		while (next_line(cont_end, end, &c) && !key_line(&c, &value)) {
			cont_end = c.next;
			lineno++;
		}
		key_line(&l, &value); /* restore `value` for this entry */
		p = cont_end;
		key = strndup(l.start, (size_t)(rtrim(l.start, l.start + klen) - l.start));
		if (!key)
			break;
		/* The entry alone may be fine: then it keeps its YAML meaning. */
		parsed = fp_yaml_parse(l.start, (size_t)(cont_end - l.start), lim, NULL);
		if (json_is_object(parsed) && json_object_get(parsed, key)) {
			v = json_incref(json_object_get(parsed, key));
		} else {
			v = recover_value(value, l.end, cont, cont_end, &unbalanced);
			if (names->len)
				buf_add(names, ", ", 2);
			buf_add(names, "'", 1);
			buf_add(names, key, strlen(key));
			buf_add(names, "'", 1);
		}
		json_decref(parsed);
		used += v ? 1 + count_nodes(v, budget) : 0;
		if (used > budget) {
			json_decref(v);
			free(key);
			fp_error_set(err, "yaml-too-many-nodes",
				     "front matter expands to more than %zu nodes (alias bomb?)", budget);
			fp_error_at(err, NULL, entry_line, 0);
			json_decref(meta);
			return NULL;
		}
		if (v) {
			json_object_set_new(meta, key, v);
			entries++;
		}
		free(key);
	}
	if (!entries) {
		json_decref(meta);
		return NULL;
	}
	return meta;
}

static json_t *parse_yaml(const char *fm, size_t len, long line0, const struct fp_yaml_limits *lim,
			  json_t *rec, struct fp_error *err)
{
	struct fp_error yerr;
	struct buf names = { 0 };
	json_t *meta;

	fp_error_init(&yerr);
	meta = fp_yaml_parse(fm, len, lim, &yerr);
	if (json_is_null(meta)) {
		json_decref(meta);
		fp_record_warn(rec, "extract", "frontmatter-empty", "front matter is empty");
		return json_object();
	}
	if (meta && !json_is_object(meta)) {
		json_decref(meta);
		fp_error_set(err, "frontmatter-not-mapping", "front matter is not a set of key: value pairs");
		fp_error_at(err, NULL, line0 + 1, 0);
		return NULL;
	}
	if (meta)
		return meta;
	if (strcmp(yerr.reason, "yaml-invalid") != 0) {
		/* Limits are not a matter of recovery. */
		fp_error_set(err, yerr.reason, "%s", yerr.text);
		fp_error_at(err, NULL, line0 + yerr.line, yerr.column);
		return NULL;
	}
	meta = recover(fm, len, line0, lim, &names, err);
	if (!meta) {
		if (!fp_error_isset(err)) {
			fp_error_set(err, "yaml-invalid", "%s", yerr.text);
			fp_error_at(err, NULL, line0 + yerr.line, yerr.column);
		}
		free(names.s);
		return NULL;
	}
	fp_record_warn(rec, "extract", "yaml-recovered",
		       "front matter is not valid YAML (line %ld: %s); recovered %s as raw text",
		       line0 + yerr.line, yerr.text, names.len ? names.s : "the other entries");
	free(names.s);
	return meta;
}

int fp_frontmatter_parse(const char *text, size_t len, const struct fp_yaml_limits *lim,
			 json_t *rec, size_t *body_off, struct fp_error *err)
{
	const char *end = text + len, *p = text;
	struct line open, l;
	long lineno = 1, open_line;
	char sep;
	json_t *meta;

	*body_off = 0;
	while (next_line(p, end, &open) && is_blank(&open)) {
		p = open.next;
		lineno++;
	}
	if (p >= end || !(is_separator(&open, '-') || is_separator(&open, ';'))) {
		fp_record_warn(rec, "extract", "no-frontmatter", "file has no front matter");
		return json_object_set_new(rec, "meta", json_object());
	}
	sep = open.start[0];
	open_line = lineno;
	for (p = open.next, lineno++; next_line(p, end, &l); p = l.next, lineno++) {
		if (trimmed_len(&l) == trimmed_len(&open) && is_separator(&l, sep))
			break;
	}
	if (p >= end) {
		fp_error_set(err, "frontmatter-unterminated", "unterminated front matter (no closing '%.*s')",
			     (int)trimmed_len(&open), open.start);
		fp_error_at(err, NULL, open_line, 0);
		return -1;
	}
	if (sep == ';' && lim && (size_t)(l.start - open.next) > lim->max_bytes) {
		/* fp_yaml_parse() checks the size of YAML; JSON needs it here */
		fp_error_set(err, "yaml-too-large", "front matter larger than %zu bytes", lim->max_bytes);
		fp_error_at(err, NULL, open_line, 0);
		return -1;
	}
	if (sep == ';')
		meta = parse_json(open.next, (size_t)(l.start - open.next), open_line, err);
	else
		meta = parse_yaml(open.next, (size_t)(l.start - open.next), open_line, lim, rec, err);
	if (!meta)
		return -1;
	*body_off = (size_t)(l.next - text);
	return json_object_set_new(rec, "meta", meta);
}
