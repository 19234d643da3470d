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
 * Makes a clean copy of `s` when it needs one: each invalid sequence (the
 * maximal subpart, as the Unicode standard recommends) becomes U+FFFD and
 * every NUL byte is dropped. Returns 0 when `s` is already clean (*out
 * NULL), 1 with *out a new NUL-terminated buffer (caller frees) of
 * *out_len bytes, or -1 when out of memory. `*invalid` and `*nuls` (may be
 * NULL) receive the counts.
 */
int fp_utf8_repair(const char *s, size_t len, char **out, size_t *out_len, size_t *invalid,
		   size_t *nuls);

/* Decodes one code point at `s` (which must be valid UTF-8); returns its
 * length in bytes and stores the code point in *cp. */
size_t fp_utf8_decode(const char *s, unsigned int *cp);

/* Encodes code point `cp` (at most U+10FFFF, not a surrogate) at `out`,
 * which has room for 4 bytes; returns the number of bytes written. */
size_t fp_utf8_encode(unsigned int cp, char *out);

/* Number of code points in valid UTF-8 `s`. */
size_t fp_utf8_count(const char *s, size_t len);

/* The length of the longest prefix of `s` (`len` bytes) of at most `max`
 * bytes that does not split a UTF-8 sequence: for quoting input in
 * messages and rejects. */
size_t fp_utf8_cut(const char *s, size_t len, size_t max);

#endif
