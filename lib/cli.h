#ifndef FP_CLI_H
#define FP_CLI_H

#include <getopt.h>

#include "error.h"

/*
 * What every executable shares: exit codes, the common options and the
 * message format "feedpipe-clean: posts/a.md:42: unterminated front matter".
 */

enum fp_exit {
	FP_EXIT_OK = 0,       /* done; rejects, if any, within --max-rejects */
	FP_EXIT_DATA = 1,     /* more rejects than --max-rejects */
	FP_EXIT_USAGE = 2,    /* bad command line */
	FP_EXIT_IO = 3,       /* cannot read input or write output */
	FP_EXIT_DB = 4,       /* database error that retries did not cure */
	FP_EXIT_LOCKED = 5,   /* another run holds the lock (driver) */
	FP_EXIT_STAGE = 6,    /* a stage of the driver's pipeline failed */
	FP_EXIT_SIGINT = 130, /* interrupted: nothing partial was committed */
	FP_EXIT_SIGTERM = 143,
};

/* Options every stage accepts, in getopt_long's terms. */
#define FP_CLI_SHORTOPTS "hVqv"
enum {
	FP_OPT_STATS = 1000,
	FP_OPT_MAX_REJECTS,
	FP_OPT_MAX_LINE,
	FP_OPT_FIRST_STAGE_OPTION = 1100, /* stages number their own from here */
};
#define FP_CLI_LONGOPTS                                                    \
	{ "help", no_argument, NULL, 'h' },                                \
	{ "max-line", required_argument, NULL, FP_OPT_MAX_LINE },          \
	{ "max-rejects", required_argument, NULL, FP_OPT_MAX_REJECTS },    \
	{ "quiet", no_argument, NULL, 'q' },                               \
	{ "stats", required_argument, NULL, FP_OPT_STATS },                \
	{ "verbose", no_argument, NULL, 'v' },                             \
	{ "version", no_argument, NULL, 'V' }

/* Help text for the common options, for each stage's usage(). */
#define FP_CLI_COMMON_HELP                                                            \
	"      --max-line BYTES   longest input line accepted (default 256M)\n"          \
	"      --max-rejects N    fail (exit 1) when more than N records are rejected\n" \
	"                         (default: no limit)\n"                                 \
	"      --stats FILE       write a JSON summary of the run to FILE\n"             \
	"  -q, --quiet            print no per-record messages\n"                        \
	"  -v, --verbose          print more\n"                                          \
	"  -h, --help             show this help\n"                                      \
	"  -V, --version          show versions\n"

struct fp_cli {
	const char *prog;        /* "feedpipe-clean" */
	const char *stats_path;  /* --stats, or NULL */
	long max_rejects;        /* -1: no limit */
	size_t max_line;         /* 0: default */
	int verbosity;           /* 0 quiet, 1 default, 2 verbose */
};

/* Sets the defaults. `prog` is borrowed and must outlive `cli`. */
void fp_cli_init(struct fp_cli *cli, const char *prog);

/*
 * Handles a common option returned by getopt_long. Returns 1 when handled,
 * 0 when `opt` is not a common option, and -1 on a bad argument (the message
 * has been printed). --help and --version are left to the caller: they need
 * the stage's own usage text.
 */
int fp_cli_option(struct fp_cli *cli, int opt, const char *arg);

/* Prints "PROG version X (libraries ...)" to stdout. */
void fp_cli_version(const struct fp_cli *cli);

/*
 * Prints "PROG: MESSAGE\n" to stderr (the message has no trailing newline).
 * Only stage mains and the driver print; library code never does.
 */
void fp_cli_msg(const struct fp_cli *cli, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Parses a size with an optional suffix K, M or G (powers of 1024) into *out.
 * Returns 0, or -1 when `s` is not such a size.
 */
int fp_cli_parse_size(const char *s, size_t *out);
/* Parses a non-negative integer. Returns 0 or -1. */
int fp_cli_parse_long(const char *s, long *out);

/* The largest value fp_cli_read_fd() reads. */
#define FP_CLI_FD_VALUE_MAX ((size_t)64 << 10)

/*
 * Reads a value handed over by an inherited file descriptor instead of the
 * command line, which every local user can read (ps, /proc/PID/cmdline):
 * `arg` is the descriptor's number, above 2 (--pg-fd 3, with 3<FILE or a
 * pipe). The descriptor is read to its end and closed; one trailing newline
 * (or CRLF) is dropped. Returns 0 with *out a new string, or -1 with err (a bad
 * number, a descriptor that is not open, a read error, more than
 * FP_CLI_FD_VALUE_MAX bytes, a NUL byte); *out is then NULL.
 */
int fp_cli_read_fd(const char *arg, char **out, struct fp_error *err);

#endif
