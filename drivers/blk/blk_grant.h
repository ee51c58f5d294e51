/* Requests' data between the backend's buffers and the guest's granted
 * pages (docs/specs/blkif-backend.md, "Data"): grant copy, and, where the
 * hypervisor or gntdev lacks it, each page mapped, copied and unmapped.
 * Each piece's copy is checked on its own (the XSA-362/365 class): one
 * that fails fails its request, and nothing of it reaches the image. */
#ifndef BL_DRIVERS_BLK_GRANT_H
#define BL_DRIVERS_BLK_GRANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xengnttab.h>

#include "toolstack/common/err.h"

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

/* One piece of a copy between a page the guest granted and ours. */
struct blk_copy {
	uint32_t gref;
	uint16_t offset, len; /* within the guest's page */
	void *local;
	int16_t status; /* set by blk_grant_copy: GNTST_okay (0) or why not */
};

#define BLK_GRANT_COPY_MAX 8192u

/* Copy the pieces c[0..n) (n <= BLK_GRANT_COPY_MAX) to the guest or from
 * it, in one call. Each piece's own status says whether it was copied:
 * one that failed fails only the request it belongs to. BL_ERR_IO (err
 * says why) when the call itself failed, and nothing was copied. */
int blk_grant_copy(struct blk_grant *g, struct blk_copy *c, unsigned int n,
		   bool to_guest, char *err, size_t errlen) BL_MUST_CHECK;

/* Map the ring's pages, refs[0..n) of the frontend's, read-write. NULL
 * (errno set) when the frontend granted no such pages. */
void *blk_grant_map_ring(struct blk_grant *g, const uint32_t *refs,
			 unsigned int n);
void blk_grant_unmap_ring(struct blk_grant *g, void *ring, unsigned int n);

#endif
