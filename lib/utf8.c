#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"
#include "banned.h"

/*
 * Length of the valid sequence starting at s[0] (1..4), or 0 when invalid.
 * When invalid, *bad receives the length of the maximal subpart to replace
 * by one U+FFFD (at least 1), per Unicode 15, section 3.9 (U+FFFD
 * substitution of maximal subparts).
 */
static size_t seq_len(const unsigned char *s, size_t avail, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need, i;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	for (i = 1; i < need; i++) {
		if (i >= avail)
			return 0;
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80, hi = 0xBF;
		*bad = i + 1;
	}
	return need;
}

/* Skips ASCII eight bytes at a time: most of a post is markup. */
static size_t ascii_run(const unsigned char *p, size_t i, size_t len)
{
	uint64_t word;

	while (i + 8 <= len) {
		memcpy(&word, p + i, 8);
		if (word & 0x8080808080808080ULL)
			break;
		i += 8;
	}
	return i;
}

size_t fp_utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, bad;

	while (i < len) {
		unsigned char c = p[i];

		if (c < 0x80) {
			i = ascii_run(p, i + 1, len);
			continue;
		}
		/* Most of a Chinese post: three-byte sequences of U+1000 to
		 * U+CFFF and U+E000 to U+FFFF, whose lead byte allows any
		 * continuation bytes. */
		if (((c >= 0xE1 && c <= 0xEC) || c >= 0xEE) && c <= 0xEF && i + 2 < len &&
		    (p[i + 1] & 0xC0) == 0x80 && (p[i + 2] & 0xC0) == 0x80) {
			i += 3;
			continue;
		}
		n = seq_len(p + i, len - i, &bad);
		if (!n)
			return i;
		i += n;
	}
	return len;
}

int fp_utf8_repair(const char *s, size_t len, char **out, size_t *out_len, size_t *invalid,
		   size_t *nuls)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n, bad, total = 0, ninvalid = 0, nnul = 0;
	char *o;

	*out = NULL;
	*out_len = 0;
	for (i = 0; i < len; i += n) {
		size_t run = ascii_run(p, i, len);

		/* ASCII without NUL counts as is; a word holding a NUL is left
		 * to the byte loop below. */
		if (run > i && !memchr(p + i, 0, run - i)) {
			total += run - i;
			i = run;
			if (i >= len)
				break;
		}
		n = seq_len(p + i, len - i, &bad);
		if (!n) {
			ninvalid++;
			total += 3;
			n = bad;
		} else if (p[i] == 0) {
			nnul++;
		} else {
			total += n;
		}
	}
	if (invalid)
		*invalid = ninvalid;
	if (nuls)
		*nuls = nnul;
	if (!ninvalid && !nnul)
		return 0;
	*out = o = malloc(total + 1);
	if (!o)
		return -1;
	for (i = 0; i < len; i += n) {
		n = seq_len(p + i, len - i, &bad);
		if (!n) {
			memcpy(o, "\xEF\xBF\xBD", 3);
			o += 3;
			n = bad;
		} else if (p[i] != 0) {
			memcpy(o, p + i, n);
			o += n;
		}
	}
	*o = '\0';
	*out_len = total;
	return 1;
}

size_t fp_utf8_decode(const char *s, unsigned int *cp)
{
	const unsigned char *p = (const unsigned char *)s;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] < 0xE0) {
		*cp = (unsigned)(p[0] & 0x1F) << 6 | (p[1] & 0x3F);
		return 2;
	}
	if (p[0] < 0xF0) {
		*cp = (unsigned)(p[0] & 0x0F) << 12 | (unsigned)(p[1] & 0x3F) << 6 | (p[2] & 0x3F);
		return 3;
	}
	*cp = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3F) << 12 |
	      (unsigned)(p[2] & 0x3F) << 6 | (p[3] & 0x3F);
	return 4;
}

size_t fp_utf8_count(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t fp_utf8_cut(const char *s, size_t len, size_t max)
{
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
		max--;
	return max;
}

size_t fp_utf8_encode(unsigned int cp, char *out)
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
