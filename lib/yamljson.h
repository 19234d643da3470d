#ifndef FP_YAMLJSON_H
#define FP_YAMLJSON_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"

/*
 * YAML to JSON through libyaml's event API: the only module that includes
 * yaml.h. Used for front matter and for configuration (clean's rules).
 *
 * Typing follows the YAML 1.2 core schema for plain scalars: null, ~ and
 * the empty scalar are null; true/false (any case) booleans; decimal, 0x and
 * 0o integers (no leading zeros: "007" stays a string); decimal floats
 * (.inf and .nan stay strings: JSON has no such numbers). Quoted scalars, block
 * scalars, timestamps and everything else are strings. Explicit tags !!str,
 * !!int, !!float, !!bool and !!null are honoured. Mapping keys become
 * strings; a later duplicate key replaces the earlier one.
 *
 * libyaml 0.2.5 has no limits of its own, so these are enforced here.
 */
struct fp_yaml_limits {
	size_t max_bytes; /* input size (default 1 MiB) */
	size_t max_depth; /* nesting of mappings and sequences (default 64) */
	size_t max_nodes; /* nodes in the result, aliases counted expanded
			     (default 100000): bounds alias bombs */
};

#define FP_YAML_DEFAULT_MAX_BYTES ((size_t)1 << 20)
#define FP_YAML_DEFAULT_MAX_DEPTH 64
#define FP_YAML_DEFAULT_MAX_NODES 100000

/* Fills `lim` with the defaults above. */
void fp_yaml_limits_init(struct fp_yaml_limits *lim);

/*
 * Parses the first YAML document in `buf` (`len` bytes, UTF-8). An empty
 * document gives JSON null. `lim` may be NULL for the defaults.
 *
 * Returns a new reference, or NULL with err set: reason "yaml-invalid"
 * (syntax; err->line/column are 1-based within `buf`), "yaml-too-large",
 * "yaml-too-deep", "yaml-too-many-nodes" (alias expansion over the limit),
 * "yaml-recursive-alias" (an alias inside its own anchor) or "yaml-bad-key"
 * (a key that is a mapping or a sequence).
 */
json_t *fp_yaml_parse(const char *buf, size_t len, const struct fp_yaml_limits *lim,
		      struct fp_error *err);

#endif
