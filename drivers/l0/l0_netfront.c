// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's network frontend for the L0's virtual NICs (the vifs the
 * L0's toolstack gave this guest, served by the L0's netback): it connects
 * to each one as Linux's xen-netfront does (a transmit and a receive ring
 * granted to the backend, one L0 event channel, the frontend's keys, the
 * state handshake) and gives it to the L1 dom0 as a network device,
 * l0ethN, with the MAC the L0 gave it. Kept simple: one queue, no
 * scatter-gather, checksum offload or GSO; each packet sent is copied into
 * a page of its own granted read-only, and RX_BUFFERS pages stay granted to
 * the backend, which copies received packets into them.
 */
#include <linux/etherdevice.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <xen/interface/io/netif.h>
#include <xen/interface/io/xenbus.h>

#include "l0.h"

#define MAX_VIFS   4
#define TX_SLOTS   __CONST_RING_SIZE(xen_netif_tx, PAGE_SIZE)
#define RX_BUFFERS 64

struct l0_vif {
	struct l0_device dev;
	struct net_device *netdev;
	spinlock_t lock;
	struct page *tx_ring_page, *rx_ring_page;
	int tx_ring_ref, rx_ring_ref;
	struct xen_netif_tx_front_ring tx;
	struct xen_netif_rx_front_ring rx;
	/* A packet in flight, by its slot: its copy and the copy's grant. */
	struct page *tx_pages[TX_SLOTS];
	grant_ref_t tx_grants[TX_SLOTS];
	struct page *rx_pages[RX_BUFFERS];
	grant_ref_t rx_grants[RX_BUFFERS];
	bool rx_dropping; /* the rest of a packet too big for one page */
};

static struct l0_vif vifs[MAX_VIFS];
static unsigned int nr_vifs;

/* A network device's private data: its vif. */
static struct l0_vif *netdev_vif(struct net_device *nd)
{
	return *(struct l0_vif **)netdev_priv(nd);
}

static void rx_post(struct l0_vif *vif, unsigned int id)
{
	struct xen_netif_rx_request *req;

	req = RING_GET_REQUEST(&vif->rx, vif->rx.req_prod_pvt);
	req->id = id;
	req->gref = vif->rx_grants[id];
	vif->rx.req_prod_pvt++;
}

static void rx_deliver(struct l0_vif *vif,
		       const struct xen_netif_rx_response *rsp)
{
	struct net_device *nd = vif->netdev;
	bool last = !(rsp->flags & XEN_NETRXF_more_data);
	struct sk_buff *skb;

	if (rsp->status <= 0 || vif->rx_dropping || !last ||
	    (rsp->flags & XEN_NETRXF_extra_info) ||
	    rsp->offset + rsp->status > PAGE_SIZE) {
		nd->stats.rx_errors += last;
		vif->rx_dropping = !last;
		return;
	}
	skb = netdev_alloc_skb_ip_align(nd, rsp->status);
	if (!skb) {
		nd->stats.rx_dropped++;
		return;
	}
	skb_put_data(skb, page_address(vif->rx_pages[rsp->id]) + rsp->offset,
		     rsp->status);
	skb->protocol = eth_type_trans(skb, nd);
	if (rsp->flags & XEN_NETRXF_data_validated)
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	nd->stats.rx_packets++;
	nd->stats.rx_bytes += rsp->status;
	netif_rx(skb);
}

/* In interrupt context: the backend sent, received, or both. */
static void vif_event(void *data)
{
	struct l0_vif *vif = data;
	unsigned long flags;
	RING_IDX i, prod;
	int more, notify;

	spin_lock_irqsave(&vif->lock, flags);
	do {
		prod = READ_ONCE(vif->tx.sring->rsp_prod);
		virt_rmb();
		for (i = vif->tx.rsp_cons; i != prod; i++) {
			const struct xen_netif_tx_response *rsp;

			rsp = RING_GET_RESPONSE(&vif->tx, i);
			if (rsp->status == XEN_NETIF_RSP_NULL ||
			    rsp->id >= TX_SLOTS || !vif->tx_pages[rsp->id])
				continue;
			if (rsp->status != XEN_NETIF_RSP_OKAY)
				vif->netdev->stats.tx_errors++;
			/* netback copies: it maps nothing, the grant ends. */
			l0_device_free_page(vif->tx_pages[rsp->id],
					    vif->tx_grants[rsp->id]);
			vif->tx_pages[rsp->id] = NULL;
		}
		vif->tx.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&vif->tx, more);
	} while (more);
	if (netif_queue_stopped(vif->netdev) && !RING_FULL(&vif->tx))
		netif_wake_queue(vif->netdev);

	do {
		prod = READ_ONCE(vif->rx.sring->rsp_prod);
		virt_rmb();
		for (i = vif->rx.rsp_cons; i != prod; i++) {
			const struct xen_netif_rx_response *rsp;

			rsp = RING_GET_RESPONSE(&vif->rx, i);
			if (rsp->id >= RX_BUFFERS)
				continue;
			rx_deliver(vif, rsp);
			rx_post(vif, rsp->id); /* its buffer, for the next */
		}
		vif->rx.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&vif->rx, more);
	} while (more);
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&vif->rx, notify);
	spin_unlock_irqrestore(&vif->lock, flags);
	if (notify)
		l0_port_notify(vif->dev.port);
}

static netdev_tx_t vif_start_xmit(struct sk_buff *skb, struct net_device *nd)
{
	struct l0_vif *vif = netdev_vif(nd);
	struct xen_netif_tx_request *req;
	unsigned long flags;
	struct page *page;
	unsigned int id;
	int ref, notify;

	if (skb_put_padto(skb, ETH_ZLEN))
		goto dropped_freed;
	if (skb->len > PAGE_SIZE ||
	    (skb->ip_summed == CHECKSUM_PARTIAL && skb_checksum_help(skb)))
		goto dropped;
	page = alloc_page(GFP_ATOMIC);
	if (!page)
		goto dropped;
	if (skb_copy_bits(skb, 0, page_address(page), skb->len))
		goto dropped_page;
	ref = l0_device_grant_page(&vif->dev, page, true);
	if (ref < 0)
		goto dropped_page;

	spin_lock_irqsave(&vif->lock, flags);
	/*
	 * The queue stops before the ring fills, so fewer packets than slots
	 * are in flight and a slot is free, though netback may answer out of
	 * order.
	 */
	id = vif->tx.req_prod_pvt % TX_SLOTS;
	while (vif->tx_pages[id])
		id = (id + 1) % TX_SLOTS;
	vif->tx_pages[id] = page;
	vif->tx_grants[id] = ref;
	req = RING_GET_REQUEST(&vif->tx, vif->tx.req_prod_pvt);
	req->gref = ref;
	req->offset = 0;
	req->flags = 0;
	req->id = id;
	req->size = skb->len;
	vif->tx.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&vif->tx, notify);
	if (RING_FULL(&vif->tx))
		netif_stop_queue(nd);
	spin_unlock_irqrestore(&vif->lock, flags);
	if (notify)
		l0_port_notify(vif->dev.port);
	nd->stats.tx_packets++;
	nd->stats.tx_bytes += skb->len;
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;

dropped_page:
	__free_page(page);
dropped:
	dev_kfree_skb_any(skb);
dropped_freed:
	nd->stats.tx_dropped++;
	return NETDEV_TX_OK;
}

static int vif_open(struct net_device *nd)
{
	netif_start_queue(nd);
	return 0;
}

static int vif_stop(struct net_device *nd)
{
	netif_stop_queue(nd);
	return 0;
}

static const struct net_device_ops vif_netdev_ops = {
    .ndo_open = vif_open,
    .ndo_stop = vif_stop,
    .ndo_start_xmit = vif_start_xmit,
    .ndo_set_mac_address = eth_mac_addr,
    .ndo_validate_addr = eth_validate_addr,
};

/* Rings and receive buffers granted to the backend, before it connects. */
static int vif_rings(struct l0_vif *vif)
{
	struct xen_netif_tx_sring *txs;
	struct xen_netif_rx_sring *rxs;
	unsigned int id;

	vif->tx_ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	vif->rx_ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!vif->tx_ring_page || !vif->rx_ring_page)
		return -ENOMEM;
	txs = page_address(vif->tx_ring_page);
	rxs = page_address(vif->rx_ring_page);
	SHARED_RING_INIT(txs);
	FRONT_RING_INIT(&vif->tx, txs, PAGE_SIZE);
	SHARED_RING_INIT(rxs);
	FRONT_RING_INIT(&vif->rx, rxs, PAGE_SIZE);
	vif->tx_ring_ref =
	    l0_device_grant_page(&vif->dev, vif->tx_ring_page, false);
	if (vif->tx_ring_ref < 0)
		return vif->tx_ring_ref;
	vif->rx_ring_ref =
	    l0_device_grant_page(&vif->dev, vif->rx_ring_page, false);
	if (vif->rx_ring_ref < 0)
		return vif->rx_ring_ref;
	for (id = 0; id < RX_BUFFERS; id++) {
		int ref;

		vif->rx_pages[id] = alloc_page(GFP_KERNEL);
		if (!vif->rx_pages[id])
			return -ENOMEM;
		ref = l0_device_grant_page(&vif->dev, vif->rx_pages[id], false);
		if (ref < 0)
			return ref;
		vif->rx_grants[id] = ref;
		rx_post(vif, id);
	}
	vif->rx.sring->req_prod = vif->rx.req_prod_pvt;
	return 0;
}

static int vif_connect(struct l0_vif *vif, const char *id)
{
	static const char *const features[][2] = {
	    {"request-rx-copy", "1"},
	    {"feature-rx-notify", "1"},
	    {"feature-sg", "0"},
	    {"feature-gso-tcpv4", "0"},
	    {"feature-no-csum-offload", "1"},
	    {"feature-ipv6-csum-offload", "0"},
	};
	u8 addr[ETH_ALEN];
	char mac[24];
	unsigned int i;
	int rc;

	rc = l0_device_init(&vif->dev, "vif", id);
	if (!rc)
		rc = l0_device_read(&vif->dev, "mac", mac, sizeof(mac));
	if (rc >= 0 && !mac_pton(mac, addr))
		rc = -EINVAL;
	if (rc >= 0)
		eth_hw_addr_set(vif->netdev, addr);
	if (rc >= 0)
		rc = l0_device_wait(&vif->dev, XenbusStateInitWait);
	if (rc < 0)
		return rc;
	rc = vif_rings(vif);
	if (!rc)
		rc = l0_device_write_uint(&vif->dev, "tx-ring-ref",
					  vif->tx_ring_ref);
	if (!rc)
		rc = l0_device_write_uint(&vif->dev, "rx-ring-ref",
					  vif->rx_ring_ref);
	if (!rc)
		rc = l0_device_bind(&vif->dev, vif_event, vif);
	for (i = 0; !rc && i < ARRAY_SIZE(features); i++)
		rc = l0_device_write(&vif->dev, features[i][0], features[i][1]);
	return rc ? rc : l0_device_connect(&vif->dev, XenbusStateConnected);
}

void l0_netfront_init(void)
{
	char ids[128];
	int n, i, rc;

	n = l0_xs_directory("device/vif", ids, sizeof(ids));
	for (i = 0; i < n && nr_vifs < MAX_VIFS; i += strlen(ids + i) + 1) {
		struct l0_vif *vif = &vifs[nr_vifs];
		struct net_device *nd = alloc_etherdev(sizeof(vif));

		if (!nd)
			break;
		*(struct l0_vif **)netdev_priv(nd) = vif;
		nd->netdev_ops = &vif_netdev_ops;
		nd->min_mtu = ETH_MIN_MTU;
		nd->max_mtu = ETH_DATA_LEN;
		strscpy(nd->name, "l0eth%d", IFNAMSIZ);
		vif->netdev = nd;
		spin_lock_init(&vif->lock);
		nr_vifs++;
		rc = vif_connect(vif, ids + i);
		if (!rc)
			rc = register_netdev(nd);
		if (rc) {
			pr_err("blanket-l0: vif %s: %d\n", ids + i, rc);
			continue;
		}
		pr_info("blanket-l0: vif %s: %s, MAC %pM\n", ids + i, nd->name,
			nd->dev_addr);
	}
	if (n < 0)
		pr_info("blanket-l0: no L0 network devices (%d)\n", n);
}

void l0_netfront_exit(void)
{
	unsigned int i, id;

	for (i = 0; i < nr_vifs; i++) {
		struct l0_vif *vif = &vifs[i];

		if (vif->netdev->reg_state == NETREG_REGISTERED)
			unregister_netdev(vif->netdev);
		l0_device_close(&vif->dev);
		for (id = 0; id < TX_SLOTS; id++)
			l0_device_free_page(vif->tx_pages[id],
					    vif->tx_grants[id]);
		for (id = 0; id < RX_BUFFERS; id++)
			l0_device_free_page(vif->rx_pages[id],
					    vif->rx_grants[id]);
		l0_device_free_page(vif->tx_ring_page, vif->tx_ring_ref);
		l0_device_free_page(vif->rx_ring_page, vif->rx_ring_ref);
		free_netdev(vif->netdev);
	}
}
