/* The xenbus handshake's decisions (blk_xenbus.h), after Linux's blkback
 * and QEMU's xen-bus: connect when the frontend is Initialised or
 * Connected, close when it closes, prepare a reconnect when a closed
 * frontend starts again, and end when the frontend is gone or closed with
 * the toolstack's "online" cleared. */
#include "drivers/blk/blk_xenbus.h"

#include <stddef.h>

static const char *const names[] = {
    [XenbusStateUnknown] = "Unknown",
    [XenbusStateInitialising] = "Initialising",
    [XenbusStateInitWait] = "InitWait",
    [XenbusStateInitialised] = "Initialised",
    [XenbusStateConnected] = "Connected",
    [XenbusStateClosing] = "Closing",
    [XenbusStateClosed] = "Closed",
    [XenbusStateReconfiguring] = "Reconfiguring",
    [XenbusStateReconfigured] = "Reconfigured",
};

const char *blk_xb_state_name(int state)
{
	if (state == BLK_XB_FRONT_GONE)
		return "gone";
	if (state < 0 || (size_t)state >= sizeof(names) / sizeof(names[0]))
		return "invalid";
	return names[state];
}

/* Closed, with what was published removed; the end unless still online. */
static struct blk_xb_step close_down(const struct blk_xb_view *v, bool stay)
{
	struct blk_xb_step s = {.back = -1};

	s.disconnect = v->connected;
	if (v->back != XenbusStateClosed) {
		s.reset = true;
		s.back = XenbusStateClosed;
	}
	s.exit = !stay;
	return s;
}

struct blk_xb_step blk_xb_next(const struct blk_xb_view *v)
{
	struct blk_xb_step s = {.back = -1};

	if (v->front == BLK_XB_FRONT_GONE || v->front == XenbusStateUnknown)
		return close_down(v, false);
	if (v->back == XenbusStateInitialising) {
		/* Just started: say what the disk is, and wait. */
		s.publish = true;
		s.back = XenbusStateInitWait;
		return s;
	}
	switch (v->front) {
	case XenbusStateInitialising:
		if (v->back == XenbusStateClosed && v->online) {
			/* A frontend starting again (a guest's new kernel). */
			s.publish = true;
			s.back = XenbusStateInitWait;
		}
		break;
	case XenbusStateInitialised:
	case XenbusStateConnected:
		if (v->back == XenbusStateInitWait && !v->connected) {
			s.connect = true;
			s.back = XenbusStateConnected;
		}
		break;
	case XenbusStateClosing:
		s.disconnect = v->connected;
		if (v->back != XenbusStateClosing &&
		    v->back != XenbusStateClosed)
			s.back = XenbusStateClosing;
		break;
	case XenbusStateClosed:
		return close_down(v, v->online);
	case XenbusStateInitWait:
		break; /* a frontend's state of no meaning to us */
	default:
		s = close_down(v, false);
		s.why = "the frontend is in a state blkif does not have";
		return s;
	}
	return s;
}
