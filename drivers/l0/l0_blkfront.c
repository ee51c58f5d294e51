// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's block frontend for the L0's virtual block devices (the
 * disks the L0's toolstack gave this guest, served by the L0's blkback):
 * so far it connects to each one as Linux's xen-blkfront does (a shared
 * ring granted to the backend, an L0 event channel, the frontend's keys,
 * the state handshake), reads the disk's first sector through the ring
 * and logs it. No block device yet (docs/l0-xen.md, step 3).
 */
#include <linux/delay.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <xen/interface/io/blkif.h>
#include <xen/interface/io/protocols.h>
#include <xen/interface/io/xenbus.h>
#include <asm/xen/page.h>

#include "l0.h"

#define MAX_VBDS 4
/* How long the L0's blkback and its hotplug script may take to answer. */
#define BACKEND_TIMEOUT (60 * HZ)

struct l0_vbd {
	char frontend[32];
	char backend[128];
	unsigned int vdev;
	domid_t backend_id;
	struct page *ring_page;
	struct blkif_front_ring ring;
	int ring_ref;
	evtchn_port_t port;
	wait_queue_head_t wait;
	unsigned long long sectors, sector_size;
};

static struct l0_vbd vbds[MAX_VBDS];
static unsigned int nr_vbds;

static void vbd_event(void *data)
{
	struct l0_vbd *v = data;

	wake_up(&v->wait);
}

static int key(char *path, size_t len, const char *dir, const char *name)
{
	return snprintf(path, len, "%s/%s", dir, name) < len ? 0 : -E2BIG;
}

/* Waits until the backend's state is at least state; returns that state. */
static int wait_backend(struct l0_vbd *v, unsigned long long state)
{
	unsigned long deadline = jiffies + BACKEND_TIMEOUT;
	unsigned long long now = XenbusStateUnknown;
	char path[160];
	int rc = key(path, sizeof(path), v->backend, "state");

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

static int write_frontend(struct l0_vbd *v, const char *name, const char *value)
{
	char path[64];
	int rc = key(path, sizeof(path), v->frontend, name);

	return rc ? rc : l0_xs_write(path, value);
}

static int write_frontend_uint(struct l0_vbd *v, const char *name,
			       unsigned long long value)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", value);
	return write_frontend(v, name, buf);
}

static int read_backend_uint(struct l0_vbd *v, const char *name,
			     unsigned long long *value)
{
	char path[160];
	int rc = key(path, sizeof(path), v->backend, name);

	return rc ? rc : l0_xs_read_uint(path, value);
}

static int vbd_connect(struct l0_vbd *v)
{
	struct evtchn_alloc_unbound unbound = {.dom = DOMID_SELF};
	unsigned long long backend_id;
	struct blkif_sring *sring;
	char path[64];
	int rc;

	rc = key(path, sizeof(path), v->frontend, "backend");
	if (!rc)
		rc = l0_xs_read(path, v->backend, sizeof(v->backend));
	if (rc < 0)
		return rc;
	rc = key(path, sizeof(path), v->frontend, "backend-id");
	if (!rc)
		rc = l0_xs_read_uint(path, &backend_id);
	if (rc)
		return rc;
	if (backend_id >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	v->backend_id = backend_id;
	rc = wait_backend(v, XenbusStateInitWait);
	if (rc < 0)
		return rc;

	v->ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!v->ring_page)
		return -ENOMEM;
	sring = page_address(v->ring_page);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&v->ring, sring, PAGE_SIZE);
	v->ring_ref = l0_grant_access(
	    v->backend_id, pfn_to_mfn(page_to_pfn(v->ring_page)), false);
	if (v->ring_ref < 0)
		return v->ring_ref;
	unbound.remote_dom = v->backend_id;
	rc = l0_op(BLANKET_L0_evtchn_op, EVTCHNOP_alloc_unbound, &unbound);
	if (rc)
		return rc;
	v->port = unbound.port;
	rc = l0_port_bind(v->port, vbd_event, v);
	if (rc)
		return rc;

	rc = write_frontend_uint(v, "ring-ref", v->ring_ref);
	if (!rc)
		rc = write_frontend_uint(v, "event-channel", v->port);
	if (!rc)
		rc = write_frontend(v, "protocol", XEN_IO_PROTO_ABI_NATIVE);
	if (!rc)
		rc = write_frontend_uint(v, "state", XenbusStateInitialised);
	if (!rc)
		rc = wait_backend(v, XenbusStateConnected);
	if (rc < 0)
		return rc;
	if (rc != XenbusStateConnected)
		return -ENODEV; /* the backend is closing */
	rc = read_backend_uint(v, "sectors", &v->sectors);
	if (!rc)
		rc = read_backend_uint(v, "sector-size", &v->sector_size);
	if (!rc)
		rc = write_frontend_uint(v, "state", XenbusStateConnected);
	return rc;
}

/* One read through the ring: the first page of the disk into a page. */
static int vbd_read_first_page(struct l0_vbd *v, struct page *data)
{
	struct blkif_request *req;
	struct blkif_response *rsp;
	int ref, notify, status;

	ref = l0_grant_access(v->backend_id, pfn_to_mfn(page_to_pfn(data)),
			      false);
	if (ref < 0)
		return ref;
	req = RING_GET_REQUEST(&v->ring, v->ring.req_prod_pvt);
	req->operation = BLKIF_OP_READ;
	req->u.rw.nr_segments = 1;
	req->u.rw.handle = v->vdev;
	req->u.rw.id = 1;
	req->u.rw.sector_number = 0;
	req->u.rw.seg[0].gref = ref;
	req->u.rw.seg[0].first_sect = 0;
	req->u.rw.seg[0].last_sect = PAGE_SIZE / 512 - 1;
	v->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->ring, notify);
	if (notify)
		l0_port_notify(v->port);

	if (!wait_event_timeout(v->wait,
				RING_HAS_UNCONSUMED_RESPONSES(&v->ring),
				BACKEND_TIMEOUT))
		return -ETIMEDOUT; /* the grant stays: the backend may map it */
	rsp = RING_GET_RESPONSE(&v->ring, v->ring.rsp_cons);
	status = rsp->status;
	v->ring.rsp_cons++;
	if (l0_grant_end(ref))
		return -EBUSY;
	return status == BLKIF_RSP_OKAY ? 0 : -EIO;
}

static void vbd_report(struct l0_vbd *v)
{
	struct page *data = alloc_page(GFP_KERNEL | __GFP_ZERO);
	char first[33];
	int rc, i;

	if (!data)
		return;
	rc = vbd_read_first_page(v, data);
	if (rc) {
		pr_err("blanket-l0: vbd %u: reading sector 0: %d\n", v->vdev,
		       rc);
		return; /* data stays allocated: the backend may still map it */
	}
	memcpy(first, page_address(data), sizeof(first) - 1);
	for (i = 0; i < sizeof(first) - 1; i++)
		if (first[i] < ' ' || first[i] > '~')
			first[i] = '.';
	first[sizeof(first) - 1] = '\0';
	pr_info("blanket-l0: vbd %u: sector 0 reads \"%s\"\n", v->vdev, first);
	__free_page(data);
}

void l0_blkfront_init(void)
{
	char ids[128];
	int n, i, rc;

	n = l0_xs_directory("device/vbd", ids, sizeof(ids));
	for (i = 0; i < n && nr_vbds < MAX_VBDS; i += strlen(ids + i) + 1) {
		struct l0_vbd *v = &vbds[nr_vbds];

		if (kstrtouint(ids + i, 10, &v->vdev) ||
		    key(v->frontend, sizeof(v->frontend), "device/vbd",
			ids + i))
			continue;
		init_waitqueue_head(&v->wait);
		nr_vbds++;
		rc = vbd_connect(v);
		if (rc) {
			pr_err("blanket-l0: vbd %u: connecting to the L0's "
			       "backend: %d\n",
			       v->vdev, rc);
			continue;
		}
		pr_info("blanket-l0: vbd %u: connected to %s: %llu sectors of "
			"%llu bytes\n",
			v->vdev, v->backend, v->sectors, v->sector_size);
		vbd_report(v);
	}
	if (n < 0)
		pr_info("blanket-l0: no L0 block devices (%d)\n", n);
}

void l0_blkfront_exit(void)
{
	unsigned int i;

	for (i = 0; i < nr_vbds; i++) {
		struct l0_vbd *v = &vbds[i];
		struct evtchn_close close = {.port = v->port};

		write_frontend_uint(v, "state", XenbusStateClosed);
		if (v->port) {
			l0_port_unbind(v->port);
			l0_op(BLANKET_L0_evtchn_op, EVTCHNOP_close, &close);
		}
		/* A ring the backend still maps is left to it, not freed. */
		if (v->ring_page &&
		    (v->ring_ref <= 0 || !l0_grant_end(v->ring_ref)))
			__free_page(v->ring_page);
	}
}
