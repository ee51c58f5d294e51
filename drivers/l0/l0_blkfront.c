// SPDX-License-Identifier: GPL-2.0
/*
 * blanket-l0's block frontend for the L0's virtual block devices (the
 * disks the L0's toolstack gave this guest, served by the L0's blkback):
 * it connects to each one as Linux's xen-blkfront does (a shared ring
 * granted to the backend, an L0 event channel, the frontend's keys, the
 * state handshake) and gives it to the L1 dom0 as a block device, l0xvdX.
 * One ring slot per request, at most BLKIF_MAX_SEGMENTS_PER_REQUEST pages,
 * each granted for the request only (no persistent grants, no indirect
 * segments, no flush or discard yet).
 */
#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/gfp.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <xen/interface/io/blkif.h>
#include <xen/interface/io/protocols.h>
#include <xen/interface/io/xenbus.h>
#include <asm/xen/page.h>

#include "l0.h"

#define MAX_VBDS 4

struct l0_vbd {
	struct l0_device dev;
	unsigned int vdev;
	struct page *ring_page;
	struct blkif_front_ring ring;
	spinlock_t ring_lock;
	int ring_ref;
	unsigned long long sectors, sector_size;
	struct blk_mq_tag_set tag_set;
	struct gendisk *disk;
};

/* What a request holds while the backend has it: its grants. */
struct l0_vbd_request {
	unsigned int nr_grants;
	grant_ref_t grants[BLKIF_MAX_SEGMENTS_PER_REQUEST];
	blk_status_t status;
};

static struct l0_vbd vbds[MAX_VBDS];
static unsigned int nr_vbds;
static int major;

static void end_grants(struct l0_vbd_request *r)
{
	unsigned int i;

	/* blkback unmaps before it answers; a grant still mapped stays. */
	for (i = 0; i < r->nr_grants; i++)
		if (l0_grant_end(r->grants[i]))
			pr_warn_ratelimited(
			    "blanket-l0: grant %u still mapped\n",
			    r->grants[i]);
	r->nr_grants = 0;
}

/* In interrupt context: the backend answered. */
static void vbd_event(void *data)
{
	struct l0_vbd *v = data;
	unsigned long flags;
	RING_IDX i, prod;
	int more;

	spin_lock_irqsave(&v->ring_lock, flags);
	do {
		prod = READ_ONCE(v->ring.sring->rsp_prod);
		virt_rmb();
		for (i = v->ring.rsp_cons; i != prod; i++) {
			struct blkif_response *rsp;
			struct l0_vbd_request *r;
			struct request *rq;

			rsp = RING_GET_RESPONSE(&v->ring, i);
			if (rsp->id >= v->tag_set.queue_depth)
				continue; /* not a request of ours */
			rq = blk_mq_tag_to_rq(v->tag_set.tags[0], rsp->id);
			if (!rq)
				continue;
			r = blk_mq_rq_to_pdu(rq);
			end_grants(r);
			r->status = rsp->status == BLKIF_RSP_OKAY
					? BLK_STS_OK
					: BLK_STS_IOERR;
			blk_mq_complete_request(rq);
		}
		v->ring.rsp_cons = prod;
		RING_FINAL_CHECK_FOR_RESPONSES(&v->ring, more);
	} while (more);
	spin_unlock_irqrestore(&v->ring_lock, flags);
}

static blk_status_t vbd_queue_rq(struct blk_mq_hw_ctx *hctx,
				 const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct l0_vbd *v = rq->q->queuedata;
	struct l0_vbd_request *r = blk_mq_rq_to_pdu(rq);
	bool write = rq_data_dir(rq) == WRITE;
	struct blkif_request *req;
	struct req_iterator iter;
	struct bio_vec bvec;
	unsigned long flags;
	int notify;

	if (req_op(rq) != REQ_OP_READ && req_op(rq) != REQ_OP_WRITE)
		return BLK_STS_NOTSUPP;
	blk_mq_start_request(rq);
	spin_lock_irqsave(&v->ring_lock, flags);
	/* The queue is as deep as the ring: a slot is always free. */
	req = RING_GET_REQUEST(&v->ring, v->ring.req_prod_pvt);
	req->operation = write ? BLKIF_OP_WRITE : BLKIF_OP_READ;
	req->u.rw.handle = v->vdev;
	req->u.rw.id = rq->tag;
	req->u.rw.sector_number = blk_rq_pos(rq);
	r->nr_grants = 0;
	rq_for_each_segment(bvec, rq, iter)
	{
		struct blkif_request_segment *seg;
		int ref;

		if (r->nr_grants == BLKIF_MAX_SEGMENTS_PER_REQUEST)
			goto fail;
		/* The backend only reads what we write: read-only grants. */
		ref = l0_device_grant_page(&v->dev, bvec.bv_page, write);
		if (ref < 0)
			goto fail;
		seg = &req->u.rw.seg[r->nr_grants];
		r->grants[r->nr_grants++] = ref;
		seg->gref = ref;
		seg->first_sect = bvec.bv_offset >> SECTOR_SHIFT;
		seg->last_sect =
		    seg->first_sect + (bvec.bv_len >> SECTOR_SHIFT) - 1;
	}
	req->u.rw.nr_segments = r->nr_grants;
	v->ring.req_prod_pvt++;
	RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&v->ring, notify);
	spin_unlock_irqrestore(&v->ring_lock, flags);
	if (notify)
		l0_port_notify(v->dev.port);
	return BLK_STS_OK;

fail:
	end_grants(r);
	spin_unlock_irqrestore(&v->ring_lock, flags);
	return BLK_STS_RESOURCE;
}

/* Out of interrupt context: the request as the backend answered it. */
static void vbd_complete_rq(struct request *rq)
{
	struct l0_vbd_request *r = blk_mq_rq_to_pdu(rq);

	blk_mq_end_request(rq, r->status);
}

static const struct blk_mq_ops vbd_mq_ops = {
    .queue_rq = vbd_queue_rq,
    .complete = vbd_complete_rq,
};

static const struct block_device_operations vbd_fops = {
    .owner = THIS_MODULE,
};

static int vbd_connect(struct l0_vbd *v, const char *id)
{
	struct blkif_sring *sring;
	int rc;

	rc = l0_device_init(&v->dev, "vbd", id);
	if (!rc)
		rc = l0_device_wait(&v->dev, XenbusStateInitWait);
	if (rc < 0)
		return rc;

	v->ring_page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!v->ring_page)
		return -ENOMEM;
	sring = page_address(v->ring_page);
	SHARED_RING_INIT(sring);
	FRONT_RING_INIT(&v->ring, sring, PAGE_SIZE);
	v->ring_ref = l0_device_grant_page(&v->dev, v->ring_page, false);
	if (v->ring_ref < 0)
		return v->ring_ref;
	rc = l0_device_write_uint(&v->dev, "ring-ref", v->ring_ref);
	if (!rc)
		rc = l0_device_bind(&v->dev, vbd_event, v);
	if (!rc)
		rc = l0_device_write(&v->dev, "protocol",
				     XEN_IO_PROTO_ABI_NATIVE);
	if (!rc)
		rc = l0_device_connect(&v->dev, XenbusStateInitialised);
	if (!rc)
		rc = l0_device_read_backend_uint(&v->dev, "sectors",
						 &v->sectors);
	if (!rc)
		rc = l0_device_read_backend_uint(&v->dev, "sector-size",
						 &v->sector_size);
	if (!rc)
		rc = l0_device_write_uint(&v->dev, "state",
					  XenbusStateConnected);
	return rc;
}

/* The connected device as the L1 dom0's block device l0xvd<letter>. */
static int vbd_add_disk(struct l0_vbd *v, unsigned int index)
{
	struct request_queue *q;
	int rc;

	if (v->sector_size < SECTOR_SIZE || v->sector_size > PAGE_SIZE ||
	    !is_power_of_2(v->sector_size))
		return -EINVAL;
	v->tag_set.ops = &vbd_mq_ops;
	v->tag_set.nr_hw_queues = 1;
	v->tag_set.queue_depth = RING_SIZE(&v->ring);
	v->tag_set.numa_node = NUMA_NO_NODE;
	v->tag_set.cmd_size = sizeof(struct l0_vbd_request);
	v->tag_set.flags = BLK_MQ_F_SHOULD_MERGE;
	rc = blk_mq_alloc_tag_set(&v->tag_set);
	if (rc)
		return rc;
	v->disk = blk_mq_alloc_disk(&v->tag_set, v);
	if (IS_ERR(v->disk)) {
		rc = PTR_ERR(v->disk);
		v->disk = NULL;
		blk_mq_free_tag_set(&v->tag_set);
		return rc;
	}
	q = v->disk->queue;
	/* One page per segment, never across a page: one grant each. */
	blk_queue_logical_block_size(q, v->sector_size);
	blk_queue_max_segments(q, BLKIF_MAX_SEGMENTS_PER_REQUEST);
	blk_queue_max_segment_size(q, PAGE_SIZE);
	blk_queue_segment_boundary(q, PAGE_SIZE - 1);
	blk_queue_max_hw_sectors(q, BLKIF_MAX_SEGMENTS_PER_REQUEST *
					(PAGE_SIZE >> SECTOR_SHIFT));
	v->disk->major = major;
	v->disk->first_minor = index * 16;
	v->disk->minors = 16;
	v->disk->fops = &vbd_fops;
	v->disk->private_data = v;
	snprintf(v->disk->disk_name, DISK_NAME_LEN, "l0xvd%c", 'a' + index);
	set_capacity(v->disk, v->sectors * (v->sector_size >> SECTOR_SHIFT));
	rc = device_add_disk(NULL, v->disk, NULL);
	if (rc) {
		put_disk(v->disk);
		v->disk = NULL;
		blk_mq_free_tag_set(&v->tag_set);
	}
	return rc;
}

void l0_blkfront_init(void)
{
	char ids[128];
	int n, i, rc;

	major = register_blkdev(0, "l0xvd");
	if (major < 0) {
		pr_err("blanket-l0: no block major: %d\n", major);
		return;
	}
	n = l0_xs_directory("device/vbd", ids, sizeof(ids));
	for (i = 0; i < n && nr_vbds < MAX_VBDS; i += strlen(ids + i) + 1) {
		struct l0_vbd *v = &vbds[nr_vbds];

		if (kstrtouint(ids + i, 10, &v->vdev))
			continue;
		spin_lock_init(&v->ring_lock);
		nr_vbds++;
		rc = vbd_connect(v, ids + i);
		if (!rc)
			rc = vbd_add_disk(v, nr_vbds - 1);
		if (rc) {
			pr_err("blanket-l0: vbd %u: %d\n", v->vdev, rc);
			continue;
		}
		pr_info("blanket-l0: vbd %u: %s, %llu sectors of %llu bytes\n",
			v->vdev, v->disk->disk_name, v->sectors,
			v->sector_size);
	}
	if (n < 0)
		pr_info("blanket-l0: no L0 block devices (%d)\n", n);
}

void l0_blkfront_exit(void)
{
	unsigned int i;

	for (i = 0; i < nr_vbds; i++) {
		struct l0_vbd *v = &vbds[i];

		if (v->disk) {
			del_gendisk(v->disk);
			put_disk(v->disk);
			blk_mq_free_tag_set(&v->tag_set);
		}
		l0_device_close(&v->dev);
		l0_device_free_page(v->ring_page, v->ring_ref);
	}
	if (major > 0)
		unregister_blkdev(major, "l0xvd");
}
