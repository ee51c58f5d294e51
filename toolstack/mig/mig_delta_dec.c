/* Page deltas at the destination (mig_delta.h).
 *
 * Nomenclature: *rec* holds one record collected whole, header included:
 * a PAGE_DATA record (only once there is a cache: it feeds the cache), or
 * one of ours; *drec* the PAGE_DATA record rebuilt from a page-delta one.
 *
 * A reader of headers (mig_xc.h), like the source's filter: the headers
 * of the framing and the bodies of libxc's other records pass through.
 * - delta-cache: checked, the cache allocated; nothing passes.
 * - PAGE_DATA: passes; with a cache, collected first, and the cache rule
 *   applied to each entry in order. One libxc would refuse ends the cache
 *   (broken): no page-delta record is accepted after it.
 * - page-delta: checked whole, each page rebuilt (its delta applied to the
 *   cached page) into drec in order, the cache rule applied as it goes,
 *   then drec passes in its place. Nothing of a record refused passes.
 * Anything wrong fails the write, and every write after it, with
 * BL_ERR_PROTO and a message. Output goes out in writes of up to OUT_CAP
 * bytes, all of it before a write returns. */
#include "toolstack/mig/mig_delta.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_xbzrle.h"
#include "toolstack/mig/mig_xc.h"

#define PAGE_REC_MAX                                                           \
	(MIG__REC_HDR_LEN + MIG__PAGE_DATA_HDR +                               \
	 MIG__BATCH_MAX * (MIG__PFN_LEN + MIG__PAGE_LEN))
/* A page-delta record's body: every page whole, each with its length. */
#define DELTA_LEN_MAX                                                          \
	(MIG__PAGE_DATA_HDR +                                                  \
	 MIG__BATCH_MAX * (MIG__PFN_LEN + 2 + MIG__PAGE_LEN))
#define OUT_CAP 262144u

enum state {
	REC = MIG__XC_OWN, /* collecting a record into rec */
	SKIP,
	PASS, /* not libxl's stream, or past its end: everything passes */
};

struct mig_delta_dec {
	struct bl_stream s;
	struct bl_stream *out;
	struct mig__xc_reader rd;
	struct mig__delta_cache cache;
	uint64_t slots_max;
	uint8_t *rec;
	size_t rec_have, rec_want, rec_cap;
	uint32_t rec_type;
	uint8_t *drec;
	size_t drec_cap;
	uint8_t *obuf;
	size_t olen;
	uint64_t rebuilt;
	bool page_seen; /* a PAGE_DATA record went by */
	bool broken;	/* one the cache rule could not read */
	int err;	/* the first error: sticks */
	char msg[BL_ERRMSG_MAX];
};

static void flush(struct mig_delta_dec *d)
{
	if (d->olen && !d->err)
		d->err = stream_write(d->out, d->obuf, d->olen);
	d->olen = 0;
}

static void emit(struct mig_delta_dec *d, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n && !d->err) {
		size_t k = OUT_CAP - d->olen < n ? OUT_CAP - d->olen : n;

		memcpy(d->obuf + d->olen, p, k);
		d->olen += k;
		p += k;
		n -= k;
		if (d->olen == OUT_CAP)
			flush(d);
	}
}

/* Refuse the stream: rc (BL_ERR_PROTO, or BL_ERR_NOMEM), for good. */
__attribute__((format(printf, 3, 4))) static void
fail(struct mig_delta_dec *d, int rc, const char *fmt, ...)
{
	va_list ap;

	if (d->err)
		return;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->err = rc;
	d->olen = 0; /* nothing more goes on */
}

static bool room(uint8_t **buf, size_t *cap, size_t n)
{
	uint8_t *p;

	if (n <= *cap)
		return true;
	p = realloc(*buf, n);
	if (!p)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

/* Begin collecting a record whose header is in head. */
static void collect(struct mig_delta_dec *d, uint32_t type, uint32_t len)
{
	size_t n = MIG__REC_HDR_LEN + mig__padded(len);

	if (!room(&d->rec, &d->rec_cap, n)) {
		fail(d, BL_ERR_NOMEM,
		     "no memory for a record of %" PRIu32 " bytes", len);
		return;
	}
	memcpy(d->rec, d->rd.head, MIG__REC_HDR_LEN);
	d->rec_have = MIG__REC_HDR_LEN;
	d->rec_want = n;
	d->rec_type = type;
	d->rd.state = REC;
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
			collect(d, type, len);
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
			collect(d, type, len);
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
	uint64_t slots = mig__le64(d->rec + MIG__REC_HDR_LEN);

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
	const uint8_t *body = d->rec + MIG__REC_HDR_LEN, *data;
	uint32_t len = mig__le32(d->rec + 4), count;

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
	emit(d, d->rec, d->rec_want);
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

/* A page-delta record collected: the PAGE_DATA record it stands for,
 * rebuilt into drec and passed on; or refused. */
static void page_delta(struct mig_delta_dec *d)
{
	const uint8_t *body = d->rec + MIG__REC_HDR_LEN, *p, *end;
	uint32_t len = mig__le32(d->rec + 4), count, pages = 0;
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
	for (size_t k = MIG__REC_HDR_LEN + len; k < d->rec_want; k++)
		if (d->rec[k]) {
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
	if (!room(&d->drec, &d->drec_cap,
		  MIG__REC_HDR_LEN + head + (size_t)MIG__PAGE_LEN * pages)) {
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
	for (uint32_t i = 0; i < count && !d->err; i++) {
		uint64_t v =
		    mig__le64(body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * i);
		uint8_t *dst = NULL;

		if (mig__xc_type_has_data((unsigned)(v >> MIG__TYPE_SHIFT))) {
			dst = data;
			data += MIG__PAGE_LEN;
			rebuild(d, i, v, &p, end, dst);
		}
		if (!d->err)
			mig__cache_apply(&d->cache, v, dst);
	}
	if (d->err)
		return;
	if (p != end) {
		fail(d, BL_ERR_PROTO,
		     "page-delta: length: %zu bytes after the last page",
		     (size_t)(end - p));
		return;
	}
	emit(d, d->drec, (size_t)(data - d->drec));
}

/* rec is whole: act on it, then read the next of libxc's records. */
static void rec_done(struct mig_delta_dec *d)
{
	if (d->rec_type == MIG__LIBXC_PAGE_DATA)
		page_data(d);
	else if (d->rec_type == MIG_DELTA_REC_CACHE)
		cache_rec(d);
	else
		page_delta(d);
	mig__xc_expect(&d->rd, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
}

/* head holds want bytes for a framing state: act on them. */
static void step(struct mig_delta_dec *d)
{
	uint32_t type = mig__le32(d->rd.head), len = mig__le32(d->rd.head + 4);
	size_t got = d->rd.want; /* before the reader moves on */
	enum mig__xc_step next;

	if (d->rd.state == MIG__XC_LIBXC_REC && MIG_DELTA_REC_MINE(type)) {
		mine(d, type, len);
		return;
	}
	next = mig__xc_frame(&d->rd);
	if (next == MIG__XC_PAGE_DATA) {
		d->page_seen = true;
		if (d->cache.slots && !d->broken &&
		    MIG__REC_HDR_LEN + mig__padded(len) <= PAGE_REC_MAX) {
			collect(d, type, len);
			return;
		}
		/* no cache to feed, or one libxc would refuse */
		if (d->cache.slots)
			d->broken = true;
		emit(d, d->rd.head, got);
		mig__xc_skip_then(&d->rd, mig__padded(len), MIG__XC_LIBXC_REC,
				  MIG__REC_HDR_LEN);
		return;
	}
	emit(d, d->rd.head, got);
	if (next == MIG__XC_END || next == MIG__XC_LOST)
		d->rd.state = PASS; /* nothing of ours can follow that libxc
				     * would reach */
}

static int dec_write(struct bl_stream *s, const void *buf, size_t len)
{
	struct mig_delta_dec *d = s->impl;
	const uint8_t *p = buf;

	while (len && !d->err) {
		size_t n = len;

		if (d->rd.state == PASS) {
			emit(d, p, n);
		} else if (d->rd.state == SKIP) {
			n = d->rd.skip < len ? (size_t)d->rd.skip : len;
			emit(d, p, n);
			d->rd.skip -= n;
			if (!d->rd.skip)
				d->rd.state = d->rd.after;
		} else if (d->rd.state == REC) {
			n = d->rec_want - d->rec_have < len
				? d->rec_want - d->rec_have
				: len;
			memcpy(d->rec + d->rec_have, p, n);
			d->rec_have += n;
			if (d->rec_have == d->rec_want)
				rec_done(d);
		} else {
			n = d->rd.want - d->rd.have < len
				? d->rd.want - d->rd.have
				: len;
			memcpy(d->rd.head + d->rd.have, p, n);
			d->rd.have += n;
			if (d->rd.have == d->rd.want)
				step(d);
		}
		p += n;
		len -= n;
	}
	flush(d);
	return d->err;
}

static int dec_read(struct bl_stream *s, void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_ERR_IO; /* a filter for writing */
}

static void dec_close(struct bl_stream *s)
{
	struct mig_delta_dec *d = s->impl;

	if (d->rd.state == REC && d->rec_type != MIG__LIBXC_PAGE_DATA)
		fail(d, BL_ERR_PROTO, "%s: cut short",
		     d->rec_type == MIG_DELTA_REC_CACHE ? "delta-cache"
							: "page-delta");
	else if (d->rd.state == REC)
		emit(d, d->rec, d->rec_have);
	else if (d->rd.state != SKIP && d->rd.state != PASS)
		emit(d, d->rd.head, d->rd.have);
	flush(d);
	d->rd.state = PASS;
}

static const struct bl_stream_ops dec_ops = {
    .read = dec_read,
    .write = dec_write,
    .close = dec_close,
};

int mig_delta_dec_new(struct bl_stream *out, uint64_t cache_max,
		      struct mig_delta_dec **d_r)
{
	struct mig_delta_dec *d = calloc(1, sizeof(*d));

	if (d)
		d->obuf = malloc(OUT_CAP);
	if (!d || !d->obuf) {
		mig_delta_dec_free(d);
		return BL_ERR_NOMEM;
	}
	if (!cache_max || cache_max > MIG_DELTA_CACHE_MAX)
		cache_max = MIG_DELTA_CACHE_MAX;
	d->slots_max = cache_max / MIG__PAGE_LEN;
	d->s.ops = &dec_ops;
	d->s.fd = out->fd;
	d->s.impl = d;
	d->s.deadline_ms = -1;
	d->out = out;
	mig__xc_init(&d->rd, SKIP);
	*d_r = d;
	return BL_OK;
}

struct bl_stream *mig_delta_dec_stream(struct mig_delta_dec *d)
{
	return &d->s;
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
	mig__cache_dispose(&d->cache);
	free(d->rec);
	free(d->drec);
	free(d->obuf);
	free(d);
}
