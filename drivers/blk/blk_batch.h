/* The requests one look at the ring took, served together
 * (docs/specs/blkif-backend.md, "Serving requests"): one grant copy for
 * all their indirect pages, one for the data of all their writes, one for
 * the data of all their reads; the image read and written in order, each
 * run of adjacent reads or adjacent writes in one system call. Under
 * emulation a system call or a hypercall costs far more than the bytes
 * it moves, and blkfront cuts a 1 MiB transfer into 8 requests. */
#ifndef BL_DRIVERS_BLK_BATCH_H
#define BL_DRIVERS_BLK_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/blk/blk_grant.h"
#include "drivers/blk/blk_image.h"
#include "drivers/blk/blk_req.h"

#define BLK_BATCH_REQS	32u		   /* a one-page ring's slots */
#define BLK_BATCH_BYTES (4u * 1024 * 1024) /* four of the largest */

struct blk_batch_item {
	struct blk_req req;
	size_t at;	/* its data in the batch's buffer */
	int16_t status; /* BLKIF_RSP_*, once served */
	bool refused;	/* its indirect page was, not the I/O */
	char why[256];	/* when status is not BLKIF_RSP_OKAY */
};

struct blk_batch {
	unsigned int n;
	size_t bytes;
	struct blk_batch_item item[BLK_BATCH_REQS];
	unsigned char buf[BLK_BATCH_BYTES];
	unsigned char pages[BLK_BATCH_REQS * BLK_MAX_INDIRECT_PAGES *
			    BLK_PAGE]; /* the indirect pages */
};

/* Empty. */
void blk_batch_init(struct blk_batch *b);
/* Add req, taken off the ring (its indirect pages still to take). false
 * when the batch is full: serve it first. */
bool blk_batch_add(struct blk_batch *b, const struct blk_req *req);
/* Serve every request of the batch, for the guest g serves, on img: each
 * item's status (and why) set. The batch stays as it is for the caller to
 * answer; blk_batch_init() empties it. */
void blk_batch_serve(struct blk_batch *b, struct blk_grant *g,
		     struct blk_image *img);
/* The item wrote into the image (a write, a FUA write, a discard) and
 * succeeded. */
bool blk_batch_wrote(const struct blk_batch_item *it);

#endif
