/* The backend's end of a blkif shared ring (docs/specs/blkif-backend.md,
 * "The ring"): requests taken in order, each copied off and checked once
 * (blk_req.h); responses put back and published. The frontend's indexes
 * are read once per look and checked: a frontend that claims more
 * requests than the ring holds has broken the protocol, and is served no
 * more. The requests taken and not yet answered never exceed the ring's
 * slots, so a guest cannot make the backend queue more (XSA-349). */
#ifndef BL_DRIVERS_BLK_RING_H
#define BL_DRIVERS_BLK_RING_H

#include <stdbool.h>
#include <stddef.h>

#include "drivers/blk/blk_req.h"

struct blk_ring {
	struct blkif_sring *sring; /* shared with the frontend */
	unsigned int slots;	   /* a power of two */
	RING_IDX req_cons, rsp_prod_pvt;
	RING_IDX rsp_pushed; /* rsp_prod as we last wrote it */
	struct blk_features f;
	uint64_t sectors;
	uint64_t refused;	/* requests answered with an error */
	char last_refusal[256]; /* why, the last time */
};

/* Serve the ring in shared, bytes long (1 to 16 pages, a power of two),
 * for an image of sectors sectors with features f. BL_ERR_INVAL for
 * another size. */
int blk_ring_attach(struct blk_ring *r, void *shared, size_t bytes,
		    const struct blk_features *f,
		    uint64_t sectors) BL_MUST_CHECK;

/* Called with each request taken that passed the checks; it is answered
 * later with blk_ring_respond(). */
typedef void blk_ring_take_fn(void *arg, const struct blk_req *req);

/* Take the requests the frontend has published, in order, as long as the
 * ring has room for their responses. Each checked request goes to take;
 * a refused one is answered at once (blk_ring_refuse()). An indirect
 * request reaches take with its pages still to check. *taken_r: how many
 * were taken. BL_ERR_PROTO (err says why) when the frontend's index claims
 * more requests than the ring holds; err is scratch space otherwise. */
int blk_ring_take(struct blk_ring *r, blk_ring_take_fn *take, void *arg,
		  unsigned int *taken_r, char *err,
		  size_t errlen) BL_MUST_CHECK;
/* Answer a request taken (in any order). */
void blk_ring_respond(struct blk_ring *r, uint64_t id, uint8_t operation,
		      int16_t status);
/* Answer a request taken that a later check refused (an indirect one's
 * segments, blk_req_take_indirect()): counted in r->refused, why noted in
 * r->last_refusal, as blk_ring_take()'s refusals are. */
void blk_ring_refuse(struct blk_ring *r, const struct blk_req *req,
		     int16_t status, const char *why);
/* Publish the responses: true when the frontend asked for an event. */
bool blk_ring_push(struct blk_ring *r);
/* Before waiting for an event: ask for one at the next request, and say
 * whether requests came in meanwhile (then take them first). */
bool blk_ring_final_check(struct blk_ring *r);
/* Requests taken and not answered yet. */
unsigned int blk_ring_in_flight(const struct blk_ring *r);

#endif
