/* The blkif ring's requests as the backend takes them (docs/specs/
 * blkif-backend.md, "Requests"): each is copied off the shared ring once,
 * and only the copy is checked and used, never the ring again (XSA-155);
 * each response is built zeroed, padding included, and copied onto the
 * ring whole (XSA-216). This module knows nothing of images: a request is
 * checked against a size in sectors. */
#ifndef BL_DRIVERS_BLK_REQ_H
#define BL_DRIVERS_BLK_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* The barriers xen/io/ring.h's macros use, as user space has them (with an
 * interface version of Xen 4.14 or later, ring.h leaves them to us). */
#ifndef __XEN_INTERFACE_VERSION__
#define __XEN_INTERFACE_VERSION__ 0x00040e00
#endif
#ifndef xen_mb
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif
#include <xen/xen.h>
#include <xen/io/blkif.h>

#include "toolstack/common/err.h"

#define BLK_SECTOR	     512u
#define BLK_PAGE	     4096u
#define BLK_SECTORS_PER_PAGE (BLK_PAGE / BLK_SECTOR)
/* feature-max-indirect-segments: an indirect request names up to this many
 * pages (1 MiB), its segments listed in pages of the guest's (indirect
 * pages, 512 segments each). */
#define BLK_MAX_SEGS	  256u
#define BLK_SEGS_PER_PAGE (BLK_PAGE / sizeof(struct blkif_request_segment))
#define BLK_MAX_INDIRECT_PAGES                                                 \
	((BLK_MAX_SEGS + BLK_SEGS_PER_PAGE - 1) / BLK_SEGS_PER_PAGE)

/* What the backend advertises, and so accepts. */
struct blk_features {
	bool flush;   /* feature-flush-cache: BLKIF_OP_FLUSH_DISKCACHE */
	bool discard; /* feature-discard: BLKIF_OP_DISCARD */
	bool readonly;
};

enum blk_op {
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH, /* write the segments if any, then flush */
	BLK_OP_DISCARD,
};

/* One segment: sectors first..last of the page granted as gref. */
struct blk_seg {
	uint32_t gref;
	uint8_t first, last;
};

/* A request, checked: every sector it names lies in the image. An
 * indirect one is checked in two steps: blk_req_take() its slot, then,
 * once its pages are copied off the guest, blk_req_take_indirect() its
 * segments; until then it has indirect_pages and no segment. */
struct blk_req {
	uint64_t id;	   /* the guest's, echoed in the response */
	uint8_t operation; /* echoed too: the ring's BLKIF_OP_*, or an
			      indirect request's indirect_op */
	enum blk_op op;
	uint64_t sector;    /* first sector */
	uint64_t nsectors;  /* all segments' sectors, or the discard's */
	unsigned int nsegs; /* 0 for a flush without data and a discard */
	unsigned int indirect_pages; /* pages still to take, or 0 */
	unsigned int indirect_segs;  /* the segments they list */
	uint32_t indirect_gref[BLK_MAX_INDIRECT_PAGES];
	struct blk_seg seg[BLK_MAX_SEGS];
};

/* Copy slot, a request slot of the shared ring, once; check the copy
 * against f and an image of sectors sectors. BL_OK: *req_r holds it.
 * Otherwise err says what was wrong and *status_r is the response's
 * status (BLKIF_RSP_EOPNOTSUPP for an operation not advertised,
 * BLKIF_RSP_ERROR else); req_r->id and ->operation are still set, for the
 * response. */
int blk_req_take(const volatile void *slot, const struct blk_features *f,
		 uint64_t sectors, struct blk_req *req_r, int16_t *status_r,
		 char *err, size_t errlen) BL_MUST_CHECK;

/* The segments of req, an indirect request blk_req_take() took, from
 * pages: its req->indirect_pages pages, copied off the guest (so read once
 * whatever the guest does to them). Checked as a slot's are; the results
 * are blk_req_take()'s. */
int blk_req_take_indirect(struct blk_req *req, const void *pages,
			  uint64_t sectors, int16_t *status_r, char *err,
			  size_t errlen) BL_MUST_CHECK;

/* Write the response to a request into slot, a response slot of the
 * shared ring: zeroed, then id, operation and status. */
void blk_rsp_put(volatile void *slot, uint64_t id, uint8_t operation,
		 int16_t status);

/* The bytes of segment i: its offset in its page and its length. */
static inline size_t blk_seg_offset(const struct blk_seg *s)
{
	return (size_t)s->first * BLK_SECTOR;
}
static inline size_t blk_seg_len(const struct blk_seg *s)
{
	return (size_t)(s->last - s->first + 1) * BLK_SECTOR;
}

#endif
