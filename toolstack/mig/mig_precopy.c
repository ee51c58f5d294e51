/* libxc's pre-copy rounds, read from libxl's save stream (mig_precopy.h).
 *
 * A reader of headers: each state collects `want` bytes into head, acts on
 * them and names the next state; bytes of no interest are skipped
 * (`skip`), then the reader goes on in state `after`. */
#include "toolstack/mig/mig_precopy.h"

#include <string.h>

#include "toolstack/mig/mig_xc.h"

enum state {
	LIBXL_HDR,
	LIBXL_REC,
	LIBXC_IHDR,
	LIBXC_DHDR,
	LIBXC_REC,
	PAGE_HEAD,
	PAGE_LAST,
	SKIP,
	DONE,
};

void mig_precopy_init(struct mig_precopy *p)
{
	memset(p, 0, sizeof(*p));
	p->state = LIBXL_HDR;
	p->want = MIG__LIBXL_HDR_LEN;
}

static void expect(struct mig_precopy *p, enum state s, size_t want)
{
	p->state = (int)s;
	p->want = want;
	p->have = 0;
}

/* Skip n bytes, then collect want bytes in state s. */
static void skip_then(struct mig_precopy *p, uint64_t n, enum state s,
		      size_t want)
{
	expect(p, s, want);
	if (n) {
		p->skip = n;
		p->after = (int)s;
		p->state = SKIP;
	}
}

static void lose(struct mig_precopy *p)
{
	p->lost = true;
	p->state = DONE;
}

/* A page-data record's count and first frame: a round begins, or goes on. */
static void page_head(struct mig_precopy *p, uint32_t len)
{
	uint32_t count = mig__le32(p->head);
	uint64_t first = mig__le64(p->head + 8) & MIG__PFN_MASK;
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
		skip_then(p, body - MIG__PAGE_HEAD_LEN, LIBXC_REC,
			  MIG__REC_HDR_LEN);
	} else {
		skip_then(p, (uint64_t)MIG__PFN_LEN * (count - 2), PAGE_LAST,
			  MIG__PFN_LEN);
	}
}

/* head holds want bytes for the state: act on them. */
static void step(struct mig_precopy *p)
{
	uint32_t type = mig__le32(p->head), len = mig__le32(p->head + 4);

	switch ((enum state)p->state) {
	case LIBXL_HDR:
		if (mig__be64(p->head) != MIG__LIBXL_IDENT)
			lose(p);
		else
			expect(p, LIBXL_REC, MIG__REC_HDR_LEN);
		break;
	case LIBXL_REC:
		if (type == MIG__LIBXL_REC_END)
			p->state = DONE;
		else if (type == MIG__LIBXL_REC_LIBXC)
			skip_then(p, mig__padded(len), LIBXC_IHDR,
				  MIG__LIBXC_IHDR_LEN);
		else
			skip_then(p, mig__padded(len), LIBXL_REC,
				  MIG__REC_HDR_LEN);
		break;
	case LIBXC_IHDR:
		if (mig__be64(p->head) != MIG__LIBXC_MARKER ||
		    (uint32_t)(mig__be64(p->head + 8) >> 32) != MIG__LIBXC_ID)
			lose(p);
		else
			expect(p, LIBXC_DHDR, MIG__LIBXC_DHDR_LEN);
		break;
	case LIBXC_DHDR:
		expect(p, LIBXC_REC, MIG__REC_HDR_LEN);
		break;
	case LIBXC_REC:
		if (type == MIG__LIBXC_REC_END)
			skip_then(p, mig__padded(len), LIBXL_REC,
				  MIG__REC_HDR_LEN);
		else if (type == MIG__LIBXC_PAGE_DATA &&
			 len >= MIG__PAGE_HEAD_LEN) {
			p->rec_len = len;
			expect(p, PAGE_HEAD, MIG__PAGE_HEAD_LEN);
		} else if (type == MIG__LIBXC_PAGE_DATA)
			lose(p);
		else
			skip_then(p, mig__padded(len), LIBXC_REC,
				  MIG__REC_HDR_LEN);
		break;
	case PAGE_HEAD:
		page_head(p, p->rec_len);
		break;
	case PAGE_LAST:
		p->last_pfn = mig__le64(p->head) & MIG__PFN_MASK;
		skip_then(p,
			  mig__padded(p->rec_len) - MIG__PAGE_HEAD_LEN -
			      (uint64_t)MIG__PFN_LEN * (p->count - 1),
			  LIBXC_REC, MIG__REC_HDR_LEN);
		break;
	case SKIP:
	case DONE:
		break;
	}
}

void mig_precopy_feed(struct mig_precopy *p, const uint8_t *buf, size_t len)
{
	while (len && p->state != DONE) {
		size_t n;

		if (p->state == SKIP) {
			n = p->skip < len ? (size_t)p->skip : len;
			p->skip -= n;
			if (!p->skip)
				p->state = p->after;
		} else {
			n = p->want - p->have < len ? p->want - p->have : len;
			memcpy(p->head + p->have, buf, n);
			p->have += n;
			if (p->have == p->want)
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
