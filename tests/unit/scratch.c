#include "tests/unit/scratch.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

const char *scratch_path(const char *dir, const char *fmt, ...)
{
	static char bufs[8][PATH_MAX];
	static int next;
	char *buf = bufs[next++ % 8];
	int n = snprintf(buf, PATH_MAX, "%s/", dir);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + n, (size_t)(PATH_MAX - n), fmt, ap);
	va_end(ap);
	return buf;
}
