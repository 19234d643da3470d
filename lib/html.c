#include <stdlib.h>
#include <string.h>

#include <libxml/HTMLparser.h>

#include "html.h"
#include "banned.h"

/* HTML5: numeric references 0x80-0x9F name windows-1252 characters. */
static const unsigned short cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008D, 0x017D, 0x008F,
	0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

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
			o += put_utf8(out + o, cp);
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
