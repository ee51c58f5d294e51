/* blkif requests: taken off the ring once, checked, answered (blk_req.h). */
#include "drivers/blk/blk_req.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* A response slot holds a response, whatever the guest's ABI says of the
 * ring; the request union is the larger of the request layouts. */
_Static_assert(sizeof(struct blkif_request_discard) <=
		   sizeof(struct blkif_request),
	       "a discard fits a request slot");

/* Copy the slot to req, byte by byte through volatile: the guest may
 * change the slot while it is read, and the compiler must not read it
 * again later instead of the copy. */
static void copy_once(const volatile void *slot, struct blkif_request *req)
{
	const volatile unsigned char *from = slot;
	unsigned char *to = (unsigned char *)req;

	for (size_t i = 0; i < sizeof(*req); i++)
		to[i] = from[i];
}

/* The request is refused with status; err says why. */
__attribute__((format(printf, 5, 6))) static int
refuse(int16_t *status_r, int16_t status, char *err, size_t errlen,
       const char *fmt, ...)
{
	va_list ap;

	*status_r = status;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return BL_ERR_INVAL;
}

/* sector + n sectors within an image of sectors sectors, without
 * overflowing. */
static bool in_image(uint64_t sector, uint64_t n, uint64_t sectors)
{
	return sector <= sectors && n <= sectors - sector;
}

static int take_discard(const struct blkif_request *raw,
			const struct blk_features *f, uint64_t sectors,
			struct blk_req *req, int16_t *status_r, char *err,
			size_t errlen)
{
	struct blkif_request_discard d;

	memcpy(&d, raw, sizeof(d));
	if (!f->discard || f->readonly)
		return refuse(status_r, BLKIF_RSP_EOPNOTSUPP, err, errlen,
			      "discard is not advertised");
	if (d.nr_sectors == 0 ||
	    !in_image(d.sector_number, d.nr_sectors, sectors))
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "discard of %llu sectors at %llu: not within "
			      "the image",
			      (unsigned long long)d.nr_sectors,
			      (unsigned long long)d.sector_number);
	req->op = BLK_OP_DISCARD;
	req->sector = d.sector_number;
	req->nsectors = d.nr_sectors;
	return BL_OK;
}

/* segs[0..n), req's segments, checked and copied to req; with them its
 * sectors, from sector on. */
static int take_segs(const struct blkif_request_segment *segs, unsigned int n,
		     uint64_t sector, uint64_t sectors, struct blk_req *req,
		     int16_t *status_r, char *err, size_t errlen)
{
	uint64_t total = 0;

	for (unsigned int i = 0; i < n; i++) {
		const struct blkif_request_segment *s = &segs[i];

		if (s->first_sect > s->last_sect ||
		    s->last_sect >= BLK_SECTORS_PER_PAGE)
			return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
				      "segment %u: sectors %u..%u of a page's "
				      "%u",
				      i, s->first_sect, s->last_sect,
				      BLK_SECTORS_PER_PAGE);
		req->seg[i].gref = s->gref;
		req->seg[i].first = s->first_sect;
		req->seg[i].last = s->last_sect;
		total += (uint64_t)(s->last_sect - s->first_sect + 1);
	}
	req->nsegs = n;
	if (!total)
		return BL_OK; /* a flush alone: its sector means nothing */
	req->sector = sector;
	req->nsectors = total;
	if (!in_image(sector, total, sectors))
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "%llu sectors at %llu: not within the image",
			      (unsigned long long)total,
			      (unsigned long long)sector);
	return BL_OK;
}

/* An indirect request's slot: a read or a write of 1 to BLK_MAX_SEGS
 * segments, listed in pages still to be copied. */
static int take_indirect(const struct blkif_request *raw,
			 const struct blk_features *f, struct blk_req *req,
			 int16_t *status_r, char *err, size_t errlen)
{
	struct blkif_request_indirect ind;

	memcpy(&ind, raw, sizeof(ind));
	req->operation = ind.indirect_op;
	if (ind.indirect_op == BLKIF_OP_READ)
		req->op = BLK_OP_READ;
	else if (ind.indirect_op == BLKIF_OP_WRITE && !f->readonly)
		req->op = BLK_OP_WRITE;
	else if (ind.indirect_op == BLKIF_OP_WRITE)
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "a write to a read-only disk");
	else
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "indirect operation %u: only reads and writes",
			      ind.indirect_op);
	if (ind.nr_segments == 0 || ind.nr_segments > BLK_MAX_SEGS)
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "an indirect request of %u segments (1 to %u)",
			      ind.nr_segments, BLK_MAX_SEGS);
	req->sector = ind.sector_number;
	req->indirect_segs = ind.nr_segments;
	req->indirect_pages =
	    (unsigned int)((ind.nr_segments + BLK_SEGS_PER_PAGE - 1) /
			   BLK_SEGS_PER_PAGE);
	memcpy(req->indirect_gref, ind.indirect_grefs,
	       req->indirect_pages * sizeof(req->indirect_gref[0]));
	return BL_OK;
}

int blk_req_take(const volatile void *slot, const struct blk_features *f,
		 uint64_t sectors, struct blk_req *req_r, int16_t *status_r,
		 char *err, size_t errlen)
{
	struct blkif_request raw;

	copy_once(slot, &raw);
	memset(req_r, 0, sizeof(*req_r));
	req_r->id = raw.id;
	req_r->operation = raw.operation;
	*status_r = BLKIF_RSP_OKAY;
	switch (raw.operation) {
	case BLKIF_OP_READ:
		req_r->op = BLK_OP_READ;
		break;
	case BLKIF_OP_WRITE:
		req_r->op = BLK_OP_WRITE;
		break;
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (!f->flush)
			return refuse(status_r, BLKIF_RSP_EOPNOTSUPP, err,
				      errlen, "flush is not advertised");
		req_r->op = BLK_OP_FLUSH;
		break;
	case BLKIF_OP_DISCARD:
		return take_discard(&raw, f, sectors, req_r, status_r, err,
				    errlen);
	case BLKIF_OP_INDIRECT:
		return take_indirect(&raw, f, req_r, status_r, err, errlen);
	default:
		return refuse(status_r, BLKIF_RSP_EOPNOTSUPP, err, errlen,
			      "operation %u is not advertised", raw.operation);
	}
	if (raw.nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST ||
	    (raw.nr_segments == 0 && req_r->op != BLK_OP_FLUSH))
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "%u segments (1 to %d; 0 for a flush only)",
			      raw.nr_segments, BLKIF_MAX_SEGMENTS_PER_REQUEST);
	if (f->readonly && (req_r->op == BLK_OP_WRITE || raw.nr_segments) &&
	    req_r->op != BLK_OP_READ)
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "a write to a read-only disk");
	return take_segs(raw.seg, raw.nr_segments, raw.sector_number, sectors,
			 req_r, status_r, err, errlen);
}

int blk_req_take_indirect(struct blk_req *req, const void *pages,
			  uint64_t sectors, int16_t *status_r, char *err,
			  size_t errlen)
{
	struct blkif_request_segment segs[BLK_MAX_SEGS];
	unsigned int n = req->indirect_segs;

	*status_r = BLKIF_RSP_OKAY;
	memcpy(segs, pages, n * sizeof(segs[0]));
	req->indirect_pages = 0;
	req->indirect_segs = 0;
	return take_segs(segs, n, req->sector, sectors, req, status_r, err,
			 errlen);
}

void blk_rsp_put(volatile void *slot, uint64_t id, uint8_t operation,
		 int16_t status)
{
	struct blkif_response rsp;
	const unsigned char *from = (const unsigned char *)&rsp;
	volatile unsigned char *to = slot;

	memset(&rsp, 0, sizeof(rsp));
	rsp.id = id;
	rsp.operation = operation;
	rsp.status = status;
	for (size_t i = 0; i < sizeof(rsp); i++)
		to[i] = from[i];
}
