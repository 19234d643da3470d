#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "jsonl.h"
#include "record.h"
#include "banned.h"

#define DEFAULT_PART_BYTES ((size_t)256 << 20)
#define DEFAULT_MAX_OPEN 16
#define GZ_BUFFER (128 << 10)
#define NO_DATE "__HIVE_DEFAULT_PARTITION__"

/*
 * One output file being written: a temporary file that becomes `final`.
 * With many partitions, only `max_open` gzip streams stay open (each holds
 * some 300 KiB of deflate state); the least recently used one is closed,
 * which ends its gzip member, and reopened for append when needed: a file
 * of several members is still one valid gzip file.
 */
struct part {
	char *key;     /* partition ("2018-12-17"), or NULL */
	char *final;   /* final path */
	char *tmp;     /* temporary path, in the same directory */
	gzFile gz;     /* open stream, or NULL */
	int created;   /* tmp exists */
	int number;    /* part number within the partition */
	unsigned long long bytes; /* uncompressed bytes in this part */
	unsigned long used;       /* LRU clock */
};

struct fp_jsonl {
	struct fp_jsonl_options opt;
	char mode_new[8];
	struct part single; /* --out: the articles file */
	struct part rejects;
	struct part **parts; /* --out-dir: one current part per partition,
				sorted by key */
	size_t n_parts, cap_parts;
	int open_count;
	unsigned long clock;
	struct fp_jsonl_counts counts;
	int failed;
};

static char *dup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *dup_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int write_error(struct fp_jsonl *j, struct fp_error *err, const char *path,
		       const char *what, int errnum)
{
	j->failed = 1;
	fp_error_set(err, "write-error", "%s: %s", what,
		     errnum ? strerror(errnum) : "compression failed");
	fp_error_at(err, path, 0, 0);
	return -1;
}

/* fsync of a directory, so that a rename or a new entry survives a crash. */
static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -1;
	ret = fsync(fd);
	close(fd);
	return ret;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* mkdir -p */
static int make_dirs(const char *path)
{
	char *p = strdup(path), *slash;
	int ret = 0;

	if (!p)
		return -1;
	for (slash = p + 1; ret == 0 && (slash = strchr(slash, '/')); slash++) {
		*slash = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			ret = -1;
		*slash = '/';
	}
	if (ret == 0 && mkdir(p, 0755) < 0 && errno != EEXIST)
		ret = -1;
	free(p);
	return ret;
}

/* Sets the final and temporary names of `p` for `final` (steals it). */
static int name_part(struct part *p, char *final)
{
	const char *slash;

	if (!final)
		return -1;
	slash = strrchr(final, '/');
	p->final = final;
	if (slash)
		p->tmp = dup_printf("%.*s/.%s.tmp.%ld", (int)(slash - final), final, slash + 1,
				    (long)getpid());
	else
		p->tmp = dup_printf(".%s.tmp.%ld", final, (long)getpid());
	return p->tmp ? 0 : -1;
}

static void close_stream(struct fp_jsonl *j, struct part *p)
{
	if (p->gz) {
		gzclose(p->gz);
		p->gz = NULL;
		j->open_count--;
	}
}

/* Makes sure p->gz is open, evicting the least recently used stream. */
static int open_stream(struct fp_jsonl *j, struct part *p, struct fp_error *err)
{
	int fd;

	p->used = ++j->clock;
	if (p->gz)
		return 0;
	if (j->open_count >= j->opt.max_open) {
		struct part *lru = NULL;
		size_t i;

		for (i = 0; i < j->n_parts; i++)
			if (j->parts[i]->gz && (!lru || j->parts[i]->used < lru->used))
				lru = j->parts[i];
		if (lru && gzclose(lru->gz) != Z_OK) {
			lru->gz = NULL;
			j->open_count--;
			return write_error(j, err, lru->tmp, "cannot write", errno);
		}
		if (lru) {
			lru->gz = NULL;
			j->open_count--;
		}
	}
	if (p->created)
		fd = open(p->tmp, O_WRONLY | O_APPEND | O_CLOEXEC);
	else
		fd = open(p->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return write_error(j, err, p->tmp, "cannot create", errno);
	p->created = 1;
	p->gz = gzdopen(fd, j->mode_new);
	if (!p->gz) {
		close(fd);
		return write_error(j, err, p->tmp, "cannot create", ENOMEM);
	}
	gzbuffer(p->gz, GZ_BUFFER);
	j->open_count++;
	return 0;
}

/* Completes `p`: trailer, fsync, rename. */
static int complete(struct fp_jsonl *j, struct part *p, struct fp_error *err)
{
	int fd, rc;
	char *dir;

	if (!p->created) {
		/* An empty file still gets written: create it. */
		if (open_stream(j, p, err) < 0)
			return -1;
	}
	if (p->gz) {
		rc = gzclose(p->gz);
		p->gz = NULL;
		j->open_count--;
		if (rc != Z_OK)
			return write_error(j, err, p->tmp, "cannot write", errno);
	}
	fd = open(p->tmp, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return write_error(j, err, p->tmp, "cannot sync", e);
	}
	close(fd);
	if (rename(p->tmp, p->final) < 0)
		return write_error(j, err, p->final, "cannot rename", errno);
	p->created = 0;
	j->counts.files++;
	dir = dir_of(p->final);
	rc = dir ? sync_dir(dir) : -1;
	free(dir);
	if (rc < 0)
		return write_error(j, err, p->final, "cannot sync directory", errno);
	return 0;
}

/* Removes the temporary file of an unfinished part and frees it. */
static void abandon(struct fp_jsonl *j, struct part *p)
{
	close_stream(j, p);
	if (p->created && p->tmp)
		unlink(p->tmp);
	p->created = 0;
	free(p->key);
	free(p->final);
	free(p->tmp);
	p->key = p->final = p->tmp = NULL;
}

static int put_line(struct fp_jsonl *j, struct part *p, const json_t *rec, const char *line,
		    size_t len, struct fp_error *err)
{
	char *text = NULL;
	int ret = -1;

	if (j->failed) {
		fp_error_set(err, "write-error", "the output has failed");
		return -1;
	}
	if (!line) {
		text = json_dumps(rec, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text) {
			fp_error_set(err, "out-of-memory", "out of memory");
			return -1;
		}
		line = text;
		len = strlen(text);
	}
	if (open_stream(j, p, err) < 0)
		goto out;
	if ((len && gzwrite(p->gz, line, (unsigned)len) != (int)len) || gzputc(p->gz, '\n') < 0) {
		write_error(j, err, p->tmp, "cannot write", errno);
		goto out;
	}
	p->bytes += len + 1;
	j->counts.bytes += len + 1;
	ret = 0;
out:
	free(text);
	return ret;
}

/* The partition of a record: the date of its published_at. */
static void partition_key(const json_t *rec, char key[11 + sizeof(NO_DATE)])
{
	const char *at = fp_json_str(rec, "published_at");
	int i, ok = at && strlen(at) >= 10;

	for (i = 0; ok && i < 10; i++)
		ok = (i == 4 || i == 7) ? at[i] == '-' : (at[i] >= '0' && at[i] <= '9');
	if (ok) {
		memcpy(key, at, 10);
		key[10] = '\0';
	} else {
		memcpy(key, NO_DATE, sizeof(NO_DATE));
	}
}

/* The current part of partition `key`, made when missing. */
static struct part *find_part(struct fp_jsonl *j, const char *key, struct fp_error *err)
{
	size_t lo = 0, hi = j->n_parts;
	struct part *p;
	char *dir;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(j->parts[mid]->key, key);

		if (c == 0)
			return j->parts[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (j->n_parts == j->cap_parts) {
		size_t cap = j->cap_parts ? 2 * j->cap_parts : 64;
		struct part **n = realloc(j->parts, cap * sizeof(*n));

		if (!n)
			goto oom;
		j->parts = n;
		j->cap_parts = cap;
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key)))
		goto oom_free;
	dir = dup_printf("%s/dt=%s", j->opt.dir, key);
	if (!dir)
		goto oom_free;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		write_error(j, err, dir, "cannot create directory", errno);
		free(dir);
		free(p->key);
		free(p);
		return NULL;
	}
	free(dir);
	if (name_part(p, dup_printf("%s/dt=%s/part-%05d.jsonl.gz", j->opt.dir, key, 0)) < 0)
		goto oom_free;
	memmove(j->parts + lo + 1, j->parts + lo, (j->n_parts - lo) * sizeof(*j->parts));
	j->parts[lo] = p;
	j->n_parts++;
	return p;
oom_free:
	if (p) {
		free(p->key);
		free(p->final);
		free(p->tmp);
		free(p);
	}
oom:
	fp_error_set(err, "out-of-memory", "out of memory");
	return NULL;
}

/* Completes a full part and starts the next one of its partition. */
static int rotate(struct fp_jsonl *j, struct part *p, struct fp_error *err)
{
	char *next;

	if (complete(j, p, err) < 0)
		return -1;
	p->number++;
	p->bytes = 0;
	next = dup_printf("%s/dt=%s/part-%05d.jsonl.gz", j->opt.dir, p->key, p->number);
	free(p->final);
	free(p->tmp);
	p->final = p->tmp = NULL;
	if (name_part(p, next) < 0) {
		fp_error_set(err, "out-of-memory", "out of memory");
		j->failed = 1;
		return -1;
	}
	return 0;
}

int fp_jsonl_put(struct fp_jsonl *j, const json_t *rec, const char *line, size_t len,
		 struct fp_error *err)
{
	char key[11 + sizeof(NO_DATE)];
	struct part *p = &j->single;

	if (j->opt.dir) {
		partition_key(rec, key);
		if (!(p = find_part(j, key, err)))
			return -1;
	}
	if (put_line(j, p, rec, line, len, err) < 0)
		return -1;
	j->counts.records++;
	if (j->opt.dir && p->bytes >= j->opt.part_bytes)
		return rotate(j, p, err);
	return 0;
}

int fp_jsonl_put_reject(struct fp_jsonl *j, const json_t *rej, const char *line, size_t len,
			struct fp_error *err)
{
	if (put_line(j, &j->rejects, rej, line, len, err) < 0)
		return -1;
	j->counts.rejects++;
	return 0;
}

void fp_jsonl_options_init(struct fp_jsonl_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->level = -1;
}

/* "out/articles.jsonl.gz" -> "out/articles.rejects.jsonl.gz" */
static char *rejects_name(const char *path)
{
	size_t len = strlen(path);
	static const char *const suffixes[] = { ".jsonl.gz", ".ndjson.gz", ".json.gz", ".gz", NULL };
	int i;

	for (i = 0; suffixes[i]; i++) {
		size_t sl = strlen(suffixes[i]);

		if (len > sl && !strcmp(path + len - sl, suffixes[i]) && path[len - sl - 1] != '/')
			return dup_printf("%.*s.rejects.jsonl.gz", (int)(len - sl), path);
	}
	return dup_printf("%s.rejects.jsonl.gz", path);
}

struct fp_jsonl *fp_jsonl_open(const struct fp_jsonl_options *opt, struct fp_error *err)
{
	struct fp_jsonl *j;

	if (!opt->path == !opt->dir) {
		fp_error_set(err, "jsonl-options", "give either an output file or a directory");
		return NULL;
	}
	if (opt->level > 9) {
		fp_error_set(err, "jsonl-options", "compression level must be 0 to 9");
		return NULL;
	}
	j = calloc(1, sizeof(*j));
	if (!j) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return NULL;
	}
	j->opt = *opt;
	if (j->opt.level < 0)
		j->opt.level = 1;
	if (!j->opt.part_bytes)
		j->opt.part_bytes = DEFAULT_PART_BYTES;
	if (j->opt.max_open <= 0)
		j->opt.max_open = DEFAULT_MAX_OPEN;
	snprintf(j->mode_new, sizeof(j->mode_new), "wb%d", j->opt.level);
	if (j->opt.dir) {
		if (make_dirs(j->opt.dir) < 0) {
			fp_error_set(err, "mkdir-error", "cannot create directory: %s",
				     strerror(errno));
			fp_error_at(err, j->opt.dir, 0, 0);
			free(j);
			return NULL;
		}
		if (name_part(&j->rejects, dup_printf("%s/rejects.jsonl.gz", j->opt.dir)) < 0)
			goto oom;
	} else {
		char *dir = dir_of(j->opt.path);
		int rc = dir ? make_dirs(dir) : 0;

		if (rc < 0) {
			fp_error_set(err, "mkdir-error", "cannot create directory: %s",
				     strerror(errno));
			fp_error_at(err, dir, 0, 0);
			free(dir);
			free(j);
			return NULL;
		}
		free(dir);
		if (name_part(&j->single, strdup(j->opt.path)) < 0 ||
		    name_part(&j->rejects, rejects_name(j->opt.path)) < 0)
			goto oom;
	}
	return j;
oom:
	fp_jsonl_free(j);
	fp_error_set(err, "out-of-memory", "out of memory");
	return NULL;
}

int fp_jsonl_close(struct fp_jsonl *j, struct fp_error *err)
{
	size_t i;

	if (j->failed) {
		fp_error_set(err, "write-error", "the output has failed");
		return -1;
	}
	if (j->opt.dir) {
		for (i = 0; i < j->n_parts; i++)
			if ((j->parts[i]->created || j->parts[i]->number == 0) &&
			    complete(j, j->parts[i], err) < 0)
				return -1;
		if (complete(j, &j->rejects, err) < 0 || sync_dir(j->opt.dir) < 0)
			return j->failed ? -1 : write_error(j, err, j->opt.dir, "cannot sync", errno);
		return 0;
	}
	if (complete(j, &j->single, err) < 0 || complete(j, &j->rejects, err) < 0)
		return -1;
	return 0;
}

const struct fp_jsonl_counts *fp_jsonl_counts(const struct fp_jsonl *j)
{
	return &j->counts;
}

void fp_jsonl_free(struct fp_jsonl *j)
{
	size_t i;

	if (!j)
		return;
	for (i = 0; i < j->n_parts; i++) {
		abandon(j, j->parts[i]);
		free(j->parts[i]);
	}
	free(j->parts);
	abandon(j, &j->single);
	abandon(j, &j->rejects);
	free(j);
}

const char *fp_jsonl_version(void)
{
	return zlibVersion();
}
