#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "version.h"
#include "banned.h"

void fp_cli_init(struct fp_cli *cli, const char *prog)
{
	memset(cli, 0, sizeof(*cli));
	cli->prog = prog;
	cli->max_rejects = -1;
	cli->verbosity = 1;
}

int fp_cli_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		return -1;
	*out = v;
	return 0;
}

int fp_cli_parse_size(const char *s, size_t *out)
{
	char *end;
	unsigned long long v;
	int shift = 0;

	/* strtoull skips spaces and negates "-1": only digits may start a size. */
	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default: break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || v > (~0ULL >> shift))
		return -1;
	*out = (size_t)(v << shift);
	return 0;
}

int fp_cli_read_fd(const char *arg, char **out, struct fp_error *err)
{
	char *buf = NULL;
	size_t len = 0;
	long fd;
	ssize_t n;
	int ret = -1;

	*out = NULL;
	/* 0 to 2 are the streams a stage reads and writes its records on. */
	if (fp_cli_parse_long(arg, &fd) < 0 || fd < 3 || fd > INT_MAX) {
		fp_error_set(err, "usage", "expected a file descriptor number above 2");
		return -1;
	}
	if (!(buf = malloc(FP_CLI_FD_VALUE_MAX + 2))) {
		fp_error_set(err, "out-of-memory", "out of memory");
		goto out;
	}
	/* One byte more than the limit tells a value that is too long. */
	while (len <= FP_CLI_FD_VALUE_MAX &&
	       (n = read((int)fd, buf + len, FP_CLI_FD_VALUE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fp_error_set(err, "usage", "cannot read descriptor %ld: %s", fd,
				     strerror(errno));
			goto out;
		}
		len += (size_t)n;
	}
	if (len > FP_CLI_FD_VALUE_MAX) {
		fp_error_set(err, "usage", "more than %zu bytes on descriptor %ld",
			     FP_CLI_FD_VALUE_MAX, fd);
		goto out;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		fp_error_set(err, "usage", "a NUL byte on descriptor %ld", fd);
		goto out;
	}
	*out = buf;
	buf = NULL;
	ret = 0;
out:
	close((int)fd);
	free(buf);
	return ret;
}

void fp_cli_msg(const struct fp_cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int fp_cli_option(struct fp_cli *cli, int opt, const char *arg)
{
	switch (opt) {
	case 'q':
		cli->verbosity = 0;
		return 1;
	case 'v':
		cli->verbosity = 2;
		return 1;
	case FP_OPT_STATS:
		if (!*arg) {
			fp_cli_msg(cli, "invalid --stats '': expected a file name");
			return -1;
		}
		cli->stats_path = arg;
		return 1;
	case FP_OPT_MAX_REJECTS:
		if (fp_cli_parse_long(arg, &cli->max_rejects) < 0) {
			fp_cli_msg(cli, "invalid --max-rejects '%s': expected a number", arg);
			return -1;
		}
		return 1;
	case FP_OPT_MAX_LINE:
		if (fp_cli_parse_size(arg, &cli->max_line) < 0 || cli->max_line == 0) {
			fp_cli_msg(cli, "invalid --max-line '%s': expected a size such as 64M", arg);
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}

void fp_cli_version(const struct fp_cli *cli)
{
	printf("%s (feedpipe) %s\n", cli->prog, FP_VERSION);
	printf("libraries: %s\n", fp_version_libraries());
}
