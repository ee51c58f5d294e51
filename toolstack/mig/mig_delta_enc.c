/* Page deltas at the source (mig_delta.h).
 *
 * Nomenclature: a *record* is one of libxc's; *rec* holds a PAGE_DATA
 * record collected whole, header included; the *cache* is the pages sent
 * last (mig_xbzrle.h), one per slot.
 *
 * A filter of libxl's stream (mig_filter.h), like the zero-page filter.
 * For each PAGE_DATA record, once collected:
 * 1. the first one is preceded by the delta-cache record;
 * 2. its entries, in order: each NOTAB page whose frame is in the cache is
 *    encoded against it into scratch, then every entry applies the cache
 *    rule (the destination applies it at the same point);
 * 3. with no delta, the record passes as it came; otherwise a page-delta
 *    record is written in its place, piece by piece. */
#include "toolstack/mig/mig_delta.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_filter.h"
#include "toolstack/mig/mig_xbzrle.h"

struct mig_delta_enc {
	struct mig__filter f; /* first: the filter's stream is ours */
	struct mig__delta_cache cache;
	uint8_t *scratch;	  /* one record's deltas, one after the other */
	struct mig__pfn_set sent; /* frames sent as NOTAB */
	struct mig_delta_stats st;
	bool announced; /* the delta-cache record went */
	bool lost;
};

static struct mig_delta_enc *of(struct mig__filter *f)
{
	return (struct mig_delta_enc *)f;
}

static void lose(struct mig_delta_enc *e)
{
	e->lost = true;
	e->f.rd.state = MIG__FILTER_PASS;
}

/* The delta-cache record: the destination's cache, the size of ours. */
static void announce(struct mig_delta_enc *e)
{
	uint8_t r[MIG__REC_HDR_LEN + 8];

	mig__put_le32(r, MIG_DELTA_REC_CACHE);
	mig__put_le32(r + 4, 8);
	mig__put_le64(r + 8, e->cache.slots);
	mig__filter_emit(&e->f, r, sizeof(r));
	e->st.bytes_out += sizeof(r);
	e->announced = true;
}

/* A NOTAB page of frame pfn: the length of its delta, written at
 * e->scratch + *soff, or 0: it goes whole. */
static uint16_t try_delta(struct mig_delta_enc *e, uint64_t pfn,
			  const uint8_t *page, size_t *soff)
{
	const uint8_t *old = mig__cache_get(&e->cache, pfn);
	bool again = mig__pfn_mark(&e->sent, pfn) == 1;
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
	const uint8_t *body = e->f.rec + MIG__REC_HDR_LEN;
	uint32_t count = mig__le32(body);
	size_t head = MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count, soff = 0;
	const uint8_t *data = body + head;
	uint64_t len = head;
	uint8_t b[MIG__REC_HDR_LEN];

	for (size_t k = 0; k < pages; k++)
		len += 2 + (dlen[k] ? dlen[k] : MIG__PAGE_LEN);
	mig__put_le32(b, MIG_DELTA_REC_PAGES);
	mig__put_le32(b + 4, (uint32_t)len); /* under 4.2 MiB */
	mig__filter_emit(&e->f, b, sizeof(b));
	mig__filter_emit(&e->f, body, head);
	for (size_t k = 0; k < pages; k++) {
		mig__put_le16(b, dlen[k]);
		mig__filter_emit(&e->f, b, 2);
		if (dlen[k]) {
			mig__filter_emit(&e->f, e->scratch + soff, dlen[k]);
			soff += dlen[k];
		} else {
			mig__filter_emit(&e->f, data + MIG__PAGE_LEN * k,
					 MIG__PAGE_LEN);
		}
	}
	mig__filter_emit(&e->f, zero, mig__padded((uint32_t)len) - len);
	e->st.bytes_out += MIG__REC_HDR_LEN + mig__padded((uint32_t)len);
}

/* The PAGE_DATA record collected: its pages as deltas where they can be,
 * the cache rule applied to each entry in order. */
static void page_rec(struct mig__filter *f)
{
	struct mig_delta_enc *e = of(f);
	const uint8_t *body = f->rec + MIG__REC_HDR_LEN, *data;
	uint32_t len = mig__le32(f->rec + 4), count;
	uint16_t dlen[MIG__BATCH_MAX];
	size_t pages = 0, soff = 0, deltas = 0;

	if (!mig__xc_page_rec_valid(body, len)) {
		mig__filter_emit(f, f->rec, f->rec_want);
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
	e->st.bytes_in += f->rec_want;
	if (deltas) {
		write_deltas(e, dlen, pages);
	} else {
		mig__filter_emit(f, f->rec, f->rec_want);
		e->st.bytes_out += f->rec_want;
	}
	mig__xc_expect(&f->rd, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
}

/* A framing header: one of ours in libxc's stream would be taken for
 * ours by the destination, so the stream is lost from there. */
static void header(struct mig__filter *f)
{
	uint32_t type = mig__le32(f->rd.head);

	if (f->rd.state == MIG__XC_LIBXC_REC && MIG_DELTA_REC_MINE(type)) {
		mig__filter_emit(f, f->rd.head, f->rd.want);
		lose(of(f));
	} else if (!mig__filter_page_header(f)) {
		lose(of(f)); /* not libxl's stream, or a PAGE_DATA record
			      * longer than libxc makes them (or no memory) */
	}
}

static const struct mig__filter_ops enc_ops = {
    .header = header,
    .record = page_rec,
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
	rc = mig__filter_init(&e->f, out, &enc_ops);
	if (!rc)
		rc = mig__cache_init(&e->cache, slots ? slots : 1);
	if (rc)
		goto out;
	e->scratch = malloc((size_t)MIG__BATCH_MAX * MIG__XBZRLE_CAP);
	if (!e->scratch) {
		rc = BL_ERR_NOMEM;
		goto out;
	}
	*e_r = e;
	e = NULL;
out:
	mig_delta_enc_free(e);
	return rc;
}

struct bl_stream *mig_delta_enc_stream(struct mig_delta_enc *e)
{
	return &e->f.s;
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
	mig__filter_dispose(&e->f);
	mig__cache_dispose(&e->cache);
	mig__pfn_set_dispose(&e->sent);
	free(e->scratch);
	free(e);
}
