/* Moving data through grants (blk_grant.h). */
#include "drivers/blk/blk_grant.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <xen/grant_table.h>

int blk_grant_open(struct blk_grant *g, uint16_t domid, char *err,
		   size_t errlen)
{
	g->xgt = xengnttab_open(NULL, 0);
	if (!g->xgt) {
		snprintf(err, errlen, "cannot open gntdev: %s",
			 strerror(errno));
		return BL_ERR_IO;
	}
	g->domid = domid;
	g->no_copy = false;
	return BL_OK;
}

void blk_grant_close(struct blk_grant *g)
{
	if (g->xgt)
		xengnttab_close(g->xgt);
	g->xgt = NULL;
}

/* Each segment mapped, copied, unmapped. */
static int copy_mapped(struct blk_grant *g, const struct blk_req *req,
		       char *buf, bool to_guest, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < req->nsegs; i++) {
		const struct blk_seg *s = &req->seg[i];
		uint32_t ref = s->gref;
		char *page = xengnttab_map_domain_grant_refs(
		    g->xgt, 1, g->domid, &ref,
		    to_guest ? PROT_READ | PROT_WRITE : PROT_READ);

		if (!page) {
			snprintf(err, errlen,
				 "segment %u: grant %u of domain %u cannot be "
				 "mapped: %s",
				 i, s->gref, g->domid, strerror(errno));
			return BL_ERR_IO;
		}
		if (to_guest)
			memcpy(page + blk_seg_offset(s), buf, blk_seg_len(s));
		else
			memcpy(buf, page + blk_seg_offset(s), blk_seg_len(s));
		buf += blk_seg_len(s);
		/* The data has moved; a mapping left behind costs only
		 * address space, and the request stands. */
		(void)xengnttab_unmap(g->xgt, page, 1);
	}
	return BL_OK;
}

int blk_grant_copy(struct blk_grant *g, const struct blk_req *req, void *buf,
		   bool to_guest, char *err, size_t errlen)
{
	xengnttab_grant_copy_segment_t op[BLK_MAX_SEGS];
	char *at = buf;

	if (g->no_copy)
		return copy_mapped(g, req, buf, to_guest, err, errlen);
	memset(op, 0, sizeof(op));
	for (unsigned int i = 0; i < req->nsegs; i++) {
		const struct blk_seg *s = &req->seg[i];
		union xengnttab_copy_ptr *guest =
		    to_guest ? &op[i].dest : &op[i].source;

		guest->foreign.ref = s->gref;
		guest->foreign.offset = (uint16_t)blk_seg_offset(s);
		guest->foreign.domid = g->domid;
		if (to_guest)
			op[i].source.virt = at;
		else
			op[i].dest.virt = at;
		op[i].len = (uint16_t)blk_seg_len(s);
		op[i].flags =
		    to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
		at += blk_seg_len(s);
	}
	if (xengnttab_grant_copy(g->xgt, req->nsegs, op)) {
		if (errno == ENOSYS || errno == ENOTTY) {
			g->no_copy = true;
			return copy_mapped(g, req, buf, to_guest, err, errlen);
		}
		snprintf(err, errlen, "grant copy: %s", strerror(errno));
		return BL_ERR_IO;
	}
	for (unsigned int i = 0; i < req->nsegs; i++)
		if (op[i].status != GNTST_okay) {
			snprintf(err, errlen,
				 "segment %u: grant %u of domain %u: copy "
				 "status %d",
				 i, req->seg[i].gref, g->domid, op[i].status);
			return BL_ERR_IO;
		}
	return BL_OK;
}

int blk_grant_copy_pages(struct blk_grant *g, const uint32_t *refs,
			 unsigned int n, void *buf, char *err, size_t errlen)
{
	static struct blk_req whole; /* the pages as a read's segments */

	memset(&whole, 0, sizeof(whole));
	for (unsigned int i = 0; i < n; i++)
		whole.seg[i] = (struct blk_seg){refs[i], 0,
						BLK_SECTORS_PER_PAGE - 1};
	whole.nsegs = n;
	return blk_grant_copy(g, &whole, buf, false, err, errlen);
}

void *blk_grant_map_ring(struct blk_grant *g, const uint32_t *refs,
			 unsigned int n)
{
	return xengnttab_map_domain_grant_refs(
	    g->xgt, n, g->domid, (uint32_t *)refs, PROT_READ | PROT_WRITE);
}

void blk_grant_unmap_ring(struct blk_grant *g, void *ring, unsigned int n)
{
	if (ring)
		(void)xengnttab_unmap(g->xgt, ring, n);
}
