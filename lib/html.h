#ifndef FP_HTML_H
#define FP_HTML_H

#include <stddef.h>

/*
 * HTML: the only module that includes libxml2. Parses a feed body, removes
 * boilerplate, sanitizes it to an allowlist and derives plain text, images,
 * links and embeds (see fp_html_clean(), below).
 */

/*
 * Decodes HTML character references (named, decimal, hex) in `s` (`len`
 * bytes). Returns a new NUL-terminated malloc'd string (caller frees) and its
 * length in *outlen (may be NULL), or NULL when out of memory.
 *
 * Named references need their ';' (the HTML 4 set, as libxml2 knows it);
 * numeric ones may omit it. A numeric reference to NUL, a surrogate or a
 * value above U+10FFFF becomes U+FFFD; 0x80-0x9F map as windows-1252 (as
 * HTML5 does). Anything that is not a valid reference is kept literally.
 */
char *fp_html_unescape(const char *s, size_t len, size_t *outlen);

#endif
