/* The backend's side of the xenbus handshake for one disk (docs/specs/
 * blkif-backend.md, "The handshake"), as a pure function: from the
 * frontend's state, ours and the toolstack's "online", what to do next.
 * The process that serves the disk reads those nodes at each watch event,
 * asks blk_xb_next(), and acts: it is the only place that decides. */
#ifndef BL_DRIVERS_BLK_XENBUS_H
#define BL_DRIVERS_BLK_XENBUS_H

#include <stdbool.h>
#include <xen/io/xenbus.h>

/* The frontend's state node is gone (the guest's device directory was
 * removed, or the domain died). */
#define BLK_XB_FRONT_GONE (-1)

struct blk_xb_view {
	int front;	/* XenbusState, or BLK_XB_FRONT_GONE */
	int back;	/* our state node */
	bool online;	/* the toolstack's backend "online" */
	bool connected; /* the ring is mapped and the event channel bound */
};

struct blk_xb_step {
	bool publish;	 /* write sectors, features (again, after a reset) */
	bool connect;	 /* map the ring the frontend published; on failure
			  * the process writes an error node and Closing */
	bool disconnect; /* unmap the ring, unbind the event channel */
	bool reset;	 /* remove what publish and connect wrote */
	int back;	 /* our next state, or -1 to leave it */
	bool exit;	 /* the device is gone: the process ends */
	const char *why; /* for the log when nothing fits, else NULL */
};

/* What to do in view v. Calling it again after acting converges: a view it
 * has acted on asks for nothing more. */
struct blk_xb_step blk_xb_next(const struct blk_xb_view *v);

/* "Connected" and so on, for logs. */
const char *blk_xb_state_name(int state);

#endif
