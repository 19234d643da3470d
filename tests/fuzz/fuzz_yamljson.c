/* Fuzzes fp_yaml_parse(): YAML bytes to JSON, with small limits so that the
 * limit paths (depth, alias expansion, size) are reached often. */
#include <string.h>

#include "fuzz.h"
#include "yamljson.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct fp_yaml_limits lim;
	struct fp_error err;
	json_t *v;
	char *s;

	fp_yaml_limits_init(&lim);
	lim.max_bytes = 64 << 10;
	lim.max_depth = 32;
	lim.max_nodes = 5000;
	fp_error_init(&err);
	v = fp_yaml_parse((const char *)data, size, &lim, &err);
	/* a value xor an error */
	FUZZ_CHECK((v == NULL) == fp_error_isset(&err));
	if (!v) {
		FUZZ_CHECK(err.text[0] != '\0');
		FUZZ_CHECK(err.line >= 0 && err.column >= 0);
		return 0;
	}
	/* the result is JSON that jansson can write (valid UTF-8, finite numbers) */
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	FUZZ_CHECK(s != NULL);
	FUZZ_CHECK(strlen(s) > 0);
	free(s);
	json_decref(v);
	return 0;
}
