#include <string.h>

#include "embedded.h"
#include "banned.h"

const struct fp_embedded *fp_embedded_find(const char *name)
{
	const struct fp_embedded *e;

	for (e = fp_embedded_files; e->name; e++)
		if (!strcmp(e->name, name))
			return e;
	return NULL;
}
