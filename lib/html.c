#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "html.h"
#include "record.h"
#include "utf8.h"
#include "banned.h"

/* HTML5: numeric references 0x80-0x9F name windows-1252 characters. */
static const unsigned short cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

/*
 * Decodes the reference at s[0] == '&'. Returns the number of input bytes it
 * spans and stores the code point in *cp, or returns 0 when it is not a
 * valid reference.
 */
static size_t decode_ref(const char *s, size_t len, unsigned int *cp)
{
	size_t i = 1;

	if (i < len && s[i] == '#') {
		unsigned long v = 0;
		int hex = 0, digits = 0;

		i++;
		if (i < len && (s[i] == 'x' || s[i] == 'X')) {
			hex = 1;
			i++;
		}
		for (; i < len; i++) {
			int d;
			char c = s[i];

			if (c >= '0' && c <= '9')
				d = c - '0';
			else if (hex && c >= 'a' && c <= 'f')
				d = c - 'a' + 10;
			else if (hex && c >= 'A' && c <= 'F')
				d = c - 'A' + 10;
			else
				break;
			if (v <= 0x10FFFF)
				v = v * (hex ? 16 : 10) + (unsigned long)d;
			digits++;
		}
		if (!digits)
			return 0;
		if (i < len && s[i] == ';')
			i++;
		if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
			v = 0xFFFD;
		else if (v >= 0x80 && v <= 0x9F)
			v = cp1252[v - 0x80];
		*cp = (unsigned int)v;
		return i;
	} else {
		char name[33];
		const htmlEntityDesc *ent;

		while (i < len && i - 1 < sizeof(name) - 1 &&
		       ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
			(s[i] >= '0' && s[i] <= '9')))
			i++;
		if (i == 1 || i >= len || s[i] != ';')
			return 0;
		memcpy(name, s + 1, i - 1);
		name[i - 1] = '\0';
		ent = htmlEntityLookup((const xmlChar *)name);
		if (!ent)
			return 0;
		*cp = ent->value;
		return i + 1;
	}
}

char *fp_html_unescape(const char *s, size_t len, size_t *outlen)
{
	/* No reference is shorter than its UTF-8: the shortest, "&#0" (3
	 * bytes), gives U+FFFD (3); HTML 4 names are all below U+10000 and
	 * at least 4 bytes with '&' and ';'. So len + 1 bytes always fit. */
	char *out = malloc(len + 1);
	size_t i = 0, o = 0;

	if (!out)
		return NULL;
	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t n, run = amp ? (size_t)(amp - (s + i)) : len - i;
		unsigned int cp;

		memcpy(out + o, s + i, run);
		o += run;
		i += run;
		if (!amp)
			break;
		n = decode_ref(s + i, len - i, &cp);
		if (n) {
			o += fp_utf8_encode(cp, out + o);
			i += n;
		} else {
			out[o++] = '&';
			i++;
		}
	}
	out[o] = '\0';
	if (outlen)
		*outlen = o;
	return out;
}

/* ---- growable buffers ---- */

struct buf {
	char *p;
	size_t len, cap;
	int oom; /* sticky: an allocation failed */
};

static int buf_reserve(struct buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more + 1 <= b->cap)
		return 0;
	if (b->oom)
		return -1;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

static void buf_put(struct buf *b, const char *s, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = '\0';
}

static void buf_puts(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void buf_putc(struct buf *b, char c)
{
	buf_put(b, &c, 1);
}

static void buf_reset(struct buf *b)
{
	b->len = 0;
	b->oom = 0;
	if (b->p)
		b->p[0] = '\0';
}

static void buf_release(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Escapes text (attr: also '"') for HTML. */
static void buf_escape(struct buf *b, const char *s, size_t len, int attr)
{
	size_t i, run = 0;

	for (i = 0; i < len; i++) {
		const char *rep;

		switch (s[i]) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = attr ? "&quot;" : NULL; break;
		default: rep = NULL;
		}
		if (!rep)
			continue;
		buf_put(b, s + run, i - run);
		buf_puts(b, rep);
		run = i + 1;
	}
	buf_put(b, s + run, len - run);
}

/* ---- tags ---- */

enum {
	T_ALLOW = 1 << 0,  /* kept in html (with allowlisted attributes only) */
	T_DROP = 1 << 1,   /* removed with everything inside */
	T_EMBED = 1 << 2,  /* removed; its source goes to embeds */
	T_BLOCK = 1 << 3,  /* a paragraph in text */
	T_LINE = 1 << 4,   /* a line in text */
	T_CELL = 1 << 5,   /* a table cell: tab-separated in text */
	T_VOID = 1 << 6,   /* no end tag */
	T_PRE = 1 << 7,    /* whitespace preserved */
	T_INLINE = 1 << 8, /* allowed phrasing element: lives in a paragraph */
	T_LIST = 1 << 9,   /* ul, ol */
	T_ROOT = 1 << 10,  /* html, body: transparent */
};

struct tag {
	const char *name;
	unsigned flags;
};

/* Sorted by name for bsearch. Unknown elements are unwrapped. */
static const struct tag tags[] = {
	{ "a", T_ALLOW | T_INLINE },
	{ "address", T_BLOCK },
	{ "applet", T_EMBED },
	{ "article", T_BLOCK },
	{ "aside", T_BLOCK },
	{ "audio", T_EMBED },
	{ "b", T_ALLOW | T_INLINE },
	{ "base", T_DROP },
	{ "blockquote", T_ALLOW | T_BLOCK },
	{ "body", T_ROOT },
	{ "br", T_ALLOW | T_VOID | T_INLINE },
	{ "canvas", T_DROP },
	{ "caption", T_LINE },
	{ "center", T_BLOCK },
	{ "code", T_ALLOW | T_INLINE | T_PRE },
	{ "datalist", T_DROP },
	{ "dd", T_LINE },
	{ "details", T_BLOCK },
	{ "dialog", T_DROP },
	{ "div", T_BLOCK },
	{ "dl", T_BLOCK },
	{ "dt", T_LINE },
	{ "em", T_ALLOW | T_INLINE },
	{ "embed", T_EMBED },
	{ "fieldset", T_BLOCK },
	{ "figcaption", T_ALLOW | T_BLOCK },
	{ "figure", T_ALLOW | T_BLOCK },
	{ "footer", T_BLOCK },
	{ "form", T_DROP },
	{ "frame", T_EMBED },
	{ "frameset", T_DROP },
	{ "h1", T_ALLOW | T_BLOCK },
	{ "h2", T_ALLOW | T_BLOCK },
	{ "h3", T_ALLOW | T_BLOCK },
	{ "h4", T_ALLOW | T_BLOCK },
	{ "h5", T_ALLOW | T_BLOCK },
	{ "h6", T_ALLOW | T_BLOCK },
	{ "head", T_DROP },
	{ "header", T_BLOCK },
	{ "hr", T_ALLOW | T_BLOCK | T_VOID },
	{ "html", T_ROOT },
	{ "i", T_ALLOW | T_INLINE },
	{ "iframe", T_EMBED },
	{ "img", T_ALLOW | T_VOID | T_INLINE },
	{ "input", T_DROP },
	{ "li", T_ALLOW | T_LINE },
	{ "link", T_DROP },
	{ "main", T_BLOCK },
	{ "map", T_DROP },
	{ "math", T_DROP },
	{ "meta", T_DROP },
	{ "nav", T_BLOCK },
	{ "noembed", T_DROP },
	{ "noframes", T_DROP },
	{ "noscript", T_DROP },
	{ "object", T_EMBED },
	{ "ol", T_ALLOW | T_BLOCK | T_LIST },
	{ "optgroup", T_DROP },
	{ "option", T_DROP },
	{ "p", T_ALLOW | T_BLOCK },
	{ "param", T_DROP },
	{ "plaintext", T_DROP },
	{ "pre", T_ALLOW | T_BLOCK | T_PRE },
	{ "script", T_DROP },
	{ "section", T_BLOCK },
	{ "select", T_DROP },
	{ "source", T_DROP },
	{ "strong", T_ALLOW | T_INLINE },
	{ "style", T_DROP },
	{ "sub", T_ALLOW | T_INLINE },
	{ "summary", T_LINE },
	{ "sup", T_ALLOW | T_INLINE },
	{ "svg", T_DROP },
	{ "table", T_ALLOW | T_BLOCK },
	{ "tbody", T_ALLOW },
	{ "td", T_ALLOW | T_CELL },
	{ "template", T_DROP },
	{ "textarea", T_DROP },
	{ "tfoot", T_ALLOW },
	{ "th", T_ALLOW | T_CELL },
	{ "thead", T_ALLOW },
	{ "title", T_DROP },
	{ "tr", T_ALLOW | T_LINE },
	{ "track", T_DROP },
	{ "ul", T_ALLOW | T_BLOCK | T_LIST },
	{ "video", T_EMBED },
	{ "xmp", T_DROP },
};

static int tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

static unsigned tag_flags(const char *name)
{
	const struct tag *t = bsearch(name, tags, sizeof(tags) / sizeof(tags[0]), sizeof(tags[0]),
				      tag_cmp);

	return t ? t->flags : 0;
}

/* ---- the cleaner ---- */

/* Break levels between pieces of text, weakest first. */
enum { SEP_NONE, SEP_SPACE, SEP_TAB, SEP_LINE, SEP_PARA };

#define TEXT_RULE_MAX 1024 /* rules see blocks and lines up to this many bytes */

struct frame {
	xmlNode *node;
	struct fp_rules_node rn;
	unsigned flags;
	int sep;                 /* break level around the element in text */
	int emitted;             /* an open tag was written */
	size_t html_mark;        /* html.len before the open tag */
	unsigned long content_mark;
	size_t text_mark;        /* text.len at the start (links) */
	int link;                /* an allowed link: listed on close */
};

struct fp_html {
	struct fp_html_options opt;
	struct fp_rules *rules;
	struct buf html, text, scratch, url, pre;
	struct frame *stack;
	size_t depth;

	/* per body */
	json_t *images, *links, *embeds, *found;
	unsigned long content; /* visible characters and images emitted */
	int sep;               /* pending break before the next text */
	int sep_br;            /* the pending break came from a <br> */
	char soft[24];         /* pending soft spaces (U+3000, U+00A0) */
	size_t soft_len;
	size_t emitted_depth;  /* open tags written (implicit <p> excluded) */
	int implicit_p;        /* an implicit <p> is open */
	size_t implicit_mark;
	unsigned long implicit_content;
	int in_pre, in_li;
	int line_rules;
	unsigned long seen;    /* visible text nodes met, and elements rules removed */
	unsigned long refused; /* URLs refused (unsafe scheme) */

	/* totals over all bodies, for fp_html_stats() */
	json_t *totals;
};

void fp_html_options_init(struct fp_html_options *opt)
{
	opt->max_bytes = FP_HTML_DEFAULT_MAX_BYTES;
	opt->max_depth = FP_HTML_DEFAULT_MAX_DEPTH;
}

struct fp_html *fp_html_new(const struct fp_html_options *opt, struct fp_rules *rules)
{
	struct fp_html *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	if (opt)
		h->opt = *opt;
	else
		fp_html_options_init(&h->opt);
	if (!h->opt.max_depth)
		h->opt.max_depth = FP_HTML_DEFAULT_MAX_DEPTH;
	h->rules = rules;
	h->stack = calloc(h->opt.max_depth + 1, sizeof(*h->stack));
	h->totals = json_pack("{s:I,s:I,s:I,s:I,s:{}}", "images", (json_int_t)0, "links",
			      (json_int_t)0, "embeds", (json_int_t)0, "urls_refused", (json_int_t)0,
			      "found");
	if (!h->stack || !h->totals) {
		fp_html_free(h);
		return NULL;
	}
	return h;
}

void fp_html_free(struct fp_html *h)
{
	if (!h)
		return;
	buf_release(&h->html);
	buf_release(&h->text);
	buf_release(&h->scratch);
	buf_release(&h->url);
	buf_release(&h->pre);
	json_decref(h->totals);
	free(h->stack);
	free(h);
}

/* Value of attribute `name` of `node`, "" when it has no value, or NULL. */
static const char *node_attr(const xmlNode *node, const char *name)
{
	const xmlAttr *a;

	for (a = node->properties; a; a = a->next) {
		if (strcmp((const char *)a->name, name) != 0)
			continue;
		if (!a->children || !a->children->content)
			return "";
		return (const char *)a->children->content;
	}
	return NULL;
}

static const char *rn_attr(const struct fp_rules_node *n, const char *name)
{
	return node_attr(n->impl, name);
}

static int is_ascii_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of a soft space (U+3000, U+00A0) at s, or 0. */
static size_t soft_space(const unsigned char *s, size_t len)
{
	if (len >= 3 && s[0] == 0xE3 && s[1] == 0x80 && s[2] == 0x80)
		return 3;
	if (len >= 2 && s[0] == 0xC2 && s[1] == 0xA0)
		return 2;
	return 0;
}

/*
 * Appends `s` to `out` with every run of whitespace (U+3000 and U+00A0
 * included) as one space, without leading or trailing space; stops once
 * `out` holds `limit` bytes or more (0: no limit).
 */
static void collapse_into(struct buf *out, const char *s, size_t len, int *pending, size_t limit)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < len && (!limit || out->len < limit)) {
		size_t n, run;

		if (is_ascii_space(u[i])) {
			*pending = 1;
			i++;
			continue;
		}
		if ((n = soft_space(u + i, len - i))) {
			*pending = 1;
			i += n;
			continue;
		}
		run = i + 1;
		while (run < len && !is_ascii_space(u[run]) && u[run] != 0xE3 && u[run] != 0xC2)
			run++;
		if (*pending && out->len)
			buf_putc(out, ' ');
		*pending = 0;
		buf_put(out, s + i, run - i);
		i = run;
	}
}

/*
 * The text of an element for the rules: whitespace collapsed, a space at
 * element boundaries of blocks and <br>, nothing from dropped elements.
 * Gives up (returns NULL) past TEXT_RULE_MAX bytes.
 */
static const char *element_text(void *ctx, int leaf, size_t max, size_t *len)
{
	struct fp_html *h = ctx;
	const xmlNode *top = h->stack[h->depth - 1].node, *cur = top->children;
	size_t limit = max && max <= TEXT_RULE_MAX ? max : TEXT_RULE_MAX + 1;
	int pending = 0;

	buf_reset(&h->scratch);
	while (cur) {
		int descend = 0;

		if (cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) {
			if (cur->content)
				collapse_into(&h->scratch, (const char *)cur->content,
					      strlen((const char *)cur->content), &pending, limit);
			if (h->scratch.len > TEXT_RULE_MAX)
				return NULL;
			if (h->scratch.len >= limit)
				break; /* a prefix was asked for */
		} else if (cur->type == XML_ELEMENT_NODE) {
			unsigned f = tag_flags((const char *)cur->name);

			if (leaf && f & (T_BLOCK | T_LINE | T_CELL))
				return NULL;
			if (f & (T_BLOCK | T_LINE | T_CELL) || strcmp((const char *)cur->name, "br") == 0)
				pending = 1;
			descend = !(f & (T_DROP | T_EMBED));
		}
		if (descend && cur->children) {
			cur = cur->children;
			continue;
		}
		while (cur != top && !cur->next) {
			cur = cur->parent;
			if (cur != top && tag_flags((const char *)cur->name) & (T_BLOCK | T_LINE | T_CELL))
				pending = 1;
		}
		if (cur == top)
			break;
		cur = cur->next;
	}
	if (h->scratch.oom)
		return NULL;
	*len = h->scratch.len;
	return h->scratch.p ? h->scratch.p : "";
}

/*
 * Writes the sanitized form of URL `in` to h->url: surrounding whitespace
 * and control characters trimmed, tabs and newlines inside removed (browsers
 * ignore them, so "jav\tascript:" is javascript:), "//host" made https:.
 * Returns 0, or -1 when the URL is empty or its scheme is not http, https
 * or mailto.
 */
static int clean_url(struct fp_html *h, const char *in)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t len = strlen(in), i, n;
	struct buf *u = &h->url;

	buf_reset(u);
	while (len && s[0] <= 0x20)
		s++, len--;
	while (len && s[len - 1] <= 0x20)
		len--;
	if (!len)
		return -1;
	if (len >= 2 && s[0] == '/' && s[1] == '/')
		buf_puts(u, "https:");
	for (i = 0; i < len; i++)
		if (s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			buf_putc(u, (char)s[i]);
	if (u->oom)
		return -1;
	/* A scheme is letters, digits, '+', '-', '.' before the first ':'. */
	for (n = 0; n < u->len; n++) {
		char c = u->p[n];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (n && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'))))
			break;
	}
	if (n == u->len || u->p[n] != ':') {
		/* Relative, unless its first segment has a ':' (a scheme
		 * hidden behind junk: "`javascript:") or an '&' (HTML5's
		 * "javascript&colon;"). */
		size_t end = strcspn(u->p, "/?#");

		if (memchr(u->p, '&', end) || memchr(u->p, ':', end)) {
			h->refused++;
			return -1;
		}
		return 0;
	}
	if ((n == 4 && strncasecmp(u->p, "http", 4) == 0) ||
	    (n == 5 && strncasecmp(u->p, "https", 5) == 0) ||
	    (n == 6 && strncasecmp(u->p, "mailto", 6) == 0))
		return 0;
	h->refused++;
	return -1;
}

/* ---- output ---- */

/* Ends an html line: nothing before a line's end. */
static void html_trim(struct fp_html *h)
{
	struct buf *b = &h->html;

	for (;;) {
		if (b->len && (b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\n'))
			b->len--;
		else if (b->len >= 4 && memcmp(b->p + b->len - 4, "<br>", 4) == 0)
			b->len -= 4;
		else
			break;
	}
}

static int ends_with(const struct buf *b, const char *s)
{
	size_t n = strlen(s);

	return b->len >= n && memcmp(b->p + b->len - n, s, n) == 0;
}

/* Whitespace in html: one space or newline, none at the start of a line. */
static void html_space(struct fp_html *h, char c)
{
	struct buf *b = &h->html;

	if (!b->len || b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\n')
		return;
	if (b->p[b->len - 1] == '>' && (ends_with(b, "<p>") || ends_with(b, "<br>") ||
					 ends_with(b, "<li>") || ends_with(b, "<td>") ||
					 ends_with(b, "<th>") || ends_with(b, "</li>") ||
					 ends_with(b, "<ul>") || ends_with(b, "<ol>") ||
					 ends_with(b, "<tr>") || ends_with(b, "</tr>") ||
					 ends_with(b, "</td>") || ends_with(b, "</th>")))
		return;
	buf_putc(b, c);
}


/* Closes the implicit <p>, dropping it when it got no content. */
static void close_implicit_p(struct fp_html *h)
{
	if (!h->implicit_p)
		return;
	if (h->content == h->implicit_content)
		h->html.len = h->implicit_mark;
	else {
		html_trim(h);
		buf_puts(&h->html, "</p>");
	}
	h->implicit_p = 0;
}

/* Inline content is about to be written: make sure a block holds it. */
static void need_paragraph(struct fp_html *h)
{
	if (h->emitted_depth || h->implicit_p)
		return;
	h->implicit_p = 1;
	h->implicit_mark = h->html.len;
	h->implicit_content = h->content;
	buf_puts(&h->html, "<p>");
}

static void text_break(struct fp_html *h, int level)
{
	if (level > h->sep) {
		h->sep = level;
		h->sep_br = 0;
	}
}

/* Writes the pending break before visible text. */
static void flush_sep(struct fp_html *h)
{
	struct buf *t = &h->text;

	if (t->len && h->sep >= SEP_LINE) {
		while (t->len && is_ascii_space((unsigned char)t->p[t->len - 1]))
			t->len--;
		buf_puts(t, h->sep == SEP_PARA ? "\n\n" : "\n");
	} else if (t->len && h->sep == SEP_TAB) {
		buf_putc(t, '\t');
	} else if (t->len && h->sep == SEP_SPACE && t->p[t->len - 1] != '\n') {
		if (h->soft_len)
			buf_put(t, h->soft, h->soft_len);
		else
			buf_putc(t, ' ');
	}
	h->sep = SEP_NONE;
	h->sep_br = 0;
	h->soft_len = 0;
}

/* Text for `text`: whitespace collapsed unless in <pre>/<code>. */
static void emit_text(struct fp_html *h, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	if (h->in_pre) {
		if (!len)
			return;
		flush_sep(h);
		buf_put(&h->text, s, len);
		h->content += len;
		return;
	}
	while (i < len) {
		size_t n, run;

		if (is_ascii_space(u[i])) {
			if (h->sep == SEP_NONE)
				h->sep = SEP_SPACE;
			i++;
			continue;
		}
		if ((n = soft_space(u + i, len - i))) {
			/* Soft spaces stay inside a line, as they were. */
			if (h->sep <= SEP_SPACE) {
				if (h->soft_len + n <= sizeof(h->soft)) {
					memcpy(h->soft + h->soft_len, s + i, n);
					h->soft_len += n;
				}
				h->sep = SEP_SPACE;
			}
			i += n;
			continue;
		}
		run = i + 1;
		while (run < len && !is_ascii_space(u[run]) && u[run] != 0xE3 && u[run] != 0xC2)
			run++;
		flush_sep(h);
		buf_put(&h->text, s + i, run - i);
		h->content += run - i;
		i = run;
	}
}

/* Writes a text node to html (escaped; whitespace runs collapsed outside
 * <pre>) and to text. */
/*
 * Markdown-ish bodies: a line "## Title" at the start of a line outside any
 * block becomes <h2>Title</h2> (returns 1, all written); inside a heading
 * the "## " marker is dropped (*s and *len are moved past it).
 */
static int markdown_heading(struct fp_html *h, const char **sp, size_t *lenp)
{
	const char *s = *sp, *parent;
	size_t len = *lenp, lead = 0, hashes = 0, start, end = len;
	char tag[4] = "h0";

	if (h->text.len && h->sep < SEP_LINE)
		return 0;
	while (lead < len && is_ascii_space((unsigned char)s[lead]))
		lead++;
	while (lead + hashes < len && s[lead + hashes] == '#' && hashes < 7)
		hashes++;
	if (hashes < 1 || hashes > 6 || lead + hashes >= len || s[lead + hashes] != ' ')
		return 0;
	for (start = lead + hashes; start < len && is_ascii_space((unsigned char)s[start]); start++)
		;
	while (end > start && is_ascii_space((unsigned char)s[end - 1]))
		end--;
	if (end == start || memchr(s + start, '\n', end - start))
		return 0;
	parent = h->depth ? (const char *)h->stack[h->depth - 1].node->name : "";
	if (parent[0] == 'h' && parent[1] >= '1' && parent[1] <= '6' && !parent[2]) {
		*sp = s + start;
		*lenp = end - start;
		return 0;
	}
	if (h->emitted_depth)
		return 0;
	tag[1] = (char)('0' + hashes);
	close_implicit_p(h);
	text_break(h, SEP_PARA);
	buf_putc(&h->html, '<');
	buf_puts(&h->html, tag);
	buf_putc(&h->html, '>');
	buf_escape(&h->html, s + start, end - start, 0);
	buf_puts(&h->html, "</");
	buf_puts(&h->html, tag);
	buf_putc(&h->html, '>');
	emit_text(h, s + start, end - start);
	text_break(h, SEP_PARA);
	return 1;
}

static void text_node(struct fp_html *h, const char *s)
{
	size_t len = strlen(s), i;
	int visible = 0;

	if (h->in_pre) {
		visible = len > 0;
	} else {
		for (i = 0; i < len && !visible; i++)
			visible = !is_ascii_space((unsigned char)s[i]);
	}
	if (visible)
		h->seen++;
	if (!visible) {
		emit_text(h, s, len);
		if (h->emitted_depth || h->implicit_p)
			html_space(h, ' ');
		return;
	}
	if (h->line_rules && !h->in_pre) {
		int pending = 0;

		buf_reset(&h->scratch);
		collapse_into(&h->scratch, s, len, &pending, 32);
		if (fp_rules_line_candidate(h->rules, h->scratch.p ? h->scratch.p : "", h->scratch.len)) {
			buf_reset(&h->scratch);
			pending = 0;
			collapse_into(&h->scratch, s, len, &pending, TEXT_RULE_MAX + 1);
		} else {
			buf_reset(&h->scratch);
		}
		if (h->scratch.len && h->scratch.len <= TEXT_RULE_MAX && !h->scratch.oom &&
		    fp_rules_match_line(h->rules, h->scratch.p, h->scratch.len, h->found) ==
			    FP_RULES_REMOVE) {
			/* The line goes with one of the <br>s around it. */
			h->sep_br = 0;
			if (ends_with(&h->html, "<br>"))
				h->html.len -= 4;
			return;
		}
	}
	if (!h->in_pre && markdown_heading(h, &s, &len))
		return;
	need_paragraph(h);
	if (h->in_pre) {
		buf_escape(&h->html, s, len, 0);
	} else {
		size_t j;

		for (i = 0; i < len; i = j) {
			for (j = i; j < len && !is_ascii_space((unsigned char)s[j]); j++)
				;
			buf_escape(&h->html, s + i, j - i, 0);
			if (j == len)
				break;
			i = j;
			while (j < len && is_ascii_space((unsigned char)s[j]))
				j++;
			html_space(h, memchr(s + i, '\n', j - i) ? '\n' : ' ');
		}
	}
	emit_text(h, s, len);
}

static int is_hidden(const xmlNode *n)
{
	const char *style = node_attr(n, "style");
	const char *aria = node_attr(n, "aria-hidden");
	char compact[2048];
	size_t i, o = 0;

	if (node_attr(n, "hidden") || (aria && strcmp(aria, "true") == 0))
		return 1;
	if (!style)
		return 0;
	for (i = 0; style[i] && o < sizeof(compact) - 1; i++) {
		char c = style[i];

		if (is_ascii_space((unsigned char)c))
			continue;
		compact[o++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	compact[o] = '\0';
	return strstr(compact, "display:none") || strstr(compact, "visibility:hidden");
}

/* A size attribute of 0 or 1 pixels. */
static int is_tiny(const char *v)
{
	return v && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0 || strcmp(v, "0px") == 0 ||
		     strcmp(v, "1px") == 0);
}

static void add_embed(struct fp_html *h, const xmlNode *n)
{
	const char *src = node_attr(n, "src");
	const xmlNode *c;

	if (!src || !*src)
		src = node_attr(n, "data-src");
	if ((!src || !*src) && strcmp((const char *)n->name, "object") == 0)
		src = node_attr(n, "data");
	for (c = n->children; (!src || !*src) && c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, "source") == 0)
			src = node_attr(c, "src");
	if (!src || clean_url(h, src) < 0)
		return;
	json_array_append_new(h->embeds, json_pack("{s:s%,s:s}", "src", h->url.p, h->url.len,
						   "tag", (const char *)n->name));
}

static const char *lazy_src(const xmlNode *n)
{
	static const char *const names[] = {
		"data-src", "data-original", "data-lazy-src", "data-actualsrc", "data-url", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++) {
		const char *v = node_attr(n, names[i]);

		if (v && *v)
			return v;
	}
	return NULL;
}

static void image(struct fp_html *h, const xmlNode *n)
{
	const char *src = node_attr(n, "src"), *alt = node_attr(n, "alt");
	const char *lazy = lazy_src(n);
	const char *p;

	if (is_tiny(node_attr(n, "width")) && is_tiny(node_attr(n, "height")))
		return; /* a tracking pixel */
	/* A lazy image's src is a placeholder (empty, data:, a blank gif). */
	if (lazy && (!src || !*src || strncasecmp(src, "data:", 5) == 0 ||
		     ((p = strrchr(src, '/')) && (strstr(p, "blank") || strstr(p, "placeholder") ||
						  strstr(p, "loading")))))
		src = lazy;
	if (!src || clean_url(h, src) < 0)
		return;
	need_paragraph(h);
	buf_puts(&h->html, "<img src=\"");
	buf_escape(&h->html, h->url.p, h->url.len, 1);
	if (alt) {
		buf_puts(&h->html, "\" alt=\"");
		buf_escape(&h->html, alt, strlen(alt), 1);
	}
	buf_puts(&h->html, "\">");
	h->content++;
	json_array_append_new(h->images, json_pack("{s:s%,s:o}", "src", h->url.p, h->url.len, "alt",
						   alt ? json_string(alt) : json_null()));
}

/*
 * Enters element `n`. Returns 1 when its children are to be visited (a
 * frame was pushed: leave() will be called), 0 when it was skipped or fully
 * handled, -1 when too deep.
 */
static int enter(struct fp_html *h, xmlNode *n, struct fp_error *err)
{
	struct frame *f, *parent = h->depth ? &h->stack[h->depth - 1] : NULL;
	const char *name = (const char *)n->name;
	unsigned flags;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		if (n->content)
			text_node(h, (const char *)n->content);
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0; /* comments, processing instructions, ... */
	flags = tag_flags(name);
	if (flags & T_DROP)
		return 0;
	if (h->depth >= h->opt.max_depth) {
		fp_error_set(err, "html-too-deep", "html nested deeper than %zu elements",
			     h->opt.max_depth);
		return -1;
	}
	f = &h->stack[h->depth++];
	memset(f, 0, sizeof(*f));
	f->node = n;
	f->flags = flags;
	f->rn.tag = name;
	f->rn.attr = rn_attr;
	f->rn.impl = n;
	f->rn.parent = parent ? &parent->rn : NULL;
	f->rn.is_block = (flags & (T_BLOCK | T_LINE | T_CELL)) && !(flags & T_LIST);
	if (!(flags & T_ROOT)) {
		enum fp_rules_verdict v = FP_RULES_NONE;

		if (h->rules)
			v = fp_rules_match_node(h->rules, &f->rn, element_text, h, h->found);
		if (v == FP_RULES_REMOVE || (v == FP_RULES_NONE && is_hidden(n))) {
			h->seen++;
			h->depth--;
			return 0;
		}
	}
	if (flags & T_EMBED) {
		add_embed(h, n);
		/* <embed> is void, but libxml2 (HTML 4) makes what follows an
		 * unclosed one its children: walk them as the browser shows them. */
		if (strcmp(name, "embed") != 0 || !n->children) {
			h->depth--;
			return 0;
		}
		f->flags = flags = flags & ~T_EMBED;
	}
	if (strcmp(name, "img") == 0) {
		image(h, n);
		h->depth--;
		return 0;
	}
	if (strcmp(name, "br") == 0) {
		if (h->emitted_depth || h->implicit_p) {
			while (h->html.len && h->html.p[h->html.len - 1] == ' ')
				h->html.len--;
			buf_puts(&h->html, "<br>");
		}
		if (h->in_pre) {
			flush_sep(h);
			buf_putc(&h->text, '\n');
		} else if (h->sep == SEP_LINE && h->sep_br) {
			h->sep = SEP_PARA;
		} else if (h->sep < SEP_LINE) {
			h->sep = SEP_LINE;
			h->sep_br = 1;
		}
		h->depth--;
		return 0;
	}

	/* Break level in text. Lists nested in a list item are lines. */
	if (flags & T_LIST && h->in_li)
		f->sep = SEP_LINE;
	else if (flags & T_BLOCK)
		f->sep = SEP_PARA;
	else if (flags & T_LINE)
		f->sep = SEP_LINE;
	else if (flags & T_CELL)
		f->sep = SEP_TAB;
	if (f->sep)
		text_break(h, f->sep);
	if (f->sep >= SEP_LINE && h->in_pre == 0 && h->emitted_depth == 0)
		close_implicit_p(h);

	f->html_mark = h->html.len;
	f->content_mark = h->content;
	f->text_mark = h->text.len;
	if (flags & T_ALLOW) {
		if (flags & T_INLINE)
			need_paragraph(h);
		else if (h->emitted_depth == 0)
			close_implicit_p(h);
		f->html_mark = h->html.len;
		if (strcmp(name, "a") == 0) {
			const char *href = node_attr(n, "href");

			if (href && clean_url(h, href) == 0) {
				buf_puts(&h->html, "<a href=\"");
				buf_escape(&h->html, h->url.p, h->url.len, 1);
				buf_puts(&h->html, "\">");
				f->emitted = 1;
				f->link = 1;
			}
		} else {
			buf_putc(&h->html, '<');
			buf_puts(&h->html, name);
			buf_putc(&h->html, '>');
			f->emitted = 1;
		}
		if (f->emitted)
			h->emitted_depth++;
		if (strcmp(name, "hr") == 0) {
			h->emitted_depth--;
			h->depth--;
			return 0;
		}
	}
	if (flags & T_PRE)
		h->in_pre++;
	if (strcmp(name, "li") == 0)
		h->in_li++;
	return 1;
}

static void leave(struct fp_html *h)
{
	struct frame *f = &h->stack[--h->depth];
	const char *name = (const char *)f->node->name;
	int empty = h->content == f->content_mark;

	if (f->flags & T_PRE)
		h->in_pre--;
	if (strcmp(name, "li") == 0)
		h->in_li--;
	if (f->emitted) {
		h->emitted_depth--;
		if (empty) {
			h->html.len = f->html_mark;
			if (h->implicit_p && h->implicit_mark >= f->html_mark)
				h->implicit_p = 0;
		} else {
			if (!(f->flags & T_INLINE) && !(f->flags & T_PRE))
				html_trim(h);
			buf_puts(&h->html, "</");
			buf_puts(&h->html, name);
			buf_putc(&h->html, '>');
		}
	}
	if (f->link && !empty) {
		const char *href = node_attr(f->node, "href");
		size_t start = f->text_mark;
		int pending = 0;

		/* The link's text as written to text, on one line. */
		buf_reset(&h->scratch);
		if (start < h->text.len)
			collapse_into(&h->scratch, h->text.p + start, h->text.len - start, &pending, 0);
		if (href && clean_url(h, href) == 0) /* accepted on entry: no refusal here */
			json_array_append_new(h->links,
					      json_pack("{s:s%,s:s%}", "href", h->url.p, h->url.len,
							"text", h->scratch.p ? h->scratch.p : "",
							h->scratch.len));
	}
	if (f->sep) {
		if (f->sep >= SEP_LINE && h->emitted_depth == 0)
			close_implicit_p(h);
		text_break(h, f->sep == SEP_TAB ? SEP_NONE : f->sep);
	}
}

/* Phrasing elements the tag table does not list (they are unwrapped). */
static int is_phrasing(const char *name)
{
	static const char *const names[] = {
		"abbr", "big", "cite", "del", "dfn", "font", "ins", "kbd", "label", "mark", "nobr",
		"q", "s", "samp", "small", "span", "strike", "time", "tt", "u", "var", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/*
 * Whether the '<' at `p` starts what only HTML has: a closing tag, a
 * comment or doctype, a start tag with attributes, an element that is never
 * closed (<br>, <img ...>), or a known element (<p>, <span>). "<title>" or
 * "<topic>" alone may be Markdown talking about paths; "</p>" is not.
 */
static int looks_like_html(const char *p, size_t len)
{
	static const char *const voids[] = {
		"br", "img", "hr", "iframe", "input", "meta", "link", "embed", "source", "wbr", NULL,
	};
	size_t i, n;

	if (len >= 3 && p[1] == '/' && ((p[2] >= 'a' && p[2] <= 'z') || (p[2] >= 'A' && p[2] <= 'Z')))
		return 1;
	if (len >= 2 && (p[1] == '!' || p[1] == '?'))
		return 1;
	/* a start tag with an attribute: <div class=... */
	for (n = 1; n < len && ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
				(n > 1 && p[n] >= '0' && p[n] <= '9')); n++)
		;
	if (n > 1 && n < len && is_ascii_space((unsigned char)p[n])) {
		while (n < len && is_ascii_space((unsigned char)p[n]))
			n++;
		i = n;
		while (n < len && ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') || p[n] == '-'))
			n++;
		if (n > i && n < len && (p[n] == '=' || p[n] == '>'))
			return 1;
	}
	for (i = 0; voids[i]; i++) {
		n = strlen(voids[i]);
		if (len > n + 1 && strncasecmp(p + 1, voids[i], n) == 0 &&
		    (p[n + 1] == '>' || p[n + 1] == '/' || is_ascii_space((unsigned char)p[n + 1])))
			return 1;
	}
	/* a known element, such as <p> whose end tag is optional; "<title>"
	 * is the usual Markdown placeholder, HTML only with its end tag */
	{
		char name[16];

		for (n = 0; n + 1 < len && n < sizeof(name) - 1 &&
			    ((p[n + 1] >= 'a' && p[n + 1] <= 'z') || (p[n + 1] >= 'A' && p[n + 1] <= 'Z') ||
			     (n && p[n + 1] >= '0' && p[n + 1] <= '9'));
		     n++)
			name[n] = (char)(p[n + 1] | 0x20);
		name[n] = '\0';
		if (n && n + 1 < len && (p[n + 1] == '>' || p[n + 1] == '/') &&
		    strcmp(name, "title") != 0 && (tag_flags(name) || is_phrasing(name)))
			return 1;
	}
	return 0;
}

/*
 * Without any markup but an outer <div> wrapper (nothing looks_like_html()),
 * a body is plain text: writes it to h->pre as HTML paragraphs (blank lines)
 * with <br> (newlines), '<' escaped, and returns 1; returns 0 for HTML.
 */
static int plain_text(struct fp_html *h, const char *s, size_t len)
{
	size_t i = 0, end = len;
	int blank = 0, at_start = 1;

	while (i < end && is_ascii_space((unsigned char)s[i]))
		i++;
	while (end > i && is_ascii_space((unsigned char)s[end - 1]))
		end--;
	if (end - i >= 11 && strncasecmp(s + i, "<div>", 5) == 0 &&
	    strncasecmp(s + end - 6, "</div>", 6) == 0) {
		i += 5;
		end -= 6;
	}
	for (const char *p = s + i; (p = memchr(p, '<', (size_t)(s + end - p))); p++)
		if (looks_like_html(p, (size_t)(s + end - p)))
			return 0;
	buf_reset(&h->pre);
	buf_puts(&h->pre, "<div><p>");
	while (i < end) {
		const char *nl = memchr(s + i, '\n', end - i);
		size_t lend = nl ? (size_t)(nl - s) : end, k, lead = i, hashes = 0;
		int ws = 1, heading;

		for (k = i; k < lend && ws; k++)
			ws = is_ascii_space((unsigned char)s[k]);
		if (ws) {
			blank = 1;
			i = lend + 1;
			continue;
		}
		while (lead < lend && (s[lead] == ' ' || s[lead] == '\t'))
			lead++;
		while (lead + hashes < lend && s[lead + hashes] == '#' && hashes < 7)
			hashes++;
		/* "## Title" stands outside the paragraphs: the walk makes it a heading */
		heading = hashes && hashes <= 6 && lead + hashes < lend && s[lead + hashes] == ' ';
		if (heading)
			buf_puts(&h->pre, "</p>");
		else if (!at_start)
			buf_puts(&h->pre, blank ? "</p><p>" : "<br>");
		/* '<' here is text ("<title>" in a Markdown path) */
		for (k = i; k < lend; k++) {
			const char *lt = memchr(s + k, '<', lend - k);
			size_t run = lt ? (size_t)(lt - (s + k)) : lend - k;

			buf_put(&h->pre, s + k, run);
			k += run;
			if (lt)
				buf_puts(&h->pre, "&lt;");
		}
		if (heading)
			buf_puts(&h->pre, "<p>");
		at_start = heading;
		blank = 0;
		i = lend + 1;
	}
	buf_puts(&h->pre, "</p></div>");
	return 1;
}

/*
 * libxml2 checks each attribute of a tag against all the earlier ones: a
 * tag with 40000 attributes takes half a minute. Real tags have a dozen;
 * returns 1 when one has more than MAX_ATTRIBUTES (a cheap scan that
 * follows quotes the way the parser does).
 */
#define MAX_ATTRIBUTES 128

/* libxml2's own nesting limit without XML_PARSE_HUGE (xmlParserMaxDepth). */
#define LIBXML_MAX_DEPTH 256

/* Whether the last parse stopped at libxml2's nesting limit. */
static int libxml_too_deep(void)
{
	const xmlError *e = xmlGetLastError();

	return e && e->code == XML_ERR_INTERNAL_ERROR && e->message &&
	       strstr(e->message, "Excessive depth");
}

static int too_many_attributes(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		const char *lt = memchr(s + i, '<', len - i);
		size_t n = 0;

		if (!lt)
			return 0;
		i = (size_t)(lt - s) + 1;
		if (i >= len || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			continue;
		while (i < len && s[i] != '>' && s[i] != '<') {
			if (s[i] == '"' || s[i] == '\'') {
				const char *q = memchr(s + i + 1, s[i], len - i - 1);

				if (!q)
					return 0;
				i = (size_t)(q - s) + 1;
			} else if (is_ascii_space((unsigned char)s[i])) {
				while (i < len && is_ascii_space((unsigned char)s[i]))
					i++;
				if (++n > MAX_ATTRIBUTES)
					return 1;
			} else {
				i++;
			}
		}
	}
	return 0;
}

static void reset_body(struct fp_html *h)
{
	buf_reset(&h->html);
	buf_reset(&h->text);
	h->depth = 0;
	h->content = 0;
	h->sep = SEP_NONE;
	h->sep_br = 0;
	h->soft_len = 0;
	h->emitted_depth = 0;
	h->implicit_p = 0;
	h->in_pre = 0;
	h->in_li = 0;
	h->seen = 0;
	h->refused = 0;
}

static int walk(struct fp_html *h, xmlNode *root, struct fp_error *err)
{
	xmlNode *cur = root;

	while (cur) {
		int rc = enter(h, cur, err);

		if (rc < 0)
			return -1;
		if (rc && cur->children) {
			cur = cur->children;
			continue;
		}
		if (rc)
			leave(h);
		while (cur != root && !cur->next) {
			cur = cur->parent;
			leave(h);
		}
		if (cur == root)
			break;
		cur = cur->next;
	}
	close_implicit_p(h);
	return 0;
}

/* Adds `n` to the integer member `key` of `obj`. */
static void count(json_t *obj, const char *key, size_t n)
{
	json_t *v = json_object_get(obj, key);

	if (n)
		json_object_set_new(obj, key, json_integer(json_integer_value(v) + (json_int_t)n));
}

/* A JSON string of the buffer. Everything written comes from libxml2 (UTF-8)
 * or from us (ASCII), cut only at element boundaries: one fast check here
 * spares jansson's slower one. */
static json_t *utf8_string(const struct buf *b)
{
	if (!b->len)
		return json_string("");
	if (fp_utf8_valid_prefix(b->p, b->len) != b->len || memchr(b->p, '\0', b->len))
		return NULL;
	return json_stringn_nocheck(b->p, b->len);
}

json_t *fp_html_clean(struct fp_html *h, const char *body, size_t len, const json_t *meta,
		      const json_t *source, struct fp_error *err)
{
	htmlDocPtr doc = NULL;
	json_t *out = NULL;
	const char *in = body;
	size_t inlen = len;
	size_t i;

	if (len > h->opt.max_bytes) {
		fp_error_set(err, "html-too-large", "body of %zu bytes is over the limit of %zu", len,
			     h->opt.max_bytes);
		return NULL;
	}
	reset_body(h);
	h->images = json_array();
	h->links = json_array();
	h->embeds = json_array();
	h->found = json_object();
	if (!h->images || !h->links || !h->embeds || !h->found)
		goto oom;
	if (h->rules) {
		fp_rules_activate(h->rules, meta, source);
		h->line_rules = fp_rules_have_line_rules(h->rules);
	} else {
		h->line_rules = 0;
	}
	for (i = 0; i < len && is_ascii_space((unsigned char)body[i]); i++)
		;
	if (i < len) {
		xmlNode *root;

		if (plain_text(h, body, len)) {
			if (h->pre.oom)
				goto oom;
			in = h->pre.p;
			inlen = h->pre.len;
		}
		if (in == body && too_many_attributes(in, inlen)) {
			fp_error_set(err, "html-too-complex", "a tag has more than %d attributes",
				     MAX_ATTRIBUTES);
			goto fail;
		}
		if (inlen > (size_t)2147483647) {
			fp_error_set(err, "html-too-large", "body too large");
			goto fail;
		}
		/* libxml2 stops building the tree at 256 open elements unless
		 * XML_PARSE_HUGE is given, silently dropping the rest of the body:
		 * lift its limit when ours is higher (walk() enforces ours), and
		 * reject when it was hit all the same. */
		xmlResetLastError();
		doc = htmlReadMemory(in, (int)inlen, NULL, "UTF-8",
				     HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
					     HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT |
					     (h->opt.max_depth > LIBXML_MAX_DEPTH ? XML_PARSE_HUGE : 0));
		if (!doc) {
			fp_error_set(err, "html-unparseable", "libxml2 could not parse the body");
			goto fail;
		}
		if (libxml_too_deep()) {
			fp_error_set(err, "html-too-deep", "html nested deeper than %zu elements",
				     h->opt.max_depth);
			goto fail;
		}
		root = xmlDocGetRootElement(doc);
		if (root && walk(h, root, err) < 0)
			goto fail;
	}
	while (h->text.len && is_ascii_space((unsigned char)h->text.p[h->text.len - 1]))
		h->text.len--;
	if (h->html.oom || h->text.oom || h->scratch.oom || h->url.oom)
		goto oom;
	count(h->totals, "images", json_array_size(h->images));
	count(h->totals, "links", json_array_size(h->links));
	count(h->totals, "embeds", json_array_size(h->embeds));
	count(h->totals, "urls_refused", h->refused);
	{
		const char *key;
		json_t *v;

		json_object_foreach(h->found, key, v)
			count(json_object_get(h->totals, "found"), key, 1);
	}
	out = json_pack("{s:o,s:o,s:O,s:O,s:O,s:O}", "html", utf8_string(&h->html), "text",
			utf8_string(&h->text), "images", h->images, "links", h->links, "embeds",
			h->embeds, "found", h->found);
	if (!out)
		goto oom;
	goto done;
oom:
	fp_error_set(err, "out-of-memory", "out of memory");
fail:
	out = NULL;
done:
	xmlFreeDoc(doc);
	json_decref(h->images);
	json_decref(h->links);
	json_decref(h->embeds);
	json_decref(h->found);
	h->images = h->links = h->embeds = h->found = NULL;
	return out;
}

int fp_html_clean_record(struct fp_html *h, json_t *rec, struct fp_error *err)
{
	json_t *body = json_object_get(rec, "body"), *res;
	int warned = 0;

	if (!json_is_string(body)) {
		fp_error_set(err, "body-missing", "record has no string member 'body'");
		return -1;
	}
	res = fp_html_clean(h, json_string_value(body), json_string_length(body),
			    json_object_get(rec, "meta"), json_object_get(rec, "source"), err);
	if (!res)
		return -1;
	json_object_del(rec, "body");
	if (json_object_update(rec, res) < 0) {
		json_decref(res);
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	if (h->refused)
		warned += fp_record_warn(rec, "clean", "url-refused",
					 "%lu URL%s with an unsafe scheme removed", h->refused,
					 h->refused == 1 ? "" : "s") == 0;
	if (h->seen && !*json_string_value(json_object_get(res, "html")))
		warned += fp_record_warn(rec, "clean", "content-empty",
					 "no content left after cleaning") == 0;
	json_decref(res);
	return warned;
}

int fp_html_stats(const struct fp_html *h, json_t *extra)
{
	return json_object_update(extra, h->totals);
}

const char *fp_html_version(void)
{
	static char buf[32];
	int v = atoi(xmlParserVersion);

	if (!buf[0])
		snprintf(buf, sizeof(buf), "%d.%d.%d", v / 10000, v / 100 % 100, v % 100);
	return buf;
}
