/* What the filters of libxl's stream share (mig_filter.h). */
#include "toolstack/mig/mig_filter.h"

#include <stdlib.h>
#include <string.h>

#define OUT_CAP	  262144u
#define PFN_LIMIT (1ull << 28)

static void flush(struct mig__filter *f)
{
	if (f->olen && !f->err)
		f->err = stream_write(f->out, f->obuf, f->olen);
	f->olen = 0;
}

void mig__filter_emit(struct mig__filter *f, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n && !f->err) {
		size_t k = OUT_CAP - f->olen < n ? OUT_CAP - f->olen : n;

		memcpy(f->obuf + f->olen, p, k);
		f->olen += k;
		p += k;
		n -= k;
		if (f->olen == OUT_CAP)
			flush(f);
	}
}

void mig__filter_fail(struct mig__filter *f, int rc)
{
	if (f->err)
		return;
	f->err = rc;
	f->olen = 0;
}

bool mig__filter_collect(struct mig__filter *f, uint32_t len)
{
	size_t n = MIG__REC_HDR_LEN + mig__padded(len);

	if (n > f->rec_cap) {
		uint8_t *p = realloc(f->rec, n);

		if (!p)
			return false;
		f->rec = p;
		f->rec_cap = n;
	}
	memcpy(f->rec, f->rd.head, MIG__REC_HDR_LEN);
	f->rec_have = MIG__REC_HDR_LEN;
	f->rec_want = n;
	f->rd.state = MIG__FILTER_REC;
	return true;
}

bool mig__filter_page_header(struct mig__filter *f)
{
	uint32_t len = mig__le32(f->rd.head + 4);
	size_t got = f->rd.want; /* before the reader moves on */
	enum mig__xc_step next = mig__xc_frame(&f->rd);

	if (next == MIG__XC_PAGE_DATA &&
	    MIG__REC_HDR_LEN + mig__padded(len) <= MIG__PAGE_REC_MAX &&
	    mig__filter_collect(f, len))
		return true;
	mig__filter_emit(f, f->rd.head, got);
	if (next != MIG__XC_GO_ON) /* past libxl's end, or lost */
		f->rd.state = MIG__FILTER_PASS;
	return next == MIG__XC_GO_ON || next == MIG__XC_END;
}

/* Take up to len bytes of p into what the filter collects; how many. */
static size_t take(uint8_t *dst, size_t *have, size_t want, const uint8_t *p,
		   size_t len)
{
	size_t n = want - *have < len ? want - *have : len;

	memcpy(dst + *have, p, n);
	*have += n;
	return n;
}

static int filter_write(struct bl_stream *s, const void *buf, size_t len)
{
	struct mig__filter *f = s->impl;
	const uint8_t *p = buf;

	while (len && !f->err) {
		size_t n = len;

		if (f->rd.state == MIG__FILTER_PASS) {
			mig__filter_emit(f, p, n);
		} else if (f->rd.state == MIG__FILTER_SKIP) {
			n = f->rd.skip < len ? (size_t)f->rd.skip : len;
			mig__filter_emit(f, p, n);
			f->rd.skip -= n;
			if (!f->rd.skip)
				f->rd.state = f->rd.after;
		} else if (f->rd.state == MIG__FILTER_REC) {
			n = take(f->rec, &f->rec_have, f->rec_want, p, len);
			if (f->rec_have == f->rec_want)
				f->ops->record(f);
		} else {
			n = take(f->rd.head, &f->rd.have, f->rd.want, p, len);
			if (f->rd.have == f->rd.want)
				f->ops->header(f);
		}
		p += n;
		len -= n;
	}
	flush(f);
	return f->err;
}

static int filter_read(struct bl_stream *s, void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_ERR_IO; /* a filter for writing */
}

static void filter_close(struct bl_stream *s)
{
	struct mig__filter *f = s->impl;

	if (f->rd.state == MIG__FILTER_REC && f->ops->close_record)
		f->ops->close_record(f);
	else if (f->rd.state == MIG__FILTER_REC)
		mig__filter_emit(f, f->rec, f->rec_have);
	else if (f->rd.state != MIG__FILTER_SKIP &&
		 f->rd.state != MIG__FILTER_PASS)
		mig__filter_emit(f, f->rd.head, f->rd.have);
	flush(f);
	f->rd.state = MIG__FILTER_PASS;
}

static const struct bl_stream_ops filter_ops = {
    .read = filter_read,
    .write = filter_write,
    .close = filter_close,
};

int mig__filter_init(struct mig__filter *f, struct bl_stream *out,
		     const struct mig__filter_ops *ops)
{
	memset(f, 0, sizeof(*f));
	f->obuf = malloc(OUT_CAP);
	if (!f->obuf)
		return BL_ERR_NOMEM;
	f->s.ops = &filter_ops;
	f->s.fd = out->fd;
	f->s.impl = f;
	f->s.deadline_ms = -1;
	f->out = out;
	f->ops = ops;
	mig__xc_init(&f->rd, MIG__FILTER_SKIP);
	return BL_OK;
}

void mig__filter_dispose(struct mig__filter *f)
{
	free(f->rec);
	free(f->obuf);
	f->rec = f->obuf = NULL;
}

int mig__pfn_mark(struct mig__pfn_set *set, uint64_t pfn)
{
	uint8_t bit = (uint8_t)(1u << (pfn % 8));
	int was;

	if (pfn >= PFN_LIMIT)
		return -1;
	if (pfn / 8 >= set->len) {
		size_t len = set->len ? set->len : 4096;
		uint8_t *p;

		while (len <= pfn / 8)
			len *= 2;
		p = realloc(set->bits, len);
		if (!p)
			return -1;
		memset(p + set->len, 0, len - set->len);
		set->bits = p;
		set->len = len;
	}
	was = !!(set->bits[pfn / 8] & bit);
	set->bits[pfn / 8] |= bit;
	return was;
}

void mig__pfn_set_dispose(struct mig__pfn_set *set)
{
	free(set->bits);
	set->bits = NULL;
	set->len = 0;
}
