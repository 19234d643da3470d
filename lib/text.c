#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "text.h"
#include "utf8.h"
#include "banned.h"

int fp_text_is_space(unsigned int cp)
{
	if (cp <= 0x20)
		return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
	if (cp < 0x85)
		return 0;
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* A control character that FP_TEXT_CONTROLS removes (TAB, LF, CR stay). */
static int is_removed_control(unsigned int cp)
{
	if (cp < 0x20)
		return cp != '\t' && cp != '\n' && cp != '\r';
	return cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/*
 * True when `cp` may change under NFC or make a neighbour change: a
 * combining mark, a character with a canonical decomposition (above the
 * Latin-1 range, where every precomposed letter is already NFC), a
 * character that composes with the one before it, or a Hangul vowel or
 * trailing consonant jamo (composed by algorithm). Text made only of other
 * characters is in NFC already, which spares most text a full
 * normalization. The test is conservative: some precomposed letters above
 * U+0300 are NFC but take the slow path, whose unchanged result is then
 * not returned as a copy. U+0300 is the first code point whose NFC quick check is
 * not "yes".
 */
static int nfc_unsafe(unsigned int cp)
{
	const utf8proc_property_t *p;

	if (cp < 0x300 || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7A3))
		return 0; /* fast paths: Latin-1, CJK ideographs, Hangul syllables */
	if (cp >= 0x1160 && cp <= 0x11FF)
		return 1;
	p = utf8proc_get_property((utf8proc_int32_t)cp);
	if (p->combining_class != 0)
		return 1;
	if (p->comb_index != UINT16_MAX && p->comb_index >= 0x8000)
		return 1;
	if (p->decomp_seqindex != UINT16_MAX && p->decomp_type == 0)
		/* Precomposed kana (が), Vietnamese letters (ệ) and Cyrillic (й)
		 * are NFC as they are: no singleton or excluded decomposition
		 * lies in these blocks. Elsewhere (Greek, CJK compatibility
		 * ideographs, U+212B) it may, so those go the slow way. */
		return !((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x1E00 && cp <= 0x1EFF) ||
			 (cp >= 0x0400 && cp <= 0x04FF));
	return 0;
}

/* Does `s` need any change under `flags`? One pass, no allocation. */
static int needs_change(const char *s, size_t len, unsigned flags, int *need_nfc)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	unsigned int cp;
	int prev_space = 1; /* at the start, a space would be leading */
	int change = 0;

	*need_nfc = 0;
	while (i < len) {
		/* Fast paths for most of a post: printable ASCII, and CJK
		 * ideographs U+5000 to U+9FFF (lead bytes E5 to E9), which are
		 * neither space nor control and are NFC. */
		if (p[i] > 0x20 && p[i] < 0x7F) {
			i++;
			prev_space = 0;
			continue;
		}
		if (p[i] >= 0xE5 && p[i] <= 0xE9 && i + 2 < len) {
			i += 3;
			prev_space = 0;
			continue;
		}
		if (p[i] < 0x80) {
			cp = p[i++];
		} else {
			i += fp_utf8_decode(s + i, &cp);
		}
		if ((flags & FP_TEXT_ONE_LINE) && fp_text_is_space(cp)) {
			if (cp != ' ' || prev_space)
				change = 1;
			prev_space = 1;
			continue;
		}
		if ((flags & (FP_TEXT_CONTROLS | FP_TEXT_ONE_LINE)) &&
		    (is_removed_control(cp) || ((flags & FP_TEXT_ONE_LINE) && cp < 0x20))) {
			change = 1;
			continue;
		}
		prev_space = 0;
		if ((flags & FP_TEXT_NFC) && nfc_unsafe(cp)) {
			*need_nfc = 1;
			change = 1;
		}
	}
	if ((flags & FP_TEXT_ONE_LINE) && prev_space && len > 0)
		change = 1; /* trailing whitespace */
	return change;
}

/* Copies `s` without controls and, for ONE_LINE, with collapsed spaces. */
static char *strip_copy(const char *s, size_t len, unsigned flags, size_t *outlen)
{
	char *out = malloc(len + 1);
	size_t i = 0, o = 0, n;
	unsigned int cp;
	int pending_space = 0;

	if (!out)
		return NULL;
	while (i < len) {
		n = fp_utf8_decode(s + i, &cp);
		if ((flags & FP_TEXT_ONE_LINE) && fp_text_is_space(cp)) {
			pending_space = o > 0;
			i += n;
			continue;
		}
		if (is_removed_control(cp) || ((flags & FP_TEXT_ONE_LINE) && cp < 0x20)) {
			i += n;
			continue;
		}
		if (pending_space) {
			out[o++] = ' ';
			pending_space = 0;
		}
		memcpy(out + o, s + i, n);
		o += n;
		i += n;
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

int fp_text_normalize(const char *s, size_t len, unsigned flags, char **out, size_t *outlen,
		      struct fp_error *err)
{
	char *tmp = NULL;
	size_t tmplen = len;
	utf8proc_uint8_t *nfc = NULL;
	utf8proc_ssize_t r;
	int need_nfc;

	*out = NULL;
	if (outlen)
		*outlen = 0;
	if (!needs_change(s, len, flags, &need_nfc))
		return 0;
	if (flags & (FP_TEXT_CONTROLS | FP_TEXT_ONE_LINE)) {
		tmp = strip_copy(s, len, flags, &tmplen);
		if (!tmp) {
			fp_error_set(err, "out-of-memory", "out of memory normalizing text");
			return -1;
		}
	}
	if (need_nfc) {
		r = utf8proc_map((const utf8proc_uint8_t *)(tmp ? tmp : s), (utf8proc_ssize_t)tmplen,
				 &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
		free(tmp);
		if (r < 0) {
			if (r == UTF8PROC_ERROR_NOMEM)
				fp_error_set(err, "out-of-memory", "out of memory normalizing text");
			else
				fp_error_set(err, "text-invalid-utf8", "cannot normalize text: %s",
					     utf8proc_errmsg(r));
			return -1;
		}
		tmp = (char *)nfc;
		tmplen = (size_t)r;
		/* The quick check is conservative (a precomposed が is NFC but
		 * was looked at): an unchanged text is not a new string. */
		if (tmplen == len && memcmp(tmp, s, len) == 0) {
			free(tmp);
			return 0;
		}
	}
	if (!tmp) {
		/* Nothing to do after all (cannot happen: needs_change said so). */
		return 0;
	}
	*out = tmp;
	if (outlen)
		*outlen = tmplen;
	return 1;
}

json_t *fp_text_json(json_t *str, unsigned flags, struct fp_error *err)
{
	char *out;
	size_t outlen;
	json_t *res;
	int rc;

	if (!json_is_string(str)) {
		fp_error_set(err, "text-not-string", "expected a string");
		return NULL;
	}
	rc = fp_text_normalize(json_string_value(str), json_string_length(str), flags, &out,
			       &outlen, err);
	if (rc < 0)
		return NULL;
	if (rc == 0)
		return json_incref(str);
	res = json_stringn_nocheck(out, outlen);
	free(out);
	if (!res)
		fp_error_set(err, "out-of-memory", "out of memory normalizing text");
	return res;
}

const char *fp_text_version(void)
{
	return utf8proc_version();
}
