/*
 * The L1 dom0's probe in `make bench-l0-xen` (lab/bench/l0-xen): does the
 * blanket hypervisor, running as a guest of an L0 Xen, give its dom0 the
 * L0's services (blanket_l0_op, patches/xen/0002-l0-forwarding.patch)?
 * Runs from the busybox initramfs of that dom0, through /dev/xen/privcmd
 * (module xen-privcmd) and, for the event stage, /dev/xen/evtchn (module
 * xen-evtchn), stage by stage:
 * - version: the L0's xen_version (not the L1's);
 * - param: the L0 xenstore ring's frame and port;
 * - map: the ring mapped by machine frame (privcmd, DOMID_SELF);
 * - xs: XS_READ of "domid" and "name" on the L0's xenstore;
 * - virq: the reply raised VIRQ_BLANKET_L0; BLANKET_L0_pending names it;
 * - deny: what dom0 may not do fails with EPERM, and each frame given as
 *   an argument (the hypervisor's own L0 frames) fails to map;
 * - gnttab: L0 grant frame 0 mapped; entry 1 is the toolstack's xenstore one;
 * - evtchn: alloc_unbound to the L0's dom0, then close.
 * Prints "l0probe: <stage> ok|FAIL ..." lines and a final PASS or FAIL, and
 * exits 0 only on PASS. No Xen headers: the few ABI bits it needs are below.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* Xen ABI (public/xen.h, version.h, hvm/params.h, event_channel.h) */
#define HYPERVISOR_xen_version	 17
#define HYPERVISOR_blanket_l0_op 55 /* __HYPERVISOR_arch_7 */
#define BL0_xen_version		 0
#define BL0_get_param		 1
#define BL0_evtchn_op		 2
#define BL0_pending		 3
#define BL0_grant_setup		 4
#define XENVER_version		 0
#define XENVER_extraversion	 1
#define HVM_PARAM_STORE_PFN	 1
#define HVM_PARAM_STORE_EVTCHN	 2
#define HVM_PARAM_IOREQ_PFN	 5
#define EVTCHNOP_close		 3
#define EVTCHNOP_send		 4
#define EVTCHNOP_alloc_unbound	 6
#define VIRQ_BLANKET_L0		 17 /* VIRQ_ARCH_1 */
#define DOMID_SELF		 0x7ff0

struct evtchn_alloc_unbound {
	uint16_t dom, remote_dom;
	uint32_t port;
};
struct evtchn_port_arg {
	uint32_t port;
}; /* send, close */
struct grant_entry_v1 {
	uint16_t flags, domid;
	uint32_t frame;
};

/* Linux's privcmd and evtchn devices (include/uapi/xen/privcmd.h, evtchn.h) */
struct privcmd_hypercall {
	uint64_t op, arg[5];
};
struct privcmd_mmapbatch_v2 {
	unsigned int num;
	uint16_t dom;
	uint64_t addr;
	const uint64_t *arr;
	int *err;
};
struct ioctl_evtchn_bind_virq {
	unsigned int virq;
};
#define IOCTL_PRIVCMD_HYPERCALL                                                \
	_IOC(_IOC_NONE, 'P', 0, sizeof(struct privcmd_hypercall))
#define IOCTL_PRIVCMD_MMAPBATCH_V2                                             \
	_IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_mmapbatch_v2))
#define IOCTL_EVTCHN_BIND_VIRQ                                                 \
	_IOC(_IOC_NONE, 'E', 0, sizeof(struct ioctl_evtchn_bind_virq))

/* xenstore ring (public/io/xs_wire.h) */
#define XS_READ	 2
#define XS_ERROR 16
struct xsd_sockmsg {
	uint32_t type, req_id, tx_id, len;
};
struct xenstore_domain_interface {
	char req[1024], rsp[1024];
	uint32_t req_cons, req_prod, rsp_cons, rsp_prod;
	uint32_t server_features, connection, error;
};
#define MASK(i) ((i)&1023)

static int privcmd, failed, virq_seen;

static void report(const char *stage, int ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(const char *stage, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("l0probe: %s %s ", stage, ok ? "ok" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	failed |= !ok;
}

/* A hypercall; returns its value, or -errno. */
static long hc(uint64_t op, uint64_t a0, uint64_t a1, void *a2)
{
	struct privcmd_hypercall h = {op, {a0, a1, (uintptr_t)a2, 0, 0}};
	long r = ioctl(privcmd, IOCTL_PRIVCMD_HYPERCALL, &h);

	return r < 0 ? -errno : r;
}

static long l0(unsigned int op, unsigned int cmd, void *arg)
{
	return hc(HYPERVISOR_blanket_l0_op, op, cmd, arg);
}

/* Map machine frame mfn (an L0 gfn) read-write. */
static void *map_mfn(uint64_t mfn)
{
	void *p =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, privcmd, 0);
	int err = 0;
	struct privcmd_mmapbatch_v2 m = {1, DOMID_SELF, (uintptr_t)p, &mfn,
					 &err};

	if (p == MAP_FAILED)
		return NULL;
	if (ioctl(privcmd, IOCTL_PRIVCMD_MMAPBATCH_V2, &m) < 0 || err) {
		fprintf(stderr, "l0probe: mmapbatch %#llx: %s / %d\n",
			(unsigned long long)mfn, strerror(errno), err);
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

static void ring_put(struct xenstore_domain_interface *r, const void *buf,
		     unsigned int len)
{
	uint32_t prod = r->req_prod;
	unsigned int i;

	for (i = 0; i < len; i++)
		r->req[MASK(prod + i)] = ((const char *)buf)[i];
	__sync_synchronize();
	r->req_prod = prod + len;
}

static int ring_avail(struct xenstore_domain_interface *r)
{
	__sync_synchronize();
	return r->rsp_prod - r->rsp_cons;
}

static void ring_get(struct xenstore_domain_interface *r, void *buf,
		     unsigned int len)
{
	uint32_t cons = r->rsp_cons;
	unsigned int i;

	for (i = 0; i < len; i++)
		((char *)buf)[i] = r->rsp[MASK(cons + i)];
	__sync_synchronize();
	r->rsp_cons = cons + len;
}

/*
 * Waits up to 5 s for need bytes of reply on ring r. With ev >= 0 (the
 * evtchn fd VIRQ_BLANKET_L0 is bound on) it first waits up to 5 s for that
 * VIRQ, even when the reply is there already: the L0's xenstored may answer
 * before the send hypercall returns, and the VIRQ must come all the same.
 * Returns 0 once the bytes are there.
 */
static int wait_reply(struct xenstore_domain_interface *r, int need, int ev)
{
	int waited_ms = 0;

	if (ev >= 0) {
		struct pollfd pfd = {ev, POLLIN, 0};
		unsigned int fired;

		if (poll(&pfd, 1, 5000) > 0 && read(ev, &fired, 4) == 4) {
			virq_seen = 1;
			/* Writing the port back unmasks it. */
			if (write(ev, &fired, 4) != 4)
				return -1;
		}
	}
	while (ring_avail(r) < need && waited_ms < 5000) {
		usleep(10000);
		waited_ms += 10;
	}
	return ring_avail(r) < need ? -1 : 0;
}

/* XS_READ of path on ring r, its event on L0 port; the value to out. */
static int xs_read(struct xenstore_domain_interface *r, uint32_t port, int ev,
		   const char *path, char *out, size_t outlen)
{
	static uint32_t req_id = 0x42;
	struct xsd_sockmsg msg = {XS_READ, ++req_id, 0, strlen(path) + 1};
	struct evtchn_port_arg send = {port};

	ring_put(r, &msg, sizeof(msg));
	ring_put(r, path, msg.len);
	if (l0(BL0_evtchn_op, EVTCHNOP_send, &send))
		return -1;
	if (wait_reply(r, sizeof(msg), ev))
		return -1;
	ring_get(r, &msg, sizeof(msg));
	if (msg.len >= outlen || wait_reply(r, msg.len, -1))
		return -1;
	ring_get(r, out, msg.len);
	out[msg.len] = 0;
	return msg.type == XS_READ ? 0 : -1;
}

int main(int argc, char **argv)
{
	static char extra[16];
	static uint64_t store_pfn, store_port, words[64], gframe;
	struct xenstore_domain_interface *ring;
	struct grant_entry_v1 *gnt;
	struct evtchn_alloc_unbound au = {0, 0, 0};
	struct evtchn_port_arg pa;
	char val[256];
	long v1, v0, r;
	int ev, i;

	mlockall(MCL_CURRENT | MCL_FUTURE); /* Xen reads our buffers */
	privcmd = open("/dev/xen/privcmd", O_RDWR);
	if (privcmd < 0) {
		perror("l0probe: /dev/xen/privcmd (insmod xen-privcmd.ko?)");
		return 2;
	}

	/* version: the L0's differs from ours (L0 4.17.7 vs L1 4.17.5-blanket)
	 */
	v1 = hc(HYPERVISOR_xen_version, XENVER_version, 0, NULL);
	v0 = l0(BL0_xen_version, XENVER_version, NULL);
	r = l0(BL0_xen_version, XENVER_extraversion, extra);
	report("version", v0 > 0 && !r, "L1 %ld.%ld, L0 %ld.%ld%.16s (rc %ld)",
	       v1 >> 16, v1 & 0xffff, v0 >> 16, v0 & 0xffff, extra,
	       v0 < 0 ? v0 : r);
	if (v0 == -ENOSYS)
		return 1; /* not the patched hypervisor */

	/* param */
	r = l0(BL0_get_param, HVM_PARAM_STORE_PFN, &store_pfn)
		?: l0(BL0_get_param, HVM_PARAM_STORE_EVTCHN, &store_port);
	report("param", !r, "L0 xenstore frame %#llx port %llu (rc %ld)",
	       (unsigned long long)store_pfn, (unsigned long long)store_port,
	       r);
	if (r)
		return 1;

	/* map */
	ring = map_mfn(store_pfn);
	report("map", ring != NULL, "ring req %u/%u rsp %u/%u connection %u",
	       ring ? ring->req_cons : 0, ring ? ring->req_prod : 0,
	       ring ? ring->rsp_cons : 0, ring ? ring->rsp_prod : 0,
	       ring ? ring->connection : 0);
	if (!ring)
		return 1;

	/* xs (+ virq) */
	ev = open("/dev/xen/evtchn", O_RDWR);
	if (ev >= 0) {
		struct ioctl_evtchn_bind_virq bv = {VIRQ_BLANKET_L0};

		if (ioctl(ev, IOCTL_EVTCHN_BIND_VIRQ, &bv) < 0) {
			perror("l0probe: bind VIRQ_BLANKET_L0");
			close(ev);
			ev = -1;
		}
	}
	r = xs_read(ring, store_port, ev, "domid", val, sizeof(val));
	report("xs", !r, "L0 xenstore: domid = %s", r ? "?" : val);
	if (!xs_read(ring, store_port, -1, "name", val, sizeof(val)))
		printf("l0probe: L0 xenstore: name = %s\n", val);
	if (ev >= 0) {
		/* The replies' events are in the pending record unless fetched.
		 */
		int bit;

		r = l0(BL0_pending, 64, words);
		bit = (words[store_port / 64] >> (store_port % 64)) & 1;
		report("virq", virq_seen && !r && bit,
		       "VIRQ %s; pending fetch rc %ld, store port bit %d",
		       virq_seen ? "fired" : "never fired", r, bit);
	}

	/* deny */
	pa.port = store_port;
	r = l0(BL0_evtchn_op, EVTCHNOP_close, &pa);
	report("deny", r == -EPERM, "close(store port): %s", strerror(-r));
	pa.port = 4095;
	r = l0(BL0_evtchn_op, EVTCHNOP_send, &pa);
	report("deny", r == -EPERM, "send(port 4095, not dom0's): %s",
	       strerror(-r));
	r = l0(BL0_get_param, HVM_PARAM_IOREQ_PFN, &gframe);
	report("deny", r == -EPERM, "get_param(IOREQ_PFN): %s", strerror(-r));
	for (i = 1; i < argc; i++) {
		uint64_t own = strtoull(argv[i], NULL, 0);

		report("deny", map_mfn(own) == NULL,
		       "map the hypervisor's own L0 frame %#llx",
		       (unsigned long long)own);
	}

	/* gnttab */
	r = l0(BL0_grant_setup, 1, &gframe);
	gnt = r > 0 ? map_mfn(gframe) : NULL;
	report("gnttab", gnt && gnt[1].frame == store_pfn,
	       "max %ld frames, frame 0 at %#llx; entry 0 {%#x d%u %#x} "
	       "entry 1 {%#x d%u %#x}",
	       r, (unsigned long long)gframe, gnt ? gnt[0].flags : 0,
	       gnt ? gnt[0].domid : 0, gnt ? gnt[0].frame : 0,
	       gnt ? gnt[1].flags : 0, gnt ? gnt[1].domid : 0,
	       gnt ? gnt[1].frame : 0);

	/* evtchn */
	au.remote_dom = 0; /* the L0's dom0 */
	r = l0(BL0_evtchn_op, EVTCHNOP_alloc_unbound, &au);
	pa.port = au.port;
	report("evtchn", !r && !l0(BL0_evtchn_op, EVTCHNOP_close, &pa),
	       "alloc_unbound(L0 d0) -> port %u (rc %ld), closed", au.port, r);

	printf("l0probe: %s\n", failed ? "FAIL" : "PASS");
	return failed;
}
