#ifndef FP_JSON_H
#define FP_JSON_H

#include <stddef.h>
#include <jansson.h>

/*
 * Fast JSON text <-> json_t for the record stream, equivalent to jansson's
 * own functions. jansson decodes strings one character at a time and
 * escapes them one code point at a time; every stage parses and writes each
 * record once, so that cost dominated every stage. These do the same work a
 * run of plain bytes at a time.
 */

/*
 * Parses the JSON array or object in `buf` (`len` bytes, need not be
 * NUL-terminated), surrounded by optional whitespace.
 *
 * Returns a new reference to the same tree json_loadb(buf, len,
 * JSON_REJECT_DUPLICATES, ...) builds: the same members in the same
 * insertion order, integers as json_integer and numbers with a fraction or
 * exponent as json_real. Returns NULL whenever it is not sure the text is
 * valid: bad syntax, a duplicate key, "\u0000", a lone surrogate, invalid
 * UTF-8, an integer or real out of range, nesting deeper than jansson's
 * limit, a top-level scalar, out of memory. NULL says nothing about the
 * text: the caller then asks json_loadb, which gives the error message.
 */
json_t *fp_json_parse(const char *buf, size_t len);

/*
 * Serializes `v` (borrowed) through `callback`, exactly as
 * json_dump_callback(v, callback, data, JSON_COMPACT | JSON_ENCODE_ANY)
 * would: the same bytes, including the bytes passed before a failure
 * (invalid UTF-8 in a string, a circular reference, a failing callback).
 * The bytes may be cut into different chunks. Returns 0, or -1 on failure.
 */
int fp_json_dump(const json_t *v, json_dump_callback_t callback, void *data);

#endif
