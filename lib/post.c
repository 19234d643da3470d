#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "post.h"
#include "frontmatter.h"
#include "record.h"
#include "sha256.h"
#include "utf8.h"
#include "banned.h"

void fp_post_opts_init(struct fp_post_opts *opts)
{
	opts->max_file = FP_POST_DEFAULT_MAX_FILE;
	opts->invalid_utf8 = FP_UTF8_REPAIR;
	fp_yaml_limits_init(&opts->yaml);
}

/* Reads the whole regular file; *data is new (NUL-terminated). */
static int slurp(int fd, size_t size, char **data, size_t *len)
{
	size_t got = 0;
	char *buf = malloc(size + 1);

	if (!buf)
		return -1;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break; /* the file shrank while we read it: take what is there */
		got += (size_t)n;
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return 0;
}

static json_t *source_new(const struct fp_post_source *src, const char *data, size_t len)
{
	char hex[FP_SHA256_HEX_LEN + 1], mtime[32];
	time_t t = (time_t)src->mtime;
	struct tm tm;
	json_t *source;

	fp_sha256_hex(data, len, hex);
	gmtime_r(&t, &tm);
	strftime(mtime, sizeof(mtime), "%Y-%m-%dT%H:%M:%SZ", &tm);
	source = json_pack("{s:s, s:s, s:I, s:s, s:s}", "path", src->rel, "root", src->root, "bytes",
			   (json_int_t)len, "mtime", mtime, "sha256", hex);
	if (source && src->git && json_object_set(source, "git", (json_t *)src->git) < 0) {
		json_decref(source);
		return NULL;
	}
	return source;
}

/*
 * A file is not text when more than a tenth of it is NUL bytes or invalid
 * UTF-8 (and that is more than a handful of bytes): a stray NUL or a few
 * mis-encoded characters in a post are repaired instead.
 */
static int looks_binary(size_t len, size_t nuls, size_t invalid)
{
	size_t bad = nuls + invalid;

	return bad > 8 && bad * 10 > len;
}

int fp_post_check_size(const struct fp_post_opts *opts, unsigned long long size,
		       struct fp_error *err)
{
	if (size <= opts->max_file)
		return 0;
	fp_error_set(err, "file-too-large", "file is %llu bytes, more than --max-file-size %zu", size,
		     opts->max_file);
	return -1;
}

json_t *fp_post_parse(const struct fp_post_source *src, const char *data, size_t len,
		      const struct fp_post_opts *opts, json_t **source, struct fp_error *err)
{
	json_t *rec = NULL, *ret = NULL;
	char *clean = NULL;
	const char *text;
	size_t text_len, clean_len, invalid = 0, nuls = 0, body_off;
	int rc;

	*source = NULL;
	/* The path goes into the record as a JSON string: it must be UTF-8. */
	if (fp_utf8_valid_prefix(src->rel, strlen(src->rel)) != strlen(src->rel) ||
	    fp_utf8_valid_prefix(src->root, strlen(src->root)) != strlen(src->root)) {
		fp_error_set(err, "invalid-utf8", "file name is not valid UTF-8");
		goto out;
	}
	*source = source_new(src, data, len);
	rec = json_object();
	if (!*source || !rec || json_object_set(rec, "source", *source) < 0 ||
	    json_object_set_new(rec, "warnings", json_array()) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}

	text = data;
	text_len = len;
	if (text_len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
		text += 3, text_len -= 3;
	rc = fp_utf8_repair(text, text_len, &clean, &clean_len, &invalid, &nuls);
	if (rc < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	if (looks_binary(text_len, nuls, invalid)) {
		fp_error_set(err, "binary-file", "not a text file (%zu NUL bytes, %zu invalid UTF-8 sequences)",
			     nuls, invalid);
		goto out;
	}
	if (invalid && opts->invalid_utf8 == FP_UTF8_REJECT) {
		size_t ok = fp_utf8_valid_prefix(text, text_len);
		long line = 1;
		size_t i;

		for (i = 0; i < ok; i++)
			line += text[i] == '\n';
		fp_error_set(err, "invalid-utf8", "invalid UTF-8 (%zu sequences)", invalid);
		fp_error_at(err, NULL, line, 0);
		goto out;
	}
	if (invalid)
		fp_record_warn(rec, "extract", "invalid-utf8",
			       "replaced %zu invalid UTF-8 sequences with U+FFFD", invalid);
	if (nuls)
		fp_record_warn(rec, "extract", "nul-removed", "removed %zu NUL bytes", nuls);
	if (rc > 0)
		text = clean, text_len = clean_len;

	if (fp_frontmatter_parse(text, text_len, &opts->yaml, rec, &body_off, err) < 0)
		goto out;
	/* Keep the member order of the README: source, meta, body, warnings. */
	{
		json_t *warnings = json_incref(json_object_get(rec, "warnings"));

		json_object_del(rec, "warnings");
		if (json_object_set_new(rec, "body", json_stringn(text + body_off, text_len - body_off)) < 0 ||
		    json_object_set_new(rec, "warnings", warnings) < 0) {
			fp_error_set(err, "out-of-memory", "out of memory");
			goto out;
		}
	}
	ret = rec;
	rec = NULL;
out:
	if (!ret)
		fp_error_at(err, src->rel, 0, 0);
	free(clean);
	json_decref(rec);
	return ret;
}

json_t *fp_post_read(const char *root, const char *rel, const char *path,
		     const struct fp_post_opts *opts, json_t **source, struct fp_error *err)
{
	struct fp_post_source src = { .root = root, .rel = rel };
	json_t *ret = NULL;
	char *data = NULL;
	size_t len = 0;
	struct stat st;
	int fd = -1;

	*source = NULL;
	/* A name that is not UTF-8 is refused before the file is opened. */
	if (fp_utf8_valid_prefix(rel, strlen(rel)) != strlen(rel) ||
	    fp_utf8_valid_prefix(root, strlen(root)) != strlen(root)) {
		fp_error_set(err, "invalid-utf8", "file name is not valid UTF-8");
		goto out;
	}
	/* O_NONBLOCK: opening a FIFO with no writer would block for ever; it is
	 * refused as not-a-file below. The flag means nothing to regular files. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0) {
		fp_error_set(err, "read-error", "cannot open: %s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fp_error_set(err, "not-a-file", "not a regular file");
		goto out;
	}
	if (fp_post_check_size(opts, (unsigned long long)st.st_size, err) < 0)
		goto out;
	if (slurp(fd, (size_t)st.st_size, &data, &len) < 0) {
		fp_error_set(err, "read-error", "cannot read: %s", strerror(errno));
		goto out;
	}
	src.mtime = (long long)st.st_mtime;
	ret = fp_post_parse(&src, data, len, opts, source, err);
out:
	if (fd >= 0)
		close(fd);
	if (!ret)
		fp_error_at(err, rel, 0, 0);
	free(data);
	return ret;
}
