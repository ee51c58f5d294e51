/* Live storage migration, the destination's side
 * (docs/specs/blkif-backend.md, "Live storage migration"): one guest disk
 * written from the migration stream's disk records into a new image at
 * the path the guest's configuration names.
 *
 * Order: disk_recv_create (before the stream: an empty image, so that the
 * restore finds the file the configuration names) -> disk_recv_start (at
 * the disk record: sized, sparse) -> disk_recv_data per disk-data (whole 64 KiB
 * chunks: written, or a hole punched for zeros) -> disk_recv_end (at disk-end:
 * synced, and its hash compared with the source's). A migration that fails
 * before the guest is this node's calls disk_recv_close(remove) to take the
 * image away again. */
#ifndef BL_BLANKETD_DISK_RECV_H
#define BL_BLANKETD_DISK_RECV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/blk/blk_hashes.h"
#include "toolstack/mig/mig_stream.h"

struct disk_recv {
	char what[48]; /* "disk 0 (xvda)" */
	char path[4096];
	int fd;
	bool ended;
	struct blk_hashes hashes; /* of what was written */
};

#define DISK_RECV_NONE ((struct disk_recv){.fd = -1})

/* A new, empty image at path for disk index; refused if path exists (it
 * is another guest's, or a copy left behind: never overwritten). */
int disk_recv_create(struct disk_recv *dr, uint32_t index, const char *vdev,
		     const char *path, char *err, size_t errlen) BL_MUST_CHECK;
/* The disk record: the image sized as it says. */
int disk_recv_start(struct disk_recv *dr, const struct mig_disk_rec *r,
		    char *err, size_t errlen) BL_MUST_CHECK;
int disk_recv_data(struct disk_recv *dr, const struct mig_disk_rec *r,
		   char *err, size_t errlen) BL_MUST_CHECK;
int disk_recv_end(struct disk_recv *dr, const struct mig_disk_rec *r, char *err,
		  size_t errlen) BL_MUST_CHECK;
/* Close; remove: unlink the image (the guest never ran here).
 * Idempotent. */
void disk_recv_close(struct disk_recv *dr, bool remove);

#endif
