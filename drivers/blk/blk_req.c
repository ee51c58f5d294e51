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

int blk_req_take(const volatile void *slot, const struct blk_features *f,
		 uint64_t sectors, struct blk_req *req_r, int16_t *status_r,
		 char *err, size_t errlen)
{
	struct blkif_request raw;
	uint64_t n = 0;

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
	for (unsigned int i = 0; i < raw.nr_segments; i++) {
		const struct blkif_request_segment *s = &raw.seg[i];

		if (s->first_sect > s->last_sect ||
		    s->last_sect >= BLK_SECTORS_PER_PAGE)
			return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
				      "segment %u: sectors %u..%u of a page's "
				      "%u",
				      i, s->first_sect, s->last_sect,
				      BLK_SECTORS_PER_PAGE);
		req_r->seg[i].gref = s->gref;
		req_r->seg[i].first = s->first_sect;
		req_r->seg[i].last = s->last_sect;
		n += (uint64_t)(s->last_sect - s->first_sect + 1);
	}
	req_r->nsegs = raw.nr_segments;
	if (!n)
		return BL_OK; /* a flush alone: its sector means nothing */
	req_r->sector = raw.sector_number;
	req_r->nsectors = n;
	if (!in_image(raw.sector_number, n, sectors))
		return refuse(status_r, BLKIF_RSP_ERROR, err, errlen,
			      "%llu sectors at %llu: not within the image",
			      (unsigned long long)n,
			      (unsigned long long)raw.sector_number);
	return BL_OK;
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
