/* Fuzzes fp_url_normalize() on valid UTF-8 (as the normalize stage calls
 * it). A normalized URL is clean and normalizes to itself. */
#include <string.h>

#include "fuzz.h"
#include "url.h"
#include "utf8.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data;
	struct fp_error err;
	char *out = NULL, *again = NULL, *clean = NULL;
	size_t len = size, clean_len, i;
	int rc;

	if (fp_utf8_repair(s, len, &clean, &clean_len, NULL, NULL) > 0)
		s = clean, len = clean_len;
	fp_error_init(&err);
	rc = fp_url_normalize(s, len, &out, &err);
	if (rc < 0) {
		FUZZ_CHECK(out == NULL);
		FUZZ_CHECK(!strcmp(err.reason, "url-invalid") || !strcmp(err.reason, "out-of-memory"));
	} else if (rc == 0) {
		FUZZ_CHECK(out == NULL && !fp_error_isset(&err));
	} else {
		size_t n;

		FUZZ_CHECK(rc == 1 && out != NULL && !fp_error_isset(&err));
		n = strlen(out);
		FUZZ_CHECK(n > 0);
		FUZZ_CHECK(fp_utf8_valid_prefix(out, n) == n);
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)out[i];

			FUZZ_CHECK(c > ' ' && c != 0x7F && c != '<' && c != '>' && c != '"');
		}
		/* idempotent */
		fp_error_init(&err);
		FUZZ_CHECK(fp_url_normalize(out, n, &again, &err) == 1);
		FUZZ_CHECK(!strcmp(again, out));
	}
	free(out);
	free(again);
	free(clean);
	return 0;
}
