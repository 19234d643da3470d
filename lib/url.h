#ifndef FP_URL_H
#define FP_URL_H

#include <stddef.h>

#include "error.h"

/*
 * URL normalization for the canonical article (image, thumbnail, image,
 * link and embed sources). The rules, in order:
 *   1. surrounding whitespace (Unicode White_Space) is trimmed;
 *   2. an empty value is "no URL" (not an error);
 *   3. a protocol-relative URL ("//host/path") gets "https:";
 *   4. a scheme ("HTTP:") is lowercased, and so is an http(s) host;
 *   5. spaces inside the URL are percent-encoded ("%20"), as browsers do;
 *   6. the result must parse as an RFC 3986 reference: no control
 *      characters and no '<', '>' or '"' (the marks of broken markup); a
 *      scheme, when present, is letters, digits, '+', '-', '.' starting with
 *      a letter; http(s) URLs need "//" and a non-empty host of letters,
 *      digits, '-', '.', '_', '~', non-ASCII (IDN) or an [IPv6]
 *      literal, with an optional userinfo and numeric port. Relative
 *      references ("/a.png", "img/a.png", "#top") are kept as they are:
 *      there is no base URL to resolve them against.
 * Other schemes (mailto:, data:, magnet:, ...) are kept.
 */

/*
 * Normalizes the URL `s` (`len` bytes, valid UTF-8).
 *
 * Returns 1 with *out a new malloc'd NUL-terminated URL (caller frees),
 * 0 when the value is empty after trimming (*out NULL, no error), or -1
 * when it does not parse (*out NULL, err "url-invalid") or memory ran out
 * (err "out-of-memory").
 */
int fp_url_normalize(const char *s, size_t len, char **out, struct fp_error *err);

#endif
