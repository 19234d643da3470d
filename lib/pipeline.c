#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pipeline.h"
#include "stage.h"
#include "walk.h"

#include "banned.h"

extern char **environ;

#define CHAIN_LEN 3               /* extract, clean, normalize */
#define RELAY_MIN (1u << 20)      /* initial buffer of a chain, grows for long lines */
#define PIPE_SIZE (1 << 20)       /* fewer wake-ups than the default 64 KiB */
#define STOP_GRACE 10.0           /* seconds between SIGTERM and SIGKILL */

static const char *const stage_names[FP_STAGE_COUNT] = {
	"feedpipe-extract", "feedpipe-clean", "feedpipe-normalize", "feedpipe-load",
};
static const char *const stage_short[FP_STAGE_COUNT] = { "extract", "clean", "normalize", "load" };

const char *fp_pipeline_stage_name(enum fp_stage_id id)
{
	return stage_names[id];
}

void fp_pipeline_init(struct fp_pipeline *pl)
{
	memset(pl, 0, sizeof(*pl));
	pl->jobs = 1;
	pl->files_total = -1;
	pl->secret_fd = -1;
}

void fp_pipeline_release(struct fp_pipeline *pl)
{
	char path[PATH_MAX];

	if (!pl)
		return;
	for (int i = 0; i < FP_STAGE_COUNT; i++) {
		free(pl->exe[i]);
		for (size_t j = 0; j < pl->nargs[i]; j++)
			free(pl->args[i][j]);
		free(pl->args[i]);
	}
	for (size_t i = 0; i < pl->nprocs; i++) {
		if (pl->procs[i].stats_path)
			unlink(pl->procs[i].stats_path);
		free(pl->procs[i].stats_path);
	}
	free(pl->procs);
	if (pl->tmpdir) {
		snprintf(path, sizeof(path), "%s/inputs", pl->tmpdir);
		unlink(path);
		rmdir(pl->tmpdir);
		free(pl->tmpdir);
	}
	json_decref(pl->stats);
	if (pl->secret_fd >= 0)
		close(pl->secret_fd);
	memset(pl, 0, sizeof(*pl));
	pl->secret_fd = -1;
}

int fp_pipeline_add_arg(struct fp_pipeline *pl, enum fp_stage_id id, const char *arg,
			struct fp_error *err)
{
	char **args = realloc(pl->args[id], (pl->nargs[id] + 2) * sizeof(*args));

	if (!args) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	pl->args[id] = args;
	if (!(args[pl->nargs[id]] = strdup(arg))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	args[++pl->nargs[id]] = NULL;
	return 0;
}

int fp_pipeline_add_secret(struct fp_pipeline *pl, enum fp_stage_id id, const char *opt,
			   const char *secret, struct fp_error *err)
{
	size_t len = strlen(secret);
	int fds[2] = { -1, -1 }, high, ret = -1;
	char num[16];

	assert(pl->secret_fd < 0);
	if (len > FP_CLI_FD_VALUE_MAX) {
		fp_error_set(err, "usage", "a secret of more than %zu bytes", FP_CLI_FD_VALUE_MAX);
		return -1;
	}
	/* The value fits the pipe's buffer (64 KiB at least on Linux), so it
	 * is written whole now, and the stage reads it and then the end. */
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0) {
		fp_error_set(err, "pipe", "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	fcntl(fds[1], F_SETPIPE_SZ, (int)FP_CLI_FD_VALUE_MAX); /* best effort */
	if (write(fds[1], secret, len) != (ssize_t)len) {
		fp_error_set(err, "pipe", "cannot write a pipe: %s", strerror(errno));
		goto out;
	}
	/* Above the standard streams and FP_PIPELINE_SECRET_FD itself, so
	 * that no dup2 of spawn() overwrites it and its dup2 is a real one
	 * (which clears close-on-exec). */
	if (fcntl(fds[0], F_SETFL, 0) < 0 || (high = fcntl(fds[0], F_DUPFD_CLOEXEC, 10)) < 0) {
		fp_error_set(err, "pipe", "cannot make a pipe: %s", strerror(errno));
		goto out;
	}
	close(fds[0]);
	fds[0] = -1;
	snprintf(num, sizeof(num), "%d", FP_PIPELINE_SECRET_FD);
	if (fp_pipeline_add_arg(pl, id, opt, err) < 0 || fp_pipeline_add_arg(pl, id, num, err) < 0) {
		close(high);
		goto out;
	}
	pl->secret_fd = high;
	pl->secret_stage = id;
	ret = 0;
out:
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	return ret;
}

static char *executable_in(const char *dir, size_t dirlen, const char *name)
{
	char path[PATH_MAX];

	if (dirlen == 0 || (size_t)snprintf(path, sizeof(path), "%.*s/%s", (int)dirlen, dir,
					    name) >= sizeof(path))
		return NULL;
	return access(path, X_OK) == 0 ? strdup(path) : NULL;
}

static char *find_stage(const char *name)
{
	char self[PATH_MAX];
	const char *env = getenv("FEEDPIPE_LIBEXEC"), *p, *end;
	ssize_t n;
	char *slash;

	if (env && *env)
		return executable_in(env, strlen(env), name);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/'))) {
			char *found = executable_in(self, (size_t)(slash - self), name);
			if (found)
				return found;
		}
	}
	for (p = getenv("PATH"); p && *p; p = *end ? end + 1 : end) {
		char *found;
		end = strchrnul(p, ':');
		if ((found = executable_in(p, (size_t)(end - p), name)))
			return found;
	}
	return NULL;
}

int fp_pipeline_find_stages(struct fp_pipeline *pl, struct fp_error *err)
{
	for (int i = 0; i < FP_STAGE_COUNT; i++) {
		free(pl->exe[i]);
		if (!(pl->exe[i] = find_stage(stage_names[i]))) {
			fp_error_set(err, "stage-not-found", "%s not found %s", stage_names[i],
				     getenv("FEEDPIPE_LIBEXEC") ? "in $FEEDPIPE_LIBEXEC"
								: "next to feedpipe nor in $PATH");
			fp_error_at(err, stage_names[i], 0, 0);
			return -1;
		}
	}
	return 0;
}

static int count_file(void *data, const char *root, const char *rel, const char *path,
		      const struct fp_error *err)
{
	(void)root, (void)rel, (void)path;
	*(long *)data += !err;
	return 0;
}

long fp_pipeline_count_inputs(char *const *inputs, size_t ninputs, const char *const *globs)
{
	struct fp_walk walk = { .globs = globs && globs[0] ? globs : NULL };
	struct stat sb;
	long n = 0;

	for (size_t i = 0; i < ninputs; i++) {
		if (!strcmp(inputs[i], "-"))
			return -1;
		if (stat(inputs[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			fp_walk_dir(&walk, inputs[i], count_file, &n);
		else
			n++;
	}
	return n;
}

int fp_pipeline_lock(const char *path, struct fp_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0) {
		fp_error_set(err, "lock-open", "cannot open lock file: %s", strerror(errno));
		fp_error_at(err, path, 0, 0);
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			fp_error_set(err, "locked", "another run holds the lock");
		else
			fp_error_set(err, "lock-open", "cannot lock: %s", strerror(errno));
		fp_error_at(err, path, 0, 0);
		close(fd);
		return -1;
	}
	return fd;
}

/* Members that are a maximum, not a sum, over processes. */
static int takes_max(const char *key)
{
	return !strcmp(key, "seconds") || !strncmp(key, "max_", 4);
}

int fp_pipeline_merge_stats(json_t *into, const json_t *from)
{
	const char *key;
	json_t *v, *have;

	json_object_foreach((json_t *)from, key, v) {
		have = json_object_get(into, key);
		if (!have) {
			if (json_object_set_new(into, key, json_deep_copy(v)) < 0)
				return -1;
		} else if (json_is_integer(have) && json_is_integer(v)) {
			json_int_t a = json_integer_value(have), b = json_integer_value(v);
			json_integer_set(have, takes_max(key) ? (a > b ? a : b) : a + b);
		} else if (json_is_number(have) && json_is_number(v)) {
			double a = json_number_value(have), b = json_number_value(v);
			if (json_object_set_new(into, key,
						json_real(takes_max(key) ? (a > b ? a : b) : a + b)) < 0)
				return -1;
		} else if (json_is_object(have) && json_is_object(v)) {
			if (fp_pipeline_merge_stats(have, v) < 0)
				return -1;
		}
	}
	return 0;
}

/* --- running ------------------------------------------------------------ */

struct chain {
	int fd;         /* read end of the chain's output, -1 once closed */
	char *buf;      /* bytes read, not yet written: at most one partial line */
	size_t len, cap;
};

struct run {
	struct fp_pipeline *pl;
	struct chain *chains;
	int load_fd;    /* write end of the loader's input, -1 once closed */
	double started, last_tick;
};

static double now(void)
{
	return fp_stats_now();
}

static void tick(struct run *r, int final)
{
	struct fp_pipeline *pl = r->pl;
	double t = now();

	pl->last.elapsed = t - r->started;
	pl->last.files_total = pl->files_total;
	pl->last.final = final;
	if (pl->progress && (final || t - r->last_tick >= 0.5)) {
		r->last_tick = t;
		pl->progress(&pl->last, pl->progress_ctx);
	}
}

static int interrupted(const struct fp_pipeline *pl)
{
	return pl->interrupted && *pl->interrupted;
}

/*
 * The shard of chain k. Extract selects a file when hash(path) mod N == K, so
 * the files of shard K/N split into the shards K + N*j of N*J, j < J.
 */
static void chain_shard(const struct fp_pipeline *pl, int k, char *buf, size_t size)
{
	long K = 0, N = 1;

	if (pl->shard && sscanf(pl->shard, "%ld/%ld", &K, &N) != 2)
		K = 0, N = 1;
	snprintf(buf, size, "%ld/%ld", K + N * k, N * pl->jobs);
}

static int spawn(struct fp_pipeline *pl, struct fp_proc *p, int in_fd, int out_fd,
		 struct fp_error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	char shard[64];
	const char **argv;
	size_t n = 0, max = pl->nargs[p->stage] + pl->ninputs + 8;
	int rc;

	if (!(argv = calloc(max, sizeof(*argv)))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	argv[n++] = pl->exe[p->stage];
	for (size_t i = 0; i < pl->nargs[p->stage]; i++)
		argv[n++] = pl->args[p->stage][i];
	argv[n++] = "--stats";
	argv[n++] = p->stats_path;
	if (p->stage == FP_STAGE_EXTRACT) {
		if (pl->jobs > 1 || pl->shard) {
			chain_shard(pl, p->chain, shard, sizeof(shard));
			argv[n++] = "--shard";
			argv[n++] = shard;
		}
		argv[n++] = "--";
		for (size_t i = 0; i < pl->ninputs; i++)
			argv[n++] = pl->inputs[i];
	}
	argv[n] = NULL;

	posix_spawn_file_actions_init(&fa);
	if (in_fd != STDIN_FILENO)
		posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
	if (out_fd != STDOUT_FILENO)
		posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	if (pl->secret_fd >= 0 && p->stage == pl->secret_stage)
		posix_spawn_file_actions_adddup2(&fa, pl->secret_fd, FP_PIPELINE_SECRET_FD);
	/* The driver ignores SIGPIPE and catches SIGINT/SIGTERM; stages get the defaults. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGINT);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGHUP);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&p->pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(argv);
	if (rc == 0 && pl->secret_fd >= 0 && p->stage == pl->secret_stage) {
		close(pl->secret_fd); /* the stage has its copy */
		pl->secret_fd = -1;
	}
	if (rc != 0) {
		p->pid = 0;
		fp_error_set(err, "spawn", "cannot start %s: %s", pl->exe[p->stage], strerror(rc));
		return -1;
	}
	return 0;
}

static int make_pipe(int fds[2], struct fp_error *err)
{
	if (pipe2(fds, O_CLOEXEC) < 0) {
		fp_error_set(err, "pipe", "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE); /* best effort */
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* waitpid() that also keeps what the process used. Returns 1 when reaped. */
static int reap(struct fp_proc *p, int flags)
{
	struct rusage ru;
	pid_t r = wait4(p->pid, &p->status, flags, &ru);

	if (r == p->pid) {
		p->reaped = 1;
		p->cpu_seconds = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
				 (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
		p->max_rss_kb = ru.ru_maxrss;
		return 1;
	}
	if (r < 0 && errno == ECHILD) /* not ours any more: nothing to learn */
		p->reaped = 1, p->status = 0;
	return p->reaped;
}

/* Waits for `p`. Returns 0, or -1 when a signal interrupted the wait. */
static int wait_proc(struct fp_pipeline *pl, struct fp_proc *p)
{
	while (p->pid > 0 && !p->reaped)
		if (!reap(p, 0) && errno == EINTR && interrupted(pl))
			return -1;
	return 0;
}

static int proc_failed(const struct fp_proc *p)
{
	return p->reaped && p->status != 0;
}

/*
 * Stops every process still running with `sig` and waits for all of them,
 * escalating to SIGKILL after STOP_GRACE seconds. The loader's input stays
 * open until the loader is gone: it must never mistake a broken run for the
 * end of its input.
 */
static void stop_all(struct run *r, int sig, int collateral)
{
	struct fp_pipeline *pl = r->pl;
	struct timespec ms10 = { 0, 10 * 1000 * 1000 };
	double deadline = now() + STOP_GRACE;
	int left, hard = 0;

	for (size_t i = 0; i < pl->nprocs; i++) {
		struct fp_proc *p = &pl->procs[i];
		if (p->pid > 0 && !p->reaped)
			reap(p, WNOHANG);
		if (p->pid > 0 && !p->reaped) {
			kill(p->pid, sig);
			p->collateral = collateral;
		}
	}
	for (int k = 0; r->chains && k < pl->jobs; k++)
		close_fd(&r->chains[k].fd);
	do {
		left = 0;
		for (size_t i = 0; i < pl->nprocs; i++) {
			struct fp_proc *p = &pl->procs[i];
			if (p->pid <= 0 || p->reaped)
				continue;
			if (!reap(p, WNOHANG) && ++left && hard == 0 && now() > deadline)
				kill(p->pid, SIGKILL);
		}
		if (left && now() > deadline)
			hard = 1;
		if (left)
			nanosleep(&ms10, NULL);
	} while (left);
	close_fd(&r->load_fd);
}

static int write_all(struct run *r, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(r->load_fd, p, n);
		if (w < 0) {
			if (errno == EINTR && !interrupted(r->pl))
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes the complete lines in c->buf to the loader and counts them. */
static int relay_lines(struct run *r, struct chain *c, size_t upto)
{
	struct fp_progress *pr = &r->pl->last;
	const char *p = c->buf, *end = c->buf + upto, *nl;

	for (; p < end; p = nl + 1) {
		if (!(nl = memchr(p, '\n', (size_t)(end - p))))
			nl = end - 1; /* the caller ended the last line: not reached */
		pr->records++;
		if (!strncmp(p, "{\"reject\"", 9))
			pr->rejects++;
	}
	pr->bytes += upto;
	if (write_all(r, c->buf, upto) < 0)
		return -1;
	memmove(c->buf, c->buf + upto, c->len - upto);
	c->len -= upto;
	return 0;
}

/*
 * Reads what chain `c` has. Returns 1 while open, 0 at its end (the tail was
 * written), -1 when writing to the loader failed, -2 on a read error.
 */
static int pump(struct run *r, struct chain *c)
{
	ssize_t n;
	char *last;

	if (c->cap - c->len < RELAY_MIN / 4) {
		size_t cap = c->cap ? c->cap * 2 : RELAY_MIN;
		char *buf = realloc(c->buf, cap);
		if (!buf)
			return -2;
		c->buf = buf;
		c->cap = cap;
	}
	n = read(c->fd, c->buf + c->len, c->cap - c->len);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : -2;
	if (n == 0) {
		/* A last line without its newline still ends a line. */
		if (c->len > 0 && c->len < c->cap)
			c->buf[c->len++] = '\n';
		if (c->len > 0 && relay_lines(r, c, c->len) < 0)
			return -1;
		close_fd(&c->fd);
		return 0;
	}
	last = memrchr(c->buf + c->len, '\n', (size_t)n);
	c->len += (size_t)n;
	if (last && relay_lines(r, c, (size_t)(last - c->buf) + 1) < 0)
		return -1;
	return 1;
}

static int start(struct run *r, struct fp_error *err)
{
	struct fp_pipeline *pl = r->pl;
	char tmpl[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	char *list = NULL; /* the file every extract reads as stdin, or NULL */
	int lp[2], ret = -1;
	int uses_stdin = 0;

	snprintf(tmpl, sizeof(tmpl), "%s/feedpipe-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpl) || !(pl->tmpdir = strdup(tmpl))) {
		fp_error_set(err, "tmpdir", "cannot make a temporary directory: %s", strerror(errno));
		return -1;
	}
	if (!(pl->procs = calloc((size_t)pl->jobs * CHAIN_LEN + 1, sizeof(*pl->procs))) ||
	    !(r->chains = calloc((size_t)pl->jobs, sizeof(*r->chains)))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}
	pl->nprocs = (size_t)pl->jobs * CHAIN_LEN + 1;
	for (size_t i = 0; i < pl->nprocs; i++) {
		struct fp_proc *p = &pl->procs[i];
		char path[PATH_MAX];
		p->stage = i + 1 == pl->nprocs ? FP_STAGE_LOAD : (enum fp_stage_id)(i % CHAIN_LEN);
		p->chain = i + 1 == pl->nprocs ? -1 : (int)(i / CHAIN_LEN);
		snprintf(path, sizeof(path), "%s/%s-%d.json", pl->tmpdir, stage_short[p->stage],
			 p->chain + 1);
		if (!(p->stats_path = strdup(path))) {
			fp_error_set(err, "out-of-memory", "out of memory");
			return -1;
		}
	}
	for (int k = 0; k < pl->jobs; k++)
		r->chains[k].fd = -1;
	for (size_t i = 0; i < pl->ninputs; i++)
		uses_stdin |= !strcmp(pl->inputs[i], "-");

	/* N extracts cannot share one stdin: keep the list of paths in a file. */
	if (!pl->stdin_path && uses_stdin && pl->jobs > 1) {
		char path[PATH_MAX], buf[65536];
		ssize_t n;
		int fd;
		snprintf(path, sizeof(path), "%s/inputs", pl->tmpdir);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
			fp_error_set(err, "tmpdir", "cannot write the input list: %s", strerror(errno));
			return -1;
		}
		while ((n = read(STDIN_FILENO, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
			if (n > 0 && write(fd, buf, (size_t)n) != n)
				n = -1;
		close(fd);
		if (n < 0) {
			fp_error_set(err, "read", "cannot copy the input list: %s", strerror(errno));
			return -1;
		}
		if (!(list = strdup(path))) {
			fp_error_set(err, "out-of-memory", "out of memory");
			return -1;
		}
	} else if (pl->stdin_path && !(list = strdup(pl->stdin_path))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		return -1;
	}

	if (make_pipe(lp, err) < 0)
		goto done;
	r->load_fd = lp[1];
	if (spawn(pl, &pl->procs[pl->nprocs - 1], lp[0], STDOUT_FILENO, err) < 0) {
		close(lp[0]);
		goto done;
	}
	close(lp[0]);

	for (int k = 0; k < pl->jobs; k++) {
		struct fp_proc *p = &pl->procs[(size_t)k * CHAIN_LEN];
		int in = STDIN_FILENO, fds[2];
		if (list && (in = open(list, O_RDONLY | O_CLOEXEC)) < 0) {
			fp_error_set(err, "tmpdir", "cannot read the input list: %s", strerror(errno));
			goto done;
		}
		for (int s = 0; s < CHAIN_LEN; s++) {
			if (make_pipe(fds, err) < 0)
				goto out;
			if (spawn(pl, &p[s], in, fds[1], err) < 0) {
				close(fds[0]);
				close(fds[1]);
				goto out;
			}
			close(fds[1]);
			if (in != STDIN_FILENO)
				close(in);
			in = fds[0];
		}
		r->chains[k].fd = in;
		fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
		continue;
out:
		if (in != STDIN_FILENO)
			close(in);
		goto done;
	}
	ret = 0;
done:
	free(list);
	return ret;
}

/* Reads every stage's --stats file into pl->stats. */
static void merge_stats(struct fp_pipeline *pl)
{
	json_t *stages = json_object(), *doc = json_object();
	long rejects = 0;

	if (!stages || !doc)
		goto out;
	for (size_t i = 0; i < pl->nprocs; i++) {
		const char *name = stage_short[pl->procs[i].stage];
		json_t *one = json_load_file(pl->procs[i].stats_path, 0, NULL), *into;
		if (!one && !(one = json_object()))
			continue;
		json_object_del(one, "program");
		/* What the kernel counted, also for a stage that wrote no stats. */
		json_object_set_new(one, "cpu_seconds", json_real(pl->procs[i].cpu_seconds));
		json_object_set_new(one, "max_rss_kb", json_integer(pl->procs[i].max_rss_kb));
		if (!(into = json_object_get(stages, name)))
			json_object_set_new(stages, name, json_deep_copy(one));
		else
			fp_pipeline_merge_stats(into, one);
		json_decref(one);
	}
	for (int s = 0; s < FP_STAGE_COUNT; s++)
		rejects += (long)json_integer_value(
			json_object_get(json_object_get(stages, stage_short[s]), "rejects"));
	json_object_set_new(doc, "program", json_string("feedpipe"));
	json_object_set_new(doc, "jobs", json_integer(pl->jobs));
	json_object_set(doc, "files",
			json_object_get(json_object_get(stages, "extract"), "records_in")
				?: json_null());
	json_object_set(doc, "records_out",
			json_object_get(json_object_get(stages, "load"), "records_out")
				?: json_null());
	json_object_set_new(doc, "rejects", json_integer(rejects));
	json_object_set_new(doc, "lines_relayed", json_integer(pl->last.records));
	json_object_set_new(doc, "bytes_relayed", json_integer((json_int_t)pl->last.bytes));
	json_object_set_new(doc, "seconds", json_real(pl->last.elapsed));
	json_object_set(doc, "stages", stages);
	json_decref(pl->stats);
	pl->stats = doc;
	doc = NULL;
out:
	json_decref(doc);
	json_decref(stages);
}

int fp_pipeline_run(struct fp_pipeline *pl, struct fp_error *err)
{
	struct run r = { .pl = pl, .load_fd = -1 };
	struct fp_proc *loader;
	struct pollfd *fds = NULL;
	int *which = NULL;
	int open_chains, failed = 0, ret = -1;

	if (pl->jobs < 1)
		pl->jobs = 1;
	r.started = r.last_tick = now();
	memset(&pl->last, 0, sizeof(pl->last));
	if (start(&r, err) < 0 || !(fds = calloc((size_t)pl->jobs, sizeof(*fds))) ||
	    !(which = calloc((size_t)pl->jobs, sizeof(*which)))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		stop_all(&r, SIGTERM, 1);
		goto out;
	}
	loader = &pl->procs[pl->nprocs - 1];

	for (open_chains = pl->jobs; open_chains > 0 && !failed;) {
		int nfds = 0, rc;
		for (int k = 0; k < pl->jobs; k++)
			if (r.chains[k].fd >= 0) {
				fds[nfds] = (struct pollfd){ .fd = r.chains[k].fd, .events = POLLIN };
				which[nfds++] = k;
			}
		rc = poll(fds, (nfds_t)nfds, 250);
		if (interrupted(pl))
			break;
		if (rc == 0 && reap(loader, WNOHANG))
			failed = 1; /* gone before the end of its input */
		for (int i = 0; i < nfds && rc > 0 && !failed && !interrupted(pl); i++) {
			int k = which[i], got;
			if (!fds[i].revents)
				continue;
			got = pump(&r, &r.chains[k]);
			if (got == -2) {
				fp_error_set(err, "read", "cannot read a stage's output: %s", strerror(errno));
				stop_all(&r, SIGTERM, 1);
				goto out;
			}
			if (got == -1 && !interrupted(pl))
				failed = 1; /* the loader went away */
			if (got != 0)
				continue;
			/* The chain ended: did all of it succeed? */
			open_chains--;
			for (int s = 0; s < CHAIN_LEN; s++) {
				struct fp_proc *p = &pl->procs[(size_t)k * CHAIN_LEN + s];
				if (wait_proc(pl, p) < 0)
					break;
				failed |= proc_failed(p);
			}
		}
		tick(&r, 0);
	}

	if (interrupted(pl)) {
		pl->signal = (int)*pl->interrupted;
		stop_all(&r, pl->signal, 0);
		ret = 1;
	} else if (failed) {
		stop_all(&r, SIGTERM, 1);
		ret = 1;
	} else {
		close_fd(&r.load_fd);
		if (wait_proc(pl, loader) < 0) {
			pl->signal = (int)*pl->interrupted;
			stop_all(&r, pl->signal, 0);
		}
		ret = proc_failed(loader) || pl->signal ? 1 : 0;
	}
	tick(&r, 1);
	merge_stats(pl);
out:
	for (int k = 0; r.chains && k < pl->jobs; k++) {
		close_fd(&r.chains[k].fd);
		free(r.chains[k].buf);
	}
	close_fd(&r.load_fd);
	free(r.chains);
	free(fds);
	free(which);
	return ret;
}

int fp_pipeline_describe(const struct fp_pipeline *pl, const struct fp_proc *p, char *buf,
			 size_t size)
{
	char where[64] = "";
	int secondary = 0;

	if (!p->reaped || p->status == 0 || p->collateral)
		return 0;
	/* Interrupted: a stage that died of the signal, or exited 128 + it, obeyed. */
	if (pl->signal && ((WIFSIGNALED(p->status) && WTERMSIG(p->status) == pl->signal) ||
			   (WIFEXITED(p->status) && WEXITSTATUS(p->status) == 128 + pl->signal)))
		return 0;
	if (pl->jobs > 1 && p->chain >= 0)
		snprintf(where, sizeof(where), " (chain %d of %d)", p->chain + 1, pl->jobs);
	if (WIFSIGNALED(p->status)) {
		secondary = p->stage != FP_STAGE_LOAD && WTERMSIG(p->status) == SIGPIPE;
		snprintf(buf, size, "%s%s killed by signal %d (%s)", stage_names[p->stage], where,
			 WTERMSIG(p->status), strsignal(WTERMSIG(p->status)));
	} else {
		secondary = p->stage != FP_STAGE_LOAD && WEXITSTATUS(p->status) == 141;
		snprintf(buf, size, "%s%s exited with status %d", stage_names[p->stage], where,
			 WEXITSTATUS(p->status));
	}
	return secondary ? 2 : 1;
}
