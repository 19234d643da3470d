#ifndef FP_FRONTMATTER_H
#define FP_FRONTMATTER_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"
#include "yamljson.h"

/*
 * Front matter as Hexo reads it. After optional blank lines, a line of three
 * or more dashes opens YAML front matter and the same line closes it; a line
 * of three or more semicolons opens JSON front matter (the members of an
 * object, braces optional) closed by the same line. Anything else means the
 * file has no front matter. CRLF line ends are accepted; the caller has
 * already removed a UTF-8 BOM and repaired the encoding.
 *
 * YAML that libyaml rejects is recovered line by line where a human could
 * read it: each top-level `key: value` entry is parsed on its own, and an
 * entry that still fails keeps its raw text (surrounding quotes removed,
 * list items as a list of strings, continuation lines folded). A warning
 * `yaml-recovered` names the keys recovered so.
 */

/*
 * Parses the front matter of `text` (`len` bytes, valid UTF-8, no NUL) into
 * the record `rec` (borrowed): sets member "meta" (an object, {} when there
 * is none) and appends warnings with fp_record_warn(rec, "extract", ...).
 * Stores in *body_off the offset where the body starts.
 *
 * Returns 0, or -1 with err set and err->line the 1-based line in `text`:
 * "frontmatter-unterminated", "frontmatter-not-mapping", "json-invalid",
 * "yaml-invalid" (nothing readable), "yaml-too-large", "yaml-too-deep",
 * "yaml-too-many-nodes", "yaml-recursive-alias", "yaml-bad-key".
 */
int fp_frontmatter_parse(const char *text, size_t len, const struct fp_yaml_limits *lim,
			 json_t *rec, size_t *body_off, struct fp_error *err);

#endif
