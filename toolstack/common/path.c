#include "toolstack/common/path.h"

#include <ftw.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "toolstack/common/log.h"

int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

int path_mkdirs(const char *dir, mode_t mode)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len == 0 || len >= sizeof(path)) {
		log_warnx("folder \"%.64s\": empty or too long", dir);
		return BL_ERR_INVAL;
	}
	memcpy(path, dir, len);
	path[len] = '\0';
	for (char *p = path + 1; p <= path + len; p++) {
		bool last = p == path + len;

		if ((*p != '/' && !last) || p[-1] == '/')
			continue;
		*p = '\0';
		if (mkdir(path, last ? mode : 0755) < 0 && errno != EEXIST) {
			log_warn("cannot create folder %s", path);
			return BL_ERR_IO;
		}
		if (!last)
			*p = '/';
	}
	return BL_OK;
}

void path_print_quoted(FILE *out, const char *path)
{
	fputc('\'', out);
	for (const char *p = path; *p; p++)
		if (*p == '\'')
			fputs("'\\''", out);
		else
			fputc(*p, out);
	fputc('\'', out);
}

static int remove_entry(const char *path, const struct stat *st, int flag,
			struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int path_remove_tree(const char *dir)
{
	return nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}
