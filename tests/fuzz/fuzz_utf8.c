/* Differential fuzzing of lib/utf8.c (fast ASCII paths, maximal-subpart
 * repair) against a plain byte-by-byte reference written from Unicode
 * table 3-7. */
#include <string.h>

#include "fuzz.h"
#include "utf8.h"
#include "banned.h"

/* Length of the well-formed sequence at s (table 3-7), or 0; *sub gets the
 * length of the maximal subpart when ill-formed (at least 1). */
static size_t ref_seq(const unsigned char *s, size_t avail, size_t *sub)
{
	static const struct {
		unsigned char lo0, hi0, lo1, hi1;
		size_t len;
	} rows[] = {
		{ 0x00, 0x7F, 0, 0, 1 },       { 0xC2, 0xDF, 0x80, 0xBF, 2 },
		{ 0xE0, 0xE0, 0xA0, 0xBF, 3 }, { 0xE1, 0xEC, 0x80, 0xBF, 3 },
		{ 0xED, 0xED, 0x80, 0x9F, 3 }, { 0xEE, 0xEF, 0x80, 0xBF, 3 },
		{ 0xF0, 0xF0, 0x90, 0xBF, 4 }, { 0xF1, 0xF3, 0x80, 0xBF, 4 },
		{ 0xF4, 0xF4, 0x80, 0x8F, 4 },
	};
	size_t r, i;

	*sub = 1;
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].lo0 || s[0] > rows[r].hi0)
			continue;
		for (i = 1; i < rows[r].len; i++) {
			unsigned char lo = i == 1 ? rows[r].lo1 : 0x80, hi = i == 1 ? rows[r].hi1 : 0xBF;

			if (i >= avail || s[i] < lo || s[i] > hi)
				return 0;
			*sub = i + 1;
		}
		return rows[r].len;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static unsigned char want[3 * 65536];
	size_t i, n, sub, w = 0, bad = 0, nul = 0, prefix = size;
	char *out = NULL;
	size_t out_len = 0, invalid = 0, nuls = 0;
	int rc;

	if (size > 65536)
		return 0;
	for (i = 0; i < size; i += n) {
		n = ref_seq(data + i, size - i, &sub);
		if (!n) {
			if (prefix == size)
				prefix = i;
			memcpy(want + w, "\xEF\xBF\xBD", 3);
			w += 3, bad++;
			n = sub;
		} else if (data[i] == 0) {
			nul++;
		} else {
			memcpy(want + w, data + i, n);
			w += n;
		}
	}
	FUZZ_CHECK(fp_utf8_valid_prefix((const char *)data, size) == prefix);
	rc = fp_utf8_repair((const char *)data, size, &out, &out_len, &invalid, &nuls);
	FUZZ_CHECK(invalid == bad && nuls == nul);
	if (!bad && !nul) {
		FUZZ_CHECK(rc == 0 && out == NULL);
		FUZZ_CHECK(fp_utf8_count((const char *)data, size) <= size);
		return 0;
	}
	FUZZ_CHECK(rc == 1 && out != NULL);
	FUZZ_CHECK(out_len == w && !memcmp(out, want, w) && out[w] == '\0');
	free(out);
	return 0;
}
