/* A request's data between the backend's buffer and the guest's granted
 * pages (docs/specs/blkif-backend.md, "Data"): grant copy, and, where the
 * hypervisor or gntdev lacks it, each page mapped, copied and unmapped.
 * Each segment's copy is checked on its own (the XSA-362/365 class): one
 * that fails fails the request, and nothing of it reaches the image. */
#ifndef BL_DRIVERS_BLK_GRANT_H
#define BL_DRIVERS_BLK_GRANT_H

#include <stdbool.h>
#include <stdint.h>
#include <xengnttab.h>

#include "drivers/blk/blk_req.h"

struct blk_grant {
	xengnttab_handle *xgt;
	uint16_t domid; /* the frontend's */
	bool no_copy;	/* grant copy failed with ENOSYS: map instead */
};

/* For the guest domid. BL_ERR_IO (err says why) without gntdev. */
int blk_grant_open(struct blk_grant *g, uint16_t domid, char *err,
		   size_t errlen) BL_MUST_CHECK;
/* Idempotent. */
void blk_grant_close(struct blk_grant *g);

/* Copy req's segments to the guest (a read's data, from buf) or from it
 * (a write's, into buf). buf holds req->nsectors sectors, the segments'
 * one after another. BL_OK, or BL_ERR_IO with err naming the segment. */
int blk_grant_copy(struct blk_grant *g, const struct blk_req *req, void *buf,
		   bool to_guest, char *err, size_t errlen) BL_MUST_CHECK;

/* Copy the frontend's pages refs[0..n) (n <= BLK_MAX_SEGS) whole into
 * buf; as blk_grant_copy(). */
int blk_grant_copy_pages(struct blk_grant *g, const uint32_t *refs,
			 unsigned int n, void *buf, char *err,
			 size_t errlen) BL_MUST_CHECK;

/* Map the ring's pages, refs[0..n) of the frontend's, read-write. NULL
 * (errno set) when the frontend granted no such pages. */
void *blk_grant_map_ring(struct blk_grant *g, const uint32_t *refs,
			 unsigned int n);
void blk_grant_unmap_ring(struct blk_grant *g, void *ring, unsigned int n);

#endif
