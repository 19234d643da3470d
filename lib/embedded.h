#ifndef FP_EMBEDDED_H
#define FP_EMBEDDED_H

#include <stddef.h>

/*
 * Data files compiled into the library, so that an installed binary needs no
 * data directory: every .yaml file in lib/ (default configuration such as clean's
 * rules) and every .sql file in sql/ (migrations). Names are relative to the source
 * tree: "lib/clean-rules.yaml", "sql/0001-init.sql".
 */
struct fp_embedded {
	const char *name; /* NULL ends fp_embedded_files[] */
	const char *data; /* NUL-terminated for convenience */
	size_t len;       /* without the NUL */
};

/* All embedded files, sorted by name, ending with a NULL name. */
extern const struct fp_embedded fp_embedded_files[];

/* The embedded file called `name`, or NULL. Borrowed, static. */
const struct fp_embedded *fp_embedded_find(const char *name);

#endif
