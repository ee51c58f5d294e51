// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's side of the L0's split-device protocol, shared by its
 * frontends: a device's frontend keys in this guest's home at the L0
 * ("device/<type>/<id>"), its backend's keys, the event channel to the
 * backend, and waiting for the backend's state (no watches yet: the state
 * is read again every 100 ms, up to a deadline).
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <xen/interface/io/xenbus.h>
#include <asm/xen/page.h>

#include "l0.h"

/* How long the L0's backend and its hotplug script may take to answer. */
#define BACKEND_TIMEOUT (60 * HZ)

static int key(char *path, size_t len, const char *dir, const char *name)
{
	return snprintf(path, len, "%s/%s", dir, name) < len ? 0 : -E2BIG;
}

int l0_device_init(struct l0_device *d, const char *type, const char *id)
{
	unsigned long long backend_id;
	char path[64];
	int rc;

	rc = snprintf(d->frontend, sizeof(d->frontend), "device/%s/%s", type,
		      id) < sizeof(d->frontend)
		 ? 0
		 : -E2BIG;
	if (!rc)
		rc = key(path, sizeof(path), d->frontend, "backend");
	if (!rc)
		rc = l0_xs_read(path, d->backend, sizeof(d->backend));
	if (rc < 0)
		return rc;
	rc = key(path, sizeof(path), d->frontend, "backend-id");
	if (!rc)
		rc = l0_xs_read_uint(path, &backend_id);
	if (rc)
		return rc;
	if (backend_id >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	d->backend_id = backend_id;
	return 0;
}

int l0_device_wait(struct l0_device *d, unsigned long long state)
{
	unsigned long deadline = jiffies + BACKEND_TIMEOUT;
	unsigned long long now = XenbusStateUnknown;
	char path[160];
	int rc = key(path, sizeof(path), d->backend, "state");

	while (!rc) {
		rc = l0_xs_read_uint(path, &now);
		if (rc || now >= state)
			break;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		msleep(100);
	}
	return rc ? rc : now;
}

int l0_device_write(struct l0_device *d, const char *name, const char *value)
{
	char path[64];
	int rc = key(path, sizeof(path), d->frontend, name);

	return rc ? rc : l0_xs_write(path, value);
}

int l0_device_write_uint(struct l0_device *d, const char *name,
			 unsigned long long value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", value);
	return l0_device_write(d, name, buf);
}

int l0_device_read(struct l0_device *d, const char *name, char *buf, size_t len)
{
	char path[64];
	int rc = key(path, sizeof(path), d->frontend, name);

	return rc ? rc : l0_xs_read(path, buf, len);
}

int l0_device_read_backend_uint(struct l0_device *d, const char *name,
				unsigned long long *value)
{
	char path[160];
	int rc = key(path, sizeof(path), d->backend, name);

	return rc ? rc : l0_xs_read_uint(path, value);
}

int l0_device_bind(struct l0_device *d, l0_port_fn fn, void *data)
{
	struct evtchn_alloc_unbound unbound = {
	    .dom = DOMID_SELF,
	    .remote_dom = d->backend_id,
	};
	int rc = l0_op(BLANKET_L0_evtchn_op, EVTCHNOP_alloc_unbound, &unbound);

	if (rc)
		return rc;
	d->port = unbound.port;
	rc = l0_port_bind(d->port, fn, data);
	if (!rc)
		rc = l0_device_write_uint(d, "event-channel", d->port);
	return rc;
}

void l0_device_close(struct l0_device *d)
{
	struct evtchn_close close = {.port = d->port};

	l0_device_write_uint(d, "state", XenbusStateClosed);
	if (d->port) {
		l0_port_unbind(d->port);
		l0_op(BLANKET_L0_evtchn_op, EVTCHNOP_close, &close);
		d->port = 0;
	}
}

int l0_device_grant_page(struct l0_device *d, struct page *page, bool readonly)
{
	return l0_grant_access(d->backend_id, pfn_to_mfn(page_to_pfn(page)),
			       readonly);
}

void l0_device_free_page(struct page *page, int ref)
{
	if (page && (ref < GNTTAB_NR_RESERVED_ENTRIES || !l0_grant_end(ref)))
		__free_page(page);
}

int l0_device_connect(struct l0_device *d, unsigned long long state)
{
	int rc = l0_device_write_uint(d, "state", state);

	if (!rc)
		rc = l0_device_wait(d, XenbusStateConnected);
	if (rc < 0)
		return rc;
	return rc == XenbusStateConnected ? 0 : -ENODEV; /* it is closing */
}
