/* Fuzzes fp_frontmatter_parse() the way fp_post_read() calls it: the text
 * has its BOM removed and its encoding repaired first. */
#include <string.h>

#include "fuzz.h"
#include "frontmatter.h"
#include "utf8.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *text = (const char *)data;
	size_t len = size, clean_len, body_off = (size_t)-1;
	struct fp_yaml_limits lim;
	struct fp_error err;
	char *clean = NULL, *s;
	json_t *rec, *meta;
	int rc;

	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		text += 3, len -= 3;
	if (fp_utf8_repair(text, len, &clean, &clean_len, NULL, NULL) > 0)
		text = clean, len = clean_len;
	fp_yaml_limits_init(&lim);
	lim.max_bytes = 64 << 10;
	lim.max_depth = 32;
	lim.max_nodes = 5000;
	rec = json_object();
	fp_error_init(&err);
	rc = fp_frontmatter_parse(text, len, &lim, rec, &body_off, &err);
	if (rc == 0) {
		FUZZ_CHECK(!fp_error_isset(&err));
		meta = json_object_get(rec, "meta");
		FUZZ_CHECK(json_is_object(meta));
		FUZZ_CHECK(body_off <= len);
		/* the body starts at a line start */
		FUZZ_CHECK(body_off == 0 || text[body_off - 1] == '\n' || body_off == len);
		s = json_dumps(rec, JSON_COMPACT);
		FUZZ_CHECK(s != NULL);
		free(s);
	} else {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(fp_error_isset(&err));
		FUZZ_CHECK(err.line >= 1);
	}
	json_decref(rec);
	free(clean);
	return 0;
}
