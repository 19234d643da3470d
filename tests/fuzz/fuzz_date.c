/* Fuzzes fp_date_parse(). The first byte picks the default zone; a parsed
 * date formats to ISO 8601 and parses back to the same instant. */
#include <string.h>

#include "fuzz.h"
#include "date.h"
#include "banned.h"

static const struct fp_date_zone *zone(unsigned char pick)
{
	static struct fp_date_zone zones[4];
	static int ready;

	if (!ready) {
		fp_date_zone_init(&zones[0]);
		FUZZ_CHECK(fp_date_zone_set(&zones[1], "+08:00", NULL) == 0);
		FUZZ_CHECK(fp_date_zone_set(&zones[2], "-05:30", NULL) == 0);
		/* an IANA zone when the system has the files, else UTC again */
		if (fp_date_zone_set(&zones[3], "America/New_York", NULL) < 0)
			fp_date_zone_init(&zones[3]);
		ready = 1;
	}
	return &zones[pick % 4];
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const struct fp_date_zone *tz;
	struct fp_error err;
	char iso[FP_DATE_ISO_LEN + 1];
	int64_t t = 0, back = 0;

	if (size < 1)
		return 0;
	tz = zone(data[0]);
	fp_error_init(&err);
	if (fp_date_parse((const char *)data + 1, size - 1, tz, &t, &err) < 0) {
		FUZZ_CHECK(!strcmp(err.reason, "date-invalid"));
		return 0;
	}
	FUZZ_CHECK(!fp_error_isset(&err));
	(void)fp_date_check_plausible(t, 1700000000, NULL);
	memset(iso, 'X', sizeof(iso));
	FUZZ_CHECK(fp_date_format(t, iso) != NULL);
	FUZZ_CHECK(strlen(iso) == FP_DATE_ISO_LEN);
	/* years 0001..9998 round-trip exactly (the format clamps outside) */
	if (t >= fp_date_from_civil(1, 1, 1, 0, 0, 0) && t < fp_date_from_civil(9999, 1, 1, 0, 0, 0)) {
		fp_error_init(&err);
		FUZZ_CHECK(fp_date_parse(iso, strlen(iso), NULL, &back, &err) == 0);
		FUZZ_CHECK(back == t);
	}
	return 0;
}
