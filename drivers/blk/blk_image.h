/* A guest disk's image: a raw, sparse file (docs/specs/blkif-backend.md,
 * "Images"). Reads and writes by sector, flush (fdatasync), discard (a
 * hole punched), and the image's allocated extents (SEEK_DATA and
 * SEEK_HOLE), so a copy moves what is allocated and no hole. This module
 * knows nothing of rings. */
#ifndef BL_DRIVERS_BLK_IMAGE_H
#define BL_DRIVERS_BLK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "toolstack/common/err.h"

struct blk_image {
	int fd;
	uint64_t sectors; /* the size, in 512-byte sectors */
	bool readonly;
};

/* Open the image at path (a regular file whose size is a whole number of
 * sectors). BL_OK: *img_r holds it, for blk_image_close(). Otherwise err
 * names the file and what is wrong with it. */
int blk_image_open(const char *path, bool readonly, struct blk_image *img_r,
		   char *err, size_t errlen) BL_MUST_CHECK;
/* Idempotent. */
void blk_image_close(struct blk_image *img);

#define BLK_IMAGE_IOV_MAX 64

/* Read or write iov (at most BLK_IMAGE_IOV_MAX buffers, a whole number of
 * sectors) at sector; the caller has checked the range (blk_req_take).
 * BL_OK or BL_ERR_IO. */
int blk_image_read(struct blk_image *img, uint64_t sector,
		   const struct iovec *iov, int iovcnt) BL_MUST_CHECK;
int blk_image_write(struct blk_image *img, uint64_t sector,
		    const struct iovec *iov, int iovcnt) BL_MUST_CHECK;
int blk_image_flush(struct blk_image *img) BL_MUST_CHECK;
/* Deallocate nsectors at sector: they read as zeros afterwards. */
int blk_image_discard(struct blk_image *img, uint64_t sector,
		      uint64_t nsectors) BL_MUST_CHECK;

/* The first allocated extent at or after byte from: *start_r and *len_r,
 * in bytes. BL_ERR_NOTFOUND when the rest of the image is a hole. A file
 * system without SEEK_DATA reports the whole rest as allocated. */
int blk_image_next_extent(const struct blk_image *img, uint64_t from,
			  uint64_t *start_r, uint64_t *len_r) BL_MUST_CHECK;
#define BLK_HASH_CHUNK 65536u
#define BLK_HASH_LEN   32u

/* The image's hash, as a storage migration's two ends compare it: SHA-256
 * over the SHA-256 of each 64 KiB chunk in order (the last one as long as
 * the image leaves it), a chunk in a hole hashing as zeros does, so only
 * what is allocated is read. BL_OK or BL_ERR_IO. */
int blk_image_hash(const struct blk_image *img,
		   unsigned char hash_r[BLK_HASH_LEN]) BL_MUST_CHECK;

/* SHA-256 of len bytes at p: BL_OK or BL_ERR_IO. */
int blk_sha256(const void *p, size_t len,
	       unsigned char out[BLK_HASH_LEN]) BL_MUST_CHECK;

/* Bytes allocated to the image (st_blocks). */
uint64_t blk_image_allocated(const struct blk_image *img);

#endif
