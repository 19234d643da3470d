/* Fuzzes the NDJSON record reader (fp_reader_next) over a memory stream,
 * writes what it reads back, and builds rejects as fp_stage does. The
 * first byte picks a small line limit so that the too-long path and its
 * resynchronisation are exercised. */
#include <string.h>

#include "fuzz.h"
#include "record.h"
#include "utf8.h"
#include "banned.h"

static json_t *raw_line(const struct fp_reader *r)
{
	char *clean = NULL;
	size_t clean_len;
	json_t *s;

	if (fp_utf8_repair(r->line, r->len, &clean, &clean_len, NULL, NULL) > 0)
		s = json_stringn(clean, clean_len);
	else
		s = json_stringn(r->line, r->len);
	free(clean);
	return s;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const size_t limits[] = { 0, 1, 16, 100, 4096, 70000 };
	struct fp_reader r;
	struct fp_writer w;
	struct fp_error err;
	FILE *in, *out;
	json_t *rec;
	char *buf = NULL;
	size_t buf_len = 0;
	long good = 0, bad = 0, last = 0;
	int rc;

	if (size < 1)
		return 0;
	in = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "r");
	out = open_memstream(&buf, &buf_len);
	FUZZ_CHECK(in && out);
	if (size == 1)
		fgetc(in);
	fp_reader_init(&r, in, limits[data[0] % (sizeof(limits) / sizeof(limits[0]))]);
	fp_writer_init(&w, out);
	for (;;) {
		fp_error_init(&err);
		rc = fp_reader_next(&r, &rec, &err);
		if (rc == 0)
			break;
		/* record numbers only go up */
		FUZZ_CHECK(r.record > last);
		last = r.record;
		if (rc > 0) {
			FUZZ_CHECK(json_is_object(rec));
			FUZZ_CHECK(fp_writer_put(&w, rec, &err) == 0);
			good++;
			json_decref(rec);
			continue;
		}
		FUZZ_CHECK(rc == -1 && rec == NULL);
		FUZZ_CHECK(fp_error_isset(&err));
		if (r.io_error)
			break;
		FUZZ_CHECK(err.record == r.record);
		FUZZ_CHECK(!strcmp(err.reason, "ndjson-invalid") || !strcmp(err.reason, "line-too-long"));
		/* memory stays bounded: the kept prefix is at most 64 KiB */
		FUZZ_CHECK(r.len <= ((size_t)64 << 10) || r.len <= r.max_line);
		{
			json_t *input = raw_line(&r);
			json_t *rej = fp_reject_new("fuzz", &err, NULL, input);

			FUZZ_CHECK(rej != NULL);
			FUZZ_CHECK(fp_record_is_reject(rej));
			FUZZ_CHECK(fp_writer_put(&w, rej, NULL) == 0);
			json_decref(rej);
			json_decref(input);
		}
		bad++;
	}
	FUZZ_CHECK(fp_writer_flush(&w, NULL) == 0);
	fclose(out);
	FUZZ_CHECK(w.records == good + bad);
	/* what was written reads back as records */
	if (buf_len) {
		FILE *again = fmemopen(buf, buf_len, "r");
		struct fp_reader r2;
		long n = 0;

		FUZZ_CHECK(again);
		fp_reader_init(&r2, again, 0);
		while ((rc = fp_reader_next(&r2, &rec, NULL)) > 0) {
			json_decref(rec);
			n++;
		}
		FUZZ_CHECK(rc == 0 && n == good + bad);
		fp_reader_release(&r2);
		fclose(again);
	}
	fp_reader_release(&r);
	fclose(in);
	free(buf);
	return 0;
}
