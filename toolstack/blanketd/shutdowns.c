/* The table of shutdowns.h: entries in a MAP_SHARED mapping, each claimed
 * and released with an atomic compare-and-swap of its domid (0: free; dom0
 * is never a guest). */
#include "toolstack/blanketd/shutdowns.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

struct pending {
	uint32_t domid; /* 0: free */
	int64_t due_ms;
	char name[HV_NAME_MAX];
	int ready; /* set once the fields are written */
};

struct shutdowns {
	struct pending p[SHUTDOWNS_MAX];
};

int shutdowns_create(struct shutdowns **r)
{
	struct shutdowns *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
				   MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (t == MAP_FAILED)
		return BL_ERR_NOMEM;
	memset(t, 0, sizeof(*t));
	*r = t;
	return BL_OK;
}

int shutdowns_add(struct shutdowns *t, uint32_t domid, const char *name,
		  int64_t due_ms)
{
	for (int i = 0; i < SHUTDOWNS_MAX; i++) {
		struct pending *p = &t->p[i];
		uint32_t free_ = 0;

		if (!__atomic_compare_exchange_n(&p->domid, &free_, domid,
						 false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			continue;
		p->due_ms = due_ms;
		snprintf(p->name, sizeof(p->name), "%s", name);
		__atomic_store_n(&p->ready, 1, __ATOMIC_RELEASE);
		return BL_OK;
	}
	return BL_ERR_BUSY;
}

void shutdowns_run(struct shutdowns *t, const struct hv_ops *hv_ops, void *hv)
{
	int64_t now = fdio_now_ms();

	for (int i = 0; i < SHUTDOWNS_MAX; i++) {
		struct pending *p = &t->p[i];
		char err[BL_ERRMSG_MAX];
		int rc;

		if (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE) ||
		    now < p->due_ms)
			continue;
		rc = hv_ops->destroy_domid(hv, p->domid, err, sizeof(err));
		if (rc == BL_OK)
			log_info("forced shutdown of %s: destroyed domain %u, "
				 "still there at its deadline",
				 p->name, p->domid);
		else if (rc != BL_ERR_NOTFOUND)
			log_warnx("forced shutdown of %s: %s", p->name, err);
		__atomic_store_n(&p->ready, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&p->domid, 0, __ATOMIC_RELEASE);
	}
}
