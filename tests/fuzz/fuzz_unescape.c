/* Fuzzes fp_html_unescape(), the decoder of HTML character references:
 * valid UTF-8 in gives valid UTF-8 out, never longer than the references
 * can make it, and text without '&' comes back unchanged. */
#include <string.h>

#include "fuzz.h"
#include "html.h"
#include "utf8.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *s = (const char *)data;
	size_t len, valid = fp_utf8_valid_prefix(s, size);
	char *out;

	out = fp_html_unescape(s, size, &len);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(out[len] == '\0');
	/* the longest expansion is a short reference to a 4-byte character */
	FUZZ_CHECK(len <= 4 * size + 4);
	if (valid == size && !memchr(s, '\0', size))
		FUZZ_CHECK(fp_utf8_valid_prefix(out, len) == len);
	if (!memchr(s, '&', size))
		FUZZ_CHECK(len == size && !memcmp(out, s, size));
	free(out);
	return 0;
}
