#ifndef FP_TEXT_H
#define FP_TEXT_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"

/*
 * Text normalization: the only module that includes utf8proc.h.
 *
 * Input is valid UTF-8 (jansson guarantees it for every JSON string). The
 * steps, selected by flags, run in this order: control characters are
 * removed, whitespace is collapsed, then the result is put in Unicode NFC.
 * Format characters (ZWJ, ZWNJ, bidi marks, variation selectors), combining
 * marks, emoji and right-to-left text are kept as they are.
 */

/* Unicode Normalization Form C (canonical composition). */
#define FP_TEXT_NFC 0x1u
/* Remove NUL, C0 controls except TAB, LF and CR, DEL and C1 controls. */
#define FP_TEXT_CONTROLS 0x2u
/* One line: every run of Unicode White_Space (line breaks included) becomes
 * one U+0020, leading and trailing whitespace is removed, and all control
 * characters (TAB, LF, CR too) go. Implies FP_TEXT_CONTROLS. */
#define FP_TEXT_ONE_LINE 0x4u

/* What every stored text gets: NFC without controls. */
#define FP_TEXT_BODY (FP_TEXT_NFC | FP_TEXT_CONTROLS)
/* What titles, names and labels get. */
#define FP_TEXT_LINE (FP_TEXT_NFC | FP_TEXT_CONTROLS | FP_TEXT_ONE_LINE)

/*
 * Normalizes `s` (`len` bytes of valid UTF-8) as `flags` say.
 *
 * Returns 0 when `s` is already in that form (*out is set to NULL: nothing
 * was allocated, the caller keeps using `s`), 1 with *out a new malloc'd
 * NUL-terminated string (caller frees) and *outlen its length, or -1 with
 * err set ("text-invalid-utf8" or "out-of-memory"). The check that decides
 * between 0 and 1 is one pass without allocation; most text takes it.
 */
int fp_text_normalize(const char *s, size_t len, unsigned flags, char **out, size_t *outlen,
		      struct fp_error *err);

/*
 * The same for a JSON string `str` (borrowed). Returns a new reference: to
 * `str` itself when nothing changes (no copy), else to a new string. Returns
 * NULL with err set on failure or when `str` is not a string.
 */
json_t *fp_text_json(json_t *str, unsigned flags, struct fp_error *err);

/* True when `cp` has the Unicode White_Space property. */
int fp_text_is_space(unsigned int cp);

/* utf8proc's runtime version ("2.8.0"), for --version. Borrowed, static. */
const char *fp_text_version(void);

#endif
