/* Zero pages at the destination (mig_elide.h).
 *
 * A reader of headers (mig_xc.h), like the pre-copy observer: the headers
 * of the framing and the bodies of other records pass through; a page-data
 * record is collected whole, rewritten, and written in its place. Output goes
 * out in writes of up to OUT_CAP bytes, all of it before a write returns. */
#include "toolstack/mig/mig_elide.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_xc.h"

#define REC_MAX                                                                \
	(MIG__REC_HDR_LEN + MIG__PAGE_DATA_HDR +                               \
	 MIG__BATCH_MAX * (MIG__PFN_LEN + MIG__PAGE_LEN))
/* Frames the bitmap covers (guests of up to 1 TiB); any frame above counts
 * as named before. The bitmap grows to the highest frame named. */
#define PFN_LIMIT (1ull << 28)
#define OUT_CAP	  262144u

enum state {
	PAGE_REC = MIG__XC_OWN, /* collecting a page-data record into rec */
	SKIP,
	PASS, /* lost, or past libxl's end: everything passes through */
};

struct mig_elide {
	struct bl_stream s;
	struct bl_stream *out;
	struct mig__xc_reader rd;
	uint8_t *rec; /* the page-data record, header included */
	size_t rec_have, rec_want, rec_cap;
	uint8_t *sent; /* bitmap: frames a page-data record named */
	size_t sent_len;
	uint8_t *obuf;
	size_t olen;
	uint64_t elided;
	bool lost;
	int err; /* out's first error: sticks */
};

static void flush(struct mig_elide *e)
{
	if (e->olen && !e->err)
		e->err = stream_write(e->out, e->obuf, e->olen);
	e->olen = 0;
}

static void emit(struct mig_elide *e, const uint8_t *p, size_t n)
{
	if (e->olen + n > OUT_CAP)
		flush(e);
	if (e->err)
		return;
	if (n > OUT_CAP) {
		e->err = stream_write(e->out, p, n);
		return;
	}
	memcpy(e->obuf + e->olen, p, n);
	e->olen += n;
}

static void lose(struct mig_elide *e)
{
	e->lost = true;
	e->rd.state = PASS;
}

static bool page_zero(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return !w && !memcmp(p, p + sizeof(w), MIG__PAGE_LEN - sizeof(w));
}

/* Room in the bitmap for frame pfn (below PFN_LIMIT). */
static bool sent_room(struct mig_elide *e, uint64_t pfn)
{
	size_t len = e->sent_len ? e->sent_len : 4096;
	uint8_t *p;

	if (pfn / 8 < e->sent_len)
		return true;
	while (len <= pfn / 8)
		len *= 2;
	p = realloc(e->sent, len);
	if (!p)
		return false;
	memset(p + e->sent_len, 0, len - e->sent_len);
	e->sent = p;
	e->sent_len = len;
	return true;
}

/* Whether frame pfn was named before (or may have been: above the
 * bitmap, or out of memory for it); names it. */
static bool named_before(struct mig_elide *e, uint64_t pfn)
{
	uint8_t bit;
	bool was;

	if (pfn >= PFN_LIMIT || !sent_room(e, pfn))
		return true;
	bit = (uint8_t)(1u << (pfn % 8));
	was = e->sent[pfn / 8] & bit;
	e->sent[pfn / 8] |= bit;
	return was;
}

/* The record collected: its zero pages of frames not named before become
 * allocate-only entries without data; the rest is written as it came. */
static void page_rec(struct mig_elide *e)
{
	uint8_t *body = e->rec + MIG__REC_HDR_LEN;
	uint32_t len = mig__le32(e->rec + 4), count;
	const uint8_t *data;
	bool keep[MIG__BATCH_MAX];
	size_t pages = 0, kept = 0, run = 0;

	if (!mig__xc_page_rec_valid(body, len)) {
		emit(e, e->rec, e->rec_want);
		lose(e);
		return;
	}
	count = mig__le32(body);
	data = body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *ent = body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * i;
		uint64_t v = mig__le64(ent);
		unsigned t = (unsigned)(v >> MIG__TYPE_SHIFT);
		bool fresh = !named_before(e, v & MIG__PFN_MASK);

		if (!mig__xc_type_has_data(t))
			continue;
		keep[pages] = t != MIG__TYPE_NOTAB || !fresh ||
			      !page_zero(data + MIG__PAGE_LEN * pages);
		if (!keep[pages])
			mig__put_le64(ent, v | (uint64_t)MIG__TYPE_XALLOC
						   << MIG__TYPE_SHIFT);
		kept += keep[pages++];
	}
	e->elided += pages - kept;
	mig__put_le32(e->rec + 4,
		      (uint32_t)(MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count +
				 kept * MIG__PAGE_LEN));
	emit(e, e->rec,
	     MIG__REC_HDR_LEN + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count);
	/* the kept pages, a run of consecutive ones per write */
	for (size_t i = 0; i <= pages; i++) {
		if (i < pages && keep[i]) {
			run++;
			continue;
		}
		emit(e, data + MIG__PAGE_LEN * (i - run), MIG__PAGE_LEN * run);
		run = 0;
	}
	mig__xc_expect(&e->rd, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
}

/* Room in rec for a record of n bytes. */
static bool rec_room(struct mig_elide *e, size_t n)
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
 * page-data record with them, and act. */
static void step(struct mig_elide *e)
{
	uint32_t len = mig__le32(e->rd.head + 4);
	size_t got = e->rd.want; /* before the reader moves on */
	enum mig__xc_step next = mig__xc_frame(&e->rd);

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
		lose(e); /* not libxl's stream, or a page-data record longer
			  * than libxc makes them (or no memory for it) */
}

static int el_write(struct bl_stream *s, const void *buf, size_t len)
{
	struct mig_elide *e = s->impl;
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

static int el_read(struct bl_stream *s, void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_ERR_IO; /* a filter for writing */
}

static void el_close(struct bl_stream *s)
{
	struct mig_elide *e = s->impl;

	if (e->rd.state == PAGE_REC)
		emit(e, e->rec, e->rec_have);
	else if (e->rd.state != SKIP && e->rd.state != PASS)
		emit(e, e->rd.head, e->rd.have);
	flush(e);
	e->rd.state = PASS;
}

static const struct bl_stream_ops elide_ops = {
    .read = el_read,
    .write = el_write,
    .close = el_close,
};

int mig_elide_new(struct bl_stream *out, struct mig_elide **e_r)
{
	struct mig_elide *e = calloc(1, sizeof(*e));

	if (e)
		e->obuf = malloc(OUT_CAP);
	if (!e || !e->obuf) {
		mig_elide_free(e);
		return BL_ERR_NOMEM;
	}
	e->s.ops = &elide_ops;
	e->s.fd = out->fd;
	e->s.impl = e;
	e->s.deadline_ms = -1;
	e->out = out;
	mig__xc_init(&e->rd, SKIP);
	*e_r = e;
	return BL_OK;
}

struct bl_stream *mig_elide_stream(struct mig_elide *e)
{
	return &e->s;
}

uint64_t mig_elide_pages(const struct mig_elide *e)
{
	return e->elided;
}

bool mig_elide_lost(const struct mig_elide *e)
{
	return e->lost;
}

void mig_elide_free(struct mig_elide *e)
{
	if (!e)
		return;
	free(e->rec);
	free(e->sent);
	free(e->obuf);
	free(e);
}
