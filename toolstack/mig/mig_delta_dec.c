/* Page deltas at the destination (mig_delta.h).
 *
 * Nomenclature: *rec* holds one record collected whole, header included:
 * a PAGE_DATA record (only once there is a cache: it feeds the cache), or
 * one of ours; *drec* the PAGE_DATA record rebuilt from a page-delta one.
 *
 * A filter of libxl's stream (mig_filter.h), like the source's: the
 * headers of the framing and the bodies of libxc's other records pass
 * through.
 * - delta-cache: checked, the cache allocated; nothing passes.
 * - PAGE_DATA: passes; with a cache, collected first, and the cache rule
 *   applied to each entry in order. One libxc would refuse ends the cache
 *   (broken): no page-delta record is accepted after it.
 * - page-delta: checked whole, each page rebuilt (its delta applied to the
 *   cached page) into drec in order, the cache rule applied as it goes,
 *   then drec passes in its place. Nothing of a record refused passes.
 * Anything wrong fails the write, and every write after it, with
 * BL_ERR_PROTO and a message. */
#include "toolstack/mig/mig_delta.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_filter.h"
#include "toolstack/mig/mig_xbzrle.h"

/* A page-delta record's body: every page whole, each with its length. */
#define DELTA_LEN_MAX                                                          \
	(MIG__PAGE_DATA_HDR +                                                  \
	 MIG__BATCH_MAX * (MIG__PFN_LEN + 2 + MIG__PAGE_LEN))

struct mig_delta_dec {
	struct mig__filter f; /* first: the filter's stream is ours */
	struct mig__delta_cache cache;
	uint64_t slots_max;
	uint8_t *drec;
	size_t drec_cap;
	uint64_t rebuilt;
	bool page_seen; /* a PAGE_DATA record went by */
	bool broken;	/* one the cache rule could not read */
	char msg[BL_ERRMSG_MAX];
};

static struct mig_delta_dec *of(struct mig__filter *f)
{
	return (struct mig_delta_dec *)f;
}

/* Refuse the stream: rc (BL_ERR_PROTO, or BL_ERR_NOMEM), for good. */
__attribute__((format(printf, 3, 4))) static void
fail(struct mig_delta_dec *d, int rc, const char *fmt, ...)
{
	va_list ap;

	if (d->f.err)
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	mig__filter_fail(&d->f, rc);
}

/* Begin collecting a record whose header is in head. */
static void collect(struct mig_delta_dec *d, uint32_t len)
{
	if (!mig__filter_collect(&d->f, len))
		fail(d, BL_ERR_NOMEM,
		     "no memory for a record of %" PRIu32 " bytes", len);
}

/* The header of one of ours. */
static void mine(struct mig_delta_dec *d, uint32_t type, uint32_t len)
{
	if (type == MIG_DELTA_REC_CACHE) {
		if (len != 8)
			fail(d, BL_ERR_PROTO,
			     "delta-cache: length %" PRIu32 ", not 8", len);
		else if (d->cache.slots)
			fail(d, BL_ERR_PROTO, "delta-cache: twice");
		else if (d->page_seen)
			fail(d, BL_ERR_PROTO, "delta-cache: after page data");
		else
			collect(d, len);
	} else if (type == MIG_DELTA_REC_PAGES) {
		if (!d->cache.slots)
			fail(d, BL_ERR_PROTO,
			     "page-delta: no cache: no delta-cache before it");
		else if (d->broken)
			fail(d, BL_ERR_PROTO,
			     "page-delta: no cache: after a page-data record "
			     "libxc would refuse");
		else if (len > DELTA_LEN_MAX)
			fail(d, BL_ERR_PROTO,
			     "page-delta: length %" PRIu32
			     " over the limit of %u bytes",
			     len, (unsigned)DELTA_LEN_MAX);
		else
			collect(d, len);
	} else {
		fail(d, BL_ERR_PROTO,
		     "unknown private record type 0x%08" PRIx32, type);
	}
}

/* A cache of slots pages for people: "64 MiB", or "68 KiB". */
static const char *slots_size(uint64_t slots, char *buf, size_t len)
{
	uint64_t kib = slots * (MIG__PAGE_LEN / 1024);

	if (kib % 1024)
		snprintf(buf, len, "%" PRIu64 " KiB", kib);
	else
		snprintf(buf, len, "%" PRIu64 " MiB", kib / 1024);
	return buf;
}

static void cache_rec(struct mig_delta_dec *d)
{
	uint64_t slots = mig__le64(d->f.rec + MIG__REC_HDR_LEN);

	if (!slots || slots > d->slots_max) {
		char asked[32], limit[32];

		fail(d, BL_ERR_PROTO,
		     "delta-cache: %" PRIu64 " slots (%s) not in 1 to this "
		     "node's limit of %" PRIu64 " (%s)",
		     slots, slots_size(slots, asked, sizeof(asked)),
		     d->slots_max,
		     slots_size(d->slots_max, limit, sizeof(limit)));
		return;
	}
	if (mig__cache_init(&d->cache, slots))
		fail(d, BL_ERR_NOMEM,
		     "delta-cache: no memory for %" PRIu64 " pages", slots);
}

/* A PAGE_DATA record collected (there is a cache): the cache rule for
 * each entry, then it passes. */
static void page_data(struct mig_delta_dec *d)
{
	const uint8_t *body = d->f.rec + MIG__REC_HDR_LEN, *data;
	uint32_t len = mig__le32(d->f.rec + 4), count;

	if (!mig__xc_page_rec_valid(body, len)) {
		d->broken = true;
	} else {
		count = mig__le32(body);
		data = body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count;
		for (uint32_t i = 0; i < count; i++) {
			uint64_t v = mig__le64(body + MIG__PAGE_DATA_HDR +
					       MIG__PFN_LEN * i);
			const uint8_t *page = NULL;

			if (mig__xc_type_has_data(
				(unsigned)(v >> MIG__TYPE_SHIFT))) {
				page = data;
				data += MIG__PAGE_LEN;
			}
			mig__cache_apply(&d->cache, v, page);
		}
	}
	mig__filter_emit(&d->f, d->f.rec, d->f.rec_want);
}

/* Entry i's page (frame entry v) of a page-delta record, at *p (up to
 * end), rebuilt into dst; *p moves past it. */
static void rebuild(struct mig_delta_dec *d, uint32_t i, uint64_t v,
		    const uint8_t **p, const uint8_t *end, uint8_t *dst)
{
	uint64_t pfn = v & MIG__PFN_MASK;
	const uint8_t *old;
	const char *why;
	size_t n;

	if (end - *p < 2) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: length: cut short at entry %" PRIu32, i);
		return;
	}
	n = (size_t)(*p)[0] | (size_t)(*p)[1] << 8;
	*p += 2;
	if (!n) {
		if ((size_t)(end - *p) < MIG__PAGE_LEN) {
			fail(d, BL_ERR_PROTO,
			     "page-delta: length: cut short at entry %" PRIu32,
			     i);
			return;
		}
		memcpy(dst, *p, MIG__PAGE_LEN);
		*p += MIG__PAGE_LEN;
		return;
	}
	old = mig__cache_get(&d->cache, pfn);
	if (n > MIG__XBZRLE_MAX)
		why = "a delta over 4095 bytes";
	else if (v >> MIG__TYPE_SHIFT != MIG__TYPE_NOTAB)
		why = "a delta for a page that is not NOTAB";
	else if (!old)
		why = "not in the cache";
	else if ((size_t)(end - *p) < n)
		why = "delta cut short by the record's length";
	else
		why = NULL;
	if (why) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: entry %" PRIu32 ", frame 0x%" PRIx64 ": %s",
		     i, pfn, why);
		return;
	}
	if (mig__xbzrle_decode(old, *p, n, dst, &why)) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: entry %" PRIu32 ", frame 0x%" PRIx64
		     ": delta: %s",
		     i, pfn, why);
		return;
	}
	*p += n;
	d->rebuilt++;
}

/* Room in drec for a record of n bytes. */
static bool drec_room(struct mig_delta_dec *d, size_t n)
{
	uint8_t *p;

	if (n <= d->drec_cap)
		return true;
	p = realloc(d->drec, n);
	if (!p)
		return false;
	d->drec = p;
	d->drec_cap = n;
	return true;
}

/* A page-delta record collected: the PAGE_DATA record it stands for,
 * rebuilt into drec and passed on; or refused. */
static void page_delta(struct mig_delta_dec *d)
{
	const uint8_t *body = d->f.rec + MIG__REC_HDR_LEN, *p, *end;
	uint32_t len = mig__le32(d->f.rec + 4), count, pages = 0;
	uint8_t *data;
	size_t head;

	if (len < MIG__PAGE_DATA_HDR) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: length %" PRIu32 ": no count", len);
		return;
	}
	count = mig__le32(body);
	head = MIG__PAGE_DATA_HDR + (size_t)MIG__PFN_LEN * count;
	if (!count || count > MIG__BATCH_MAX || len < head) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: count: %" PRIu32
		     " not in 1 to %u, or over the length",
		     count, MIG__BATCH_MAX);
		return;
	}
	for (size_t k = MIG__REC_HDR_LEN + len; k < d->f.rec_want; k++)
		if (d->f.rec[k]) {
			fail(d, BL_ERR_PROTO, "page-delta: padding: not zero");
			return;
		}
	for (uint32_t i = 0; i < count; i++) {
		unsigned t = (unsigned)(mig__le64(body + MIG__PAGE_DATA_HDR +
						  MIG__PFN_LEN * i) >>
					MIG__TYPE_SHIFT);

		if (!mig__xc_type_known(t)) {
			fail(d, BL_ERR_PROTO,
			     "page-delta: entry %" PRIu32
			     ": frame type %u unknown",
			     i, t);
			return;
		}
		pages += mig__xc_type_has_data(t);
	}
	if (!drec_room(d, MIG__REC_HDR_LEN + head +
			      (size_t)MIG__PAGE_LEN * pages)) {
		fail(d, BL_ERR_NOMEM, "page-delta: no memory to rebuild it");
		return;
	}
	mig__put_le32(d->drec, MIG__LIBXC_PAGE_DATA);
	mig__put_le32(d->drec + 4,
		      (uint32_t)(head + (size_t)MIG__PAGE_LEN * pages));
	memcpy(d->drec + MIG__REC_HDR_LEN, body, head);
	data = d->drec + MIG__REC_HDR_LEN + head;
	p = body + head;
	end = body + len;
	for (uint32_t i = 0; i < count && !d->f.err; i++) {
		uint64_t v =
		    mig__le64(body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * i);
		uint8_t *dst = NULL;

		if (mig__xc_type_has_data((unsigned)(v >> MIG__TYPE_SHIFT))) {
			dst = data;
			data += MIG__PAGE_LEN;
			rebuild(d, i, v, &p, end, dst);
		}
		if (!d->f.err)
			mig__cache_apply(&d->cache, v, dst);
	}
	if (d->f.err)
		return;
	if (p != end) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: length: %zu bytes after the last page",
		     (size_t)(end - p));
		return;
	}
	mig__filter_emit(&d->f, d->drec, (size_t)(data - d->drec));
}

/* rec is whole: act on it, then read the next of libxc's records. */
static void record(struct mig__filter *f)
{
	struct mig_delta_dec *d = of(f);
	uint32_t type = mig__le32(f->rec);

	if (type == MIG__LIBXC_PAGE_DATA)
		page_data(d);
	else if (type == MIG_DELTA_REC_CACHE)
		cache_rec(d);
	else
		page_delta(d);
	mig__xc_expect(&f->rd, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
}

/* head holds want bytes for a framing state: act on them. */
static void header(struct mig__filter *f)
{
	struct mig_delta_dec *d = of(f);
	uint32_t type = mig__le32(f->rd.head), len = mig__le32(f->rd.head + 4);
	size_t got = f->rd.want; /* before the reader moves on */
	enum mig__xc_step next;

	if (f->rd.state == MIG__XC_LIBXC_REC && MIG_DELTA_REC_MINE(type)) {
		mine(d, type, len);
		return;
	}
	next = mig__xc_frame(&f->rd);
	if (next == MIG__XC_PAGE_DATA) {
		d->page_seen = true;
		if (d->cache.slots && !d->broken &&
		    MIG__REC_HDR_LEN + mig__padded(len) <= MIG__PAGE_REC_MAX) {
			collect(d, len);
			return;
		}
		/* no cache to feed, or one libxc would refuse */
		if (d->cache.slots)
			d->broken = true;
		mig__filter_emit(f, f->rd.head, got);
		mig__xc_skip_then(&f->rd, mig__padded(len), MIG__XC_LIBXC_REC,
				  MIG__REC_HDR_LEN);
		return;
	}
	mig__filter_emit(f, f->rd.head, got);
	if (next == MIG__XC_END || next == MIG__XC_LOST)
		f->rd.state = MIG__FILTER_PASS; /* nothing of ours can follow
						 * that libxc would reach */
}

/* Closed while a record is collected: one of libxc's passes as it came,
 * one of ours cut short is an error. */
static void close_record(struct mig__filter *f)
{
	uint32_t type = mig__le32(f->rec);

	if (type == MIG__LIBXC_PAGE_DATA)
		mig__filter_emit(f, f->rec, f->rec_have);
	else
		fail(of(f), BL_ERR_PROTO, "%s: cut short",
		     type == MIG_DELTA_REC_CACHE ? "delta-cache"
						 : "page-delta");
}

static const struct mig__filter_ops dec_ops = {
    .header = header,
    .record = record,
    .close_record = close_record,
};

int mig_delta_dec_new(struct bl_stream *out, uint64_t cache_max,
		      struct mig_delta_dec **d_r)
{
	struct mig_delta_dec *d = calloc(1, sizeof(*d));

	if (!d)
		return BL_ERR_NOMEM;
	if (mig__filter_init(&d->f, out, &dec_ops)) {
		mig_delta_dec_free(d);
		return BL_ERR_NOMEM;
	}
	if (!cache_max || cache_max > MIG_DELTA_CACHE_MAX)
		cache_max = MIG_DELTA_CACHE_MAX;
	d->slots_max = cache_max / MIG__PAGE_LEN;
	*d_r = d;
	return BL_OK;
}

struct bl_stream *mig_delta_dec_stream(struct mig_delta_dec *d)
{
	return &d->f.s;
}

const char *mig_delta_dec_error(const struct mig_delta_dec *d)
{
	return d->msg[0] ? d->msg : NULL;
}

uint64_t mig_delta_dec_pages(const struct mig_delta_dec *d)
{
	return d->rebuilt;
}

void mig_delta_dec_free(struct mig_delta_dec *d)
{
	if (!d)
		return;
	mig__filter_dispose(&d->f);
	mig__cache_dispose(&d->cache);
	free(d->drec);
	free(d);
}
