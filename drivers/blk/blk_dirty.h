/* Which parts of an image were written since a copy of them was sent: a
 * bitmap of chunks of 2^shift sectors (docs/specs/blkif-backend.md, "Live
 * storage migration"). The backend marks each write it completes; the
 * storage migration takes the chunks it sends, and sends them again in
 * the next round when they are marked again. */
#ifndef BL_DRIVERS_BLK_DIRTY_H
#define BL_DRIVERS_BLK_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/common/err.h"

struct blk_dirty {
	uint64_t *bits;
	uint64_t chunks;  /* the image's, the last one maybe partial */
	uint64_t sectors; /* the image's */
	unsigned int shift;
	uint64_t count; /* chunks marked */
};

/* For an image of sectors sectors, chunks of 2^shift sectors (shift <=
 * 20), none marked. BL_OK or BL_ERR_NOMEM or BL_ERR_INVAL. */
int blk_dirty_init(struct blk_dirty *d, uint64_t sectors,
		   unsigned int shift) BL_MUST_CHECK;
/* Idempotent. */
void blk_dirty_dispose(struct blk_dirty *d);

/* Mark the chunks nsectors at sector touch (the range is the caller's to
 * have checked; what lies past the image is ignored). */
void blk_dirty_mark(struct blk_dirty *d, uint64_t sector, uint64_t nsectors);
/* Mark every chunk. */
void blk_dirty_mark_all(struct blk_dirty *d);
/* The first marked chunk at or after chunk from, unmarked: its sectors in
 * *sector_r and *nsectors_r (the last chunk may be short). false when
 * none is marked. */
bool blk_dirty_take(struct blk_dirty *d, uint64_t from, uint64_t *chunk_r,
		    uint64_t *sector_r, uint64_t *nsectors_r);

#endif
