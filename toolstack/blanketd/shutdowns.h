/* Forced shutdowns that have not come due: `blanket shutdown --force
 * --timeout S` without --wait asks the guest at once and returns; if the
 * domain is still there S seconds later, the daemon's main loop destroys
 * it. A table in memory shared with the session processes, so that no
 * process waits for each one and the number pending is bounded. */
#ifndef BL_BLANKETD_SHUTDOWNS_H
#define BL_BLANKETD_SHUTDOWNS_H

#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/hv/hv.h"

#define SHUTDOWNS_MAX 64

struct shutdowns;

int shutdowns_create(struct shutdowns **r) BL_MUST_CHECK;

/* Destroy domain domid (guest name, for the log) at due_ms (fdio_now_ms())
 * unless it is gone. BL_ERR_BUSY when SHUTDOWNS_MAX are pending. */
int shutdowns_add(struct shutdowns *t, uint32_t domid, const char *name,
		  int64_t due_ms) BL_MUST_CHECK;

/* In the main loop: destroy what has come due. */
void shutdowns_run(struct shutdowns *t, const struct hv_ops *hv_ops, void *hv);

#endif
