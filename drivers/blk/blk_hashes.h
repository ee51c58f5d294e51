/* An image's hash (blk_image_hash's: SHA-256 over the SHA-256 of each
 * 64 KiB chunk) kept chunk by chunk while a storage migration sends or
 * writes the image, so neither end reads it all again at the end: every
 * chunk starts as zeros hash (a fresh image is all hole), and each chunk
 * sent or written replaces its own. */
#ifndef BL_DRIVERS_BLK_HASHES_H
#define BL_DRIVERS_BLK_HASHES_H

#include <stdint.h>

#include "drivers/blk/blk_image.h"

struct blk_hashes {
	uint64_t size;	 /* the image's, in bytes */
	uint64_t chunks; /* BLK_HASH_CHUNK each, the last maybe short */
	unsigned char (*h)[BLK_HASH_LEN];
};

/* For an image of size bytes (a multiple of 512, not 0), all zeros.
 * BL_OK, BL_ERR_NOMEM or BL_ERR_IO. */
int blk_hashes_init(struct blk_hashes *hs, uint64_t size) BL_MUST_CHECK;
/* Idempotent. */
void blk_hashes_dispose(struct blk_hashes *hs);
/* The bytes of chunk number chunk (blk_hashes_len of them; NULL: zeros). */
int blk_hashes_set(struct blk_hashes *hs, uint64_t chunk,
		   const void *data) BL_MUST_CHECK;
/* Chunk's length: BLK_HASH_CHUNK, or less for the last. */
uint32_t blk_hashes_len(const struct blk_hashes *hs, uint64_t chunk);
/* The image's hash. */
int blk_hashes_final(const struct blk_hashes *hs,
		     unsigned char out[BLK_HASH_LEN]) BL_MUST_CHECK;

#endif
