#include <stdio.h>
#include <string.h>

#include "error.h"
#include "banned.h"

void fp_error_init(struct fp_error *err)
{
	if (!err)
		return;
	memset(err, 0, sizeof(*err));
}

int fp_error_isset(const struct fp_error *err)
{
	return err && err->reason[0] != '\0';
}

void fp_error_setv(struct fp_error *err, const char *reason, const char *fmt, va_list ap)
{
	if (!err || fp_error_isset(err))
		return;
	snprintf(err->reason, sizeof(err->reason), "%s", reason);
	vsnprintf(err->text, sizeof(err->text), fmt, ap);
}

void fp_error_set(struct fp_error *err, const char *reason, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fp_error_setv(err, reason, fmt, ap);
	va_end(ap);
}

void fp_error_at(struct fp_error *err, const char *source, long line, long column)
{
	if (!err)
		return;
	if (source)
		snprintf(err->source, sizeof(err->source), "%s", source);
	if (line > 0)
		err->line = line;
	if (column > 0)
		err->column = column;
}

char *fp_error_format(const struct fp_error *err, char *buf, size_t size)
{
	size_t n = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (!err)
		return buf;
	if (err->source[0]) {
		n += snprintf(buf + n, size - n, "%s:", err->source);
		if (n < size && err->line > 0)
			n += snprintf(buf + n, size - n, "%ld:", err->line);
		if (n < size && err->line > 0 && err->column > 0)
			n += snprintf(buf + n, size - n, "%ld:", err->column);
	} else if (err->record > 0) {
		n += snprintf(buf + n, size - n, "record %ld:", err->record);
	}
	if (n < size)
		snprintf(buf + n, size - n, "%s%s", n ? " " : "", err->text);
	return buf;
}
