#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "yamljson.h"
#include "version.h"
#include "banned.h"

/*
 * libyaml's event stream is turned into jansson values with an explicit
 * stack of open containers, so that depth is bounded by max_depth and never
 * by the C stack. Anchors are kept by name; an alias shares the anchored
 * value (json_incref), and its node count is charged again, so an alias bomb
 * hits max_nodes long before memory grows.
 */

struct anchor {
	char *name;
	json_t *value; /* a reference of its own: a duplicate key may drop the
			  value from the tree, and a key's value is not in it */
	size_t nodes;  /* nodes under it, itself included; 0 while open */
	size_t first;  /* node counter when it opened */
};

struct frame {
	json_t *value;    /* the container */
	char *key;        /* pending mapping key, or NULL */
	int anchor;       /* index into anchors, or -1 */
};

struct builder {
	const struct fp_yaml_limits *lim;
	struct fp_error *err;
	struct frame *stack;
	size_t depth;
	struct anchor *anchors;
	size_t nanchors, anchors_cap;
	json_t *anchor_index; /* name -> index of its latest definition */
	size_t nodes;
	json_t *root;
};

void fp_yaml_limits_init(struct fp_yaml_limits *lim)
{
	lim->max_bytes = FP_YAML_DEFAULT_MAX_BYTES;
	lim->max_depth = FP_YAML_DEFAULT_MAX_DEPTH;
	lim->max_nodes = FP_YAML_DEFAULT_MAX_NODES;
}

const char *fp_yaml_version(void)
{
	return yaml_get_version_string();
}

static void at_mark(struct fp_error *err, const yaml_mark_t *mark)
{
	fp_error_at(err, NULL, (long)mark->line + 1, (long)mark->column + 1);
}

static int count_node(struct builder *b, size_t n, const yaml_mark_t *mark)
{
	b->nodes += n;
	if (b->nodes > b->lim->max_nodes) {
		fp_error_set(b->err, "yaml-too-many-nodes",
			     "front matter expands to more than %zu nodes (alias bomb?)",
			     b->lim->max_nodes);
		at_mark(b->err, mark);
		return -1;
	}
	return 0;
}

static int is_tag(const yaml_char_t *tag, const char *name)
{
	return tag && !strcmp((const char *)tag, name);
}

static int all_in(const char *s, size_t len, const char *set)
{
	size_t i;

	if (!len)
		return 0;
	for (i = 0; i < len; i++)
		if (!strchr(set, s[i]))
			return 0;
	return 1;
}

static int is_int(const char *s, size_t len)
{
	size_t i = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0;

	if (len - i >= 3 && s[i] == '0' && s[i + 1] == 'x')
		return all_in(s + i + 2, len - i - 2, "0123456789abcdefABCDEF");
	if (len - i >= 3 && s[i] == '0' && s[i + 1] == 'o')
		return all_in(s + i + 2, len - i - 2, "01234567");
	/* Leading zeros ("007") stay strings: a title is not a number. */
	if (len - i > 1 && s[i] == '0')
		return 0;
	return all_in(s + i, len - i, "0123456789");
}

static int is_float(const char *s, size_t len)
{
	size_t i = (len && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
	size_t digits = 0;

	/* Leading zeros ("007") stay strings, as for integers. */
	if (len - i > 1 && s[i] == '0' && s[i + 1] != '.')
		return 0;
	for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
		digits++;
	if (i < len && s[i] == '.')
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			digits++;
	if (!digits)
		return 0;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			i++;
		if (i == len)
			return 0;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			;
	}
	return i == len;
}

static int eq_any(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (strlen(*words) == len && !memcmp(s, *words, len))
			return 1;
	return 0;
}

static json_t *to_integer(const char *s)
{
	char *end;
	long long v;
	int base = 10;
	const char *p = s;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'o')) {
		base = p[1] == 'x' ? 16 : 8;
		p += 2;
	}
	errno = 0;
	v = strtoll(p, &end, base);
	if (errno || *end)
		return NULL; /* out of range: the caller keeps the text */
	return json_integer(neg ? -v : v);
}

/* The JSON value of a scalar event. New reference, or NULL when out of memory. */
static json_t *scalar_value(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL", NULL };
	static const char *const trues[] = { "true", "True", "TRUE", NULL };
	static const char *const falses[] = { "false", "False", "FALSE", NULL };
	const char *s = (const char *)ev->data.scalar.value;
	size_t len = ev->data.scalar.length;
	const yaml_char_t *tag = ev->data.scalar.tag;
	int plain = ev->data.scalar.plain_implicit && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	json_t *v = NULL;
	char *copy = NULL;

	/* "\0" escapes in double-quoted scalars: NUL never reaches the output. */
	if (memchr(s, '\0', len)) {
		size_t i, j;

		copy = malloc(len + 1);
		if (!copy)
			return NULL;
		for (i = j = 0; i < len; i++)
			if (s[i])
				copy[j++] = s[i];
		copy[j] = '\0';
		s = copy;
		len = j;
	}
	if (is_tag(tag, YAML_NULL_TAG) || (plain && !tag && eq_any(s, len, nulls)))
		v = json_null();
	else if (is_tag(tag, YAML_BOOL_TAG) || (plain && !tag && (eq_any(s, len, trues) ||
								  eq_any(s, len, falses))))
		v = eq_any(s, len, trues) ? json_true() : eq_any(s, len, falses) ? json_false() : NULL;
	else if ((is_tag(tag, YAML_INT_TAG) || (plain && !tag)) && is_int(s, len))
		v = to_integer(s);
	else if ((is_tag(tag, YAML_FLOAT_TAG) || (plain && !tag)) && is_float(s, len)) {
		double d = strtod(s, NULL);
		v = isfinite(d) ? json_real(d) : NULL;
	}
	if (!v)
		v = json_stringn(s, len);
	free(copy);
	return v;
}

static int anchor_open(struct builder *b, const yaml_char_t *name, json_t *value)
{
	struct anchor *a;

	if (!name)
		return -1;
	if (b->nanchors == b->anchors_cap) {
		size_t cap = b->anchors_cap ? 2 * b->anchors_cap : 8;
		struct anchor *n = realloc(b->anchors, cap * sizeof(*n));
		if (!n)
			return -2;
		b->anchors = n;
		b->anchors_cap = cap;
	}
	a = &b->anchors[b->nanchors];
	a->name = strdup((const char *)name);
	if (!a->name)
		return -2;
	if (json_object_set_new(b->anchor_index, a->name, json_integer((json_int_t)b->nanchors)) < 0) {
		free(a->name);
		return -2;
	}
	a->value = json_incref(value);
	a->nodes = 0;
	a->first = b->nodes;
	return (int)b->nanchors++;
}

static void anchor_close(struct builder *b, int idx)
{
	/* `first` was taken after the container itself was counted. */
	if (idx >= 0)
		b->anchors[idx].nodes = b->nodes - b->anchors[idx].first + 1;
}

static struct anchor *anchor_find(struct builder *b, const yaml_char_t *name)
{
	/* A hash lookup: a linear scan made N aliases of N anchors quadratic.
	 * The index holds the latest definition, which wins, as YAML says. */
	json_t *idx = json_object_get(b->anchor_index, (const char *)name);

	return idx ? &b->anchors[json_integer_value(idx)] : NULL;
}

/* Adds `v` (stolen) to the open container, or makes it the root. */
static int add_value(struct builder *b, json_t *v, const yaml_event_t *ev, int is_scalar)
{
	struct frame *top;

	if (!v) {
		fp_error_set(b->err, "out-of-memory", "out of memory");
		return -1;
	}
	if (!b->depth) {
		json_decref(b->root);
		b->root = v;
		return 0;
	}
	top = &b->stack[b->depth - 1];
	if (json_is_array(top->value))
		return json_array_append_new(top->value, v) < 0 ? -1 : 0;
	if (!top->key) {
		if (!is_scalar) {
			json_decref(v);
			fp_error_set(b->err, "yaml-bad-key", "a mapping key must be a plain value");
			at_mark(b->err, &ev->start_mark);
			return -1;
		}
		top->key = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		json_decref(v);
		return top->key ? 0 : -1;
	}
	if (json_object_set_new(top->value, top->key, v) < 0) {
		fp_error_set(b->err, "out-of-memory", "out of memory");
		return -1;
	}
	free(top->key);
	top->key = NULL;
	return 0;
}

static int on_event(struct builder *b, const yaml_event_t *ev)
{
	json_t *v;
	int idx = -1;

	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (count_node(b, 1, &ev->start_mark) < 0)
			return -1;
		v = scalar_value(ev);
		if (v && ev->data.scalar.anchor) {
			idx = anchor_open(b, ev->data.scalar.anchor, v);
			if (idx >= 0)
				b->anchors[idx].nodes = 1;
		}
		return add_value(b, v, ev, 1);
	case YAML_ALIAS_EVENT: {
		struct anchor *a = anchor_find(b, ev->data.alias.anchor);

		if (!a || !a->nodes) {
			fp_error_set(b->err, a ? "yaml-recursive-alias" : "yaml-invalid",
				     a ? "recursive alias '%s'" : "unknown alias '%s'",
				     (const char *)ev->data.alias.anchor);
			at_mark(b->err, &ev->start_mark);
			return -1;
		}
		if (count_node(b, a->nodes, &ev->start_mark) < 0)
			return -1;
		if (b->depth && json_is_object(b->stack[b->depth - 1].value) &&
		    !b->stack[b->depth - 1].key) {
			if (!json_is_string(a->value)) {
				fp_error_set(b->err, "yaml-bad-key", "a mapping key must be a plain value");
				at_mark(b->err, &ev->start_mark);
				return -1;
			}
			b->stack[b->depth - 1].key = strdup(json_string_value(a->value));
			return b->stack[b->depth - 1].key ? 0 : -1;
		}
		return add_value(b, json_incref(a->value), ev, 0);
	}
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT: {
		const yaml_char_t *anchor = ev->type == YAML_SEQUENCE_START_EVENT
						    ? ev->data.sequence_start.anchor
						    : ev->data.mapping_start.anchor;
		struct frame *f;

		if (b->depth >= b->lim->max_depth) {
			fp_error_set(b->err, "yaml-too-deep", "front matter nested deeper than %zu levels",
				     b->lim->max_depth);
			at_mark(b->err, &ev->start_mark);
			return -1;
		}
		if (count_node(b, 1, &ev->start_mark) < 0)
			return -1;
		v = ev->type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
		if (!v)
			return -1;
		if (anchor && (idx = anchor_open(b, anchor, v)) < -1) {
			json_decref(v);
			return -1;
		}
		/* Attach first (the container is shared), then descend. */
		if (add_value(b, json_incref(v), ev, 0) < 0) {
			json_decref(v);
			return -1;
		}
		f = &b->stack[b->depth++];
		f->value = v;
		f->key = NULL;
		f->anchor = idx;
		return 0;
	}
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT: {
		struct frame *f = &b->stack[--b->depth];

		anchor_close(b, f->anchor);
		free(f->key);
		json_decref(f->value);
		return 0;
	}
	default:
		return 0;
	}
}

json_t *fp_yaml_parse(const char *buf, size_t len, const struct fp_yaml_limits *lim,
		      struct fp_error *err)
{
	struct fp_yaml_limits defaults;
	struct builder b;
	yaml_parser_t parser;
	yaml_event_t ev;
	json_t *ret = NULL;
	int done = 0, started = 0;
	size_t i;

	if (!lim) {
		fp_yaml_limits_init(&defaults);
		lim = &defaults;
	}
	if (len > lim->max_bytes) {
		fp_error_set(err, "yaml-too-large", "front matter larger than %zu bytes", lim->max_bytes);
		return NULL;
	}
	memset(&b, 0, sizeof(b));
	b.lim = lim;
	b.err = err;
	b.stack = calloc(lim->max_depth + 1, sizeof(*b.stack));
	b.anchor_index = json_object();
	if (!b.stack || !b.anchor_index || !yaml_parser_initialize(&parser)) {
		free(b.stack);
		json_decref(b.anchor_index);
		fp_error_set(err, "out-of-memory", "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fp_error_set(err, "yaml-invalid", "invalid YAML: %s%s%s",
				     parser.problem ? parser.problem : "syntax error",
				     parser.context ? " " : "", parser.context ? parser.context : "");
			at_mark(err, &parser.problem_mark);
			goto out;
		}
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			started = 1;
		if (ev.type == YAML_DOCUMENT_END_EVENT || ev.type == YAML_STREAM_END_EVENT)
			done = 1;
		else if (on_event(&b, &ev) < 0) {
			fp_error_set(err, "out-of-memory", "out of memory");
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	ret = b.root ? b.root : json_null();
	b.root = NULL;
	(void)started;
out:
	while (b.depth > 0) {
		struct frame *f = &b.stack[--b.depth];
		free(f->key);
		json_decref(f->value);
	}
	for (i = 0; i < b.nanchors; i++) {
		free(b.anchors[i].name);
		json_decref(b.anchors[i].value);
	}
	free(b.anchors);
	json_decref(b.anchor_index);
	free(b.stack);
	json_decref(b.root);
	yaml_parser_delete(&parser);
	return ret;
}
