// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's client of the L0's xenstore: this guest's (the blanket
 * hypervisor's) xenstore ring at the L0, mapped by its machine frame
 * (l0_map_frame()), its port an L0 port of dom0's. One request at
 * a time, answered in order, as Linux's xenbus_comms.c does it with the
 * L1's own ring. No transactions and no watches yet: who waits for a
 * value to change reads it again.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/wait.h>
#include <xen/interface/hvm/params.h>
#include <xen/interface/io/xs_wire.h>
#include <asm/barrier.h>

#include "l0.h"

/* How long the L0's xenstored may take to make room or answer. */
#define XS_TIMEOUT (10 * HZ)

static struct xenstore_domain_interface *ring;
static evtchn_port_t store_port;
static DEFINE_MUTEX(request_lock);
static DECLARE_WAIT_QUEUE_HEAD(ring_wait);
static u32 last_req_id;
/* A request failed half-way: replies no longer match requests. */
static bool out_of_step;

static void ring_event(void *data)
{
	wake_up(&ring_wait);
}

static bool can_write(void)
{
	return READ_ONCE(ring->req_prod) - READ_ONCE(ring->req_cons) <
	       XENSTORE_RING_SIZE;
}

static bool can_read(void)
{
	return READ_ONCE(ring->rsp_prod) != READ_ONCE(ring->rsp_cons);
}

static int ring_write(const void *data, unsigned int len)
{
	while (len) {
		XENSTORE_RING_IDX cons, prod;
		unsigned int chunk;

		if (!wait_event_timeout(ring_wait, can_write(), XS_TIMEOUT))
			return -ETIMEDOUT;
		cons = READ_ONCE(ring->req_cons);
		prod = ring->req_prod;
		virt_mb();
		chunk = min3(len, XENSTORE_RING_SIZE - (prod - cons),
			     XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(prod));
		memcpy(ring->req + MASK_XENSTORE_IDX(prod), data, chunk);
		virt_wmb();
		ring->req_prod = prod + chunk;
		data += chunk;
		len -= chunk;
		l0_port_notify(store_port);
	}
	return 0;
}

static int ring_read(void *data, unsigned int len)
{
	while (len) {
		XENSTORE_RING_IDX cons, prod;
		unsigned int chunk;

		if (!wait_event_timeout(ring_wait, can_read(), XS_TIMEOUT))
			return -ETIMEDOUT;
		cons = ring->rsp_cons;
		prod = READ_ONCE(ring->rsp_prod);
		virt_rmb();
		chunk = min3(len, prod - cons,
			     XENSTORE_RING_SIZE - MASK_XENSTORE_IDX(cons));
		memcpy(data, ring->rsp + MASK_XENSTORE_IDX(cons), chunk);
		virt_mb();
		ring->rsp_cons = cons + chunk;
		data += chunk;
		len -= chunk;
		l0_port_notify(store_port);
	}
	return 0;
}

/* An XS_ERROR reply's errno, as xenstored names it. */
static int reply_errno(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xsd_errors); i++)
		if (!strcmp(name, xsd_errors[i].errstring))
			return -xsd_errors[i].errnum;
	return -EIO;
}

/*
 * One request whose payload is path (with its NUL) and, if value is not
 * NULL, value (without); its reply's payload into buf.
 */
static int request(enum xsd_sockmsg_type type, const char *path,
		   const char *value, char *buf, size_t len)
{
	struct xsd_sockmsg msg = {.type = type};
	size_t path_len = strlen(path) + 1;
	size_t value_len = value ? strlen(value) : 0;
	char *payload = NULL;
	u32 req_id;
	int rc;

	if (path_len + value_len > XENSTORE_PAYLOAD_MAX)
		return -E2BIG;
	msg.len = path_len + value_len;
	mutex_lock(&request_lock);
	if (out_of_step) {
		mutex_unlock(&request_lock);
		return -EIO;
	}
	req_id = msg.req_id = ++last_req_id;
	rc = ring_write(&msg, sizeof(msg));
	if (!rc)
		rc = ring_write(path, path_len);
	if (!rc && value_len)
		rc = ring_write(value, value_len);
	/* Replies come in order; nothing else arrives without watches. */
	if (!rc)
		rc = ring_read(&msg, sizeof(msg));
	if (!rc && msg.len > XENSTORE_PAYLOAD_MAX)
		rc = -EIO;
	if (!rc) {
		payload = kmalloc(msg.len + 1, GFP_KERNEL);
		rc = payload ? ring_read(payload, msg.len) : -ENOMEM;
	}
	if (rc) {
		out_of_step = true;
		pr_err("blanket-l0: the L0's xenstore ring: %d; no more "
		       "requests\n",
		       rc);
	}
	mutex_unlock(&request_lock);
	if (rc)
		goto out;

	payload[msg.len] = '\0';
	if (msg.type == XS_ERROR)
		rc = reply_errno(payload);
	else if (msg.type != type || msg.req_id != req_id)
		rc = -EIO;
	else if (msg.len + 1 > len)
		rc = -ENOSPC;
	else {
		memcpy(buf, payload, msg.len + 1);
		rc = msg.len;
	}
out:
	kfree(payload);
	return rc;
}

int l0_xs_read(const char *path, char *buf, size_t len)
{
	return request(XS_READ, path, NULL, buf, len);
}

int l0_xs_directory(const char *path, char *buf, size_t len)
{
	return request(XS_DIRECTORY, path, NULL, buf, len);
}

int l0_xs_write(const char *path, const char *value)
{
	char ok[4];
	int rc = request(XS_WRITE, path, value, ok, sizeof(ok));

	return rc < 0 ? rc : 0;
}

int l0_xs_read_uint(const char *path, unsigned long long *value)
{
	char buf[24];
	int rc = l0_xs_read(path, buf, sizeof(buf));

	return rc < 0 ? rc : kstrtoull(buf, 10, value);
}

/* What the L0 knows this guest as, and the devices it gave it. */
static void report(void)
{
	char domid[16], name[64], devices[256];
	int n, i;

	if (l0_xs_read("domid", domid, sizeof(domid)) < 0)
		strcpy(domid, "?");
	if (l0_xs_read("name", name, sizeof(name)) < 0)
		strcpy(name, "?");
	n = l0_xs_directory("device", devices, sizeof(devices));
	for (i = 0; i < n - 1; i++)
		if (!devices[i])
			devices[i] = ' ';
	pr_info("blanket-l0: L0 xenstore: domid %s, name %s, devices: %s\n",
		domid, name, n > 0 ? devices : "none");
}

int l0_xenbus_init(void)
{
	u64 frame, port;
	long rc;

	rc = l0_op(BLANKET_L0_get_param, HVM_PARAM_STORE_PFN, &frame);
	if (!rc)
		rc = l0_op(BLANKET_L0_get_param, HVM_PARAM_STORE_EVTCHN, &port);
	if (rc) {
		pr_err("blanket-l0: the L0's xenstore: %ld\n", rc);
		return rc;
	}
	ring = l0_map_frame(frame);
	if (!ring) {
		pr_err("blanket-l0: cannot map the L0's xenstore ring at frame "
		       "%#llx\n",
		       frame);
		return -ENOMEM;
	}
	store_port = port;
	rc = l0_port_bind(store_port, ring_event, NULL);
	if (rc) {
		l0_unmap_frame(ring);
		return rc;
	}
	pr_info("blanket-l0: L0 xenstore ring at frame %#llx, port %u\n", frame,
		store_port);
	report();
	return 0;
}

void l0_xenbus_exit(void)
{
	l0_port_unbind(store_port);
	l0_unmap_frame(ring);
}
