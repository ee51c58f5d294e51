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

/* Each piece mapped, copied, unmapped. */
static void copy_mapped(struct blk_grant *g, struct blk_copy *c, unsigned int n,
			bool to_guest)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t ref = c[i].gref;
		char *page = xengnttab_map_domain_grant_refs(
		    g->xgt, 1, g->domid, &ref,
		    to_guest ? PROT_READ | PROT_WRITE : PROT_READ);

		if (!page) {
			c[i].status = GNTST_bad_gntref;
			continue;
		}
		if (to_guest)
			memcpy(page + c[i].offset, c[i].local, c[i].len);
		else
			memcpy(c[i].local, page + c[i].offset, c[i].len);
		c[i].status = GNTST_okay;
		/* The data has moved; a mapping left behind costs only
		 * address space. */
		(void)xengnttab_unmap(g->xgt, page, 1);
	}
}

int blk_grant_copy(struct blk_grant *g, struct blk_copy *c, unsigned int n,
		   bool to_guest, char *err, size_t errlen)
{
	static xengnttab_grant_copy_segment_t op[BLK_GRANT_COPY_MAX];

	if (g->no_copy) {
		copy_mapped(g, c, n, to_guest);
		return BL_OK;
	}
	memset(op, 0, n * sizeof(op[0]));
	for (unsigned int i = 0; i < n; i++) {
		union xengnttab_copy_ptr *guest =
		    to_guest ? &op[i].dest : &op[i].source;

		guest->foreign.ref = c[i].gref;
		guest->foreign.offset = c[i].offset;
		guest->foreign.domid = g->domid;
		if (to_guest)
			op[i].source.virt = c[i].local;
		else
			op[i].dest.virt = c[i].local;
		op[i].len = c[i].len;
		op[i].flags =
		    to_guest ? GNTCOPY_dest_gref : GNTCOPY_source_gref;
	}
	if (xengnttab_grant_copy(g->xgt, n, op)) {
		if (errno == ENOSYS || errno == ENOTTY) {
			g->no_copy = true;
			copy_mapped(g, c, n, to_guest);
			return BL_OK;
		}
		snprintf(err, errlen, "grant copy: %s", strerror(errno));
		return BL_ERR_IO;
	}
	for (unsigned int i = 0; i < n; i++)
		c[i].status = op[i].status;
	return BL_OK;
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
