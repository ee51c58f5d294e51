/* blanket-blk: Blanket's blkif backend (docs/specs/blkif-backend.md).
 *
 *   blanket-blk serve DOMID DEVID   serve one disk until it is gone
 *   blanket-blk watch               serve every disk the toolstack adds
 *                                   under backend/vbd, one process each
 *   blanket-blk hash IMAGE          print the image's hash, as a storage
 *                                   migration's two ends compare it
 *
 * The node runs `watch` in place of the kernel's xen-blkback. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#include "drivers/blk/blk_ctl.h"
#include "drivers/blk/blk_disk.h"
#include "drivers/blk/blk_image.h"
#include "toolstack/common/log.h"

#define VBD_ROOT  "/local/domain/0/backend/vbd"
#define MAX_DISKS 256

static const char usage[] = "usage: blanket-blk serve DOMID DEVID\n"
			    "       blanket-blk watch\n";

/* A disk a process was started for, until its folder is removed. */
struct served {
	unsigned int domid, devid;
	pid_t pid; /* 0 once it ended */
	bool seen; /* its folder is there, this scan */
};

static struct served disks[MAX_DISKS];
static unsigned int ndisks;

static bool parse_id(const char *text, unsigned int max, unsigned int *v_r)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v > max)
		return false;
	*v_r = (unsigned int)v;
	return true;
}

static int serve(unsigned int domid, unsigned int devid)
{
	char err[BL_ERRMSG_MAX];

	if (blk_disk_serve(domid, devid, err, sizeof(err))) {
		log_warnx("disk %u/%u: %s", domid, devid, err);
		return 1;
	}
	return 0;
}

static struct served *find(unsigned int domid, unsigned int devid)
{
	for (unsigned int i = 0; i < ndisks; i++)
		if (disks[i].domid == domid && disks[i].devid == devid)
			return &disks[i];
	return NULL;
}

static void start(unsigned int domid, unsigned int devid)
{
	struct served *s;
	pid_t pid;

	if (ndisks == MAX_DISKS) {
		log_warnx("disk %u/%u: %d disks served already", domid, devid,
			  MAX_DISKS);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("disk %u/%u: fork", domid, devid);
		return;
	}
	if (pid == 0)
		_exit(serve(domid, devid));
	s = &disks[ndisks++];
	*s = (struct served){domid, devid, pid, true};
}

/* Start a process for each disk folder new since the last scan; forget
 * the disks whose folders are gone. */
static void scan(struct xs_handle *xs)
{
	unsigned int ndom = 0, ndev, domid, devid;
	char **doms = xs_directory(xs, XBT_NULL, VBD_ROOT, &ndom), **devs;
	char path[128];
	struct served *s;

	for (unsigned int i = 0; i < ndisks; i++)
		disks[i].seen = false;
	for (unsigned int i = 0; doms && i < ndom; i++) {
		/* Guests' disks only: dom0's own are not ours to serve. */
		if (!parse_id(doms[i], 0x7fef, &domid) || domid == 0)
			continue;
		snprintf(path, sizeof(path), VBD_ROOT "/%u", domid);
		ndev = 0;
		devs = xs_directory(xs, XBT_NULL, path, &ndev);
		for (unsigned int j = 0; devs && j < ndev; j++) {
			if (!parse_id(devs[j], UINT32_MAX >> 1, &devid))
				continue;
			s = find(domid, devid);
			if (s)
				s->seen = true;
			else
				start(domid, devid);
		}
		free(devs);
	}
	free(doms);
	for (unsigned int i = 0; i < ndisks;)
		if (!disks[i].seen && !disks[i].pid)
			disks[i] = disks[--ndisks];
		else
			i++;
}

/* Ended processes are forgotten, and their control sockets removed (a
 * confined process cannot remove its own). */
static void reap(void)
{
	char path[128];
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (unsigned int i = 0; i < ndisks; i++) {
			if (disks[i].pid != pid)
				continue;
			disks[i].pid = 0;
			blk_ctl_path(path, sizeof(path), BLK_CTL_DIR,
				     disks[i].domid, disks[i].devid);
			unlink(path);
		}
}

static int watch(void)
{
	struct xs_handle *xs = xs_open(0);
	char **w;

	if (!xs || !xs_watch(xs, VBD_ROOT, "vbd")) {
		log_warn("cannot watch %s", VBD_ROOT);
		return 1;
	}
	log_info("serving the disks under %s", VBD_ROOT);
	/* Each watch event: a scan (the first comes at once). */
	while ((w = xs_read_watch(xs, &(unsigned int){0}))) {
		free(w);
		reap();
		scan(xs);
	}
	log_warn("reading %s's watch", VBD_ROOT);
	return 1;
}

static int hash(const char *path)
{
	unsigned char h[BLK_HASH_LEN];
	char err[BL_ERRMSG_MAX];
	struct blk_image img;
	int rc = blk_image_open(path, true, &img, err, sizeof(err));

	if (rc) {
		fprintf(stderr, "blanket-blk: %s\n", err);
		return 1;
	}
	rc = blk_image_hash(&img, h);
	blk_image_close(&img);
	if (rc) {
		fprintf(stderr, "blanket-blk: image %s: %s\n", path,
			bl_strerror(rc));
		return 1;
	}
	for (unsigned int i = 0; i < BLK_HASH_LEN; i++)
		printf("%02x", h[i]);
	printf("  %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int domid, devid;

	log_init("blanket-blk", false, getenv("BLANKET_DEBUG") != NULL);
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && !strcmp(argv[1], "serve")) {
		if (!parse_id(argv[2], 0x7fef, &domid) || domid == 0 ||
		    !parse_id(argv[3], UINT32_MAX >> 1, &devid)) {
			fprintf(stderr,
				"blanket-blk: DOMID 1 to 32751 and "
				"DEVID a number, not \"%s\" \"%s\"\n",
				argv[2], argv[3]);
			return 2;
		}
		return serve(domid, devid);
	}
	if (argc == 2 && !strcmp(argv[1], "watch"))
		return watch();
	if (argc == 3 && !strcmp(argv[1], "hash"))
		return hash(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(usage, stdout);
		return 0;
	}
	fputs(usage, stderr);
	return 2;
}
