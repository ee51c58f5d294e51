/* libxc's pre-copy rounds, read from libxl's save stream (mig_precopy.h).
 *
 * A reader of headers: each state collects `want` bytes into head, acts on
 * them and names the next state; bytes of no interest are skipped
 * (`skip`), then the reader goes on in state `after`. */
#include "toolstack/mig/mig_precopy.h"

#include <string.h>

#define LIBXL_IDENT	0x4c6962786c466d74ull /* "LibxlFmt", big-endian */
#define LIBXL_HDR_LEN	16		      /* ident, version, options */
#define LIBXL_REC_END	0u
#define LIBXL_REC_LIBXC 1u /* libxc's stream follows, to its end */
#define LIBXC_MARKER	0xffffffffffffffffull
#define LIBXC_ID	0x58454e46u /* "XENF", big-endian */
#define LIBXC_IHDR_LEN	24
#define LIBXC_DHDR_LEN	16
#define LIBXC_REC_END	0u
#define LIBXC_PAGE_DATA 1u
#define REC_HDR_LEN	8  /* type, body length; both layers */
#define PAGE_HEAD_LEN	16 /* count, reserved, the first frame */
#define PFN_LEN		8
#define PFN_MASK	0x000fffffffffffffull

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

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static uint64_t padded(uint32_t len)
{
	return ((uint64_t)len + 7) & ~7ull;
}

void mig_precopy_init(struct mig_precopy *p)
{
	memset(p, 0, sizeof(*p));
	p->state = LIBXL_HDR;
	p->want = LIBXL_HDR_LEN;
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
	uint32_t count = le32(p->head);
	uint64_t first = le64(p->head + 8) & PFN_MASK;
	uint64_t body = padded(len);

	if (!count || (uint64_t)PFN_LEN * (count + 1) > len) {
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
		skip_then(p, body - PAGE_HEAD_LEN, LIBXC_REC, REC_HDR_LEN);
	} else {
		skip_then(p, (uint64_t)PFN_LEN * (count - 2), PAGE_LAST,
			  PFN_LEN);
	}
}

/* head holds want bytes for the state: act on them. */
static void step(struct mig_precopy *p)
{
	uint32_t type = le32(p->head), len = le32(p->head + 4);

	switch ((enum state)p->state) {
	case LIBXL_HDR:
		if (be64(p->head) != LIBXL_IDENT)
			lose(p);
		else
			expect(p, LIBXL_REC, REC_HDR_LEN);
		break;
	case LIBXL_REC:
		if (type == LIBXL_REC_END)
			p->state = DONE;
		else if (type == LIBXL_REC_LIBXC)
			skip_then(p, padded(len), LIBXC_IHDR, LIBXC_IHDR_LEN);
		else
			skip_then(p, padded(len), LIBXL_REC, REC_HDR_LEN);
		break;
	case LIBXC_IHDR:
		if (be64(p->head) != LIBXC_MARKER ||
		    (uint32_t)(be64(p->head + 8) >> 32) != LIBXC_ID)
			lose(p);
		else
			expect(p, LIBXC_DHDR, LIBXC_DHDR_LEN);
		break;
	case LIBXC_DHDR:
		expect(p, LIBXC_REC, REC_HDR_LEN);
		break;
	case LIBXC_REC:
		if (type == LIBXC_REC_END)
			skip_then(p, padded(len), LIBXL_REC, REC_HDR_LEN);
		else if (type == LIBXC_PAGE_DATA && len >= PAGE_HEAD_LEN) {
			p->rec_len = len;
			expect(p, PAGE_HEAD, PAGE_HEAD_LEN);
		} else if (type == LIBXC_PAGE_DATA)
			lose(p);
		else
			skip_then(p, padded(len), LIBXC_REC, REC_HDR_LEN);
		break;
	case PAGE_HEAD:
		page_head(p, p->rec_len);
		break;
	case PAGE_LAST:
		p->last_pfn = le64(p->head) & PFN_MASK;
		skip_then(p,
			  padded(p->rec_len) - PAGE_HEAD_LEN -
			      (uint64_t)PFN_LEN * (p->count - 1),
			  LIBXC_REC, REC_HDR_LEN);
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
