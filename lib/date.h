#ifndef FP_DATE_H
#define FP_DATE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

/*
 * Dates as feeds write them, to UTC seconds since the Unix epoch, and back
 * to ISO-8601 ("2021-12-20T05:08:08Z").
 *
 * Accepted forms (leading and trailing whitespace ignored, month and day
 * names in English, any case):
 *   RFC 2822 / RFC 1123   Mon, 20 Dec 2021 05:08:08 GMT    (day name optional;
 *                         zone GMT, UT, UTC, Z, +hhmm, -hh:mm, or the RFC 822
 *                         US zones EST EDT CST CDT MST MDT PST PDT; seconds
 *                         optional; two-digit years are 19xx from 50, else 20xx)
 *   JavaScript toString   Mon Dec 20 2021 13:08:08 GMT+0800 (China Standard Time)
 *   ISO 8601 / RFC 3339   2021-12-20T05:08:08Z, 2021-12-20T13:08:08.123+08:00,
 *                         2021-12-20T13:08:08+0800, 2021-12-20T13:08
 *   YAML timestamp        2021-12-20 13:08:08, 2021-12-20 13:08:08.5 +8,
 *                         2001-12-14t21:59:43.10-05:00 (one-digit month, day
 *                         and hour allowed, as the YAML 1.1 type says)
 *   dates alone           2021-12-20, 2021/12/20, 2021/12/20 13:08[:08]
 *   Chinese               2020年08月31日 12:56, 2020年8月31日, 2020年8月31日 12时56分08秒
 * Values without a zone are wall-clock times in the default zone.
 * Fractions of a second are dropped. Day-of-month is checked against the
 * month (leap years by the Gregorian rule); a day name, when present, is
 * not checked. A leap second (:60) counts as the next second.
 */

/* "YYYY-MM-DDTHH:MM:SSZ" */
#define FP_DATE_ISO_LEN 20

struct fp_date_zone {
	long offset;          /* fixed zones: seconds east of UTC */
	/* IANA zones (from TZif files; NULL for fixed zones): transition
	 * times, ascending, and the offset in force from each; before the
	 * first, `first_offset`; after the last, the last offset (Debian's
	 * "fat" files list transitions up to 2037). */
	int64_t *times;
	long *offsets;
	size_t count;
	long first_offset;
	char name[64];        /* as given, for messages */
};

/* The UTC zone. Needs no release, but may be released. */
void fp_date_zone_init(struct fp_date_zone *z);

/*
 * Sets `z` from `spec`: "UTC", "GMT", "Z", a fixed offset ("+08:00",
 * "+0800", "+08", "-05:30", also after "UTC" or "GMT": "UTC+8"), or an
 * IANA zone name ("Asia/Shanghai") read from the TZif file under $TZDIR or
 * /usr/share/zoneinfo. Returns 0, or -1 with err "date-zone-invalid" (and
 * `z` the UTC zone). Release with fp_date_zone_release().
 */
int fp_date_zone_set(struct fp_date_zone *z, const char *spec, struct fp_error *err);

/* Frees the zone's tables and makes it UTC again. Accepts NULL. */
void fp_date_zone_release(struct fp_date_zone *z);

/* Seconds east of UTC in `z` at the instant `t` (UTC seconds). */
long fp_date_zone_offset(const struct fp_date_zone *z, int64_t t);

/*
 * Parses `s` (`len` bytes) in one of the forms above; zone-less values are
 * read in `tz` (NULL: UTC). Returns 0 with *out the UTC seconds, or -1 with
 * err "date-invalid" (unknown form, or a field out of range such as
 * February 30th). Plausibility is fp_date_check_plausible()'s job.
 */
int fp_date_parse(const char *s, size_t len, const struct fp_date_zone *tz, int64_t *out,
		  struct fp_error *err);

/* The earliest plausible publication date: 1990-01-01T00:00:00Z. */
#define FP_DATE_MIN_PLAUSIBLE ((int64_t)631152000)

/*
 * Returns 0 when `t` is plausible for a post read at `now`: not before
 * 1990 and not more than a day after `now`. Else -1 with err
 * "date-implausible".
 */
int fp_date_check_plausible(int64_t t, int64_t now, struct fp_error *err);

/* Seconds since the epoch of a proleptic Gregorian UTC date and time. No
 * range check: fields out of range roll over. */
int64_t fp_date_from_civil(long year, int month, int day, int hour, int min, int sec);

/* Formats `t` as "YYYY-MM-DDTHH:MM:SSZ" (years 0-9999) into `buf`. Returns
 * `buf`. */
char *fp_date_format(int64_t t, char buf[FP_DATE_ISO_LEN + 1]);

#endif
