/* Page deltas at the source (mig_delta.h).
 *
 * Nomenclature: a *record* is one of libxc's; *rec* holds a PAGE_DATA
 * record collected whole, header included; the *cache* is the pages sent
 * last (mig_xbzrle.h), one per slot.
 *
 * A reader of headers (mig_xc.h), like the zero-page filter: the headers
 * of the framing and the bodies of other records pass through. For each
 * PAGE_DATA record, once collected:
 * 1. the first one is preceded by the delta-cache record;
 * 2. its entries, in order: each NOTAB page whose frame is in the cache is
 *    encoded against it into scratch, then every entry applies the cache
 *    rule (the destination applies it at the same point);
 * 3. with no delta, the record passes as it came; otherwise a page-delta
 *    record is written in its place, piece by piece.
 * Output goes out in writes of up to OUT_CAP bytes, all of it before a
 * write returns. */
#include "toolstack/mig/mig_delta.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_xbzrle.h"
#include "toolstack/mig/mig_xc.h"

#define REC_MAX                                                                \
	(MIG__REC_HDR_LEN + MIG__PAGE_DATA_HDR +                               \
	 MIG__BATCH_MAX * (MIG__PFN_LEN + MIG__PAGE_LEN))
/* Frames the sent bitmap covers (guests of up to 1 TiB); a frame above
 * never counts as a miss. */
#define PFN_LIMIT (1ull << 28)
#define OUT_CAP	  262144u

enum state {
	PAGE_REC = MIG__XC_OWN, /* collecting a PAGE_DATA record into rec */
	SKIP,
	PASS, /* lost, or past libxl's end: everything passes through */
};

struct mig_delta_enc {
	struct bl_stream s;
	struct bl_stream *out;
	struct mig__xc_reader rd;
	struct mig__delta_cache cache;
	uint8_t *rec;
	size_t rec_have, rec_want, rec_cap;
	uint8_t *scratch; /* one record's deltas, one after the other */
	uint8_t *sent;	  /* bitmap: frames sent as NOTAB */
	size_t sent_len;
	uint8_t *obuf;
	size_t olen;
	struct mig_delta_stats st;
	bool announced; /* the delta-cache record went */
	bool lost;
	int err; /* out's first error: sticks */
};

static void flush(struct mig_delta_enc *e)
{
	if (e->olen && !e->err)
		e->err = stream_write(e->out, e->obuf, e->olen);
	e->olen = 0;
}

static void emit(struct mig_delta_enc *e, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n && !e->err) {
		size_t k = OUT_CAP - e->olen < n ? OUT_CAP - e->olen : n;

		memcpy(e->obuf + e->olen, p, k);
		e->olen += k;
		p += k;
		n -= k;
		if (e->olen == OUT_CAP)
			flush(e);
	}
}

static void lose(struct mig_delta_enc *e)
{
	e->lost = true;
	e->rd.state = PASS;
}

/* Whether frame pfn went as NOTAB before (a frame above the bitmap, or
 * out of memory for it, never did); it has now. */
static bool sent_before(struct mig_delta_enc *e, uint64_t pfn)
{
	size_t len = e->sent_len ? e->sent_len : 4096;
	uint8_t bit = (uint8_t)(1u << (pfn % 8));
	bool was;

	if (pfn >= PFN_LIMIT)
		return false;
	if (pfn / 8 >= e->sent_len) {
		uint8_t *p;

		while (len <= pfn / 8)
			len *= 2;
		p = realloc(e->sent, len);
		if (!p)
			return false;
		memset(p + e->sent_len, 0, len - e->sent_len);
		e->sent = p;
		e->sent_len = len;
	}
	was = e->sent[pfn / 8] & bit;
	e->sent[pfn / 8] |= bit;
	return was;
}

/* The delta-cache record: the destination's cache, the size of ours. */
static void announce(struct mig_delta_enc *e)
{
	uint8_t r[MIG__REC_HDR_LEN + 8];

	mig__put_le32(r, MIG_DELTA_REC_CACHE);
	mig__put_le32(r + 4, 8);
	mig__put_le64(r + 8, e->cache.slots);
	emit(e, r, sizeof(r));
	e->st.bytes_out += sizeof(r);
	e->announced = true;
}

/* A NOTAB page of frame pfn: the length of its delta, written at
 * e->scratch + *soff, or 0: it goes whole. */
static uint16_t try_delta(struct mig_delta_enc *e, uint64_t pfn,
			  const uint8_t *page, size_t *soff)
{
	const uint8_t *old = mig__cache_get(&e->cache, pfn);
	bool again = sent_before(e, pfn);
	size_t n;

	e->st.pages++;
	if (!old) {
		e->st.misses += again;
		return 0;
	}
	n = mig__xbzrle_encode(old, page, e->scratch + *soff, MIG__XBZRLE_CAP);
	if (!n) {
		e->st.overflows++;
		return 0;
	}
	e->st.hits++;
	*soff += n;
	return (uint16_t)n;
}

/* The page-delta record in rec's place: rec's count, reserved and
 * entries, then each page's length and its delta (from scratch, in
 * order) or the page. */
static void write_deltas(struct mig_delta_enc *e, const uint16_t *dlen,
			 size_t pages)
{
	static const uint8_t zero[8];
	const uint8_t *body = e->rec + MIG__REC_HDR_LEN;
	uint32_t count = mig__le32(body);
	size_t head = MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count, soff = 0;
	const uint8_t *data = body + head;
	uint64_t len = head;
	uint8_t b[MIG__REC_HDR_LEN];

	for (size_t k = 0; k < pages; k++)
		len += 2 + (dlen[k] ? dlen[k] : MIG__PAGE_LEN);
	mig__put_le32(b, MIG_DELTA_REC_PAGES);
	mig__put_le32(b + 4, (uint32_t)len); /* under 4.2 MiB */
	emit(e, b, sizeof(b));
	emit(e, body, head);
	for (size_t k = 0; k < pages; k++) {
		mig__put_le16(b, dlen[k]);
		emit(e, b, 2);
		if (dlen[k]) {
			emit(e, e->scratch + soff, dlen[k]);
			soff += dlen[k];
		} else {
			emit(e, data + MIG__PAGE_LEN * k, MIG__PAGE_LEN);
		}
	}
	emit(e, zero, mig__padded((uint32_t)len) - len);
	e->st.bytes_out += MIG__REC_HDR_LEN + mig__padded((uint32_t)len);
}

/* The PAGE_DATA record collected: its pages as deltas where they can be,
 * the cache rule applied to each entry in order. */
static void page_rec(struct mig_delta_enc *e)
{
	const uint8_t *body = e->rec + MIG__REC_HDR_LEN, *data;
	uint32_t len = mig__le32(e->rec + 4), count;
	uint16_t dlen[MIG__BATCH_MAX];
	size_t pages = 0, soff = 0, deltas = 0;

	if (!mig__xc_page_rec_valid(body, len)) {
		emit(e, e->rec, e->rec_want);
		lose(e); /* libxc will refuse it; no cache past it */
		return;
	}
	if (!e->announced)
		announce(e);
	count = mig__le32(body);
	data = body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t v =
		    mig__le64(body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * i);
		unsigned t = (unsigned)(v >> MIG__TYPE_SHIFT);
		const uint8_t *page = NULL;

		if (mig__xc_type_has_data(t)) {
			page = data + MIG__PAGE_LEN * pages;
			dlen[pages] =
			    t == MIG__TYPE_NOTAB
				? try_delta(e, v & MIG__PFN_MASK, page, &soff)
				: 0;
			deltas += dlen[pages] != 0;
			pages++;
		}
		mig__cache_apply(&e->cache, v, page);
	}
	e->st.bytes_in += e->rec_want;
	if (deltas) {
		write_deltas(e, dlen, pages);
	} else {
		emit(e, e->rec, e->rec_want);
		e->st.bytes_out += e->rec_want;
	}
	mig__xc_expect(&e->rd, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
}

/* Room in rec for a record of n bytes. */
static bool rec_room(struct mig_delta_enc *e, size_t n)
{
	uint8_t *p;

	if (n <= e->rec_cap)
		return true;
	p = realloc(e->rec, n);
	if (!p)
		return false;
	e->rec = p;
	e->rec_cap = n;
	return true;
}

/* head holds want bytes for a framing state: pass them on, or begin a
 * PAGE_DATA record with them, and act. */
static void step(struct mig_delta_enc *e)
{
	uint32_t type = mig__le32(e->rd.head), len = mig__le32(e->rd.head + 4);
	size_t got = e->rd.want; /* before the reader moves on */
	enum mig__xc_step next;

	if (e->rd.state == MIG__XC_LIBXC_REC && MIG_DELTA_REC_MINE(type)) {
		/* not libxc's: the destination would take it for ours */
		emit(e, e->rd.head, got);
		lose(e);
		return;
	}
	next = mig__xc_frame(&e->rd);
	if (next == MIG__XC_PAGE_DATA &&
	    MIG__REC_HDR_LEN + mig__padded(len) <= REC_MAX &&
	    rec_room(e, MIG__REC_HDR_LEN + mig__padded(len))) {
		memcpy(e->rec, e->rd.head, MIG__REC_HDR_LEN);
		e->rec_have = MIG__REC_HDR_LEN;
		e->rec_want = MIG__REC_HDR_LEN + mig__padded(len);
		e->rd.state = PAGE_REC;
		return;
	}
	emit(e, e->rd.head, got);
	if (next == MIG__XC_END)
		e->rd.state = PASS; /* nothing of interest follows */
	else if (next != MIG__XC_GO_ON)
		lose(e); /* not libxl's stream, or a PAGE_DATA record longer
			  * than libxc makes them (or no memory for it) */
}

static int enc_write(struct bl_stream *s, const void *buf, size_t len)
{
	struct mig_delta_enc *e = s->impl;
	const uint8_t *p = buf;

	while (len && !e->err) {
		size_t n = len;

		if (e->rd.state == PASS) {
			emit(e, p, n);
		} else if (e->rd.state == SKIP) {
			n = e->rd.skip < len ? (size_t)e->rd.skip : len;
			emit(e, p, n);
			e->rd.skip -= n;
			if (!e->rd.skip)
				e->rd.state = e->rd.after;
		} else if (e->rd.state == PAGE_REC) {
			n = e->rec_want - e->rec_have < len
				? e->rec_want - e->rec_have
				: len;
			memcpy(e->rec + e->rec_have, p, n);
			e->rec_have += n;
			if (e->rec_have == e->rec_want)
				page_rec(e);
		} else {
			n = e->rd.want - e->rd.have < len
				? e->rd.want - e->rd.have
				: len;
			memcpy(e->rd.head + e->rd.have, p, n);
			e->rd.have += n;
			if (e->rd.have == e->rd.want)
				step(e);
		}
		p += n;
		len -= n;
	}
	flush(e);
	return e->err;
}

static int enc_read(struct bl_stream *s, void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_ERR_IO; /* a filter for writing */
}

static void enc_close(struct bl_stream *s)
{
	struct mig_delta_enc *e = s->impl;

	if (e->rd.state == PAGE_REC)
		emit(e, e->rec, e->rec_have);
	else if (e->rd.state != SKIP && e->rd.state != PASS)
		emit(e, e->rd.head, e->rd.have);
	flush(e);
	e->rd.state = PASS;
}

static const struct bl_stream_ops enc_ops = {
    .read = enc_read,
    .write = enc_write,
    .close = enc_close,
};

int mig_delta_enc_new(struct bl_stream *out, uint64_t cache_bytes,
		      struct mig_delta_enc **e_r)
{
	struct mig_delta_enc *e = NULL;
	uint64_t slots = cache_bytes / MIG__PAGE_LEN;
	int rc;

	if (cache_bytes > MIG_DELTA_CACHE_MAX)
		return BL_ERR_INVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return BL_ERR_NOMEM;
	rc = mig__cache_init(&e->cache, slots ? slots : 1);
	if (rc)
		goto out;
	e->obuf = malloc(OUT_CAP);
	e->scratch = malloc((size_t)MIG__BATCH_MAX * MIG__XBZRLE_CAP);
	if (!e->obuf || !e->scratch) {
		rc = BL_ERR_NOMEM;
		goto out;
	}
	e->s.ops = &enc_ops;
	e->s.fd = out->fd;
	e->s.impl = e;
	e->s.deadline_ms = -1;
	e->out = out;
	mig__xc_init(&e->rd, SKIP);
	*e_r = e;
	e = NULL;
out:
	mig_delta_enc_free(e);
	return rc;
}

struct bl_stream *mig_delta_enc_stream(struct mig_delta_enc *e)
{
	return &e->s;
}

void mig_delta_enc_stats(const struct mig_delta_enc *e,
			 struct mig_delta_stats *st_r)
{
	*st_r = e->st;
}

bool mig_delta_enc_lost(const struct mig_delta_enc *e)
{
	return e->lost;
}

void mig_delta_enc_free(struct mig_delta_enc *e)
{
	if (!e)
		return;
	mig__cache_dispose(&e->cache);
	free(e->rec);
	free(e->scratch);
	free(e->sent);
	free(e->obuf);
	free(e);
}
