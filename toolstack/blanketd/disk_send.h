/* Live storage migration, the source's side (docs/specs/blkif-backend.md,
 * "Live storage migration"): one guest disk sent into the migration
 * stream while its backend keeps serving the guest.
 *
 * Order: disk_send_start (the backend tracks writes; the disk record) ->
 * disk_send_bulk (every allocated chunk) -> disk_send_dirty, as often as
 * the caller likes (the chunks written since they were sent) ->
 * disk_send_mirror_start, once few chunks are dirty (from then on the
 * backend answers a write only once it was sent) -> disk_send_mirror,
 * often (what was written, sent; the writes held for it answered) ->
 * disk_send_finish, once the guest is suspended (the backend quiesced,
 * the last dirty chunks, disk-end with the image's hash). After a failed
 * migration, disk_send_close(resume) lets the backend serve again; its
 * connection's end does the same if blanketd dies. */
#ifndef BL_BLANKETD_DISK_SEND_H
#define BL_BLANKETD_DISK_SEND_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/blk/blk_hashes.h"
#include "toolstack/mig/mig_stream.h"

struct disk_send {
	uint32_t index;
	char what[48]; /* "disk 0 (xvda)", for messages */
	int img_fd, ctl_fd;
	uint64_t sectors, allocated;
	struct blk_hashes hashes; /* of what was sent */
	uint64_t bytes;		  /* disk-data bytes sent */
	uint64_t chunks_sent;
	uint64_t writes_held; /* the mirror held since it began (SENT) */
};

#define DISK_SEND_NONE ((struct disk_send){.img_fd = -1, .ctl_fd = -1})

/* Open the image at path, and the backend's control channel of disk devid
 * of domain domid in ctl_dir (blk_ctl.h); start tracking; send the disk
 * record. err says what failed, naming the disk. */
int disk_send_start(struct disk_send *ds, struct mig_enc *enc, uint32_t index,
		    const char *vdev, const char *path, const char *ctl_dir,
		    uint32_t domid, uint32_t devid, char *err,
		    size_t errlen) BL_MUST_CHECK;
/* Every chunk that holds allocated bytes. */
int disk_send_bulk(struct disk_send *ds, struct mig_enc *enc, char *err,
		   size_t errlen) BL_MUST_CHECK;
/* The chunks written since they were sent, up to max of them (and no more
 * than the disk has, so that a writer never keeps a round going); how
 * many in *n_r. */
int disk_send_dirty(struct disk_send *ds, struct mig_enc *enc, uint32_t max,
		    uint64_t *n_r, char *err, size_t errlen) BL_MUST_CHECK;
/* The backend holds each write's response from now on, until
 * disk_send_mirror has sent what it wrote. */
int disk_send_mirror_start(struct disk_send *ds, char *err,
			   size_t errlen) BL_MUST_CHECK;
/* The chunks written since they were sent, put in the stream (which
 * carries them ahead of anything put in later); then the backend answers
 * the writes that wrote them. How many chunks in *n_r. */
int disk_send_mirror(struct disk_send *ds, struct mig_enc *enc, uint64_t *n_r,
		     char *err, size_t errlen) BL_MUST_CHECK;
/* The guest is suspended: quiesce its backend, send the rest, and
 * disk-end. */
int disk_send_finish(struct disk_send *ds, struct mig_enc *enc, char *err,
		     size_t errlen) BL_MUST_CHECK;
/* Close; resume: the backend serves the guest again first (a failed
 * migration). Idempotent. */
void disk_send_close(struct disk_send *ds, bool resume);

#endif
