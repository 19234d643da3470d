#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>
#ifdef FP_HAVE_LIBDEFLATE
#include <libdeflate.h>
#endif

#include "jsonl.h"
#include "record.h"
#include "banned.h"

#define DEFAULT_PART_BYTES ((size_t)256 << 20)
#define DEFAULT_MAX_OPEN 16
#define BLOCK_BYTES ((size_t)1 << 20) /* uncompressed bytes per gzip member */
#define MAX_QUEUED ((size_t)8 << 20)  /* handed over, not yet compressed */
#define NO_DATE "__HIVE_DEFAULT_PARTITION__"

/*
 * Compression runs on a second thread, so that it overlaps with reading and
 * parsing on the first (it costs more than everything else in this sink).
 * The main thread collects lines per file in blocks of 1 MiB; each block
 * becomes an independent gzip member, compressed and appended to its file
 * by the worker, in the order the blocks were handed over. A file of several
 * members is one valid gzip stream for every reader (RFC 1952, 2.2).
 *
 * With many partitions, at most `max_open` of them hold a block being
 * filled; the least recently used one is handed over early, so memory stays
 * bounded whatever the number of dates.
 */

/* One output file being written: a temporary file that becomes `final`. */
struct part {
	char *key;     /* partition ("2018-12-17"), or NULL */
	char *final;   /* final path */
	char *tmp;     /* temporary path, in the same directory */
	char *block;   /* lines not handed over yet */
	size_t block_len, block_cap;
	int created;   /* a block was handed over: tmp exists (or will) */
	int made_dir;  /* this run created the partition's directory */
	int number;    /* part number within the partition */
	unsigned long long bytes; /* uncompressed bytes in this part */
	unsigned long used;       /* LRU clock */
};

/* A block for the worker: compress `data` into a gzip member appended to
 * `path` (created first when `create`). */
struct job {
	struct job *next;
	char *path;
	char *data;
	size_t len;
	int create;
};

struct fp_jsonl {
	struct fp_jsonl_options opt;
	struct part single; /* --out: the articles file */
	struct part rejects;
	struct part **parts; /* --out-dir: one current part per partition,
				sorted by key */
	size_t n_parts, cap_parts;
	int filling;         /* parts holding a block */
	unsigned long clock;
	struct fp_jsonl_counts counts;
	int failed;

	pthread_t worker;
	int worker_started;
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	struct job *head, *tail; /* under lock */
	size_t queued;           /* bytes in the queue, under lock */
	int busy, stop, discard; /* under lock */
	int worker_errno;        /* first error of the worker, under lock */
	char worker_path[512];
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

/* ---- the compressing worker -------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The compressor: one block in, one whole gzip member out. libdeflate when
 * the build found it (it compresses a whole buffer at once, which a block
 * is, in about half zlib's time at level 1, and smaller), zlib otherwise.
 */
struct compressor {
#ifdef FP_HAVE_LIBDEFLATE
	struct libdeflate_compressor *ld;
#else
	z_stream zs;
#endif
	unsigned char *out;
	size_t out_size;
};

static int compressor_init(struct compressor *c, int level)
{
	memset(c, 0, sizeof(*c));
#ifdef FP_HAVE_LIBDEFLATE
	c->ld = libdeflate_alloc_compressor(level);
	return c->ld ? 0 : -1;
#else
	/* windowBits 15 + 16: a gzip wrapper around each member. */
	if (deflateInit2(&c->zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		c->zs.state = NULL;
		return -1;
	}
	return 0;
#endif
}

static void compressor_release(struct compressor *c)
{
#ifdef FP_HAVE_LIBDEFLATE
	libdeflate_free_compressor(c->ld);
#else
	if (c->zs.state)
		deflateEnd(&c->zs);
#endif
	free(c->out);
}

/* Compresses `len` bytes into c->out, grown to the bound. Returns the size
 * of the member, or 0 (out of memory, or the library failed). */
static size_t compress_block(struct compressor *c, const char *data, size_t len)
{
#ifdef FP_HAVE_LIBDEFLATE
	size_t bound = libdeflate_gzip_compress_bound(c->ld, len);
#else
	size_t bound = deflateBound(&c->zs, (uLong)len);
#endif

	if (bound > c->out_size) {
		unsigned char *grown = realloc(c->out, bound);

		if (!grown)
			return 0;
		c->out = grown;
		c->out_size = bound;
	}
#ifdef FP_HAVE_LIBDEFLATE
	return libdeflate_gzip_compress(c->ld, data, len, c->out, c->out_size);
#else
	if (deflateReset(&c->zs) != Z_OK)
		return 0;
	c->zs.next_in = (unsigned char *)data;
	c->zs.avail_in = (uInt)len;
	c->zs.next_out = c->out;
	c->zs.avail_out = (uInt)c->out_size;
	/* Level 0 (stored blocks) may take more than one call. */
	for (;;) {
		int rc = deflate(&c->zs, Z_FINISH);
		size_t done = c->out_size - c->zs.avail_out;
		unsigned char *grown;

		if (rc == Z_STREAM_END)
			return done;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return 0;
		if (c->zs.avail_out > 0) {
			if (rc == Z_BUF_ERROR)
				return 0; /* no progress possible */
			continue;
		}
		grown = realloc(c->out, 2 * c->out_size);
		if (!grown)
			return 0;
		c->out = grown;
		c->out_size *= 2;
		c->zs.next_out = c->out + done;
		c->zs.avail_out = (uInt)(c->out_size - done);
	}
#endif
}

/* Compresses one block into a gzip member appended to its file. Returns 0
 * or an errno value. */
static int run_job(struct compressor *c, const struct job *job)
{
	size_t n = compress_block(c, job->data, job->len);
	int fd, e = 0;

	if (n == 0)
		return ENOMEM;
	fd = open(job->path, O_WRONLY | O_CLOEXEC | (job->create ? O_CREAT | O_TRUNC : O_APPEND),
		  0644);
	if (fd < 0)
		return errno;
	if (write_all(fd, c->out, n) < 0)
		e = errno ? errno : EIO;
	if (close(fd) < 0 && !e)
		e = errno;
	return e;
}

static void job_free(struct job *job)
{
	if (!job)
		return;
	free(job->path);
	free(job->data);
	free(job);
}

static void *worker_main(void *arg)
{
	struct fp_jsonl *j = arg;
	struct compressor c;
	int ready = compressor_init(&c, j->opt.level) == 0;

	pthread_mutex_lock(&j->lock);
	for (;;) {
		struct job *job;
		int e = 0;

		while (!j->head && !j->stop)
			pthread_cond_wait(&j->work, &j->lock);
		if (!j->head)
			break;
		job = j->head;
		j->head = job->next;
		if (!j->head)
			j->tail = NULL;
		j->busy = 1;
		if (!j->discard && !j->worker_errno) {
			pthread_mutex_unlock(&j->lock);
			e = ready ? run_job(&c, job) : ENOMEM;
			pthread_mutex_lock(&j->lock);
		}
		if (e && !j->worker_errno) {
			j->worker_errno = e;
			snprintf(j->worker_path, sizeof(j->worker_path), "%s", job->path);
		}
		j->queued -= job->len;
		j->busy = 0;
		pthread_cond_broadcast(&j->idle);
		job_free(job);
	}
	pthread_mutex_unlock(&j->lock);
	compressor_release(&c);
	return NULL;
}

/* The worker's first error, as an error of the sink. */
static int check_worker(struct fp_jsonl *j, struct fp_error *err)
{
	int e;
	char path[sizeof(j->worker_path)];

	pthread_mutex_lock(&j->lock);
	e = j->worker_errno;
	memcpy(path, j->worker_path, sizeof(path));
	pthread_mutex_unlock(&j->lock);
	return e ? write_error(j, err, path, "cannot write", e) : 0;
}

/* Hands the block of `p` to the worker (an empty block too: it makes an
 * empty member, so that an empty file is still a gzip file). */
static int hand_over(struct fp_jsonl *j, struct part *p, struct fp_error *err)
{
	struct job *job = calloc(1, sizeof(*job));

	if (!job || !(job->path = strdup(p->tmp))) {
		free(job);
		fp_error_set(err, "out-of-memory", "out of memory");
		j->failed = 1;
		return -1;
	}
	job->data = p->block;
	job->len = p->block_len;
	job->create = !p->created;
	if (p->block)
		j->filling--;
	p->block = NULL;
	p->block_len = p->block_cap = 0;
	p->created = 1;
	pthread_mutex_lock(&j->lock);
	/* Back-pressure: the reader must not run far ahead of compression. */
	while (j->queued > MAX_QUEUED && !j->worker_errno)
		pthread_cond_wait(&j->idle, &j->lock);
	if (j->tail)
		j->tail->next = job;
	else
		j->head = job;
	j->tail = job;
	j->queued += job->len;
	pthread_cond_signal(&j->work);
	pthread_mutex_unlock(&j->lock);
	return check_worker(j, err);
}

/* Waits until every block handed over is written. */
static int drain(struct fp_jsonl *j, struct fp_error *err)
{
	pthread_mutex_lock(&j->lock);
	while (j->head || j->busy)
		pthread_cond_wait(&j->idle, &j->lock);
	pthread_mutex_unlock(&j->lock);
	return check_worker(j, err);
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

/* Appends to the block of `p`, handing blocks over as they fill up. */
static int append(struct fp_jsonl *j, struct part *p, const char *s, size_t len,
		  struct fp_error *err)
{
	p->used = ++j->clock;
	if (!p->block) {
		/* A new block: the least recently used one of another part
		 * goes to the worker when too many are being filled. */
		if (j->filling >= j->opt.max_open) {
			struct part *lru = NULL;
			size_t i;

			for (i = 0; i < j->n_parts; i++)
				if (j->parts[i]->block && j->parts[i] != p &&
				    (!lru || j->parts[i]->used < lru->used))
					lru = j->parts[i];
			if (lru && hand_over(j, lru, err) < 0)
				return -1;
		}
		j->filling++;
	}
	if (p->block_len + len > p->block_cap) {
		size_t cap = p->block_cap ? p->block_cap : 64 << 10;
		char *n;

		while (cap < p->block_len + len)
			cap *= 2;
		n = realloc(p->block, cap);
		if (!n) {
			if (!p->block)
				j->filling--;
			j->failed = 1;
			fp_error_set(err, "out-of-memory", "out of memory");
			return -1;
		}
		p->block = n;
		p->block_cap = cap;
	}
	memcpy(p->block + p->block_len, s, len);
	p->block_len += len;
	if (p->block_len >= BLOCK_BYTES)
		return hand_over(j, p, err);
	return 0;
}

/* Completes `p`: last block, fsync, rename. */
static int complete(struct fp_jsonl *j, struct part *p, struct fp_error *err)
{
	int fd, rc;
	char *dir;

	if ((p->block || !p->created) && hand_over(j, p, err) < 0)
		return -1;
	if (drain(j, err) < 0)
		return -1;
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

/* Removes the temporary file of an unfinished part and frees it. The worker
 * has stopped. */
static void abandon(struct fp_jsonl *j, struct part *p)
{
	char *dir;

	(void)j;
	if (p->created && p->tmp)
		unlink(p->tmp);
	p->created = 0;
	/* A partition directory this run made goes too, when it is empty
	 * (another part of the same partition may have completed). */
	if (p->made_dir && p->final && (dir = dir_of(p->final))) {
		rmdir(dir);
		free(dir);
	}
	free(p->block);
	free(p->key);
	free(p->final);
	free(p->tmp);
	p->block = p->key = p->final = p->tmp = NULL;
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
	if (append(j, p, line, len, err) < 0 || append(j, p, "\n", 1, err) < 0)
		goto out;
	p->bytes += len + 1;
	j->counts.bytes += len + 1;
	ret = 0;
out:
	free(text);
	return ret;
}

int fp_jsonl_parse_partition(const char *s)
{
	static const char *const names[] = { "day", "month", "year" };
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

/* The partition of a record: the date of its published_at, cut to the
 * month or the year. */
static void partition_key(const struct fp_jsonl *j, const json_t *rec,
			  char key[11 + sizeof(NO_DATE)])
{
	static const size_t len[] = { 10, 7, 4 };
	const char *at = fp_json_str(rec, "published_at");
	int i, ok = at && strlen(at) >= 10;

	for (i = 0; ok && i < 10; i++)
		ok = (i == 4 || i == 7) ? at[i] == '-' : (at[i] >= '0' && at[i] <= '9');
	if (ok) {
		memcpy(key, at, len[j->opt.partition]);
		key[len[j->opt.partition]] = '\0';
	} else {
		memcpy(key, NO_DATE, sizeof(NO_DATE));
	}
}

/* "DIR/dt=KEY/part-NNNNN.jsonl.gz", or part-RUNID-NNNNN (new). */
static char *part_name(const struct fp_jsonl *j, const char *key, int number)
{
	if (j->opt.run_id)
		return dup_printf("%s/dt=%s/part-%s-%05d.jsonl.gz", j->opt.dir, key,
				  j->opt.run_id, number);
	return dup_printf("%s/dt=%s/part-%05d.jsonl.gz", j->opt.dir, key, number);
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
	if (mkdir(dir, 0755) == 0) {
		p->made_dir = 1;
	} else if (errno != EEXIST) {
		write_error(j, err, dir, "cannot create directory", errno);
		free(dir);
		free(p->key);
		free(p);
		return NULL;
	}
	free(dir);
	if (name_part(p, part_name(j, key, 0)) < 0)
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
	next = part_name(j, p->key, p->number);
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
		partition_key(j, rec, key);
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

int fp_jsonl_check_run_id(const char *id, struct fp_error *err)
{
	size_t len = strlen(id);

	if (len == 0 || len > 64 ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != len) {
		fp_error_set(err, "jsonl-options", "a run id is 1 to 64 of A-Z a-z 0-9 _ -");
		return -1;
	}
	return 0;
}

struct fp_jsonl *fp_jsonl_open(const struct fp_jsonl_options *opt, struct fp_error *err)
{
	struct fp_jsonl *j;
	sigset_t all, old;
	int started;

	if (!opt->path == !opt->dir) {
		fp_error_set(err, "jsonl-options", "give either an output file or a directory");
		return NULL;
	}
	if (opt->run_id && fp_jsonl_check_run_id(opt->run_id, err) < 0)
		return NULL;
	if (opt->level > 9) {
		fp_error_set(err, "jsonl-options", "compression level must be 0 to 9");
		return NULL;
	}
	if (opt->partition < FP_JSONL_DAY || opt->partition > FP_JSONL_YEAR) {
		fp_error_set(err, "jsonl-options", "partition must be day, month or year");
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
	pthread_mutex_init(&j->lock, NULL);
	pthread_cond_init(&j->work, NULL);
	pthread_cond_init(&j->idle, NULL);
	/* Signals stay with the main thread, whose handler ends its read. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	started = pthread_create(&j->worker, NULL, worker_main, j) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!started) {
		fp_error_set(err, "out-of-memory", "cannot start the compressing thread");
		fp_jsonl_free(j);
		return NULL;
	}
	j->worker_started = 1;
	if (j->opt.dir) {
		if (make_dirs(j->opt.dir) < 0) {
			fp_error_set(err, "mkdir-error", "cannot create directory: %s",
				     strerror(errno));
			fp_error_at(err, j->opt.dir, 0, 0);
			fp_jsonl_free(j);
			return NULL;
		}
		if (name_part(&j->rejects,
			      j->opt.run_id ? dup_printf("%s/rejects-%s.jsonl.gz", j->opt.dir,
							 j->opt.run_id)
					    : dup_printf("%s/rejects.jsonl.gz", j->opt.dir)) < 0)
			goto oom;
	} else {
		char *dir = dir_of(j->opt.path);
		int rc = dir ? make_dirs(dir) : 0;

		if (rc < 0) {
			fp_error_set(err, "mkdir-error", "cannot create directory: %s",
				     strerror(errno));
			fp_error_at(err, dir, 0, 0);
			free(dir);
			fp_jsonl_free(j);
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

/*
 * Completes every part of a tree at once. An fsync per file and per
 * directory costs milliseconds each, and a tree has a directory per date:
 * syncfs() makes all the data durable in one call, then the renames, then
 * syncfs() again for the directory entries.
 */
static int complete_all(struct fp_jsonl *j, struct fp_error *err)
{
	struct part *p;
	size_t i;
	int fd;

	for (i = 0; i <= j->n_parts; i++) {
		p = i < j->n_parts ? j->parts[i] : &j->rejects;
		if ((p->block || (!p->created && p == &j->rejects)) && hand_over(j, p, err) < 0)
			return -1;
	}
	if (drain(j, err) < 0)
		return -1;
	fd = open(j->opt.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return write_error(j, err, j->opt.dir, "cannot sync", e);
	}
	for (i = 0; i <= j->n_parts; i++) {
		p = i < j->n_parts ? j->parts[i] : &j->rejects;
		if (!p->created)
			continue;
		if (rename(p->tmp, p->final) < 0) {
			int e = errno;

			close(fd);
			return write_error(j, err, p->final, "cannot rename", e);
		}
		p->created = 0;
		j->counts.files++;
	}
	if (syncfs(fd) < 0) {
		int e = errno;

		close(fd);
		return write_error(j, err, j->opt.dir, "cannot sync", e);
	}
	close(fd);
	return 0;
}

int fp_jsonl_close(struct fp_jsonl *j, struct fp_error *err)
{
	size_t i;

	if (j->failed) {
		fp_error_set(err, "write-error", "the output has failed");
		return -1;
	}
	if (j->opt.dir) {
		size_t n = 0;

		for (i = 0; i < j->n_parts; i++)
			n += j->parts[i]->created || j->parts[i]->block;
		if (n > 8)
			return complete_all(j, err);
		for (i = 0; i < j->n_parts; i++)
			if ((j->parts[i]->created || j->parts[i]->block) &&
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
	if (j->worker_started) {
		/* Blocks not written yet are dropped: the files are abandoned. */
		pthread_mutex_lock(&j->lock);
		j->stop = j->discard = 1;
		pthread_cond_broadcast(&j->work);
		pthread_mutex_unlock(&j->lock);
		pthread_join(j->worker, NULL);
	}
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->work);
	pthread_cond_destroy(&j->idle);
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
#ifdef FP_HAVE_LIBDEFLATE
	static char v[64];

	/* libdeflate has no runtime version call: its headers'. */
	snprintf(v, sizeof(v), "%s, libdeflate %s", zlibVersion(), LIBDEFLATE_VERSION_STRING);
	return v;
#else
	return zlibVersion();
#endif
}
