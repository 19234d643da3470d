#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "embedded.h"
#include "rules.h"
#include "yamljson.h"
#include "banned.h"

enum simple_kind { SIMPLE_CLASS, SIMPLE_ID, SIMPLE_ATTR, SIMPLE_ATTR_EQ };

struct simple {
	enum simple_kind kind;
	char *name;  /* class, id or attribute name */
	char *value; /* SIMPLE_ATTR_EQ only */
};

struct compound {
	char *tag; /* lowercase; NULL matches any element */
	struct simple *simples;
	size_t nsimples;
};

struct selector {
	struct compound *compounds; /* left to right: ancestors first */
	size_t ncompounds;
};

struct rule {
	char *name;
	char **sites;
	size_t nsites;
	struct selector *selectors;
	size_t nselectors;
	regex_t re;
	int has_re;
	size_t group; /* subexpression captured, 0 = the whole match */
	char *capture; /* field name, or NULL */
	int keep;
	char lit[32];  /* literal start of an anchored pattern ("^原标题"): */
	size_t lit_len; /* a text without it cannot match */
};

struct fp_rules {
	struct rule *rules;
	size_t n, cap;
	unsigned char *active; /* per rule, set by fp_rules_activate() */
	int line_rules;
};

/* ---- selectors ---- */

static void selector_release(struct selector *s)
{
	size_t i, j;

	for (i = 0; i < s->ncompounds; i++) {
		struct compound *c = &s->compounds[i];

		for (j = 0; j < c->nsimples; j++) {
			free(c->simples[j].name);
			free(c->simples[j].value);
		}
		free(c->simples);
		free(c->tag);
	}
	free(s->compounds);
	s->compounds = NULL;
	s->ncompounds = 0;
}

static int is_ident_char(char c)
{
	return c && !strchr(".#[]=,'\" \t\n\r>+~*():", c);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Appends an element to a growable array of `size`-byte items. */
static void *grow(void *arr, size_t *n, size_t size)
{
	void *p = realloc(arr, (*n + 1) * size);

	if (!p)
		return NULL;
	memset((char *)p + *n * size, 0, size);
	(*n)++;
	return p;
}

static char *dup_range(const char *s, size_t len)
{
	char *d = malloc(len + 1);

	if (d) {
		memcpy(d, s, len);
		d[len] = '\0';
	}
	return d;
}

/* Parses an identifier at *p; returns a new string or NULL (none / OOM). */
static char *parse_ident(const char **p, int lower)
{
	const char *s = *p;
	char *d;
	size_t i;

	while (is_ident_char(**p))
		(*p)++;
	if (*p == s)
		return NULL;
	d = dup_range(s, (size_t)(*p - s));
	if (d && lower)
		for (i = 0; d[i]; i++)
			if (d[i] >= 'A' && d[i] <= 'Z')
				d[i] = (char)(d[i] - 'A' + 'a');
	return d;
}

/*
 * Parses one selector (no commas) from `s` up to `end`. Returns 0 or -1
 * (syntax error or out of memory; *what says which).
 */
static int parse_selector(const char *s, const char *end, struct selector *out, const char **what)
{
	char buf[1024];
	const char *p;
	size_t len = (size_t)(end - s);

	*what = "bad selector";
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf;
	memset(out, 0, sizeof(*out));
	for (;;) {
		struct compound *c, *arr;
		int any = 0;

		while (is_space(*p))
			p++;
		if (!*p)
			break;
		arr = grow(out->compounds, &out->ncompounds, sizeof(*arr));
		if (!arr)
			goto oom;
		out->compounds = arr;
		c = &arr[out->ncompounds - 1];
		if (*p == '*') {
			p++;
			any = 1;
		} else if (is_ident_char(*p)) {
			if (!(c->tag = parse_ident(&p, 1)))
				goto oom;
			any = 1;
		}
		while (*p == '.' || *p == '#' || *p == '[') {
			struct simple *sm, *sarr = grow(c->simples, &c->nsimples, sizeof(*sarr));
			char kind = *p++;

			if (!sarr)
				goto oom;
			c->simples = sarr;
			sm = &sarr[c->nsimples - 1];
			if (!is_ident_char(*p))
				return selector_release(out), -1;
			if (!(sm->name = parse_ident(&p, kind == '[')))
				goto oom;
			sm->kind = kind == '.' ? SIMPLE_CLASS : kind == '#' ? SIMPLE_ID : SIMPLE_ATTR;
			if (kind == '[') {
				if (*p == '=') {
					const char *v;
					char quote = 0;

					p++;
					if (*p == '"' || *p == '\'')
						quote = *p++;
					v = p;
					if (quote)
						while (*p && *p != quote)
							p++;
					else
						while (is_ident_char(*p))
							p++;
					if (quote && *p != quote)
						return selector_release(out), -1;
					if (!(sm->value = dup_range(v, (size_t)(p - v))))
						goto oom;
					if (quote)
						p++;
					sm->kind = SIMPLE_ATTR_EQ;
				}
				if (*p++ != ']')
					return selector_release(out), -1;
			}
			any = 1;
		}
		if (!any || (*p && !is_space(*p)))
			return selector_release(out), -1;
	}
	if (!out->ncompounds) {
		*what = "empty selector";
		return -1;
	}
	return 0;
oom:
	*what = "out of memory";
	selector_release(out);
	return -1;
}

/* Parses a comma-separated list, appending to *sels. */
static int parse_selector_list(const char *s, struct selector **sels, size_t *n, const char **what)
{
	while (*s) {
		const char *comma = strchr(s, ',');
		const char *end = comma ? comma : s + strlen(s);
		struct selector sel, *arr;

		if (parse_selector(s, end, &sel, what) < 0)
			return -1;
		arr = grow(*sels, n, sizeof(*arr));
		if (!arr) {
			selector_release(&sel);
			*what = "out of memory";
			return -1;
		}
		*sels = arr;
		arr[*n - 1] = sel;
		s = comma ? comma + 1 : end;
	}
	return 0;
}

int fp_rules_check_selector(const char *sel, struct fp_error *err)
{
	struct selector *sels = NULL;
	size_t n = 0, i;
	const char *what = NULL;
	int ret = parse_selector_list(sel, &sels, &n, &what);

	if (ret == 0 && n == 0) {
		what = "empty selector";
		ret = -1;
	}
	if (ret < 0)
		fp_error_set(err, "selector-invalid", "%s '%s'", what, sel);
	for (i = 0; i < n; i++)
		selector_release(&sels[i]);
	free(sels);
	return ret;
}

static int has_class(const char *attr, const char *cls)
{
	size_t len = strlen(cls);

	while (attr && *attr) {
		const char *start;

		while (is_space(*attr))
			attr++;
		start = attr;
		while (*attr && !is_space(*attr))
			attr++;
		if ((size_t)(attr - start) == len && memcmp(start, cls, len) == 0)
			return 1;
	}
	return 0;
}

static int compound_matches(const struct compound *c, const struct fp_rules_node *n)
{
	size_t i;

	if (c->tag && strcmp(c->tag, n->tag) != 0)
		return 0;
	for (i = 0; i < c->nsimples; i++) {
		const struct simple *s = &c->simples[i];
		const char *v;

		switch (s->kind) {
		case SIMPLE_CLASS:
			if (!has_class(n->attr(n, "class"), s->name))
				return 0;
			break;
		case SIMPLE_ID:
			v = n->attr(n, "id");
			if (!v || strcmp(v, s->name) != 0)
				return 0;
			break;
		case SIMPLE_ATTR:
			if (!n->attr(n, s->name))
				return 0;
			break;
		case SIMPLE_ATTR_EQ:
			v = n->attr(n, s->name);
			if (!v || strcmp(v, s->value) != 0)
				return 0;
			break;
		}
	}
	return 1;
}

/* Descendant combinators only, so matching each compound to the nearest
 * ancestor that fits (greedily) finds a match whenever there is one. */
static int selector_matches(const struct selector *s, const struct fp_rules_node *n)
{
	size_t i = s->ncompounds;

	if (!compound_matches(&s->compounds[--i], n))
		return 0;
	while (i > 0) {
		i--;
		for (n = n->parent; n; n = n->parent)
			if (compound_matches(&s->compounds[i], n))
				break;
		if (!n)
			return 0;
	}
	return 1;
}

/* ---- rules ---- */

static void rule_release(struct rule *r)
{
	size_t i;

	free(r->name);
	for (i = 0; i < r->nsites; i++)
		free(r->sites[i]);
	free(r->sites);
	for (i = 0; i < r->nselectors; i++)
		selector_release(&r->selectors[i]);
	free(r->selectors);
	if (r->has_re)
		regfree(&r->re);
	free(r->capture);
	memset(r, 0, sizeof(*r));
}

struct fp_rules *fp_rules_new(void)
{
	return calloc(1, sizeof(struct fp_rules));
}

void fp_rules_free(struct fp_rules *rules)
{
	size_t i;

	if (!rules)
		return;
	for (i = 0; i < rules->n; i++)
		rule_release(&rules->rules[i]);
	free(rules->rules);
	free(rules->active);
	free(rules);
}

size_t fp_rules_count(const struct fp_rules *rules)
{
	return rules ? rules->n : 0;
}

/* Appends the string or strings of `v` to *arr. */
static int add_strings(const json_t *v, char ***arr, size_t *n)
{
	size_t i;
	const json_t *item;

	if (json_is_string(v)) {
		char **a = grow(*arr, n, sizeof(**arr));

		if (!a)
			return -1;
		*arr = a;
		return (a[*n - 1] = strdup(json_string_value(v))) ? 0 : -1;
	}
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item) || add_strings(item, arr, n) < 0)
			return -1;
	}
	return 0;
}

/* Records the literal bytes an anchored pattern starts with. */
static void literal_start(struct rule *r, const char *pat)
{
	size_t n = 0;

	if (*pat++ != '^')
		return;
	while (pat[n] && !strchr(".[]()*+?{}|\\^$", pat[n]) && n < sizeof(r->lit))
		n++;
	/* A quantifier applies to the last byte (of a UTF-8 character: drop
	 * the whole character). */
	if (pat[n] && strchr("*?{", pat[n]) && n) {
		n--;
		while (n && ((unsigned char)pat[n] & 0xC0) == 0x80)
			n--;
	}
	if (n == sizeof(r->lit))
		n = 0;
	memcpy(r->lit, pat, n);
	r->lit_len = n;
}

static const char *const rule_keys[] = {
	"capture", "disable", "group", "keep", "name", "select", "sites", "text", NULL,
};

/*
 * Builds rule `index` from `obj`. Returns 0, 1 for a disable entry (only
 * r->name set), or -1 with err.
 */
static int rule_parse(const json_t *obj, size_t index, const char *source, struct rule *r,
		      struct fp_error *err)
{
	const char *key;
	const json_t *v;
	const char *what = NULL;
	char label[128];
	size_t i;

	memset(r, 0, sizeof(*r));
	snprintf(label, sizeof(label), "rule %zu", index + 1);
	if (!json_is_object(obj)) {
		what = "not a mapping";
		goto bad;
	}
	json_object_foreach((json_t *)obj, key, v) {
		for (i = 0; rule_keys[i]; i++)
			if (strcmp(rule_keys[i], key) == 0)
				break;
		if (!rule_keys[i]) {
			snprintf(label + strlen(label), sizeof(label) - strlen(label),
				 ": unknown key '%.40s'", key);
			goto bad;
		}
	}
	v = json_object_get(obj, "name");
	if (v) {
		if (!json_is_string(v) || !*json_string_value(v)) {
			what = "name is not a string";
			goto bad;
		}
		snprintf(label, sizeof(label), "rule %zu (%.80s)", index + 1, json_string_value(v));
		r->name = strdup(json_string_value(v));
	} else {
		char gen[32];

		snprintf(gen, sizeof(gen), "#%zu", index + 1);
		r->name = strdup(gen);
	}
	if (!r->name)
		goto oom;
	if (json_is_true(json_object_get(obj, "disable"))) {
		if (!json_object_get(obj, "name")) {
			what = "disable without a name";
			goto bad;
		}
		return 1;
	}
	if ((v = json_object_get(obj, "sites")) && add_strings(v, &r->sites, &r->nsites) < 0) {
		what = "sites is not a string or a list of strings";
		goto bad;
	}
	if ((v = json_object_get(obj, "select"))) {
		char **sels = NULL;
		size_t nsels = 0;
		int bad = add_strings(v, &sels, &nsels) < 0, not_strings = bad;

		for (i = 0; i < nsels && !bad; i++) {
			bad = parse_selector_list(sels[i], &r->selectors, &r->nselectors, &what) < 0;
			if (bad && strcmp(what, "out of memory") != 0) {
				snprintf(label + strlen(label), sizeof(label) - strlen(label),
					 ": %s '%.40s'", what, sels[i]);
				what = NULL;
			}
		}
		for (i = 0; i < nsels; i++)
			free(sels[i]);
		free(sels);
		if (bad) {
			if (not_strings)
				what = "select is not a string or a list of strings";
			goto bad;
		}
	}
	if ((v = json_object_get(obj, "text"))) {
		int rc;

		if (!json_is_string(v)) {
			what = "text is not a string";
			goto bad;
		}
		rc = regcomp(&r->re, json_string_value(v), REG_EXTENDED);
		if (rc != 0) {
			char msg[64];

			regerror(rc, &r->re, msg, sizeof(msg));
			snprintf(label + strlen(label), sizeof(label) - strlen(label),
				 ": bad pattern: %s", msg);
			goto bad;
		}
		r->has_re = 1;
		r->group = r->re.re_nsub > 0 ? 1 : 0;
		literal_start(r, json_string_value(v));
	}
	if ((v = json_object_get(obj, "group"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || !r->has_re ||
		    (size_t)json_integer_value(v) > r->re.re_nsub || json_integer_value(v) > 9) {
			what = "group is not a subexpression of text";
			goto bad;
		}
		r->group = (size_t)json_integer_value(v);
	}
	if ((v = json_object_get(obj, "capture"))) {
		if (!json_is_string(v) || !*json_string_value(v)) {
			what = "capture is not a field name";
			goto bad;
		}
		if (!(r->capture = strdup(json_string_value(v))))
			goto oom;
	}
	if ((v = json_object_get(obj, "keep")))
		r->keep = json_is_true(v);
	if (!r->nselectors && !r->has_re) {
		what = "needs select or text";
		goto bad;
	}
	return 0;
oom:
	rule_release(r);
	fp_error_set(err, "out-of-memory", "out of memory");
	return -1;
bad:
	rule_release(r);
	fp_error_set(err, "rules-invalid", "%s%s%s", label, what ? ": " : "", what ? what : "");
	fp_error_at(err, source, 0, 0);
	return -1;
}

static size_t find_rule(const struct fp_rules *rules, const char *name)
{
	size_t i;

	for (i = 0; i < rules->n; i++)
		if (strcmp(rules->rules[i].name, name) == 0)
			return i;
	return (size_t)-1;
}

int fp_rules_load(struct fp_rules *rules, const char *buf, size_t len, const char *source,
		  struct fp_error *err)
{
	json_t *doc, *list;
	struct rule *parsed = NULL;
	int *disable = NULL;
	size_t n = 0, i, j;
	int ret = -1;

	doc = fp_yaml_parse(buf, len, NULL, err);
	if (!doc) {
		fp_error_at(err, source, 0, 0);
		return -1;
	}
	list = json_is_object(doc) ? json_object_get(doc, "rules") : doc;
	if (json_is_null(doc)) {
		ret = 0;
		goto out;
	}
	if (!json_is_array(list) ||
	    (json_is_object(doc) && json_object_size(doc) != 1)) {
		fp_error_set(err, "rules-invalid", "expected a list of rules under 'rules:'");
		fp_error_at(err, source, 0, 0);
		goto out;
	}
	n = json_array_size(list);
	parsed = calloc(n ? n : 1, sizeof(*parsed));
	disable = calloc(n ? n : 1, sizeof(*disable));
	if (!parsed || !disable) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		int rc = rule_parse(json_array_get(list, i), i, source, &parsed[i], err);

		if (rc < 0) {
			for (j = 0; j < i; j++)
				rule_release(&parsed[j]);
			goto out;
		}
		disable[i] = rc == 1;
	}
	/* Merge: all the parsing is done, so the set changes only from here. */
	{
		struct rule *arr = realloc(rules->rules, (rules->n + n + 1) * sizeof(*arr));
		unsigned char *act = arr ? realloc(rules->active, rules->n + n + 1) : NULL;

		if (arr)
			rules->rules = arr;
		if (!arr || !act) {
			for (j = 0; j < n; j++)
				rule_release(&parsed[j]);
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
		rules->active = act;
	}
	for (i = 0; i < n; i++) {
		size_t at = find_rule(rules, parsed[i].name);

		if (disable[i]) {
			if (at != (size_t)-1) {
				rule_release(&rules->rules[at]);
				memmove(&rules->rules[at], &rules->rules[at + 1],
					(rules->n - at - 1) * sizeof(*rules->rules));
				rules->n--;
			}
			rule_release(&parsed[i]);
		} else if (at != (size_t)-1) {
			rule_release(&rules->rules[at]);
			rules->rules[at] = parsed[i];
		} else {
			rules->rules[rules->n++] = parsed[i];
		}
	}
	memset(rules->active, 0, rules->n + 1);
	rules->line_rules = 0;
	ret = 0;
out:
	free(parsed);
	free(disable);
	json_decref(doc);
	return ret;
}

int fp_rules_load_defaults(struct fp_rules *rules, struct fp_error *err)
{
	const struct fp_embedded *f = fp_embedded_find("lib/clean-rules.yaml");

	if (!f) {
		fp_error_set(err, "rules-invalid", "built-in rules are missing");
		return -1;
	}
	return fp_rules_load(rules, f->data, f->len, "lib/clean-rules.yaml", err);
}

int fp_rules_load_file(struct fp_rules *rules, const char *path, struct fp_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = FP_YAML_DEFAULT_MAX_BYTES + 1;
	int ret = -1;

	if (!f) {
		fp_error_set(err, "rules-unreadable", "cannot open rules: %s", strerror(errno));
		fp_error_at(err, path, 0, 0);
		return -1;
	}
	buf = malloc(cap);
	if (!buf) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	len = fread(buf, 1, cap, f);
	if (ferror(f)) {
		fp_error_set(err, "rules-unreadable", "cannot read rules: %s", strerror(errno));
		fp_error_at(err, path, 0, 0);
		goto out;
	}
	ret = fp_rules_load(rules, buf, len, path, err);
out:
	free(buf);
	fclose(f);
	return ret;
}

/* ---- matching ---- */

static int site_matches(const struct rule *r, const json_t *cats, const char *path)
{
	size_t i, k;
	const json_t *c;

	for (i = 0; i < r->nsites; i++) {
		const char *site = r->sites[i];
		size_t len = strlen(site);

		if (json_is_string(cats) && strcmp(json_string_value(cats), site) == 0)
			return 1;
		json_array_foreach(cats, k, c)
			if (json_is_string(c) && strcmp(json_string_value(c), site) == 0)
				return 1;
		if (path) {
			/* directory names only: every component before a '/' */
			const char *p = path, *slash;

			while ((slash = strchr(p, '/'))) {
				if ((size_t)(slash - p) == len && memcmp(p, site, len) == 0)
					return 1;
				p = slash + 1;
			}
		}
	}
	return 0;
}

void fp_rules_activate(struct fp_rules *rules, const json_t *meta, const json_t *source)
{
	const json_t *cats = json_object_get(meta, "categories");
	const char *path = json_string_value(json_object_get(source, "path"));
	size_t i;

	rules->line_rules = 0;
	for (i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->rules[i];

		rules->active[i] = !r->nsites || site_matches(r, cats, path);
		if (rules->active[i] && r->has_re && !r->nselectors)
			rules->line_rules = 1;
	}
}

int fp_rules_have_line_rules(const struct fp_rules *rules)
{
	return rules->line_rules;
}

static void capture(const struct rule *r, const char *text, const regmatch_t *m, json_t *found)
{
	const char *s = text;
	size_t len = text ? strlen(text) : 0;

	if (!r->capture || !text || json_object_get(found, r->capture))
		return;
	if (r->has_re) {
		if (m[r->group].rm_so < 0)
			return;
		s = text + m[r->group].rm_so;
		len = (size_t)(m[r->group].rm_eo - m[r->group].rm_so);
	}
	while (len && is_space(*s))
		s++, len--;
	while (len && is_space(s[len - 1]))
		len--;
	if (len)
		json_object_set_new(found, r->capture, json_stringn(s, len));
}

static enum fp_rules_verdict try_rule(const struct rule *r, const char *text, json_t *found)
{
	regmatch_t m[10];

	if (r->has_re) {
		if (!text || regexec(&r->re, text, 10, m, 0) != 0)
			return FP_RULES_NONE;
	}
	capture(r, text, m, found);
	return r->keep ? FP_RULES_KEEP : FP_RULES_REMOVE;
}

enum fp_rules_verdict fp_rules_match_node(struct fp_rules *rules, const struct fp_rules_node *n,
					  fp_rules_text_fn text, void *ctx, json_t *found)
{
	const char *t = NULL;
	int have_text = -1; /* the leaf flag t was computed with, or -1 */
	size_t i, j, len;

	for (i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->rules[i];
		enum fp_rules_verdict v;

		if (!rules->active[i])
			continue;
		if (r->nselectors) {
			for (j = 0; j < r->nselectors; j++)
				if (selector_matches(&r->selectors[j], n))
					break;
			if (j == r->nselectors)
				continue;
		} else if (!n->is_block) {
			continue;
		}
		if ((r->has_re || r->capture) && have_text != !r->nselectors) {
			int leaf = !r->nselectors;

			if (r->lit_len) {
				/* Most blocks fail on their first bytes. */
				const char *pre = text(ctx, leaf, r->lit_len, &len);

				have_text = -1;
				if (!pre || len < r->lit_len || memcmp(pre, r->lit, r->lit_len) != 0)
					continue;
			}
			have_text = leaf;
			t = text(ctx, leaf, 0, &len);
		}
		v = try_rule(r, t, found);
		if (v != FP_RULES_NONE)
			return v;
	}
	return FP_RULES_NONE;
}

enum fp_rules_verdict fp_rules_match_line(struct fp_rules *rules, const char *text, size_t len,
					  json_t *found)
{
	size_t i;

	(void)len;
	for (i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->rules[i];
		enum fp_rules_verdict v;

		if (!rules->active[i] || r->nselectors || !r->has_re)
			continue;
		v = try_rule(r, text, found);
		if (v != FP_RULES_NONE)
			return v;
	}
	return FP_RULES_NONE;
}

int fp_rules_line_candidate(const struct fp_rules *rules, const char *prefix, size_t len)
{
	size_t i;

	for (i = 0; i < rules->n; i++) {
		const struct rule *r = &rules->rules[i];

		if (!rules->active[i] || r->nselectors || !r->has_re)
			continue;
		if (!r->lit_len || (len >= r->lit_len && memcmp(prefix, r->lit, r->lit_len) == 0))
			return 1;
	}
	return 0;
}
