#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "utf8.h"
#include "banned.h"

/* Days from 1970-01-01 to y-m-d, proleptic Gregorian (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, long *y, unsigned *m, unsigned *d)
{
	int64_t era, yy;
	unsigned doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (long)(yy + (*m <= 2));
}

int64_t fp_date_from_civil(long year, int month, int day, int hour, int min, int sec)
{
	return days_from_civil(year, (unsigned)month, (unsigned)day) * 86400 + (int64_t)hour * 3600 +
	       (int64_t)min * 60 + sec;
}

static void put_digits(char *out, unsigned long v, int n)
{
	while (n-- > 0) {
		out[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *fp_date_format(int64_t t, char buf[FP_DATE_ISO_LEN + 1])
{
	int64_t days = t / 86400, secs = t % 86400;
	long y;
	unsigned m, d;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0)
		y = 0;
	else if (y > 9999)
		y = 9999;
	put_digits(buf, (unsigned long)y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, (unsigned long)(secs / 3600), 2);
	buf[13] = ':';
	put_digits(buf + 14, (unsigned long)(secs / 60 % 60), 2);
	buf[16] = ':';
	put_digits(buf + 17, (unsigned long)(secs % 60), 2);
	buf[19] = 'Z';
	buf[20] = '\0';
	return buf;
}

static int is_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(long y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* ---- zones ---- */

void fp_date_zone_init(struct fp_date_zone *z)
{
	memset(z, 0, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "UTC");
}

void fp_date_zone_release(struct fp_date_zone *z)
{
	if (!z)
		return;
	free(z->times);
	free(z->offsets);
	fp_date_zone_init(z);
}

long fp_date_zone_offset(const struct fp_date_zone *z, int64_t t)
{
	size_t lo = 0, hi;

	if (!z)
		return 0;
	if (!z->times)
		return z->offset;
	if (z->count == 0 || t < z->times[0])
		return z->first_offset;
	/* last transition <= t */
	hi = z->count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->offsets[lo];
}

/*
 * Wall-clock seconds `local` in `z` to UTC: the instant t with
 * t + offset(t) == local. The candidates are the offsets in force a day
 * around (transitions are further apart than that). In an overlap (fall
 * back) the earlier instant wins; in a gap (spring forward) the wall clock
 * is read with the offset from before the gap, as most libraries do.
 */
static int64_t local_to_utc(const struct fp_date_zone *z, int64_t local)
{
	long cand[3];
	int64_t best = 0;
	int found = 0, k;

	if (!z || !z->times)
		return local - (z ? z->offset : 0);
	cand[0] = fp_date_zone_offset(z, local - 86400);
	cand[1] = fp_date_zone_offset(z, local);
	cand[2] = fp_date_zone_offset(z, local + 86400);
	for (k = 0; k < 3; k++) {
		int64_t t = local - cand[k];

		if (fp_date_zone_offset(z, t) == cand[k] && (!found || t < best)) {
			best = t;
			found = 1;
		}
	}
	return found ? best : local - cand[0];
}

/* Parses "+08:00", "+0800", "+08", "+8", "-05:30". Returns the number of
 * bytes used (0: not an offset) and the offset east in *off. */
static size_t parse_offset(const char *s, size_t len, long *off)
{
	size_t i = 0, nd = 0;
	long h = 0, m = 0;
	int sign;

	if (len < 2 || (s[0] != '+' && s[0] != '-'))
		return 0;
	sign = s[0] == '-' ? -1 : 1;
	i = 1;
	while (i < len && nd < 4 && isdigit((unsigned char)s[i])) {
		i++;
		nd++;
	}
	if (nd == 0 || nd == 3)
		return 0;
	if (nd == 4) {
		h = (s[1] - '0') * 10 + (s[2] - '0');
		m = (s[3] - '0') * 10 + (s[4] - '0');
	} else {
		h = nd == 2 ? (s[1] - '0') * 10 + (s[2] - '0') : s[1] - '0';
		if (i < len && s[i] == ':') {
			if (i + 3 > len || !isdigit((unsigned char)s[i + 1]) ||
			    !isdigit((unsigned char)s[i + 2]))
				return 0;
			m = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
			i += 3;
		}
	}
	if (h > 23 || m > 59)
		return 0;
	*off = sign * (h * 3600 + m * 60);
	return i;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Only names like "Asia/Shanghai", "Etc/GMT+8": no "..", no leading '/'. */
static int zone_name_ok(const char *name)
{
	const char *p;

	if (!*name || *name == '/' || strlen(name) >= 64)
		return 0;
	for (p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && !strchr("/_+-.", *p))
			return 0;
		if (*p == '.' && (p == name || p[-1] == '/'))
			return 0;
	}
	return 1;
}

#define TZIF_MAX_BYTES (1 << 20)

/* Loads TZif data (RFC 8536, version 1 to 4) for `name` into `z`. */
static int load_tzif(struct fp_date_zone *z, const char *name, struct fp_error *err)
{
	const char *dir = getenv("TZDIR");
	char path[512];
	unsigned char *buf = NULL;
	size_t len = 0, off, i;
	FILE *f = NULL;
	uint32_t isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t tsize = 4;
	int ret = -1;

	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "rb");
	if (!f) {
		fp_error_set(err, "date-zone-invalid", "unknown time zone '%s'", name);
		goto out;
	}
	buf = malloc(TZIF_MAX_BYTES);
	if (!buf) {
		fp_error_set(err, "out-of-memory", "out of memory reading time zone '%s'", name);
		goto out;
	}
	len = fread(buf, 1, TZIF_MAX_BYTES, f);
	off = 0;
	for (;;) {
		if (off > len || len - off < 44 || memcmp(buf + off, "TZif", 4) != 0)
			goto bad;
		isut = be32(buf + off + 20);
		isstd = be32(buf + off + 24);
		leap = be32(buf + off + 28);
		timecnt = be32(buf + off + 32);
		typecnt = be32(buf + off + 36);
		charcnt = be32(buf + off + 40);
		if (typecnt == 0 || timecnt > 100000 || typecnt > 256 || charcnt > 10000 ||
		    leap > 10000 || isut > 256 || isstd > 256)
			goto bad;
		if (tsize == 4 && buf[off + 4] >= '2') {
			/* skip the version 1 block, use the 64-bit one */
			off += 44 + (size_t)timecnt * 5 + (size_t)typecnt * 6 + charcnt +
			       (size_t)leap * 8 + isstd + isut;
			tsize = 8;
			continue;
		}
		break;
	}
	off += 44;
	if (len - off < (size_t)timecnt * (tsize + 1) + (size_t)typecnt * 6)
		goto bad;
	z->times = malloc(sizeof(*z->times) * (timecnt ? timecnt : 1));
	z->offsets = malloc(sizeof(*z->offsets) * (timecnt ? timecnt : 1));
	if (!z->times || !z->offsets) {
		fp_error_set(err, "out-of-memory", "out of memory reading time zone '%s'", name);
		goto out;
	}
	{
		const unsigned char *times = buf + off;
		const unsigned char *idx = times + (size_t)timecnt * tsize;
		const unsigned char *types = idx + timecnt;

		for (i = 0; i < timecnt; i++) {
			if (idx[i] >= typecnt)
				goto bad;
			z->times[i] = tsize == 8 ? be64(times + i * 8) : (int32_t)be32(times + i * 4);
			z->offsets[i] = (int32_t)be32(types + (size_t)idx[i] * 6);
			if (i > 0 && z->times[i] <= z->times[i - 1])
				goto bad;
		}
		z->first_offset = (int32_t)be32(types);
	}
	z->count = timecnt;
	ret = 0;
	goto out;
bad:
	fp_error_set(err, "date-zone-invalid", "time zone file '%s' is not valid TZif data", path);
out:
	if (f)
		fclose(f);
	free(buf);
	return ret;
}

int fp_date_zone_set(struct fp_date_zone *z, const char *spec, struct fp_error *err)
{
	const char *rest = spec;
	size_t used;
	long off = 0;

	fp_date_zone_release(z);
	if (!*spec)
		goto bad;
	if (!strcasecmp(spec, "Z"))
		rest = "";
	else if (!strncasecmp(spec, "UTC", 3))
		rest = spec + 3;
	else if (!strncasecmp(spec, "GMT", 3))
		rest = spec + 3;
	if (*rest == '\0' || *rest == '+' || *rest == '-') {
		if (*rest) {
			used = parse_offset(rest, strlen(rest), &off);
			if (!used || rest[used] != '\0')
				goto bad;
		}
		z->offset = off;
		snprintf(z->name, sizeof(z->name), "%s", spec);
		return 0;
	}
	if (rest != spec || !zone_name_ok(spec))
		goto bad;
	if (load_tzif(z, spec, err) < 0) {
		fp_date_zone_release(z);
		return -1;
	}
	snprintf(z->name, sizeof(z->name), "%s", spec);
	return 0;
bad:
	fp_error_set(err, "date-zone-invalid",
		     "invalid time zone '%s' (expected UTC, an offset like +08:00, or an IANA name)",
		     spec);
	return -1;
}

/* ---- the parser ---- */

struct scan {
	const char *s;
	size_t len, i;
};

static int at_end(const struct scan *sc)
{
	return sc->i >= sc->len;
}

static int peek(const struct scan *sc)
{
	return sc->i < sc->len ? (unsigned char)sc->s[sc->i] : -1;
}

static int skip_ws(struct scan *sc)
{
	size_t start = sc->i;

	while (sc->i < sc->len && (sc->s[sc->i] == ' ' || sc->s[sc->i] == '\t'))
		sc->i++;
	return sc->i > start;
}

/* Reads min..max digits. Returns the count (0: none, or fewer than min). */
static int read_num(struct scan *sc, int min, int max, long *val)
{
	int n = 0;
	long v = 0;

	while (n < max && sc->i < sc->len && isdigit((unsigned char)sc->s[sc->i])) {
		v = v * 10 + (sc->s[sc->i] - '0');
		sc->i++;
		n++;
	}
	if (n < min)
		return 0;
	if (sc->i < sc->len && isdigit((unsigned char)sc->s[sc->i]))
		return 0; /* more digits than allowed */
	*val = v;
	return n;
}

static int eat(struct scan *sc, const char *lit)
{
	size_t n = strlen(lit);

	if (sc->len - sc->i >= n && memcmp(sc->s + sc->i, lit, n) == 0) {
		sc->i += n;
		return 1;
	}
	return 0;
}

/* Reads a run of ASCII letters into `word` (lowercased). Returns its length. */
static size_t read_word(struct scan *sc, char *word, size_t cap)
{
	size_t n = 0;

	while (sc->i < sc->len && isalpha((unsigned char)sc->s[sc->i])) {
		if (n + 1 < cap)
			word[n] = (char)tolower((unsigned char)sc->s[sc->i]);
		n++;
		sc->i++;
	}
	word[n < cap ? n : cap - 1] = '\0';
	return n;
}

static const char *const month_names[12] = { "january", "february", "march",     "april",
					     "may",     "june",     "july",      "august",
					     "september", "october", "november", "december" };

/* 1..12 for a month name or its abbreviation ("sep" and "sept"), else 0. */
static int month_of(const char *w)
{
	size_t n = strlen(w);
	int m;

	if (n < 3)
		return 0;
	for (m = 0; m < 12; m++)
		if (strncmp(month_names[m], w, n) == 0 && (n == 3 || n == strlen(month_names[m]) ||
							  (m == 8 && n == 4)))
			return m + 1;
	return 0;
}

static int is_day_name(const char *w)
{
	static const char *const days[7] = { "monday", "tuesday", "wednesday", "thursday",
					     "friday", "saturday", "sunday" };
	size_t n = strlen(w);
	int d;

	if (n < 3)
		return 0;
	for (d = 0; d < 7; d++)
		if (strncmp(days[d], w, n) == 0 && (n == 3 || n == strlen(days[d])))
			return 1;
	return 0;
}

struct fields {
	long year;
	long month, day, hour, min, sec;
	int has_zone;
	long offset;
};

/* H[H]:MM[:SS[.frac]] */
static int parse_time(struct scan *sc, struct fields *f)
{
	if (!read_num(sc, 1, 2, &f->hour) || !eat(sc, ":") || read_num(sc, 2, 2, &f->min) != 2)
		return -1;
	if (eat(sc, ":")) {
		if (read_num(sc, 2, 2, &f->sec) != 2)
			return -1;
		if (peek(sc) == '.' || peek(sc) == ',') {
			sc->i++;
			if (!isdigit(peek(sc)))
				return -1;
			while (isdigit(peek(sc)))
				sc->i++;
		}
	}
	return 0;
}

/*
 * An optional zone, then the end: "Z", "GMT", "UTC", "UT", "+08:00",
 * "GMT+0800", an RFC 822 US zone, each optionally followed by a comment in
 * parentheses (JavaScript's "(China Standard Time)").
 */
static int parse_zone_end(struct scan *sc, struct fields *f)
{
	static const struct {
		const char *name;
		int hours;
	} us[] = { { "est", -5 }, { "edt", -4 }, { "cst", -6 }, { "cdt", -5 },
		   { "mst", -7 }, { "mdt", -6 }, { "pst", -8 }, { "pdt", -7 } };
	char word[8];
	size_t used, n, k;

	skip_ws(sc);
	if (at_end(sc))
		return 0;
	if (isalpha(peek(sc))) {
		n = read_word(sc, word, sizeof(word));
		if ((n == 1 && word[0] == 'z') || !strcmp(word, "gmt") || !strcmp(word, "utc") ||
		    !strcmp(word, "ut")) {
			f->has_zone = 1;
			f->offset = 0;
			if (peek(sc) == '+' || peek(sc) == '-') {
				used = parse_offset(sc->s + sc->i, sc->len - sc->i, &f->offset);
				if (!used)
					return -1;
				sc->i += used;
			}
		} else {
			for (k = 0; k < sizeof(us) / sizeof(us[0]); k++)
				if (!strcmp(word, us[k].name))
					break;
			if (k == sizeof(us) / sizeof(us[0]))
				return -1;
			f->has_zone = 1;
			f->offset = us[k].hours * 3600L;
		}
	} else if (peek(sc) == '+' || peek(sc) == '-') {
		used = parse_offset(sc->s + sc->i, sc->len - sc->i, &f->offset);
		if (!used)
			return -1;
		sc->i += used;
		f->has_zone = 1;
	} else {
		return -1;
	}
	skip_ws(sc);
	if (peek(sc) == '(') {
		while (!at_end(sc) && peek(sc) != ')')
			sc->i++;
		if (!eat(sc, ")"))
			return -1;
		skip_ws(sc);
	}
	return at_end(sc) ? 0 : -1;
}

/* YYYY-M[M]-D[D] or YYYY/MM/DD, then T or spaces and a time, then a zone. */
static int parse_numeric(struct scan *sc, struct fields *f)
{
	char sep;

	if (read_num(sc, 4, 4, &f->year) != 4)
		return -1;
	sep = (char)peek(sc);
	if (sep != '-' && sep != '/')
		return -1;
	sc->i++;
	if (!read_num(sc, 1, 2, &f->month) || !eat(sc, sep == '-' ? "-" : "/") ||
	    !read_num(sc, 1, 2, &f->day))
		return -1;
	if (at_end(sc))
		return 0;
	if (peek(sc) == 'T' || peek(sc) == 't')
		sc->i++;
	else if (!skip_ws(sc))
		return -1;
	if (parse_time(sc, f) < 0)
		return -1;
	return parse_zone_end(sc, f);
}

/* 2020年08月31日 12:56 / 12时56分08秒 */
static int parse_chinese(struct scan *sc, struct fields *f)
{
	if (read_num(sc, 4, 4, &f->year) != 4)
		return -1;
	skip_ws(sc);
	if (!eat(sc, "年"))
		return -1;
	skip_ws(sc);
	if (!read_num(sc, 1, 2, &f->month))
		return -1;
	skip_ws(sc);
	if (!eat(sc, "月"))
		return -1;
	skip_ws(sc);
	if (!read_num(sc, 1, 2, &f->day))
		return -1;
	skip_ws(sc);
	if (!(eat(sc, "日") || eat(sc, "号")))
		return -1;
	skip_ws(sc);
	if (at_end(sc))
		return 0;
	if (!read_num(sc, 1, 2, &f->hour))
		return -1;
	if (!(eat(sc, ":") || eat(sc, "：") || eat(sc, "时") || eat(sc, "時") || eat(sc, "点") ||
	      eat(sc, "點")))
		return -1;
	if (read_num(sc, 2, 2, &f->min) != 2)
		return -1;
	if (eat(sc, ":") || eat(sc, "：") || eat(sc, "分")) {
		if (read_num(sc, 2, 2, &f->sec) == 2)
			eat(sc, "秒");
	}
	return parse_zone_end(sc, f);
}

static int read_year(struct scan *sc, struct fields *f)
{
	int n = read_num(sc, 2, 4, &f->year);

	if (n == 2)
		f->year += f->year < 50 ? 2000 : 1900;
	else if (n == 3)
		f->year += 1900; /* RFC 2822 obs-year */
	else if (n != 4)
		return -1;
	return 0;
}

/*
 * [Day[,]] DD Mon YYYY [HH:MM[:SS]] [zone]        (RFC 2822)
 * Day Mon DD[,] YYYY [HH:MM[:SS]] [zone]          (JavaScript, US)
 */
static int parse_named(struct scan *sc, struct fields *f)
{
	char word[16];

	if (isalpha(peek(sc))) {
		read_word(sc, word, sizeof(word));
		if (is_day_name(word)) {
			eat(sc, ",");
			skip_ws(sc);
			if (isalpha(peek(sc)))
				read_word(sc, word, sizeof(word));
			else
				word[0] = '\0';
		}
		if (word[0]) {
			/* Mon DD[,] YYYY */
			f->month = month_of(word);
			if (!f->month || !skip_ws(sc) || !read_num(sc, 1, 2, &f->day))
				return -1;
			eat(sc, ",");
			if (!skip_ws(sc) || read_year(sc, f) < 0)
				return -1;
			goto time;
		}
	}
	if (!read_num(sc, 1, 2, &f->day))
		return -1;
	skip_ws(sc);
	eat(sc, "-");
	read_word(sc, word, sizeof(word));
	f->month = month_of(word);
	if (!f->month)
		return -1;
	skip_ws(sc);
	eat(sc, "-");
	if (read_year(sc, f) < 0)
		return -1;
time:
	if (at_end(sc))
		return 0;
	if (!skip_ws(sc))
		return -1;
	if (at_end(sc))
		return 0;
	if (parse_time(sc, f) < 0)
		return -1;
	return parse_zone_end(sc, f);
}

int fp_date_parse(const char *s, size_t len, const struct fp_date_zone *tz, int64_t *out,
		  struct fp_error *err)
{
	struct scan sc = { s, len, 0 };
	struct fields f;
	int rc;
	int64_t t;

	memset(&f, 0, sizeof(f));
	while (sc.len > 0 && isspace((unsigned char)s[sc.len - 1]))
		sc.len--;
	while (sc.i < sc.len && isspace((unsigned char)s[sc.i]))
		sc.i++;
	if (sc.len - sc.i >= 5 && isdigit((unsigned char)s[sc.i]) &&
	    isdigit((unsigned char)s[sc.i + 3]) && !isdigit((unsigned char)s[sc.i + 4])) {
		if (s[sc.i + 4] == '-' || s[sc.i + 4] == '/')
			rc = parse_numeric(&sc, &f);
		else
			rc = parse_chinese(&sc, &f);
	} else {
		rc = parse_named(&sc, &f);
	}
	if (rc < 0 || f.month < 1 || f.month > 12 || f.day < 1 ||
	    f.day > days_in_month(f.year, (int)f.month) || f.hour > 23 || f.min > 59 || f.sec > 60) {
		fp_error_set(err, "date-invalid", "unparseable date '%.*s'",
			     (int)fp_utf8_cut(s, len, 64), s);
		return -1;
	}
	t = fp_date_from_civil(f.year, (int)f.month, (int)f.day, (int)f.hour, (int)f.min,
			       (int)f.sec);
	*out = f.has_zone ? t - f.offset : local_to_utc(tz, t);
	return 0;
}

int fp_date_check_plausible(int64_t t, int64_t now, struct fp_error *err)
{
	char buf[FP_DATE_ISO_LEN + 1];

	if (t < FP_DATE_MIN_PLAUSIBLE) {
		fp_error_set(err, "date-implausible", "implausible date %s (before 1990)",
			     fp_date_format(t, buf));
		return -1;
	}
	if (t > now + 86400) {
		fp_error_set(err, "date-implausible",
			     "implausible date %s (more than a day in the future)",
			     fp_date_format(t, buf));
		return -1;
	}
	return 0;
}
