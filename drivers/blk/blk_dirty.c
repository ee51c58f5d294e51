/* The dirty bitmap of an image (blk_dirty.h). */
#include "drivers/blk/blk_dirty.h"

#include <stdlib.h>

int blk_dirty_init(struct blk_dirty *d, uint64_t sectors, unsigned int shift)
{
	uint64_t words;

	d->bits = NULL;
	if (shift > 20 || sectors == 0)
		return BL_ERR_INVAL;
	d->chunks = ((sectors - 1) >> shift) + 1;
	words = (d->chunks + 63) / 64;
	d->bits = calloc(words, sizeof(*d->bits));
	if (!d->bits)
		return BL_ERR_NOMEM;
	d->sectors = sectors;
	d->shift = shift;
	d->count = 0;
	return BL_OK;
}

void blk_dirty_dispose(struct blk_dirty *d)
{
	free(d->bits);
	d->bits = NULL;
	d->count = 0;
}

static void mark_chunk(struct blk_dirty *d, uint64_t c)
{
	uint64_t bit = 1ULL << (c % 64);

	if (!(d->bits[c / 64] & bit)) {
		d->bits[c / 64] |= bit;
		d->count++;
	}
}

void blk_dirty_mark(struct blk_dirty *d, uint64_t sector, uint64_t nsectors)
{
	uint64_t last;

	if (nsectors == 0 || sector >= d->sectors)
		return;
	if (nsectors > d->sectors - sector)
		nsectors = d->sectors - sector;
	last = (sector + nsectors - 1) >> d->shift;
	for (uint64_t c = sector >> d->shift; c <= last; c++)
		mark_chunk(d, c);
}

void blk_dirty_mark_all(struct blk_dirty *d)
{
	for (uint64_t c = 0; c < d->chunks; c++)
		mark_chunk(d, c);
}

bool blk_dirty_take(struct blk_dirty *d, uint64_t from, uint64_t *chunk_r,
		    uint64_t *sector_r, uint64_t *nsectors_r)
{
	for (uint64_t w = from / 64; d->count && w < (d->chunks + 63) / 64;
	     w++) {
		uint64_t bits = d->bits[w], c;

		if (w == from / 64)
			bits &= ~0ULL << (from % 64);
		if (!bits)
			continue;
		c = w * 64 + (uint64_t)__builtin_ctzll(bits);

		d->bits[w] &= ~(1ULL << (c % 64));
		d->count--;
		*chunk_r = c;
		*sector_r = c << d->shift;
		*nsectors_r = d->sectors - *sector_r < (1ULL << d->shift)
				  ? d->sectors - *sector_r
				  : 1ULL << d->shift;
		return true;
	}
	return false;
}
