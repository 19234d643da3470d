#include <assert.h>
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"
#include "banned.h"

/*
 * Both directions follow jansson 2.14 (src/load.c, src/dump.c) rule for
 * rule; where they differ from RFC 8259 jansson wins, because a record
 * must read the same whichever of the two parsed it.
 */

/* jansson_config.h: JSON_PARSER_MAX_DEPTH; every value counts, scalars too. */
#define MAX_DEPTH 2048
/* Longer numbers are rare enough to leave to jansson. */
#define MAX_NUMBER 128

_Static_assert(sizeof(json_int_t) == sizeof(long long), "json_int_t is long long");

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t load64(const unsigned char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/*
 * Nonzero when one of the eight bytes of `w` is '"', '\\' or below 0x20:
 * the bytes a JSON string cannot hold as they are. Exact as to whether
 * there is one (the classic "has zero byte" and "has less than" tests).
 */
static uint64_t has_special(uint64_t w)
{
	uint64_t quote = w ^ (ONES * '"'), bslash = w ^ (ONES * '\\');

	return (((w - ONES * 0x20) & ~w) | ((quote - ONES) & ~quote) | ((bslash - ONES) & ~bslash)) &
	       HIGHS;
}

static int is_special(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/*** parsing ***/

struct parser {
	const unsigned char *p, *end;
	char *scratch; /* decoded strings that had escapes, used as a stack */
	size_t top, cap;
	size_t depth;
};

/* A decoded string: in the input when it had no escape, else in scratch. */
struct text {
	const char *ptr;
	size_t len;
	size_t ofs; /* offset in scratch when in_scratch */
	int in_scratch;
};

static int scratch_reserve(struct parser *ps, size_t n)
{
	size_t cap;
	char *s;

	if (ps->cap - ps->top >= n)
		return 0;
	cap = ps->cap ? ps->cap : 256;
	while (cap - ps->top < n) {
		if (cap > SIZE_MAX / 2)
			return -1;
		cap *= 2;
	}
	s = realloc(ps->scratch, cap);
	if (!s)
		return -1;
	ps->scratch = s;
	ps->cap = cap;
	return 0;
}

static int hex4(const unsigned char *p, unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * Decodes the escape after a backslash at ps->p into scratch. jansson
 * refuses "\u0000" (without JSON_ALLOW_NUL, and in keys always) and any
 * surrogate that is not a high one followed by a low one.
 */
static int decode_escape(struct parser *ps, size_t ofs, size_t *len)
{
	const unsigned char *p = ps->p;
	unsigned int cp, lo;
	char *out;

	if (p >= ps->end)
		return -1;
	if (scratch_reserve(ps, ofs - ps->top + *len + 4) < 0)
		return -1;
	out = ps->scratch + ofs + *len;
	switch (*p) {
	case '"': case '\\': case '/':
		*out = (char)*p;
		break;
	case 'b': *out = '\b'; break;
	case 'f': *out = '\f'; break;
	case 'n': *out = '\n'; break;
	case 'r': *out = '\r'; break;
	case 't': *out = '\t'; break;
	case 'u':
		if (ps->end - p < 5 || hex4(p + 1, &cp) < 0 || cp == 0)
			return -1;
		p += 5;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return -1;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (ps->end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, &lo) < 0 ||
			    lo < 0xDC00 || lo > 0xDFFF)
				return -1;
			p += 6;
			cp = ((cp - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
		}
		*len += fp_utf8_encode(cp, out);
		ps->p = p;
		return 0;
	default:
		return -1;
	}
	*len += 1;
	ps->p = p + 1;
	return 0;
}

/* Appends the raw run [from, to) to the decoded string in scratch. */
static int append_run(struct parser *ps, size_t ofs, size_t *len, const unsigned char *from,
		      const unsigned char *to)
{
	size_t n = (size_t)(to - from);

	if (!n)
		return 0; /* scratch may not exist yet */
	if (scratch_reserve(ps, ofs - ps->top + *len + n) < 0)
		return -1;
	memcpy(ps->scratch + ofs + *len, from, n);
	*len += n;
	return 0;
}

/*
 * Scans the string after the opening quote at ps->p. Runs of plain bytes
 * are found eight at a time and checked as UTF-8 only when one has its
 * high bit set. A string without escapes stays in the input; one with
 * escapes is decoded into scratch at ps->top.
 */
static int scan_string(struct parser *ps, struct text *t)
{
	const unsigned char *p = ps->p, *end = ps->end, *run = p;
	uint64_t high = 0;
	size_t len = 0;

	t->in_scratch = 0;
	t->ofs = ps->top;
	for (;;) {
		while (end - p >= 8) {
			uint64_t w = load64(p);

			if (has_special(w))
				break;
			high |= w;
			p += 8;
		}
		while (p < end && !is_special(*p))
			high |= *p++;
		if (p >= end || *p < 0x20)
			return -1; /* unterminated, or a control character */
		if ((high & HIGHS) &&
		    fp_utf8_valid_prefix((const char *)run, (size_t)(p - run)) != (size_t)(p - run))
			return -1;
		high = 0;
		if (*p == '"') {
			if (!t->in_scratch) {
				t->ptr = (const char *)run;
				t->len = (size_t)(p - run);
			} else {
				if (append_run(ps, t->ofs, &len, run, p) < 0)
					return -1;
				t->ptr = ps->scratch + t->ofs;
				t->len = len;
			}
			ps->p = p + 1;
			return 0;
		}
		/* a backslash */
		if (!t->in_scratch) {
			t->in_scratch = 1;
			run = ps->p;
		}
		if (append_run(ps, t->ofs, &len, run, p) < 0)
			return -1;
		ps->p = p + 1;
		if (decode_escape(ps, t->ofs, &len) < 0)
			return -1;
		p = run = ps->p;
	}
}

static void skip_ws(struct parser *ps)
{
	const unsigned char *p = ps->p;

	while (p < ps->end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
		p++;
	ps->p = p;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * jansson's number rules: -?(0|[1-9][0-9]*) without '.', 'e' or 'E' after
 * it is an integer (strtoll; out of range is an error), anything with them
 * a real (strtod; overflow to infinity is an error, underflow is not).
 */
static json_t *parse_number(struct parser *ps)
{
	const unsigned char *p = ps->p, *end = ps->end, *start = p;
	int neg = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (p >= end)
		return NULL;
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return NULL;
	} else if (is_digit(*p)) {
		while (p < end && is_digit(*p))
			p++;
	} else
		return NULL;

	if (p >= end || (*p != '.' && *p != 'e' && *p != 'E')) {
		const unsigned long long limit = neg ? (1ULL << 63) : (1ULL << 63) - 1;
		unsigned long long acc = 0;
		const unsigned char *d;

		for (d = start + neg; d < p; d++) {
			unsigned int digit = *d - '0';

			if (acc > (limit - digit) / 10)
				return NULL;
			acc = acc * 10 + digit;
		}
		ps->p = p;
		if (!neg)
			return json_integer((json_int_t)acc);
		return json_integer(acc == (1ULL << 63) ? (json_int_t)(-9223372036854775807LL - 1)
							 : -(json_int_t)acc);
	}

	if (*p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || !is_digit(*p))
			return NULL;
		while (p < end && is_digit(*p))
			p++;
	}
	{
		char text[MAX_NUMBER];
		size_t n = (size_t)(p - start);
		const char *point = localeconv()->decimal_point;
		char *stop;
		double d;

		/* jansson swaps '.' for the locale's decimal point; keep to "." */
		if (n >= sizeof(text) || strcmp(point, "."))
			return NULL;
		memcpy(text, start, n);
		text[n] = '\0';
		errno = 0;
		d = strtod(text, &stop);
		if (stop != text + n || ((d == HUGE_VAL || d == -HUGE_VAL) && errno == ERANGE) ||
		    !isfinite(d))
			return NULL;
		ps->p = p;
		return json_real(d);
	}
}

static json_t *parse_value(struct parser *ps);

static json_t *parse_object(struct parser *ps)
{
	json_t *obj = json_object();

	if (!obj)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '}') {
		ps->p++;
		return obj;
	}
	for (;;) {
		struct text key;
		size_t mark = ps->top, size;
		json_t *value;

		if (ps->p >= ps->end || *ps->p != '"')
			goto fail;
		ps->p++;
		if (scan_string(ps, &key) < 0)
			goto fail;
		skip_ws(ps);
		if (ps->p >= ps->end || *ps->p != ':')
			goto fail;
		ps->p++;
		skip_ws(ps);
		/* the value's strings go above the key in scratch */
		if (key.in_scratch)
			ps->top = key.ofs + key.len;
		value = parse_value(ps);
		ps->top = mark;
		if (!value)
			goto fail;
		if (key.in_scratch)
			key.ptr = ps->scratch + key.ofs;
		/* a duplicate replaces the old value and leaves the size alone */
		size = json_object_size(obj);
		if (json_object_setn_new_nocheck(obj, key.ptr, key.len, value) < 0 ||
		    json_object_size(obj) == size)
			goto fail;
		skip_ws(ps);
		if (ps->p >= ps->end)
			goto fail;
		if (*ps->p == '}') {
			ps->p++;
			return obj;
		}
		if (*ps->p != ',')
			goto fail;
		ps->p++;
		skip_ws(ps);
	}
fail:
	json_decref(obj);
	return NULL;
}

static json_t *parse_array(struct parser *ps)
{
	json_t *arr = json_array();

	if (!arr)
		return NULL;
	ps->p++;
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == ']') {
		ps->p++;
		return arr;
	}
	for (;;) {
		json_t *value = parse_value(ps);

		if (!value || json_array_append_new(arr, value) < 0)
			goto fail;
		skip_ws(ps);
		if (ps->p >= ps->end)
			goto fail;
		if (*ps->p == ']') {
			ps->p++;
			return arr;
		}
		if (*ps->p != ',')
			goto fail;
		ps->p++;
		skip_ws(ps);
	}
fail:
	json_decref(arr);
	return NULL;
}

static int literal(struct parser *ps, const char *word, size_t n)
{
	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return -1;
	ps->p += n;
	return 0;
}

/* At a value's first byte (whitespace skipped); leaves ps->p after it. */
static json_t *parse_value(struct parser *ps)
{
	json_t *v = NULL;

	if (++ps->depth > MAX_DEPTH || ps->p >= ps->end)
		return NULL;
	switch (*ps->p) {
	case '{':
		v = parse_object(ps);
		break;
	case '[':
		v = parse_array(ps);
		break;
	case '"': {
		struct text t;

		ps->p++;
		if (scan_string(ps, &t) == 0)
			v = json_stringn_nocheck(t.ptr, t.len);
		break;
	}
	case 't':
		if (literal(ps, "true", 4) == 0)
			v = json_true();
		break;
	case 'f':
		if (literal(ps, "false", 5) == 0)
			v = json_false();
		break;
	case 'n':
		if (literal(ps, "null", 4) == 0)
			v = json_null();
		break;
	default:
		if (*ps->p == '-' || is_digit(*ps->p))
			v = parse_number(ps);
		break;
	}
	if (v)
		ps->depth--;
	return v;
}

json_t *fp_json_parse(const char *buf, size_t len)
{
	struct parser ps = { 0 };
	json_t *v = NULL;

	ps.p = (const unsigned char *)buf;
	ps.end = ps.p + len;
	skip_ws(&ps);
	if (ps.p < ps.end && (*ps.p == '{' || *ps.p == '[')) {
		v = parse_value(&ps);
		skip_ws(&ps);
		if (v && ps.p != ps.end) {
			json_decref(v);
			v = NULL;
		}
	}
	free(ps.scratch);
	return v;
}

/*** serializing ***/

#define DUMP_CHUNK 8192
#define DUMP_DIRECT 1024 /* runs this long skip the chunk buffer */

struct dumper {
	json_dump_callback_t callback;
	void *data;
	int failed; /* the callback failed: nothing more is passed */
	size_t used;
	/* containers being dumped, for jansson's circular reference check */
	const json_t **parents;
	size_t depth, parents_cap;
	const json_t *parents_inline[64];
	char chunk[DUMP_CHUNK];
};

static int flush(struct dumper *d)
{
	if (d->failed)
		return -1;
	if (d->used && d->callback(d->chunk, d->used, d->data)) {
		d->failed = 1;
		return -1;
	}
	d->used = 0;
	return 0;
}

static int put(struct dumper *d, const char *s, size_t n)
{
	if (d->failed)
		return -1;
	if (n > DUMP_CHUNK - d->used) {
		if (flush(d) < 0)
			return -1;
		if (n >= DUMP_DIRECT) {
			if (d->callback(s, n, d->data)) {
				d->failed = 1;
				return -1;
			}
			return 0;
		}
	}
	memcpy(d->chunk + d->used, s, n);
	d->used += n;
	return 0;
}

static int put_byte(struct dumper *d, char c)
{
	if (d->used == DUMP_CHUNK && flush(d) < 0)
		return -1;
	if (d->failed)
		return -1;
	d->chunk[d->used++] = c;
	return 0;
}

static int put_escape(struct dumper *d, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char seq[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

	switch (c) {
	case '"': return put(d, "\\\"", 2);
	case '\\': return put(d, "\\\\", 2);
	case '\b': return put(d, "\\b", 2);
	case '\f': return put(d, "\\f", 2);
	case '\n': return put(d, "\\n", 2);
	case '\r': return put(d, "\\r", 2);
	case '\t': return put(d, "\\t", 2);
	default:
		assert(c < 0x20);
		return put(d, seq, sizeof(seq));
	}
}

/*
 * jansson's dump_string: plain runs as they are, '"', '\\' and controls
 * escaped, nothing else (no JSON_ENSURE_ASCII, no JSON_ESCAPE_SLASH). At
 * invalid UTF-8 jansson stops with -1 having passed everything up to the
 * last escape before it, but not the plain run since; so do we.
 */
static int dump_string(struct dumper *d, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t valid = fp_utf8_valid_prefix(str, len), i = 0, run = 0;

	if (put_byte(d, '"') < 0)
		return -1;
	for (;;) {
		while (valid - i >= 8 && !has_special(load64(s + i)))
			i += 8;
		while (i < valid && !is_special(s[i]))
			i++;
		if (i >= valid)
			break;
		if (put(d, str + run, i - run) < 0 || put_escape(d, s[i]) < 0)
			return -1;
		run = ++i;
	}
	if (valid < len)
		return -1;
	if (put(d, str + run, len - run) < 0)
		return -1;
	return put_byte(d, '"');
}

static int dump_integer(struct dumper *d, json_int_t v)
{
	char text[24], *p = text + sizeof(text);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return put(d, p, (size_t)(text + sizeof(text) - p));
}

static int put_callback(const char *buf, size_t size, void *data)
{
	return put(data, buf, size);
}

static int dump_value(struct dumper *d, const json_t *v);

/* jansson's jsonp_loop_check: a container inside itself is an error. */
static int enter(struct dumper *d, const json_t *v)
{
	size_t i;

	for (i = 0; i < d->depth; i++)
		if (d->parents[i] == v)
			return -1;
	if (d->depth == d->parents_cap) {
		size_t cap = d->parents_cap * 2;
		const json_t **parents;

		if (d->parents == d->parents_inline) {
			parents = malloc(cap * sizeof(*parents));
			if (parents)
				memcpy(parents, d->parents, d->depth * sizeof(*parents));
		} else
			parents = realloc(d->parents, cap * sizeof(*parents));
		if (!parents)
			return -1;
		d->parents = parents;
		d->parents_cap = cap;
	}
	d->parents[d->depth++] = v;
	return 0;
}

static int dump_array(struct dumper *d, const json_t *v)
{
	size_t i, n = json_array_size(v);

	if (enter(d, v) < 0 || put_byte(d, '[') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (dump_value(d, json_array_get(v, i)) < 0)
			return -1;
		if (i + 1 < n && put_byte(d, ',') < 0)
			return -1;
	}
	d->depth--;
	return put_byte(d, ']');
}

static int dump_object(struct dumper *d, const json_t *v)
{
	void *iter = json_object_iter((json_t *)v);

	if (enter(d, v) < 0 || put_byte(d, '{') < 0)
		return -1;
	while (iter) {
		void *next = json_object_iter_next((json_t *)v, iter);

		/* jansson ignores a key that fails to dump, and goes on */
		if (dump_string(d, json_object_iter_key(iter), json_object_iter_key_len(iter)) < 0 &&
		    d->failed)
			return -1;
		if (put_byte(d, ':') < 0 || dump_value(d, json_object_iter_value(iter)) < 0)
			return -1;
		if (next && put_byte(d, ',') < 0)
			return -1;
		iter = next;
	}
	d->depth--;
	return put_byte(d, '}');
}

static int dump_value(struct dumper *d, const json_t *v)
{
	if (!v)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return dump_object(d, v);
	case JSON_ARRAY:
		return dump_array(d, v);
	case JSON_STRING:
		return dump_string(d, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return dump_integer(d, json_integer_value(v));
	case JSON_REAL:
		/* jansson's real formatting (precision 17, ".0" added), as it is */
		return json_dump_callback(v, put_callback, d, JSON_COMPACT | JSON_ENCODE_ANY) ? -1
											 : 0;
	case JSON_TRUE:
		return put(d, "true", 4);
	case JSON_FALSE:
		return put(d, "false", 5);
	case JSON_NULL:
		return put(d, "null", 4);
	}
	return -1;
}

int fp_json_dump(const json_t *v, json_dump_callback_t callback, void *data)
{
	struct dumper dumper, *d = &dumper;
	int ret;

	d->callback = callback;
	d->data = data;
	d->failed = 0;
	d->used = 0;
	d->parents = d->parents_inline;
	d->depth = 0;
	d->parents_cap = sizeof(d->parents_inline) / sizeof(d->parents_inline[0]);
	ret = dump_value(d, v);
	/* what was dumped before a failure is passed on, as jansson does */
	if (flush(d) < 0)
		ret = -1;
	if (d->parents != d->parents_inline)
		free(d->parents);
	return ret;
}
