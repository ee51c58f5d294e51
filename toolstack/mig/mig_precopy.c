/* libxc's pre-copy rounds, read from libxl's save stream (mig_precopy.h).
 *
 * A reader of headers (mig_xc.h): past the framing, the states below read
 * a page-data record's first and last frames; everything else is
 * skipped. */
#include "toolstack/mig/mig_precopy.h"

#include <string.h>

enum state {
	PAGE_HEAD = MIG__XC_OWN,
	PAGE_LAST,
	SKIP,
	DONE,
};

void mig_precopy_init(struct mig_precopy *p)
{
	memset(p, 0, sizeof(*p));
	mig__xc_init(&p->rd, SKIP);
}

static void lose(struct mig_precopy *p)
{
	p->lost = true;
	p->rd.state = DONE;
}

/* A page-data record's count and first frame: a round begins, or goes on. */
static void page_head(struct mig_precopy *p, uint32_t len)
{
	uint32_t count = mig__le32(p->rd.head);
	uint64_t first = mig__le64(p->rd.head + 8) & MIG__PFN_MASK;
	uint64_t body = mig__padded(len);

	if (!count || (uint64_t)MIG__PFN_LEN * (count + 1) > len) {
		lose(p);
		return;
	}
	if (!p->rounds || first <= p->last_pfn)
		p->rounds++;
	p->pages[(p->rounds < MIG_PRECOPY_ROUNDS_MAX ? p->rounds
						     : MIG_PRECOPY_ROUNDS_MAX) -
		 1] += count;
	p->count = count;
	if (count == 1) {
		p->last_pfn = first;
		mig__xc_skip_then(&p->rd, body - MIG__PAGE_HEAD_LEN,
				  MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
	} else {
		mig__xc_skip_then(&p->rd, (uint64_t)MIG__PFN_LEN * (count - 2),
				  PAGE_LAST, MIG__PFN_LEN);
	}
}

/* head holds want bytes for the state: act on them. */
static void step(struct mig_precopy *p)
{
	uint32_t len = mig__le32(p->rd.head + 4);

	switch (p->rd.state) {
	case PAGE_HEAD:
		page_head(p, p->rec_len);
		return;
	case PAGE_LAST:
		p->last_pfn = mig__le64(p->rd.head) & MIG__PFN_MASK;
		mig__xc_skip_then(&p->rd,
				  mig__padded(p->rec_len) - MIG__PAGE_HEAD_LEN -
				      (uint64_t)MIG__PFN_LEN * (p->count - 1),
				  MIG__XC_LIBXC_REC, MIG__REC_HDR_LEN);
		return;
	}
	switch (mig__xc_frame(&p->rd)) {
	case MIG__XC_GO_ON:
		break;
	case MIG__XC_PAGE_DATA:
		if (len < MIG__PAGE_HEAD_LEN) {
			lose(p);
			break;
		}
		p->rec_len = len;
		mig__xc_expect(&p->rd, PAGE_HEAD, MIG__PAGE_HEAD_LEN);
		break;
	case MIG__XC_END:
		p->rd.state = DONE;
		break;
	case MIG__XC_LOST:
		lose(p);
		break;
	}
}

void mig_precopy_feed(struct mig_precopy *p, const uint8_t *buf, size_t len)
{
	while (len && p->rd.state != DONE) {
		size_t n;

		if (p->rd.state == SKIP) {
			n = p->rd.skip < len ? (size_t)p->rd.skip : len;
			p->rd.skip -= n;
			if (!p->rd.skip)
				p->rd.state = p->rd.after;
		} else {
			n = p->rd.want - p->rd.have < len
				? p->rd.want - p->rd.have
				: len;
			memcpy(p->rd.head + p->rd.have, buf, n);
			p->rd.have += n;
			if (p->rd.have == p->rd.want)
				step(p);
		}
		buf += n;
		len -= n;
	}
}

uint64_t mig_precopy_pages(const struct mig_precopy *p, unsigned round)
{
	if (!round || round > p->rounds || round > MIG_PRECOPY_ROUNDS_MAX)
		return 0;
	return p->pages[round - 1];
}
