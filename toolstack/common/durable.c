/* Crash-safe small files (durable.h). */
#include "toolstack/common/durable.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return BL_ERR_IO;
	r = fsync(fd);
	close(fd);
	return r < 0 ? BL_ERR_IO : BL_OK;
}

int durable_write(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	size_t len = strlen(text);
	int fd = -1, rc;

	rc = path_mkdirs(dir, 0700);
	if (!rc)
		rc = path_join(path, sizeof(path), dir, name);
	if (rc)
		return rc;
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(tmp))
		return BL_ERR_INVAL;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("cannot write %s", tmp);
		return BL_ERR_IO;
	}
	rc = fdio_write(fd, text, len, -1);
	if (!rc && fsync(fd) < 0)
		rc = BL_ERR_IO;
	if (close(fd) < 0 && !rc)
		rc = BL_ERR_IO;
	if (!rc && rename(tmp, path) < 0)
		rc = BL_ERR_IO;
	if (!rc)
		rc = sync_dir(dir);
	if (rc) {
		log_warn("cannot write %s", path);
		unlink(tmp);
	}
	return rc;
}

int durable_read(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];
	size_t got = 0;
	ssize_t r;
	int fd, rc = path_join(path, sizeof(path), dir, name);

	if (rc)
		return rc;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	while (got < len && (r = read(fd, buf + got, len - got)) > 0)
		got += (size_t)r;
	close(fd);
	if (got == len)
		return BL_ERR_INVAL;
	buf[got] = '\0';
	return BL_OK;
}

int durable_remove(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int rc = path_join(path, sizeof(path), dir, name);

	if (rc)
		return rc;
	if (unlink(path) < 0) {
		if (errno == ENOENT)
			return BL_OK;
		log_warn("cannot remove %s", path);
		return BL_ERR_IO;
	}
	return sync_dir(dir);
}

int durable_rename(const char *dir, const char *from, const char *to)
{
	char src[PATH_MAX], dst[PATH_MAX];
	int rc = path_join(src, sizeof(src), dir, from)
		     ?: path_join(dst, sizeof(dst), dir, to);

	if (rc)
		return rc;
	if (rename(src, dst) < 0) {
		if (errno == ENOENT)
			return BL_ERR_NOTFOUND;
		log_warn("cannot rename %s to %s", src, dst);
		return BL_ERR_IO;
	}
	return sync_dir(dir);
}
