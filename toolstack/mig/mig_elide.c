/* Zero pages at the destination (mig_elide.h).
 *
 * A filter of libxl's stream (mig_filter.h) that collects each page-data
 * record whole, rewrites it, and writes it in its place. */
#include "toolstack/mig/mig_elide.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_filter.h"

struct mig_elide {
	struct mig__filter f;	   /* first: the filter's stream is ours */
	struct mig__pfn_set named; /* frames a page-data record named */
	uint64_t elided;
	bool lost;
};

static struct mig_elide *of(struct mig__filter *f)
{
	return (struct mig_elide *)f;
}

static void lose(struct mig_elide *e)
{
	e->lost = true;
	e->f.rd.state = MIG__FILTER_PASS;
}

static bool page_zero(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return !w && !memcmp(p, p + sizeof(w), MIG__PAGE_LEN - sizeof(w));
}

/* The page-data record collected: its zero pages of frames not named
 * before become allocate-only entries without data; the rest is written as
 * it came. */
static void page_rec(struct mig__filter *f)
{
	struct mig_elide *e = of(f);
	uint8_t *body = f->rec + MIG__REC_HDR_LEN;
	uint32_t len = mig__le32(f->rec + 4), count;
	const uint8_t *data;
	bool keep[MIG__BATCH_MAX];
	size_t pages = 0, kept = 0, run = 0;

	if (!mig__xc_page_rec_valid(body, len)) {
		mig__filter_emit(f, f->rec, f->rec_want);
		lose(e);
		return;
	}
	count = mig__le32(body);
	data = body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t *ent = body + MIG__PAGE_DATA_HDR + MIG__PFN_LEN * i;
		uint64_t v = mig__le64(ent);
		unsigned t = (unsigned)(v >> MIG__TYPE_SHIFT);
		/* a frame that may have been named before counts as named */
		bool fresh = !mig__pfn_mark(&e->named, v & MIG__PFN_MASK);

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
	mig__put_le32(f->rec + 4,
		      (uint32_t)(MIG__PAGE_DATA_HDR + MIG__PFN_LEN * count +
				 kept * MIG__PAGE_LEN));
	mig__filter_emit(f, f->rec,
			 MIG__REC_HDR_LEN + MIG__PAGE_DATA_HDR +
			     MIG__PFN_LEN * count);
	/* the kept pages, a run of consecutive ones per write */
	for (size_t i = 0; i <= pages; i++) {
		if (i < pages && keep[i]) {
			run++;
			continue;
		}
		mig__filter_emit(f, data + MIG__PAGE_LEN * (i - run),
				 MIG__PAGE_LEN * run);
		run = 0;
	}
	mig__xc_expect(&f->rd, MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
}

static void header(struct mig__filter *f)
{
	if (!mig__filter_page_header(f))
		lose(of(f)); /* not libxl's stream, or a page-data record
			      * longer than libxc makes them (or no memory) */
}

static const struct mig__filter_ops elide_ops = {
    .header = header,
    .record = page_rec,
};

int mig_elide_new(struct bl_stream *out, struct mig_elide **e_r)
{
	struct mig_elide *e = calloc(1, sizeof(*e));

	if (!e)
		return BL_ERR_NOMEM;
	if (mig__filter_init(&e->f, out, &elide_ops)) {
		mig_elide_free(e);
		return BL_ERR_NOMEM;
	}
	*e_r = e;
	return BL_OK;
}

struct bl_stream *mig_elide_stream(struct mig_elide *e)
{
	return &e->f.s;
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
	mig__filter_dispose(&e->f);
	mig__pfn_set_dispose(&e->named);
	free(e);
}
