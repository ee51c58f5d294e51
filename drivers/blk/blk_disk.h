/* One guest disk's backend: the process that serves backend/vbd/DOMID/DEVID
 * (docs/specs/blkif-backend.md). It reads the toolstack's nodes (params:
 * the image; mode: r or w; frontend), follows the handshake
 * (blk_xenbus.h), and serves the ring (blk_ring.h) from the image
 * (blk_image.h) through grants (blk_grant.h), one request at a time. */
#ifndef BL_DRIVERS_BLK_DISK_H
#define BL_DRIVERS_BLK_DISK_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"

/* Serve the disk until its frontend is gone, or closed with the
 * toolstack's online cleared. BL_OK then; otherwise err says what stopped
 * it. */
int blk_disk_serve(uint32_t domid, uint32_t devid, char *err,
		   size_t errlen) BL_MUST_CHECK;

#endif
