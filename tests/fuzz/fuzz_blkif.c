/* libFuzzer: a hostile frontend. The input is the guest's side of a blkif
 * ring: the features and image size the backend serves, then a script of
 * writes into the shared ring (indexes and slots alike) between the
 * backend's steps (take, answer, publish, final check), and writes into
 * the page an indirect request's segments are read from. Whatever the guest
 * writes, the backend must not crash, must never hold more requests than
 * the ring has slots, and every request it takes must lie in the image
 * and use only what it advertised. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/blk/blk_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PAGES 16

struct pending {
	struct blk_req req[MAX_PAGES * 128];
	unsigned int n;
	struct blk_ring *ring;
	/* the indirect pages, as the backend copied them off the guest */
	uint8_t indirect[BLK_MAX_INDIRECT_PAGES * BLK_PAGE];
};

static void check_taken(void *arg, const struct blk_req *taken)
{
	static struct blk_req whole;
	struct pending *p = arg;
	struct blk_ring *r = p->ring;
	const struct blk_req *req = taken;
	char err[256];
	int16_t status;

	if (taken->indirect_pages) {
		if (taken->nsegs || taken->indirect_segs == 0 ||
		    taken->indirect_segs > BLK_MAX_SEGS ||
		    taken->indirect_pages > BLK_MAX_INDIRECT_PAGES ||
		    (taken->op != BLK_OP_READ && taken->op != BLK_OP_WRITE))
			abort();
		whole = *taken;
		req = &whole;
		if (blk_req_take_indirect(&whole, p->indirect, r->sectors,
					  &status, err, sizeof(err))) {
			if (status == BLKIF_RSP_OKAY)
				abort();
			blk_ring_refuse(r, &whole, status, err);
			return;
		}
		if (whole.indirect_pages || whole.nsegs == 0)
			abort();
	} else if (taken->nsegs > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
		abort();
	}
	if (req->nsegs > BLK_MAX_SEGS || req->sector > r->sectors ||
	    req->nsectors > r->sectors - req->sector)
		abort();
	if (req->op == BLK_OP_DISCARD && (!r->f.discard || r->f.readonly))
		abort();
	if (req->op == BLK_OP_FLUSH && !r->f.flush)
		abort();
	if (r->f.readonly && req->op == BLK_OP_WRITE)
		abort();
	for (unsigned int i = 0; i < req->nsegs; i++)
		if (req->seg[i].first > req->seg[i].last ||
		    req->seg[i].last >= BLK_SECTORS_PER_PAGE)
			abort();
	if (p->n >= r->slots)
		abort(); /* more taken than the ring holds */
	p->req[p->n++] = *req;
}

/* The guest writes into buf: an offset (2 bytes), a length (1), the bytes.
 * false when the input ends first. */
static bool overwrite(const uint8_t *data, size_t size, size_t *at,
		      uint8_t *buf, size_t buflen)
{
	size_t off, len;

	if (*at + 3 > size)
		return false;
	off = ((size_t)data[*at] | (size_t)data[*at + 1] << 8) % buflen;
	len = data[*at + 2];
	*at += 3;
	if (len > size - *at)
		len = size - *at;
	if (len > buflen - off)
		len = buflen - off;
	memcpy(buf + off, data + *at, len);
	*at += len;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t shared[MAX_PAGES * BLK_PAGE]
	    __attribute__((aligned(4096)));
	struct blk_features f;
	struct pending p = {.n = 0};
	struct blk_ring r;
	uint64_t sectors;
	unsigned int taken;
	size_t pages, at = 11;
	char err[256];

	if (size < at)
		return 0;
	f.flush = data[0] & 1;
	f.discard = data[0] & 2;
	f.readonly = data[0] & 4;
	pages = (size_t)1 << ((data[0] >> 3) % 5);
	memcpy(&sectors, data + 1, sizeof(sectors));
	memset(shared, 0, pages * BLK_PAGE);
	if (blk_ring_attach(&r, shared, pages * BLK_PAGE, &f, sectors))
		abort();
	p.ring = &r;
	memset(p.indirect, 0, sizeof(p.indirect));
	/* Steps: 0 write bytes into the ring, 1 take, 2 answer the oldest
	 * half, 3 publish, 4 final check, 5 write bytes into the indirect
	 * page. */
	while (at + 1 < size) {
		uint8_t step = data[at++] % 6;

		switch (step) {
		case 0:
			if (!overwrite(data, size, &at, shared,
				       pages * BLK_PAGE))
				return 0;
			break;
		case 1:
			if (blk_ring_take(&r, check_taken, &p, &taken, err,
					  sizeof(err)) == BL_ERR_PROTO)
				return 0; /* the backend stops serving it */
			if (blk_ring_in_flight(&r) > r.slots ||
			    p.n != blk_ring_in_flight(&r))
				abort();
			break;
		case 2:
			for (unsigned int i = 0; i < (p.n + 1) / 2; i++)
				blk_ring_respond(&r, p.req[i].id,
						 p.req[i].operation,
						 BLKIF_RSP_OKAY);
			memmove(p.req, p.req + (p.n + 1) / 2,
				(p.n - (p.n + 1) / 2) * sizeof(p.req[0]));
			p.n -= (p.n + 1) / 2;
			break;
		case 3:
			(void)blk_ring_push(&r);
			break;
		case 4:
			(void)blk_ring_final_check(&r);
			break;
		default:
			if (!overwrite(data, size, &at, p.indirect,
				       sizeof(p.indirect)))
				return 0;
			break;
		}
	}
	return 0;
}
