/* Page deltas (mig_delta, mig_xbzrle): the codec on crafted pages and its
 * bytes written out by hand, the delta decoder's refusals; libxl streams
 * of several rounds through the source's filter then the destination's,
 * cut anywhere, which must give back the stream byte for byte; the
 * destination's refusals; and seeded random streams, caches and cuts. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/suites.h"
#include "tests/unit/xcstream.h"
#include "toolstack/common/stream_mem.h"
#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_xbzrle.h"

#define E(pfn, type) ((uint64_t)(pfn) | (uint64_t)(type) << 60)

static unsigned seed_of(const char *what)
{
	const char *again = getenv("BLANKET_SEED");
	unsigned seed =
	    again ? (unsigned)strtoul(again, NULL, 10) : (unsigned)time(NULL);

	fprintf(stderr, "\n  %s seed %u (BLANKET_SEED=%u again)\n", what, seed,
		seed);
	srandom(seed);
	return seed;
}

/* --- the codec --- */

static uint8_t old_pg[XC_PAGE], new_pg[XC_PAGE], got_pg[XC_PAGE];
static uint8_t delta[2 * XC_PAGE];

/* new_pg against old_pg with cap: the length; and if any, the delta
 * applied to old_pg gives new_pg. */
static size_t round_trip(size_t cap)
{
	size_t n = mig__xbzrle_encode(old_pg, new_pg, delta, cap);
	const char *why = NULL;

	CU_ASSERT(n <= cap);
	if (n) {
		CU_ASSERT_EQUAL(
		    mig__xbzrle_decode(old_pg, delta, n, got_pg, &why), BL_OK);
		CU_ASSERT(!memcmp(got_pg, new_pg, XC_PAGE));
	}
	return n;
}

/* The spec's example: a zero page, then bytes 0, 1000-1002 and 4095
 * changed. */
static void test_codec_golden(void)
{
	static const uint8_t want[] = {0x00, 0x01, 0x11, 0xe7, 0x07, 0x03, 0xaa,
				       0xbb, 0xcc, 0x94, 0x18, 0x01, 0xff},
			     absorbed[] = {0x0a, 0x03, 0x01, 0x00, 0x02};

	memset(old_pg, 0, XC_PAGE);
	memset(new_pg, 0, XC_PAGE);
	new_pg[0] = 0x11;
	new_pg[1000] = 0xaa;
	new_pg[1001] = 0xbb;
	new_pg[1002] = 0xcc;
	new_pg[4095] = 0xff;
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), sizeof(want));
	CU_ASSERT(!memcmp(delta, want, sizeof(want)));
	/* one unchanged byte (11) between two changed ones (10, 12) goes in
	 * the changed run, as it is */
	memset(new_pg, 0, XC_PAGE);
	new_pg[10] = 1;
	new_pg[12] = 2;
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), sizeof(absorbed));
	CU_ASSERT(!memcmp(delta, absorbed, sizeof(absorbed)));
	/* an unchanged page: its first byte replaced by itself */
	memset(old_pg, 0x5a, XC_PAGE);
	memcpy(new_pg, old_pg, XC_PAGE);
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), 3);
	CU_ASSERT(delta[0] == 0 && delta[1] == 1 && delta[2] == 0x5a);
	CU_ASSERT_EQUAL(round_trip(2), 0);
}

static void test_codec_round_trips(void)
{
	static const size_t one[] = {0, 1, 2047, 2048, 4094, 4095};

	for (size_t i = 0; i < XC_PAGE; i++)
		old_pg[i] = (uint8_t)(i * 7 + 3);
	for (size_t k = 0; k < sizeof(one) / sizeof(one[0]); k++) {
		memcpy(new_pg, old_pg, XC_PAGE);
		new_pg[one[k]] ^= 0x40;
		/* zrun (1 or 2 bytes), nzrun 1, the byte */
		CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP),
				(one[k] < 0x80 ? 1 : 2) + 2);
	}
	/* every other byte: one changed run of 4,095 bytes */
	memcpy(new_pg, old_pg, XC_PAGE);
	for (size_t i = 0; i < XC_PAGE; i += 2)
		new_pg[i] ^= 1;
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), 0);
	CU_ASSERT_EQUAL(round_trip(sizeof(delta)), 1 + 2 + 4095);
	/* every third: pairs of 3 bytes, over the cap */
	memcpy(new_pg, old_pg, XC_PAGE);
	for (size_t i = 0; i < XC_PAGE; i += 3)
		new_pg[i] ^= 1;
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), 0);
	CU_ASSERT_EQUAL(round_trip(sizeof(delta)), 3 + 3 * 1365);
	/* every sixteenth: 256 pairs, under the cap */
	memcpy(new_pg, old_pg, XC_PAGE);
	for (size_t i = 0; i < XC_PAGE; i += 16)
		new_pg[i] ^= 1;
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), 3 + 3 * 255);
	/* every byte: overflow, and one run of the page otherwise */
	for (size_t i = 0; i < XC_PAGE; i++)
		new_pg[i] = (uint8_t)~old_pg[i];
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), 0);
	CU_ASSERT_EQUAL(round_trip(sizeof(delta)), 1 + 2 + 4096);
	/* equal: 3 bytes */
	memcpy(new_pg, old_pg, XC_PAGE);
	CU_ASSERT_EQUAL(round_trip(MIG__XBZRLE_CAP), 3);
}

/* Seeded: random pages with random changes round-trip; and random bytes
 * as deltas are refused or applied, never more. */
static void test_codec_random(void)
{
	seed_of("delta codec");
	for (int run = 0; run < 2000; run++) {
		size_t n = (size_t)random() % 64;
		const char *why;

		for (size_t i = 0; i < XC_PAGE; i++)
			old_pg[i] = (uint8_t)(random() % 4);
		memcpy(new_pg, old_pg, XC_PAGE);
		for (int c = random() % 300; c > 0; c--)
			new_pg[random() % XC_PAGE] = (uint8_t)random();
		round_trip(MIG__XBZRLE_CAP);
		round_trip(sizeof(delta));
		for (size_t i = 0; i < n; i++)
			delta[i] = (uint8_t)(random() % 3 ? random() % 0x90
							  : random());
		(void)!mig__xbzrle_decode(old_pg, delta, n, got_pg, &why);
	}
}

static void refused(const uint8_t *d, size_t n, const char *want)
{
	const char *why = "";

	memset(old_pg, 0, XC_PAGE);
	CU_ASSERT_EQUAL(mig__xbzrle_decode(old_pg, d, n, got_pg, &why),
			BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(why, want);
}

static void test_codec_refusals(void)
{
	static const uint8_t trunc[] = {0x00, 0x80},
			     over2[] = {0x80, 0x80, 0x01, 0x01, 0xaa},
			     overlong[] = {0x85, 0x00, 0x01, 0xaa},
			     past[] = {0x80, 0x20, 0x01, 0xaa},
			     past2[] = {0x00, 0x81, 0x20},
			     trailing[] = {0xff, 0x1f, 0x01, 0xaa, 0x01},
			     half[] = {0x05, 0x01, 0xaa, 0x05},
			     zero_z[] = {0x00, 0x01, 0xaa, 0x00, 0x01, 0xbb},
			     zero_nz[] = {0x05, 0x00},
			     short_nz[] = {0x00, 0x03, 0xaa, 0xbb};
	static const uint8_t ok[] = {0xfe, 0x1f, 0x02, 0xaa, 0xbb};
	const char *why = NULL;

	refused(trunc, 0, "empty");
	refused(trunc, 2, "a run length cut short");
	refused(over2, sizeof(over2), "a run length over 2 bytes");
	refused(overlong, sizeof(overlong), "a run length longer than needed");
	refused(past, sizeof(past), "a run past the page");
	refused(past2, sizeof(past2), "a run past the page");
	refused(trailing, sizeof(trailing), "bytes after the page's end");
	refused(half, sizeof(half), "a pair cut short");
	refused(zero_z, sizeof(zero_z), "an unchanged run of 0 bytes");
	refused(zero_nz, sizeof(zero_nz), "a changed run of 0 bytes");
	refused(short_nz, sizeof(short_nz), "changed bytes cut short");
	/* zrun 4094, nzrun 2: up to the page's end exactly */
	CU_ASSERT_EQUAL(
	    mig__xbzrle_decode(old_pg, ok, sizeof(ok), got_pg, &why), BL_OK);
	CU_ASSERT(got_pg[4094] == 0xaa && got_pg[4095] == 0xbb);
}

/* --- the filters --- */

struct piped {
	struct xcbuf enc, out; /* the source's output; the destination's */
	struct mig_delta_stats st;
	uint64_t rebuilt;
	bool lost;
	int rc;	       /* the destination's writes' */
	char err[256]; /* mig_delta_dec_error, or "" */
};

/* in through the destination's filter (limit cache_max), written in pieces
 * of 1 to max bytes (random(); 0: whole), closed. */
static void dec_pipe(const struct xcbuf *in, uint64_t cache_max, size_t max,
		     struct piped *p)
{
	struct stream_mem m;
	struct bl_stream mem;
	struct mig_delta_dec *d;
	const char *err;

	stream_mem_init(&mem, &m);
	CU_ASSERT_FATAL(mig_delta_dec_new(&mem, cache_max, &d) == BL_OK);
	p->rc = BL_OK;
	for (size_t off = 0; off < in->len && !p->rc;) {
		size_t len = max ? 1 + (size_t)random() % max : in->len;

		if (len > in->len - off)
			len = in->len - off;
		p->rc = stream_write(mig_delta_dec_stream(d), in->p + off, len);
		off += len;
	}
	stream_close(mig_delta_dec_stream(d));
	err = mig_delta_dec_error(d);
	snprintf(p->err, sizeof(p->err), "%s", err ? err : "");
	p->rebuilt = mig_delta_dec_pages(d);
	p->out = (struct xcbuf){0};
	if (m.len)
		xc_put(&p->out, m.buf, m.len);
	stream_close(&mem);
	mig_delta_dec_free(d);
}

/* in through the source's filter (a cache of cache_bytes), then the
 * destination's, each written in pieces of 1 to max bytes. */
static void pipe2(const struct xcbuf *in, uint64_t cache_bytes, size_t max,
		  struct piped *p)
{
	struct stream_mem m;
	struct bl_stream mem;
	struct mig_delta_enc *e;

	stream_mem_init(&mem, &m);
	CU_ASSERT_FATAL(mig_delta_enc_new(&mem, cache_bytes, &e) == BL_OK);
	for (size_t off = 0; off < in->len;) {
		size_t len = max ? 1 + (size_t)random() % max : in->len;

		if (len > in->len - off)
			len = in->len - off;
		CU_ASSERT_EQUAL(
		    stream_write(mig_delta_enc_stream(e), in->p + off, len),
		    BL_OK);
		off += len;
	}
	stream_close(mig_delta_enc_stream(e));
	mig_delta_enc_stats(e, &p->st);
	p->lost = mig_delta_enc_lost(e);
	p->enc = (struct xcbuf){0};
	if (m.len)
		xc_put(&p->enc, m.buf, m.len);
	stream_close(&mem);
	mig_delta_enc_free(e);
	dec_pipe(&p->enc, 0, max, p);
}

static void piped_free(struct piped *p)
{
	free(p->enc.p);
	free(p->out.p);
}

static bool same(const struct xcbuf *a, const struct xcbuf *b)
{
	return a->len == b->len && (!a->len || !memcmp(a->p, b->p, a->len));
}

static uint8_t pages[16][XC_PAGE];

static void fill_page(uint8_t *pg, unsigned seed)
{
	for (size_t i = 0; i < XC_PAGE; i++)
		pg[i] = (uint8_t)((i * 31 + seed * 17) ^ (i >> 5));
}

/* Three rounds after a first one, in a cache of 16 slots (a page is cached
 * from its second sending on):
 * 0. frames 0-7 NOTAB, 8 a page table, 9 not present;
 * 1. the same again: 0-7 cached (misses: not cached the first time);
 * 2. 1 with 3 bytes changed (hit), 2 unchanged (hit), 3 all changed
 *    (overflow), 8 the page table again, 10 new, 4 allocate-only (empties
 *    4's slot); its reserved field is not 0, which must come back too;
 * 3. 4 again (a miss: its slot was emptied), 1 a byte changed (hit), 8 as
 *    a plain page (new as NOTAB). */
static void named(struct xcbuf *in)
{
	static const uint64_t r1[] = {E(0, XC_NOTAB), E(1, XC_NOTAB),
				      E(2, XC_NOTAB), E(3, XC_NOTAB),
				      E(4, XC_NOTAB), E(5, XC_NOTAB),
				      E(6, XC_NOTAB), E(7, XC_NOTAB),
				      E(8, XC_L1TAB), E(9, XC_XTAB)},
			      r2[] = {E(1, XC_NOTAB), E(2, XC_NOTAB),
				      E(3, XC_NOTAB), E(4, XC_XALLOC),
				      E(8, XC_L1TAB), E(10, XC_NOTAB)},
			      r3[] = {E(1, XC_NOTAB), E(4, XC_NOTAB),
				      E(8, XC_NOTAB)};
	const uint8_t *p1[10], *p2[6], *p3[3];
	size_t at;

	for (unsigned i = 0; i < 11; i++)
		fill_page(pages[i], i);
	for (int i = 0; i < 10; i++)
		p1[i] = pages[i];
	*in = (struct xcbuf){0};
	xc_stream_start(in);
	xc_page_data_pages(in, r1, 10, p1);
	xc_page_data_pages(in, r1, 10, p1);
	xc_record(in, 7, 4096); /* SHARED_INFO */
	pages[1][100] ^= 1;
	pages[1][101] ^= 1;
	pages[1][2000] ^= 1;
	for (size_t i = 0; i < XC_PAGE; i++)
		pages[3][i] = (uint8_t)~pages[3][i];
	fill_page(pages[8], 80);
	p2[0] = pages[1];
	p2[1] = pages[2];
	p2[2] = pages[3];
	p2[3] = NULL;
	p2[4] = pages[8];
	p2[5] = pages[10];
	at = in->len;
	xc_page_data_pages(in, r2, 6, p2);
	in->p[at + 12] = 0x5a; /* reserved */
	pages[1][4095] ^= 0x80;
	p3[0] = pages[1];
	p3[1] = pages[4];
	p3[2] = pages[8];
	xc_page_data_pages(in, r3, 3, p3);
	xc_stream_end(in);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

/* The libxc record types in a stream xc_stream_start/_end made, after the
 * image and domain headers, up to libxc's end. */
static size_t rec_types(const struct xcbuf *b, uint32_t *types, size_t max)
{
	size_t off = 16 + 8 + 16 + 8 + 24 + 16, n = 0;

	while (off + 8 <= b->len && n < max) {
		types[n] = le32(b->p + off);
		off += 8 + ((le32(b->p + off + 4) + 7) & ~7u);
		if (!types[n++])
			break;
	}
	return n;
}

/* BL_DELTA_CORPUS=DIR: the stream goes there as a fuzzer's seed. */
static void seed_file(const char *name, const struct xcbuf *b)
{
	const char *dir = getenv("BL_DELTA_CORPUS");
	char path[512];
	FILE *f;

	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT(fwrite(b->p, 1, b->len, f) == b->len);
	fclose(f);
}

static void test_delta_named(void)
{
	static const uint32_t want[] = {2, 0x0bd00001u, 1,	     1,
					7, 0x0bd00002u, 0x0bd00002u, 0};
	struct xcbuf in;
	struct piped p;
	uint32_t types[16];

	named(&in);
	pipe2(&in, 16 * XC_PAGE, 0, &p);
	CU_ASSERT_FALSE(p.lost);
	CU_ASSERT_EQUAL(p.rc, BL_OK);
	CU_ASSERT_STRING_EQUAL(p.err, "");
	CU_ASSERT(same(&p.out, &in));
	CU_ASSERT_EQUAL(p.st.pages, 8 + 8 + 4 + 3);
	CU_ASSERT_EQUAL(p.st.hits, 3);
	CU_ASSERT_EQUAL(p.st.misses, 8 + 1);
	CU_ASSERT_EQUAL(p.st.overflows, 1);
	CU_ASSERT_EQUAL(p.rebuilt, 3);
	CU_ASSERT_EQUAL(p.st.bytes_in - p.st.bytes_out, in.len - p.enc.len);
	/* X86_PV_INFO, delta-cache, rounds 0 and 1 whole, SHARED_INFO,
	 * rounds 2 and 3 as deltas, END */
	CU_ASSERT_EQUAL(rec_types(&p.enc, types, 16), 8);
	CU_ASSERT(!memcmp(types, want, sizeof(want)));
	seed_file("three-rounds", &p.enc);
	piped_free(&p);
	free(in.p);
}

/* Seeded: however either filter's input is cut, the same bytes. */
static void test_delta_cut(void)
{
	struct xcbuf in;

	named(&in);
	seed_of("delta cuts");
	for (int run = 0; run < 40; run++) {
		struct piped p;

		pipe2(&in, 16 * XC_PAGE, run % 2 ? 7 : 9000, &p);
		CU_ASSERT(same(&p.out, &in));
		CU_ASSERT_EQUAL(p.st.hits, 3);
		CU_ASSERT_STRING_EQUAL(p.err, "");
		piped_free(&p);
	}
	free(in.p);
}

/* 64 pages over four rounds, 8 bytes of each changed each round: the
 * second round's are cached (misses), the third's and fourth's shrink to
 * deltas. */
static void test_delta_sparse(void)
{
	static uint8_t pg[64][XC_PAGE];
	uint64_t ent[64];
	const uint8_t *pp[64];
	struct xcbuf in = {0};
	struct piped p;

	xc_stream_start(&in);
	for (int i = 0; i < 64; i++) {
		fill_page(pg[i], (unsigned)i);
		ent[i] = E(1000 + i, XC_NOTAB);
		pp[i] = pg[i];
	}
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < 64 && round; i++)
			for (int k = 0; k < 8; k++)
				pg[i][(size_t)(k * 509 + round * 7 + i) %
				      XC_PAGE] ^= 0x21;
		xc_page_data_pages(&in, ent, 64, pp);
	}
	xc_stream_end(&in);
	pipe2(&in, MIG_DELTA_CACHE_DEFAULT, 5000, &p);
	CU_ASSERT(same(&p.out, &in));
	CU_ASSERT_EQUAL(p.st.hits, 2 * 64);
	CU_ASSERT_EQUAL(p.st.misses, 64);
	/* two rounds of 64 pages: each page at most 2 + 8 * 4 bytes */
	CU_ASSERT(p.enc.len < in.len - 2 * 64 * (XC_PAGE - 64));
	piped_free(&p);
	free(in.p);
}

/* A cache of 2 slots, frames 0-5 twice (the second time each is cached,
 * evicting the frame before it in its slot: misses), then 4 and 5, which
 * still hold the slots: hits. */
static void test_delta_small_cache(void)
{
	static const uint64_t ent[] = {E(0, XC_NOTAB), E(1, XC_NOTAB),
				       E(2, XC_NOTAB), E(3, XC_NOTAB),
				       E(4, XC_NOTAB), E(5, XC_NOTAB)},
			      tail[] = {E(4, XC_NOTAB), E(5, XC_NOTAB)};
	const uint8_t *pp[6];
	struct xcbuf in = {0};
	struct piped p;

	for (unsigned i = 0; i < 6; i++) {
		fill_page(pages[i], i);
		pp[i] = pages[i];
	}
	xc_stream_start(&in);
	xc_page_data_pages(&in, ent, 6, pp);
	for (int i = 0; i < 6; i++)
		pages[i][i] ^= 1;
	xc_page_data_pages(&in, ent, 6, pp);
	/* 4 and 5 hold slots 0 and 1 again: hits */
	pages[4][9] ^= 1;
	pages[5][9] ^= 1;
	xc_page_data_pages(&in, tail, 2, pp + 4);
	xc_stream_end(&in);
	pipe2(&in, 2 * XC_PAGE, 300, &p);
	seed_file("small-cache", &p.enc);
	seed_file("small-cache-plain", &in);
	CU_ASSERT(same(&p.out, &in));
	CU_ASSERT_EQUAL(p.st.pages, 14);
	CU_ASSERT_EQUAL(p.st.misses, 6);
	CU_ASSERT_EQUAL(p.st.hits, 2);
	CU_ASSERT_STRING_EQUAL(p.err, "");
	piped_free(&p);
	free(in.p);
	/* a cache of less than a page is one page */
	in = (struct xcbuf){0};
	xc_stream_start(&in);
	for (int i = 0; i < 3; i++)
		xc_page_data_pages(&in, ent, 1, pp);
	xc_stream_end(&in);
	pipe2(&in, 100, 0, &p);
	seed_file("one-page-three-times", &p.enc);
	seed_file("one-page-three-times-plain", &in);
	CU_ASSERT(same(&p.out, &in));
	CU_ASSERT_EQUAL(p.st.hits, 1);
	piped_free(&p);
	free(in.p);
}

/* Streams without page data, or not libxl's, or that the source cannot
 * read: both filters pass them through unchanged. */
static void test_delta_plain(void)
{
	static const uint64_t odd[] = {E(3, 0x5)}, one[] = {E(1, XC_NOTAB)};
	static const uint8_t fill[] = {1, 1};
	struct xcbuf in[4] = {{0}};

	xc_stream_start(&in[0]);
	xc_record(&in[0], 7, 4096);
	xc_stream_end(&in[0]);
	xc_put(&in[1], "not a libxl stream at all", 25);
	/* a page-data record libxc would refuse, then pages again */
	xc_stream_start(&in[2]);
	xc_page_data(&in[2], odd, 1, fill);
	xc_page_data(&in[2], one, 1, fill);
	xc_page_data(&in[2], one, 1, fill);
	xc_stream_end(&in[2]);
	/* cut short in a record */
	xc_stream_start(&in[3]);
	xc_page_data(&in[3], one, 1, fill);
	xc_page_data(&in[3], one, 1, fill);
	in[3].len -= 100;
	for (int i = 0; i < 4; i++) {
		struct piped p;

		pipe2(&in[i], XC_PAGE * 4, i ? 33 : 0, &p);
		CU_ASSERT(same(&p.enc, &in[i]) || i == 3);
		CU_ASSERT(same(&p.out, &in[i]));
		CU_ASSERT_EQUAL(p.lost, i == 1 || i == 2);
		CU_ASSERT_STRING_EQUAL(p.err, "");
		piped_free(&p);
		free(in[i].p);
	}
}

/* A record of our range in libxc's stream is not libxc's: the source
 * passes the stream as it is from there (and the destination refuses it:
 * it cannot tell it from ours). */
static void test_delta_mine_at_source(void)
{
	static const uint64_t one[] = {E(1, XC_NOTAB)};
	static const uint8_t fill[] = {1};
	struct xcbuf in = {0};
	struct piped p;

	xc_stream_start(&in);
	xc_page_data(&in, one, 1, fill);
	xc_record(&in, 0x0bd00002u, 16);
	xc_page_data(&in, one, 1, fill);
	xc_stream_end(&in);
	pipe2(&in, 4 * XC_PAGE, 0, &p);
	CU_ASSERT(p.lost);
	CU_ASSERT_EQUAL(p.st.hits, 0);
	CU_ASSERT_EQUAL(p.enc.len, in.len + 16); /* delta-cache, no more */
	CU_ASSERT_EQUAL(p.rc, BL_ERR_PROTO);
	piped_free(&p);
	free(in.p);
}

/* --- the destination's refusals --- */

/* A libxc record of type with body (len bytes), padded with pad. */
static void rec(struct xcbuf *b, uint32_t type, const void *body, size_t len,
		uint8_t pad)
{
	xc_put_le32(b, type);
	xc_put_le32(b, (uint32_t)len);
	xc_put(b, body, len);
	for (; len % 8; len++)
		xc_put(b, &pad, 1);
}

static void cache_rec(struct xcbuf *b, uint64_t slots)
{
	uint8_t body[8];

	for (int i = 0; i < 8; i++)
		body[i] = (uint8_t)(slots >> 8 * i);
	rec(b, 0x0bd00001u, body, 8, 0);
}

/* A page-delta record of one NOTAB entry for frame pfn with the delta d
 * (n bytes), and extra bytes after it. */
static void delta_rec(struct xcbuf *b, uint64_t pfn, const uint8_t *d, size_t n,
		      size_t extra, uint8_t pad)
{
	struct xcbuf body = {0};
	uint8_t z[16] = {0};

	xc_put_le32(&body, 1);
	xc_put_le32(&body, 0);
	xc_put_le64(&body, pfn);
	z[0] = (uint8_t)n;
	z[1] = (uint8_t)(n >> 8);
	xc_put(&body, z, 2);
	xc_put(&body, d, n);
	memset(z, 0, sizeof(z));
	xc_put(&body, z, extra);
	rec(b, 0x0bd00002u, body.p, body.len, pad);
	free(body.p);
}

static void refuse(const struct xcbuf *in, uint64_t cache_max, const char *want)
{
	struct piped p = {0};

	dec_pipe(in, cache_max, 0, &p);
	CU_ASSERT_EQUAL(p.rc == BL_ERR_PROTO || p.rc == BL_OK, true);
	if (strcmp(p.err, want))
		fprintf(stderr, "\n  got \"%s\"\n  want \"%s\"\n", p.err, want);
	CU_ASSERT_STRING_EQUAL(p.err, want);
	/* nothing of ours went on */
	for (size_t i = 0; i + 4 <= p.out.len; i += 8)
		CU_ASSERT((le32(p.out.p + i) & 0xffff0000u) != 0x0bd00000u);
	piped_free(&p);
}

/* Frame 1 into the destination's cache: sent twice (cached from its
 * second sending on). */
static void cache_frame1(struct xcbuf *b)
{
	static const uint64_t one[] = {E(1, XC_NOTAB)};
	static const uint8_t fill[] = {7};

	xc_page_data(b, one, 1, fill);
	xc_page_data(b, one, 1, fill);
}

static void test_delta_refusals(void)
{
	static const uint64_t one[] = {E(1, XC_NOTAB)},
			      xtab[] = {E(1, XC_XTAB)};
	static const uint8_t fill[] = {7}, d_ok[] = {0x00, 0x01, 0x42},
			     d_bad[] = {0x00, 0x00};
	struct xcbuf b;

#define CASE(setup, cache_max, want)                                           \
	do {                                                                   \
		b = (struct xcbuf){0};                                         \
		xc_stream_start(&b);                                           \
		setup;                                                         \
		xc_stream_end(&b);                                             \
		refuse(&b, cache_max, want);                                   \
		free(b.p);                                                     \
	} while (0)

	CASE(delta_rec(&b, 1, d_ok, 3, 0, 0), 0,
	     "page-delta: no cache: no delta-cache before it");
	CASE((cache_rec(&b, 4), delta_rec(&b, 1, d_ok, 3, 0, 0)), 0,
	     "page-delta: entry 0, frame 0x1: not in the cache");
	CASE((cache_rec(&b, 4), xc_page_data(&b, one, 1, fill),
	      delta_rec(&b, 5, d_ok, 3, 0, 0)),
	     0, "page-delta: entry 0, frame 0x5: not in the cache");
	/* the cache rule: a page sent once is not cached yet */
	CASE((cache_rec(&b, 4), xc_page_data(&b, one, 1, fill),
	      delta_rec(&b, 1, d_ok, 3, 0, 0)),
	     0, "page-delta: entry 0, frame 0x1: not in the cache");
	/* a frame sent as not present leaves the cache */
	CASE((cache_rec(&b, 4), cache_frame1(&b),
	      xc_page_data(&b, xtab, 1, fill), delta_rec(&b, 1, d_ok, 3, 0, 0)),
	     0, "page-delta: entry 0, frame 0x1: not in the cache");
	CASE((cache_rec(&b, 4), cache_frame1(&b),
	      delta_rec(&b, 1, d_bad, 2, 0, 0)),
	     0,
	     "page-delta: entry 0, frame 0x1: delta: a changed run of 0 "
	     "bytes");
	CASE((cache_rec(&b, 4), cache_frame1(&b),
	      delta_rec(&b, 1, d_ok, 3, 3, 0)),
	     0, "page-delta: length: 3 bytes after the last page");
	CASE((cache_rec(&b, 4), xc_page_data(&b, one, 1, fill),
	      delta_rec(&b, 1, d_ok, 3, 0, 0xee)),
	     0, "page-delta: padding: not zero");
	CASE((cache_rec(&b, 4), xc_page_data(&b, one, 1, fill),
	      delta_rec(&b, E(1, XC_L1TAB), d_ok, 3, 0, 0)),
	     0,
	     "page-delta: entry 0, frame 0x1: a delta for a page that is "
	     "not NOTAB");
	CASE(cache_rec(&b, 300000), 0,
	     "delta-cache: 300000 slots (1200000 KiB) not in 1 to this "
	     "node's limit of 262144 (1024 MiB)");
	CASE(cache_rec(&b, 17), 16 * XC_PAGE,
	     "delta-cache: 17 slots (68 KiB) not in 1 to this node's limit of "
	     "16 (64 KiB)");
	CASE(cache_rec(&b, 65536), 64ull << 20,
	     "delta-cache: 65536 slots (256 MiB) not in 1 to this node's "
	     "limit of 16384 (64 MiB)");
	CASE(cache_rec(&b, 0), 0,
	     "delta-cache: 0 slots (0 MiB) not in 1 to this node's limit of "
	     "262144 (1024 MiB)");
	CASE((cache_rec(&b, 4), cache_rec(&b, 4)), 0, "delta-cache: twice");
	CASE((xc_page_data(&b, one, 1, fill), cache_rec(&b, 4)), 0,
	     "delta-cache: after page data");
	CASE(rec(&b, 0x0bd00001u, "1234567890", 10, 0), 0,
	     "delta-cache: length 10, not 8");
	CASE(rec(&b, 0x0bd00009u, "", 0, 0), 0,
	     "unknown private record type 0x0bd00009");
	/* after a page-data record libxc would refuse: no cache */
	CASE((cache_rec(&b, 4), xc_page_data(&b, one, 1, fill),
	      xc_record(&b, 1, 8), delta_rec(&b, 1, d_ok, 3, 0, 0)),
	     0,
	     "page-delta: no cache: after a page-data record libxc would "
	     "refuse");
	/* cut short: the stream ends inside a page-delta record */
	b = (struct xcbuf){0};
	xc_stream_start(&b);
	cache_rec(&b, 4);
	xc_page_data(&b, one, 1, fill);
	delta_rec(&b, 1, d_ok, 3, 0, 0);
	b.len -= 3;
	refuse(&b, 0, "page-delta: cut short");
	free(b.p);
#undef CASE
}

/* --- seeded random streams --- */

#define FRAMES 40

/* Rounds of records naming random frames of random types; a page sent
 * again is changed in a few bytes, many, all, or not at all. Random
 * caches (1 to 48 slots), random cuts: the destination gives back the
 * stream, always. */
static void test_delta_random(void)
{
	static const uint64_t types[] = {XC_NOTAB, XC_NOTAB,  XC_NOTAB,
					 XC_NOTAB, XC_NOTAB,  XC_L1TAB,
					 XC_XTAB,  XC_XALLOC, XC_BROKEN};
	static uint8_t mem[FRAMES][XC_PAGE];
	uint64_t hits = 0;

	seed_of("delta random streams");
	for (int run = 0; run < 150; run++) {
		struct xcbuf in = {0};
		struct piped p;

		for (int f = 0; f < FRAMES; f++)
			fill_page(mem[f], (unsigned)random());
		xc_stream_start(&in);
		for (int r = 1 + (int)(random() % 12); r > 0; r--) {
			uint64_t ent[24];
			const uint8_t *pp[24];
			uint32_t n = 1 + (uint32_t)(random() % 24);

			for (uint32_t i = 0; i < n; i++) {
				int f = (int)(random() % FRAMES);
				int how = (int)(random() % 5);

				ent[i] = E(f, types[random() % 9]);
				pp[i] = mem[f];
				if (how == 1)
					mem[f][random() % XC_PAGE] ^= 0x10;
				else if (how == 2)
					for (int k = 0; k < 200; k++)
						mem[f][random() % XC_PAGE] =
						    (uint8_t)random();
				else if (how == 3)
					fill_page(mem[f], (unsigned)random());
			}
			xc_page_data_pages(&in, ent, n, pp);
			if (random() % 4 == 0)
				xc_record(&in, 7, (uint32_t)(random() % 100));
		}
		xc_stream_end(&in);
		pipe2(&in, (uint64_t)(1 + random() % 48) * XC_PAGE,
		      1 + (size_t)random() % (run % 3 ? 20000 : 50), &p);
		CU_ASSERT_FALSE(p.lost);
		CU_ASSERT_EQUAL(p.rc, BL_OK);
		CU_ASSERT_STRING_EQUAL(p.err, "");
		CU_ASSERT(same(&p.out, &in));
		CU_ASSERT_EQUAL(p.rebuilt, p.st.hits);
		hits += p.st.hits;
		if (run < 3) {
			char name[32];

			snprintf(name, sizeof(name), "random-%d", run);
			if (p.enc.len < 65536)
				seed_file(name, &p.enc);
		}
		piped_free(&p);
		free(in.p);
	}
	CU_ASSERT(hits > 100); /* the streams did exercise deltas */
}

void suite_delta(void)
{
	CU_pSuite s = CU_add_suite("delta", NULL, NULL);

	CU_add_test(s, "codec: bytes written out by hand", test_codec_golden);
	CU_add_test(s, "codec: round trips", test_codec_round_trips);
	CU_add_test(s, "codec: random (seeded)", test_codec_random);
	CU_add_test(s, "codec: refusals", test_codec_refusals);
	CU_add_test(s, "a named stream", test_delta_named);
	CU_add_test(s, "cut anywhere (seeded)", test_delta_cut);
	CU_add_test(s, "sparse changes shrink", test_delta_sparse);
	CU_add_test(s, "a small cache", test_delta_small_cache);
	CU_add_test(s, "plain streams pass", test_delta_plain);
	CU_add_test(s, "a record of ours from libxl",
		    test_delta_mine_at_source);
	CU_add_test(s, "the destination's refusals", test_delta_refusals);
	CU_add_test(s, "random streams (seeded)", test_delta_random);
}
