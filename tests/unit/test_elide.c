/* Zero pages at the destination (mig_elide): the rewrite of named streams,
 * however they are cut, and seeded random streams restored by a model of
 * libxc's restore with and without the filter, which must leave the same
 * memory. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/suites.h"
#include "tests/unit/xcstream.h"
#include "toolstack/common/stream_mem.h"
#include "toolstack/mig/mig_elide.h"

/* in through the filter, written in pieces of 1 to max bytes (random()),
 * closed; the output in *out_r. Returns the pages left out. */
static uint64_t filter(const struct xcbuf *in, size_t max, struct xcbuf *out_r,
		       bool *lost_r)
{
	struct stream_mem m;
	struct bl_stream mem;
	struct mig_elide *e;
	uint64_t n;

	stream_mem_init(&mem, &m);
	CU_ASSERT_FATAL(mig_elide_new(&mem, &e) == BL_OK);
	for (size_t off = 0; off < in->len;) {
		size_t len = max ? 1 + (size_t)random() % max : in->len;

		if (len > in->len - off)
			len = in->len - off;
		CU_ASSERT_EQUAL(
		    stream_write(mig_elide_stream(e), in->p + off, len), BL_OK);
		off += len;
	}
	stream_close(mig_elide_stream(e));
	*out_r = (struct xcbuf){0};
	xc_put(out_r, m.buf, m.len);
	stream_close(&mem);
	n = mig_elide_pages(e);
	*lost_r = mig_elide_lost(e);
	mig_elide_free(e);
	return n;
}

#define E(pfn, type) ((uint64_t)(pfn) | (uint64_t)(type) << 60)

/* Two rounds. The first: frames 0-5 with pages 0,1,0,0,2,0, a zero page
 * table (6), a frame not present (7), and frame 9's page zero but for its
 * last byte. The second: frames 0 and 1 zero again (named before), 8 zero
 * and new. */
static void named(struct xcbuf *in, struct xcbuf *want)
{
	static const uint64_t
	    r1[] = {E(0, XC_NOTAB), E(1, XC_NOTAB), E(2, XC_NOTAB),
		    E(3, XC_NOTAB), E(4, XC_NOTAB), E(5, XC_NOTAB),
		    E(6, XC_L1TAB), E(7, XC_XTAB),  E(9, XC_NOTAB)},
	    r1_out[] = {E(0, XC_XALLOC), E(1, XC_NOTAB), E(2, XC_XALLOC),
			E(3, XC_XALLOC), E(4, XC_NOTAB), E(5, XC_XALLOC),
			E(6, XC_L1TAB),	 E(7, XC_XTAB),	 E(9, XC_NOTAB)},
	    r2[] = {E(0, XC_NOTAB), E(1, XC_NOTAB), E(8, XC_NOTAB)},
	    r2_out[] = {E(0, XC_NOTAB), E(1, XC_NOTAB), E(8, XC_XALLOC)};
	static const uint8_t f1[] = {0, 1, 0, 0, 2, 0, 0, 0, 0},
			     f1_out[] = {0, 1, 0, 0, 2, 0, 0, 0, 0},
			     f2[] = {0, 0, 0};

	*in = (struct xcbuf){0};
	*want = (struct xcbuf){0};
	xc_stream_start(in);
	xc_stream_start(want);
	xc_page_data(in, r1, 9, f1);
	in->p[in->len - 1] = 1; /* frame 9's last byte */
	xc_page_data(want, r1_out, 9, f1_out);
	want->p[want->len - 1] = 1;
	xc_record(in, 7, 4096); /* SHARED_INFO */
	xc_record(want, 7, 4096);
	xc_page_data(in, r2, 3, f2);
	xc_page_data(want, r2_out, 3, f2);
	xc_stream_end(in);
	xc_stream_end(want);
}

static void test_elide_named(void)
{
	struct xcbuf in, want, out;
	bool lost;

	named(&in, &want);
	CU_ASSERT_EQUAL(filter(&in, 0, &out, &lost), 5);
	CU_ASSERT_FALSE(lost);
	CU_ASSERT_EQUAL(out.len, want.len);
	CU_ASSERT(out.len == want.len && !memcmp(out.p, want.p, out.len));
	free(out.p);
	free(in.p);
	free(want.p);
}

static unsigned seed_of(const char *what)
{
	const char *again = getenv("BLANKET_SEED");
	unsigned seed =
	    again ? (unsigned)strtoul(again, NULL, 10) : (unsigned)time(NULL);

	fprintf(stderr, "\n  %s seed %u\n", what, seed);
	srandom(seed);
	return seed;
}

/* Seeded: however the stream is cut, the output is the same. */
static void test_elide_cut(void)
{
	struct xcbuf in, want, out;
	bool lost;

	named(&in, &want);
	seed_of("elide cuts");
	for (int run = 0; run < 60; run++) {
		CU_ASSERT_EQUAL(filter(&in, run % 2 ? 9 : 9000, &out, &lost),
				5);
		CU_ASSERT(out.len == want.len &&
			  !memcmp(out.p, want.p, out.len));
		free(out.p);
	}
	free(in.p);
	free(want.p);
}

/* A stream the filter does not recognise passes through unchanged from
 * there on: not libxl's, a page-data record whose length does not match
 * its frames, one with an unknown type; and a record cut short. */
static void test_elide_lost(void)
{
	static const uint64_t zero2[] = {E(1, XC_NOTAB), E(2, XC_NOTAB)},
			      odd[] = {E(3, 0x5)};
	static const uint8_t fill[] = {0, 0};
	struct xcbuf in[4] = {{0}}, out;
	bool lost;

	xc_put(&in[0], "not a libxl stream at all", 25);
	for (int i = 1; i < 4; i++)
		xc_stream_start(&in[i]);
	xc_put_le32(&in[1], 1); /* page data: 3 frames in 24 bytes */
	xc_put_le32(&in[1], 24);
	xc_put_le32(&in[1], 3);
	xc_put_le32(&in[1], 0);
	xc_put_le64(&in[1], 9);
	xc_put_le64(&in[1], 10);
	xc_page_data(&in[1], zero2, 2, fill);
	xc_page_data(&in[2], odd, 1, fill);
	xc_page_data(&in[2], zero2, 2, fill);
	xc_page_data(&in[3], zero2, 2, fill);
	in[3].len -= 100;
	for (int i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(filter(&in[i], 0, &out, &lost), 0);
		CU_ASSERT_EQUAL(lost, i < 3);
		CU_ASSERT(out.len == in[i].len &&
			  !memcmp(out.p, in[i].p, out.len));
		free(out.p);
		free(in[i].p);
	}
}

/* --- a model of libxc's restore: memory as one fill byte per frame --- */

#define FRAMES 48

struct model {
	bool populated[FRAMES];
	uint8_t page[FRAMES][XC_PAGE];
};

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* Restore the stream xc_stream_start/xc_page_data/xc_stream_end made:
 * populate (zeroed) the frames each record names with a type to
 * populate, then copy in the pages it carries, as libxc 4.17 does. */
static void restore(const struct xcbuf *b, struct model *m)
{
	size_t off = 16 + 8 + 16 + 8 + 24 + 16 + 8 + 8; /* to the first
							 * libxc record */

	memset(m, 0, sizeof(*m));
	while (le32(b->p + off) == 1) {
		uint32_t count = le32(b->p + off + 8);
		const uint8_t *ent = b->p + off + 16;
		const uint8_t *data = ent + 8 * count;

		for (uint32_t i = 0; i < count; i++) {
			uint64_t v;
			unsigned t;

			memcpy(&v, ent + 8 * i, 8);
			t = (unsigned)(v >> 60);
			if (t != 0xf && t != 0xd && !m->populated[v & 0xff]) {
				m->populated[v & 0xff] = true;
				memset(m->page[v & 0xff], 0, XC_PAGE);
			}
		}
		for (uint32_t i = 0; i < count; i++) {
			uint64_t v;

			memcpy(&v, ent + 8 * i, 8);
			if ((v >> 60) < 0xd) {
				memcpy(m->page[v & 0xff], data, XC_PAGE);
				data += XC_PAGE;
			}
		}
		off += 8 + le32(b->p + off + 4);
	}
}

/* Seeded random streams: rounds of records naming random frames (some
 * twice), of random types, with zero pages often. Restored with and
 * without the filter, memory must be the same. */
static void test_elide_restores_the_same(void)
{
	static const uint64_t types[] = {XC_NOTAB, XC_NOTAB, XC_NOTAB, XC_NOTAB,
					 XC_L1TAB, XC_XTAB,  XC_XALLOC};
	static struct model plain, elided;

	seed_of("elide restores");
	for (int run = 0; run < 200; run++) {
		struct xcbuf in = {0}, out;
		uint64_t left = 0;
		bool lost;

		xc_stream_start(&in);
		for (int r = 1 + (int)(random() % 6); r > 0; r--) {
			uint64_t ent[16];
			uint8_t fill[16];
			uint32_t n = 1 + (uint32_t)(random() % 16);

			for (uint32_t i = 0; i < n; i++) {
				ent[i] = E((uint64_t)(random() % FRAMES),
					   types[random() % 7]);
				fill[i] = random() % 2 ? 0 : (uint8_t)random();
			}
			xc_page_data(&in, ent, n, fill);
		}
		xc_stream_end(&in);
		left = filter(&in, (size_t)run % 500, &out, &lost);
		CU_ASSERT_FALSE(lost);
		CU_ASSERT_EQUAL(in.len - out.len, left * XC_PAGE);
		restore(&in, &plain);
		restore(&out, &elided);
		CU_ASSERT(!memcmp(&plain, &elided, sizeof(plain)));
		free(in.p);
		free(out.p);
	}
}

void suite_elide(void)
{
	CU_pSuite s = CU_add_suite("elide", NULL, NULL);

	CU_add_test(s, "a named stream", test_elide_named);
	CU_add_test(s, "cut anywhere (seeded)", test_elide_cut);
	CU_add_test(s, "lost: passes through", test_elide_lost);
	CU_add_test(s, "restores the same memory (seeded)",
		    test_elide_restores_the_same);
}
