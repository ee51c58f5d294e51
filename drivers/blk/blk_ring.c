/* The backend's end of a blkif ring (blk_ring.h). The ring's macros in
 * xen/io/ring.h read the frontend's indexes as often as they name them;
 * here each look reads req_prod once, through a volatile access. */
#include "drivers/blk/blk_ring.h"

#include <stdio.h>
#include <string.h>

#define PAGE_BYTES 4096u
#define MAX_PAGES  16u /* ring-page-order 4 */

static RING_IDX read_idx(const volatile RING_IDX *idx)
{
	RING_IDX v = *idx;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	return v;
}

static void write_idx(volatile RING_IDX *idx, RING_IDX v)
{
	__atomic_thread_fence(__ATOMIC_RELEASE);
	*idx = v;
}

int blk_ring_attach(struct blk_ring *r, void *shared, size_t bytes,
		    const struct blk_features *f, uint64_t sectors)
{
	size_t pages = bytes / PAGE_BYTES;

	if (!shared || bytes % PAGE_BYTES || pages == 0 || pages > MAX_PAGES ||
	    (pages & (pages - 1)))
		return BL_ERR_INVAL;
	memset(r, 0, sizeof(*r));
	r->sring = shared;
	r->slots = __RING_SIZE((struct blkif_sring *)shared, bytes);
	r->f = *f;
	r->sectors = sectors;
	return BL_OK;
}

unsigned int blk_ring_in_flight(const struct blk_ring *r)
{
	return r->req_cons - r->rsp_prod_pvt;
}

int blk_ring_take(struct blk_ring *r, blk_ring_take_fn *take, void *arg,
		  unsigned int *taken_r, char *err, size_t errlen)
{
	RING_IDX prod = read_idx(&r->sring->req_prod);
	struct blk_req req;
	int16_t status;

	*taken_r = 0;
	if (prod - r->req_cons > r->slots) {
		snprintf(err, errlen,
			 "the frontend published %u requests past the %u "
			 "taken, on a ring of %u",
			 prod - r->req_cons, r->req_cons, r->slots);
		return BL_ERR_PROTO;
	}
	while (r->req_cons != prod && blk_ring_in_flight(r) < r->slots) {
		volatile union blkif_sring_entry *e =
		    &r->sring->ring[r->req_cons & (r->slots - 1)];

		r->req_cons++;
		(*taken_r)++;
		if (blk_req_take(&e->req, &r->f, r->sectors, &req, &status, err,
				 errlen))
			blk_ring_refuse(r, &req, status, err);
		else
			take(arg, &req);
	}
	return BL_OK;
}

void blk_ring_refuse(struct blk_ring *r, const struct blk_req *req,
		     int16_t status, const char *why)
{
	r->refused++;
	snprintf(r->last_refusal, sizeof(r->last_refusal), "%s", why);
	blk_ring_respond(r, req->id, req->operation, status);
}

void blk_ring_respond(struct blk_ring *r, uint64_t id, uint8_t operation,
		      int16_t status)
{
	volatile union blkif_sring_entry *e =
	    &r->sring->ring[r->rsp_prod_pvt & (r->slots - 1)];

	blk_rsp_put(&e->rsp, id, operation, status);
	r->rsp_prod_pvt++;
}

bool blk_ring_push(struct blk_ring *r)
{
	RING_IDX old = r->rsp_pushed, now = r->rsp_prod_pvt;

	write_idx(&r->sring->rsp_prod, now);
	r->rsp_pushed = now;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (RING_IDX)(now - read_idx(&r->sring->rsp_event)) <
	       (RING_IDX)(now - old);
}

bool blk_ring_final_check(struct blk_ring *r)
{
	if (read_idx(&r->sring->req_prod) != r->req_cons)
		return true;
	write_idx(&r->sring->req_event, r->req_cons + 1);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return read_idx(&r->sring->req_prod) != r->req_cons;
}
