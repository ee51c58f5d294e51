/* Requests served together (blk_batch.h). */
#include "drivers/blk/blk_batch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>

/* The pieces of one grant copy: one batch at a time per process. */
static struct blk_copy copies[BLK_GRANT_COPY_MAX];

_Static_assert(BLK_BATCH_REQS *BLK_MAX_SEGS <= BLK_GRANT_COPY_MAX,
	       "a batch's segments fit one grant copy");
_Static_assert(BLK_MAX_SEGS *BLK_PAGE <= BLK_BATCH_BYTES,
	       "the largest request fits an empty batch");

void blk_batch_init(struct blk_batch *b)
{
	b->n = 0;
	b->bytes = 0;
}

/* The most bytes req can move: its segments', whole pages. */
static size_t room_for(const struct blk_req *req)
{
	return (size_t)(req->indirect_pages ? req->indirect_segs : req->nsegs) *
	       BLK_PAGE;
}

bool blk_batch_add(struct blk_batch *b, const struct blk_req *req)
{
	size_t need = room_for(req);
	struct blk_batch_item *it;

	if (b->n == BLK_BATCH_REQS || need > sizeof(b->buf) - b->bytes)
		return false;
	it = &b->item[b->n++];
	it->req = *req;
	it->at = b->bytes;
	it->status = BLKIF_RSP_OKAY;
	it->refused = false;
	it->why[0] = '\0';
	b->bytes += need;
	return true;
}

__attribute__((format(printf, 3, 4))) static void
fail(struct blk_batch_item *it, int16_t status, const char *fmt, ...)
{
	va_list ap;

	it->status = status;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof(it->why), fmt, ap);
	va_end(ap);
}

static bool is_read(const struct blk_batch_item *it)
{
	return it->req.op == BLK_OP_READ;
}

/* Each indirect request's pages, copied off the guest in one call, then
 * its segments checked from that copy. */
static void take_indirect(struct blk_batch *b, struct blk_grant *g,
			  uint64_t sectors)
{
	char err[BL_ERRMSG_MAX];
	unsigned int n = 0;
	int16_t status;

	for (unsigned int i = 0; i < b->n; i++)
		for (unsigned int p = 0; p < b->item[i].req.indirect_pages; p++)
			copies[n++] = (struct blk_copy){
			    .gref = b->item[i].req.indirect_gref[p],
			    .len = BLK_PAGE,
			    .local =
				b->pages +
				(i * BLK_MAX_INDIRECT_PAGES + p) * BLK_PAGE,
			};
	if (!n)
		return;
	if (blk_grant_copy(g, copies, n, false, err, sizeof(err))) {
		for (unsigned int i = 0; i < b->n; i++)
			if (b->item[i].req.indirect_pages)
				fail(&b->item[i], BLKIF_RSP_ERROR,
				     "its indirect page: %s", err);
		return;
	}
	n = 0;
	for (unsigned int i = 0; i < b->n; i++) {
		struct blk_batch_item *it = &b->item[i];

		for (unsigned int p = 0; p < it->req.indirect_pages; p++, n++)
			if (copies[n].status && !it->status)
				fail(it, BLKIF_RSP_ERROR,
				     "indirect page %u: grant %u: copy status "
				     "%d",
				     p, copies[n].gref, copies[n].status);
		if (!it->req.indirect_pages || it->status)
			continue;
		if (blk_req_take_indirect(
			&it->req,
			b->pages + i * BLK_MAX_INDIRECT_PAGES * BLK_PAGE,
			sectors, &status, it->why, sizeof(it->why))) {
			it->status = status;
			it->refused = true;
		}
	}
}

/* The data of the requests still standing that move it one way: the
 * writes' from the guest (reads false), the reads' to it (reads true). */
static void copy_data(struct blk_batch *b, struct blk_grant *g, bool reads)
{
	char err[BL_ERRMSG_MAX];
	unsigned int n = 0;

	for (unsigned int i = 0; i < b->n; i++) {
		struct blk_batch_item *it = &b->item[i];
		unsigned char *at = b->buf + it->at;

		if (it->status || is_read(it) != reads)
			continue;
		for (unsigned int s = 0; s < it->req.nsegs; s++) {
			const struct blk_seg *seg = &it->req.seg[s];

			copies[n++] = (struct blk_copy){
			    .gref = seg->gref,
			    .offset = (uint16_t)blk_seg_offset(seg),
			    .len = (uint16_t)blk_seg_len(seg),
			    .local = at,
			};
			at += blk_seg_len(seg);
		}
	}
	if (!n)
		return;
	if (blk_grant_copy(g, copies, n, reads, err, sizeof(err))) {
		for (unsigned int i = 0; i < b->n; i++)
			if (!b->item[i].status &&
			    is_read(&b->item[i]) == reads &&
			    b->item[i].req.nsegs)
				fail(&b->item[i], BLKIF_RSP_ERROR, "%s", err);
		return;
	}
	n = 0;
	for (unsigned int i = 0; i < b->n; i++) {
		struct blk_batch_item *it = &b->item[i];

		if (it->status || is_read(it) != reads)
			continue;
		for (unsigned int s = 0; s < it->req.nsegs; s++, n++)
			if (copies[n].status && !it->status)
				fail(it, BLKIF_RSP_ERROR,
				     "segment %u: grant %u of the guest: copy "
				     "status %d",
				     s, copies[n].gref, copies[n].status);
	}
}

static size_t data_len(const struct blk_batch_item *it)
{
	return it->req.nsegs ? (size_t)it->req.nsectors * BLK_SECTOR : 0;
}

/* b follows a in one system call: both move data the same way, b starts
 * where a ends on the image and in the buffer, and a is no FUA write
 * (whose flush ends a run). */
static bool joins(const struct blk_batch_item *a,
		  const struct blk_batch_item *b)
{
	return !b->status && data_len(b) && is_read(a) == is_read(b) &&
	       a->req.op != BLK_OP_FLUSH &&
	       a->req.sector + a->req.nsectors == b->req.sector &&
	       a->at + data_len(a) == b->at;
}

/* The image's part, request after request in the ring's order, so that a
 * read sees a write taken before it; adjacent ones in one call. */
static void image_pass(struct blk_batch *b, struct blk_image *img)
{
	unsigned int i = 0, j;

	while (i < b->n) {
		struct blk_batch_item *it = &b->item[i];
		struct iovec iov;
		int rc;

		if (it->status) {
			i++;
			continue;
		}
		if (!data_len(it)) {
			rc = it->req.op == BLK_OP_DISCARD
				 ? blk_image_discard(img, it->req.sector,
						     it->req.nsectors)
				 : blk_image_flush(img);
			if (rc)
				fail(it, BLKIF_RSP_ERROR, "%s",
				     bl_strerror(rc));
			i++;
			continue;
		}
		iov = (struct iovec){b->buf + it->at, data_len(it)};
		for (j = i + 1; j < b->n && joins(&b->item[j - 1], &b->item[j]);
		     j++)
			iov.iov_len += data_len(&b->item[j]);
		rc = is_read(it)
			 ? blk_image_read(img, it->req.sector, &iov, 1)
			 : blk_image_write(img, it->req.sector, &iov, 1);
		if (!rc && b->item[j - 1].req.op == BLK_OP_FLUSH)
			rc = blk_image_flush(img);
		for (; rc && i < j; i++)
			fail(&b->item[i], BLKIF_RSP_ERROR, "%s",
			     bl_strerror(rc));
		i = j;
	}
}

void blk_batch_serve(struct blk_batch *b, struct blk_grant *g,
		     struct blk_image *img)
{
	take_indirect(b, g, img->sectors);
	copy_data(b, g, false);
	image_pass(b, img);
	copy_data(b, g, true);
}

bool blk_batch_wrote(const struct blk_batch_item *it)
{
	return !it->status && !is_read(it) &&
	       (it->req.op == BLK_OP_DISCARD || it->req.nsegs);
}
