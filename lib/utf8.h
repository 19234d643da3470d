#ifndef FP_UTF8_H
#define FP_UTF8_H

#include <stddef.h>

/*
 * Strict UTF-8 (RFC 3629: no overlongs, no surrogates, nothing above
 * U+10FFFF), as jansson and PostgreSQL require.
 */

/* Returns the length of the valid prefix of `s` (== len when all valid). */
size_t fp_utf8_valid_prefix(const char *s, size_t len);

/*
 * Cleans `s` in place: each invalid sequence (maximal subpart, as the Unicode
 * standard recommends) becomes U+FFFD and every NUL byte is dropped. Because
 * U+FFFD takes 3 bytes the result can grow: `s` must have room for `cap`
 * bytes; the new length is returned, or (size_t)-1 when `cap` is too small
 * (nothing is changed then). fp_utf8_repair_bound() gives a `cap` that is
 * always enough. `*invalid` and `*nuls` (may be NULL) receive the counts.
 */
size_t fp_utf8_repair(char *s, size_t len, size_t cap, size_t *invalid, size_t *nuls);
size_t fp_utf8_repair_bound(size_t len);

/* Decodes one code point at `s` (which must be valid UTF-8); returns its
 * length in bytes and stores the code point in *cp. */
size_t fp_utf8_decode(const char *s, unsigned int *cp);

/* Number of code points in valid UTF-8 `s`. */
size_t fp_utf8_count(const char *s, size_t len);

#endif
