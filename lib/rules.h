#ifndef FP_RULES_H
#define FP_RULES_H

#include <stddef.h>
#include <jansson.h>

#include "error.h"

/*
 * Site rules for feedpipe-clean: which blocks of a body are boilerplate, and
 * which fields to capture from the text they remove. A rule set is loaded
 * from YAML (the built-in lib/clean-rules.yaml, then --rules files, which add
 * rules or replace built-in ones of the same name; README.md, "Rule format").
 *
 * A rule matches elements by a small selector language, by a text pattern,
 * or both:
 *   selector  := compound (" " compound)*          descendant combinator
 *   compound  := [tag | "*"] ("." class | "#" id | "[" attr ["=" value] "]")*
 * and several selectors may be joined with ",". Text patterns are POSIX
 * extended regular expressions matched against the element's text with its
 * whitespace (U+3000 and U+00A0 included) collapsed to single spaces and
 * trimmed, byte by byte: write alternatives of non-ASCII characters as
 * (a|b), never [ab].
 *
 * This module knows nothing of libxml2: the HTML module describes each
 * element with a struct fp_rules_node.
 */

struct fp_rules;

/* An element as the rules see it; filled by the HTML module. */
struct fp_rules_node {
	const char *tag; /* lowercase name */
	/* Value of attribute `name` (lowercase), "" when present without a
	 * value, NULL when absent. */
	const char *(*attr)(const struct fp_rules_node *n, const char *name);
	const void *impl; /* the HTML module's node, for attr() */
	const struct fp_rules_node *parent; /* NULL at the top */
	int is_block; /* a block element: a candidate for text-only rules */
};

/*
 * Lazily computes the text of the node being matched: collapsed, trimmed,
 * NUL-terminated, borrowed until the next call. Returns NULL when the text
 * is longer than the module cares to compute, or, with `leaf` set, when the
 * node holds other blocks (such a node matches no pattern). Text-only rules
 * ask for leaves: they match the innermost block, never a wrapper. With
 * `max` > 0 the text may stop after `max` bytes (a prefix, for a quick
 * test of a pattern's literal start); 0 asks for all of it.
 */
typedef const char *(*fp_rules_text_fn)(void *ctx, int leaf, size_t max, size_t *len);

/* Returns a new, empty rule set, or NULL when out of memory. */
struct fp_rules *fp_rules_new(void);

/* Frees the set. Accepts NULL. */
void fp_rules_free(struct fp_rules *rules);

/*
 * Adds the rules of a YAML document (`len` bytes); `source` (borrowed) names
 * it in messages. A rule whose name is already in the set replaces it in
 * place; `disable: true` removes it. Returns 0, or -1 with err: reason
 * "rules-invalid" (err->source set, the text names the rule and the
 * problem), "yaml-..." from the YAML parser, or "out-of-memory". On -1 the
 * set is unchanged.
 */
int fp_rules_load(struct fp_rules *rules, const char *buf, size_t len, const char *source,
		  struct fp_error *err);

/* Adds the built-in rules (lib/clean-rules.yaml). Returns 0 or -1 as above. */
int fp_rules_load_defaults(struct fp_rules *rules, struct fp_error *err);

/* Adds the rules in file `path`. Returns 0, or -1 as above or with reason
 * "rules-unreadable". */
int fp_rules_load_file(struct fp_rules *rules, const char *path, struct fp_error *err);

/* Number of rules in the set. */
size_t fp_rules_count(const struct fp_rules *rules);

/*
 * Selects the rules that apply to one record: rules without `sites`, and
 * rules one of whose sites equals an entry of meta.categories (a string or
 * an array of strings) or a directory name in source.path. `meta` and
 * `source` are borrowed and may be NULL.
 */
void fp_rules_activate(struct fp_rules *rules, const json_t *meta, const json_t *source);

/* True when an active rule has a text pattern that applies to lines. */
int fp_rules_have_line_rules(const struct fp_rules *rules);

enum fp_rules_verdict {
	FP_RULES_NONE = 0, /* no active rule matched */
	FP_RULES_REMOVE,   /* remove the node (and its subtree) */
	FP_RULES_KEEP,     /* a keep rule matched: the node stays */
};

/*
 * Matches an element against the active rules, in order; the first rule
 * that matches decides. `text` is called at most once, and only when a rule
 * with a pattern or a capture needs it. A capture is stored in `found`
 * (borrowed object) unless the field is already there.
 */
enum fp_rules_verdict fp_rules_match_node(struct fp_rules *rules, const struct fp_rules_node *n,
					  fp_rules_text_fn text, void *ctx, json_t *found);

/*
 * Matches a line of text outside any candidate block (a text node with
 * only whitespace and <br> around it; `text` collapsed and trimmed) against
 * the active text-only rules.
 */
enum fp_rules_verdict fp_rules_match_line(struct fp_rules *rules, const char *text, size_t len,
					  json_t *found);

/*
 * Whether a line starting with `prefix` (its first `len` bytes, or all of
 * it when shorter than 32 bytes) could match an active line rule: a quick
 * test on the literal start of anchored patterns.
 */
int fp_rules_line_candidate(const struct fp_rules *rules, const char *prefix, size_t len);

/*
 * Parses a selector list, for checking rule files and for tests. Returns 0,
 * or -1 with err ("selector-invalid").
 */
int fp_rules_check_selector(const char *sel, struct fp_error *err);

#endif
