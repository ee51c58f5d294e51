// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's core: the blanket_l0_op hypercall, and the L0's events.
 * The blanket hypervisor raises one global VIRQ when any of dom0's L0
 * ports fires; the handler fetches (and so clears) the set of ports that
 * fired and hands each to the handler bound to it. On load it checks that
 * it runs in the PV dom0 of a blanket hypervisor that is an L0 Xen's guest,
 * then starts the L0 xenstore client, the grant table and the frontends.
 */
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/spinlock.h>
#include <linux/vmalloc.h>
#include <xen/events.h>
#include <xen/xen.h>
#include <xen/interface/version.h>
#include <asm/xen/hypercall.h>
#include <asm/xen/page.h>

#include "l0.h"

struct l0_port {
	l0_port_fn fn;
	void *data;
};

static struct l0_port ports[BLANKET_L0_NR_PORTS];
static DEFINE_SPINLOCK(ports_lock);
/* Only the VIRQ's handler uses it, and it does not run twice at once. */
static u64 fired[BLANKET_L0_PENDING_WORDS];
static int virq_irq = -1;
/* What l0_map_frame()'s mappings point at before the frame replaces it. */
static struct page *dummy_page;
static unsigned long nr_events;
module_param(nr_events, ulong, 0444);
MODULE_PARM_DESC(nr_events, "L0 events handed to their handlers so far");

long l0_op(unsigned int op, unsigned int cmd, void *arg)
{
	return _hypercall3(long, blanket_l0_op, op, cmd, arg);
}

int l0_port_bind(evtchn_port_t port, l0_port_fn fn, void *data)
{
	unsigned long flags;
	int rc = 0;

	if (port >= BLANKET_L0_NR_PORTS)
		return -ERANGE;
	spin_lock_irqsave(&ports_lock, flags);
	if (ports[port].fn) {
		rc = -EBUSY;
	} else {
		ports[port].fn = fn;
		ports[port].data = data;
	}
	spin_unlock_irqrestore(&ports_lock, flags);
	return rc;
}

void l0_port_unbind(evtchn_port_t port)
{
	unsigned long flags;

	if (port >= BLANKET_L0_NR_PORTS)
		return;
	spin_lock_irqsave(&ports_lock, flags);
	ports[port].fn = NULL;
	ports[port].data = NULL;
	spin_unlock_irqrestore(&ports_lock, flags);
}

/*
 * An L0 frame is a machine frame to dom0, and not RAM in L1. A PV kernel's
 * ioremap() and memremap() translate through dom0's p2m, identity at such
 * frames only until something else (unpopulated-alloc, the balloon) claims
 * those pfns, say for the foreign pages of L2 guests' backends. So map by
 * machine frame, as Linux maps its own grant frames: a kernel page of ours
 * gets vmap()ed, then its PTE pointed at the frame (dom0 may map it: the
 * hypervisor put it in dom0's I/O permissions when it gave it).
 */
void *l0_map_frame(u64 frame)
{
	struct page *pages[] = {dummy_page};
	void *va = vmap(pages, 1, VM_MAP, PAGE_KERNEL);

	if (va && HYPERVISOR_update_va_mapping((unsigned long)va,
					       mfn_pte(frame, PAGE_KERNEL),
					       UVMF_INVLPG | UVMF_ALL)) {
		vunmap(va);
		va = NULL;
	}
	return va;
}

void l0_unmap_frame(void *va)
{
	vunmap(va);
}

int l0_port_notify(evtchn_port_t port)
{
	struct evtchn_send send = {.port = port};

	return l0_op(BLANKET_L0_evtchn_op, EVTCHNOP_send, &send);
}

static void hand_over(evtchn_port_t port)
{
	struct l0_port p;

	spin_lock(&ports_lock);
	p = ports[port];
	spin_unlock(&ports_lock);
	if (p.fn) {
		nr_events++;
		p.fn(p.data);
	}
}

static irqreturn_t l0_virq(int irq, void *dev_id)
{
	unsigned int w;

	if (l0_op(BLANKET_L0_pending, BLANKET_L0_PENDING_WORDS, fired))
		return IRQ_NONE;
	for (w = 0; w < BLANKET_L0_PENDING_WORDS; w++) {
		u64 word = fired[w];

		while (word) {
			hand_over(w * 64 + __ffs64(word));
			word &= word - 1;
		}
	}
	return IRQ_HANDLED;
}

static int __init l0_init(void)
{
	long version;
	int rc;

	if (!xen_pv_domain() || !xen_initial_domain())
		return -ENODEV;
	version = l0_op(BLANKET_L0_xen_version, XENVER_version, NULL);
	if (version < 0) {
		pr_info("blanket-l0: no L0 Xen behind this hypervisor (%ld)\n",
			version);
		return -ENODEV;
	}
	pr_info("blanket-l0: L0 Xen %ld.%ld\n", version >> 16,
		version & 0xffff);

	dummy_page = alloc_page(GFP_KERNEL);
	if (!dummy_page)
		return -ENOMEM;
	rc = bind_virq_to_irqhandler(VIRQ_BLANKET_L0, 0, l0_virq, 0,
				     "blanket-l0", NULL);
	if (rc < 0)
		goto out_page;
	virq_irq = rc;
	rc = l0_xenbus_init();
	if (rc)
		goto out_virq;
	rc = l0_grant_init();
	if (rc)
		goto out_xenbus;
	l0_blkfront_init();
	l0_netfront_init();
	return 0;

out_xenbus:
	l0_xenbus_exit();
out_virq:
	unbind_from_irqhandler(virq_irq, NULL);
out_page:
	__free_page(dummy_page);
	return rc;
}

static void __exit l0_exit(void)
{
	l0_netfront_exit();
	l0_blkfront_exit();
	l0_grant_exit();
	l0_xenbus_exit();
	unbind_from_irqhandler(virq_irq, NULL);
	__free_page(dummy_page);
}

module_init(l0_init);
module_exit(l0_exit);
MODULE_DESCRIPTION("Blanket: an L0 Xen's xenstore and devices for the L1 dom0");
MODULE_LICENSE("GPL");
