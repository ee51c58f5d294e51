#include "tests/unit/scratch.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int scratch_dir_make(char dir[SCRATCH_DIR_MAX], const char *suite)
{
	/* mkdtemp's template: it replaces the Xs. */
	snprintf(dir, SCRATCH_DIR_MAX, "/tmp/blanket-%s-XXXXXX", suite);
	return mkdtemp(dir) ? 0 : -1;
}

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
