/* An image's hash kept chunk by chunk (blk_hashes.h). */
#include "drivers/blk/blk_hashes.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static const unsigned char zeros[BLK_HASH_CHUNK];

uint32_t blk_hashes_len(const struct blk_hashes *hs, uint64_t chunk)
{
	uint64_t at = chunk * BLK_HASH_CHUNK;

	return hs->size - at < BLK_HASH_CHUNK ? (uint32_t)(hs->size - at)
					      : BLK_HASH_CHUNK;
}

int blk_hashes_init(struct blk_hashes *hs, uint64_t size)
{
	unsigned char zero_h[BLK_HASH_LEN];
	int rc;

	memset(hs, 0, sizeof(*hs));
	if (!size || size % 512)
		return BL_ERR_INVAL;
	hs->size = size;
	hs->chunks = (size + BLK_HASH_CHUNK - 1) / BLK_HASH_CHUNK;
	hs->h = calloc(hs->chunks, sizeof(*hs->h));
	if (!hs->h)
		return BL_ERR_NOMEM;
	rc = blk_sha256(zeros, BLK_HASH_CHUNK, zero_h);
	for (uint64_t c = 0; !rc && c + 1 < hs->chunks; c++)
		memcpy(hs->h[c], zero_h, BLK_HASH_LEN);
	if (!rc)
		rc = blk_hashes_set(hs, hs->chunks - 1, NULL);
	if (rc)
		blk_hashes_dispose(hs);
	return rc;
}

void blk_hashes_dispose(struct blk_hashes *hs)
{
	free(hs->h);
	hs->h = NULL;
}

int blk_hashes_set(struct blk_hashes *hs, uint64_t chunk, const void *data)
{
	if (chunk >= hs->chunks)
		return BL_ERR_INVAL;
	return blk_sha256(data ? data : zeros, blk_hashes_len(hs, chunk),
			  hs->h[chunk]);
}

int blk_hashes_final(const struct blk_hashes *hs,
		     unsigned char out[BLK_HASH_LEN])
{
	unsigned int n = 0;

	return EVP_Digest(hs->h, hs->chunks * BLK_HASH_LEN, out, &n,
			  EVP_sha256(), NULL) &&
		       n == BLK_HASH_LEN
		   ? BL_OK
		   : BL_ERR_IO;
}
