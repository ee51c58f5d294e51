/* SPDX-License-Identifier: GPL-2.0 */
/*
 * blanket-l0: the L1 dom0's side of the blanket hypervisor's forwarding of
 * an L0 Xen's services (patches/xen/0002-l0-forwarding.patch, public header
 * xen/include/public/arch-x86/blanket-l0.h; docs/l0-xen.md). A node whose
 * L0 is Xen reaches the L0's xenstore and PV backends through it.
 *
 * l0_core.c: the hypercall, and L0 events: one global VIRQ, then the set of
 * dom0's L0 ports that fired, each handed to the handler bound to it.
 * l0_xenbus.c: a client of the L0's xenstore over its ring.
 * l0_grant.c: grant references in this guest's grant table at the L0.
 * l0_device.c: a frontend's keys and its backend's, its event channel.
 * l0_blkfront.c: the L0's block devices, l0_netfront.c: its NICs.
 */
#ifndef BLANKET_L0_H
#define BLANKET_L0_H

#include <linux/types.h>
#include <xen/interface/xen.h>
#include <xen/interface/event_channel.h>
#include <xen/interface/grant_table.h>

/* The blanket hypervisor's ABI (public/arch-x86/blanket-l0.h). */
#define __HYPERVISOR_blanket_l0_op __HYPERVISOR_arch_7
#define VIRQ_BLANKET_L0		   VIRQ_ARCH_1
#define BLANKET_L0_xen_version	   0
#define BLANKET_L0_get_param	   1
#define BLANKET_L0_evtchn_op	   2
#define BLANKET_L0_pending	   3
#define BLANKET_L0_PENDING_WORDS   64
#define BLANKET_L0_grant_setup	   4
#define BLANKET_L0_NR_PORTS	   (BLANKET_L0_PENDING_WORDS * 64)

/* One blanket_l0_op: what the hypervisor returns (-ENOSYS: not on an L0). */
long l0_op(unsigned int op, unsigned int cmd, void *arg);

/* Called in interrupt context when L0 port fires. */
typedef void (*l0_port_fn)(void *data);

/* Hand the events of L0 port to fn (the port must be dom0's already). */
int l0_port_bind(evtchn_port_t port, l0_port_fn fn, void *data);
void l0_port_unbind(evtchn_port_t port);
/* Map an L0 frame (a machine frame dom0 was given) read-write; NULL if not. */
void *l0_map_frame(u64 frame);
void l0_unmap_frame(void *va);
/* Notify the other end of L0 port. */
int l0_port_notify(evtchn_port_t port);

int l0_xenbus_init(void);
void l0_xenbus_exit(void);
/*
 * Read path from the L0's xenstore (relative paths are under this guest's
 * home there) into buf, NUL-terminated; a directory's entries are separated
 * by NULs. Returns the value's length, or -errno (an XS_ERROR reply maps to
 * its errno). Sleeps: not from interrupt context.
 */
int l0_xs_read(const char *path, char *buf, size_t len);
int l0_xs_directory(const char *path, char *buf, size_t len);
/* Write value at path; 0 or -errno. */
int l0_xs_write(const char *path, const char *value);
/* Read a decimal number at path; 0 or -errno. */
int l0_xs_read_uint(const char *path, unsigned long long *value);

/*
 * This guest's grant table at the L0 (l0_grant.c): grant domid access to
 * machine frame mfn, and end it. References below GNTTAB_NR_RESERVED_ENTRIES
 * are the L0 toolstack's.
 */
int l0_grant_init(void);
void l0_grant_exit(void);
int l0_grant_access(domid_t domid, unsigned long mfn, bool readonly);
/* 0 once the grant is ended; -EBUSY while the other end maps it. */
int l0_grant_end(grant_ref_t ref);

/*
 * A device the L0 gave this guest, as its frontend sees it (l0_device.c):
 * frontend is "device/<type>/<id>" under this guest's home at the L0.
 */
struct l0_device {
	char frontend[32];
	char backend[128];
	domid_t backend_id;
	evtchn_port_t port;
};

struct page;
/* Fill in the device's keys; 0 or -errno. */
int l0_device_init(struct l0_device *d, const char *type, const char *id);
/* Wait until the backend's state is at least state; returns the state. */
int l0_device_wait(struct l0_device *d, unsigned long long state);
int l0_device_write(struct l0_device *d, const char *name, const char *value);
int l0_device_write_uint(struct l0_device *d, const char *name,
			 unsigned long long value);
int l0_device_read(struct l0_device *d, const char *name, char *buf,
		   size_t len);
int l0_device_read_backend_uint(struct l0_device *d, const char *name,
				unsigned long long *value);
/* An event channel to the backend, its events to fn, "event-channel" set. */
int l0_device_bind(struct l0_device *d, l0_port_fn fn, void *data);
/* Say the frontend is closed and close its event channel. */
void l0_device_close(struct l0_device *d);
/* Grant the backend a page of dom0's; the reference or -errno. */
int l0_device_grant_page(struct l0_device *d, struct page *page, bool readonly);
/*
 * Free a page once its grant ref (none if below the reserved entries) is
 * ended; a page the backend still maps is left to it, never freed.
 */
void l0_device_free_page(struct page *page, int ref);
/*
 * Say the frontend is in state, then wait for the backend to connect:
 * 0, -ENODEV if it closes instead, or -errno.
 */
int l0_device_connect(struct l0_device *d, unsigned long long state);

/* The L0's block devices (l0_blkfront.c). */
void l0_blkfront_init(void);
void l0_blkfront_exit(void);
/* The L0's network devices (l0_netfront.c). */
void l0_netfront_init(void);
void l0_netfront_exit(void);

#endif
