/* The live probe source: this machine's CPUID, /sys and /proc. */
#include "blanket/probe_src.h"

#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"

static int live_cpuid(void *ctx, uint32_t leaf, uint32_t subleaf,
		      uint32_t regs[4])
{
	(void)ctx;
	__cpuid_count(leaf, subleaf, regs[0], regs[1], regs[2], regs[3]);
	return BL_OK;
}

static int live_read_file(void *ctx, const char *path, char *buf, size_t len)
{
	size_t got = 0;
	char *nl;
	int fd, rc;

	(void)ctx;
	if (len == 0)
		return BL_ERR_INVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? BL_ERR_NOTFOUND
							   : BL_ERR_IO;
	/* Files here are a line or a few; a short read ends at EOF. */
	rc = fdio_read(fd, buf, len - 1, -1, &got);
	close(fd);
	if (rc && rc != BL_ERR_EOF)
		return rc;
	buf[got] = '\0';
	nl = memchr(buf, '\n', got);
	if (nl)
		*nl = '\0';
	return BL_OK;
}

static int live_list_dir(void *ctx, const char *path, probe_dir_fn fn,
			 void *arg)
{
	struct dirent *de;
	DIR *d;
	int rc = BL_OK;

	(void)ctx;
	d = opendir(path);
	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? BL_ERR_NOTFOUND
							   : BL_ERR_IO;
	while (!rc && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			rc = fn(arg, de->d_name);
	closedir(d);
	return rc;
}

static const struct probe_src_ops live_ops = {
    .cpuid = live_cpuid,
    .read_file = live_read_file,
    .list_dir = live_list_dir,
};

struct probe_src probe_src_live(void)
{
	return (struct probe_src){.ops = &live_ops, .ctx = NULL};
}
