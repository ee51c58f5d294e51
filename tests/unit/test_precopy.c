/* libxc's pre-copy rounds read from libxl's stream (mig_precopy), and
 * auto-converge's decisions on them (converge), on streams xcstream.h
 * builds. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/suites.h"
#include "tests/unit/xcstream.h"
#include "toolstack/blanketd/converge.h"
#include "toolstack/mig/mig_precopy.h"

/* A page-data record: n frames (type bits type), each page filled with its
 * frame's number. */
static void page_data(struct xcbuf *b, const uint64_t *pfns, uint32_t n,
		      uint64_t type)
{
	uint64_t entries[8];
	uint8_t fill[8];

	for (uint32_t i = 0; i < n; i++) {
		entries[i] = pfns[i] | type << 60;
		fill[i] = (uint8_t)pfns[i];
	}
	xc_page_data(b, entries, n, fill);
}

/* Four rounds: the whole of 6 frames in two records, then frames 1 and 4
 * twice (the second time with a record that is not page data between),
 * then frame 4 alone, the paused round. */
static struct xcbuf four_rounds(void)
{
	static const uint64_t all1[] = {0, 1, 2}, all2[] = {3, 4, 5},
			      dirty[] = {1, 4}, last[] = {4};
	struct xcbuf b = {0};

	xc_stream_start(&b);
	page_data(&b, all1, 3, 0);
	page_data(&b, all2, 3, 0);
	page_data(&b, dirty, 2, 0);
	page_data(&b, dirty, 1, 0);
	xc_record(&b, 0xf, 20);
	page_data(&b, dirty + 1, 1, 0);
	page_data(&b, last, 1, 0xf); /* a frame's type bits are not its
				      * number */
	xc_record(&b, 7, 4096);	     /* SHARED_INFO */
	xc_stream_end(&b);
	return b;
}

static void check_four(const struct mig_precopy *p)
{
	CU_ASSERT_FALSE(p->lost);
	CU_ASSERT_EQUAL(p->rounds, 4);
	CU_ASSERT_EQUAL(mig_precopy_pages(p, 1), 6);
	CU_ASSERT_EQUAL(mig_precopy_pages(p, 2), 2);
	CU_ASSERT_EQUAL(mig_precopy_pages(p, 3), 2);
	CU_ASSERT_EQUAL(mig_precopy_pages(p, 4), 1);
	CU_ASSERT_EQUAL(mig_precopy_pages(p, 5), 0);
	CU_ASSERT_EQUAL(mig_precopy_pages(p, 0), 0);
}

static void test_rounds_whole(void)
{
	struct xcbuf b = four_rounds();
	struct mig_precopy p;

	mig_precopy_init(&p);
	mig_precopy_feed(&p, b.p, b.len);
	check_four(&p);
	free(b.p);
}

/* Seeded: however the stream is cut, the counts are the same. A new seed
 * each run, printed; BLANKET_SEED=N runs seed N again. */
static void test_rounds_cut(void)
{
	const char *again = getenv("BLANKET_SEED");
	unsigned int seed = again ? (unsigned int)strtoul(again, NULL, 10)
				  : (unsigned int)time(NULL);
	struct xcbuf b = four_rounds();
	struct mig_precopy p;

	fprintf(stderr, "\n  pre-copy cuts seed %u\n", seed);
	srandom(seed);
	mig_precopy_init(&p);
	for (size_t off = 0; off < b.len; off++)
		mig_precopy_feed(&p, b.p + off, 1);
	check_four(&p);
	for (int run = 0; run < 100; run++) {
		size_t off = 0;

		mig_precopy_init(&p);
		while (off < b.len) {
			size_t n = 1 + (size_t)random() % (run % 2 ? 9 : 9000);

			if (n > b.len - off)
				n = b.len - off;
			mig_precopy_feed(&p, b.p + off, n);
			off += n;
		}
		check_four(&p);
	}
	free(b.p);
}

/* Past MIG_PRECOPY_ROUNDS_MAX rounds, the last count takes the rest. */
static void test_rounds_many(void)
{
	static const uint64_t one[] = {7};
	struct xcbuf b = {0};
	struct mig_precopy p;

	xc_stream_start(&b);
	for (int i = 0; i < MIG_PRECOPY_ROUNDS_MAX + 3; i++)
		page_data(&b, one, 1, 0);
	xc_stream_end(&b);
	mig_precopy_init(&p);
	mig_precopy_feed(&p, b.p, b.len);
	CU_ASSERT_FALSE(p.lost);
	CU_ASSERT_EQUAL(p.rounds, MIG_PRECOPY_ROUNDS_MAX + 3);
	CU_ASSERT_EQUAL(mig_precopy_pages(&p, 1), 1);
	CU_ASSERT_EQUAL(mig_precopy_pages(&p, MIG_PRECOPY_ROUNDS_MAX), 4);
	free(b.p);
}

/* What is not libxl's stream, or a page-data record whose frames do not
 * fit it, stops the counting; what came before stays. */
static void test_rounds_lost(void)
{
	static const uint64_t pfns[] = {1, 2};
	struct xcbuf b = {0};
	struct mig_precopy p;

	xc_put(&b, "not a libxl stream", 18);
	mig_precopy_init(&p);
	mig_precopy_feed(&p, b.p, b.len);
	CU_ASSERT_TRUE(p.lost);
	CU_ASSERT_EQUAL(p.rounds, 0);
	free(b.p);

	b = (struct xcbuf){0};
	xc_stream_start(&b);
	page_data(&b, pfns, 2, 0);
	xc_put_le32(&b, 1); /* page data: 3 frames in 24 bytes */
	xc_put_le32(&b, 24);
	xc_put_le32(&b, 3);
	xc_put_le32(&b, 0);
	xc_put_le64(&b, 9);
	xc_put_le64(&b, 10);
	page_data(&b, pfns, 2, 0);
	mig_precopy_init(&p);
	mig_precopy_feed(&p, b.p, b.len);
	CU_ASSERT_TRUE(p.lost);
	CU_ASSERT_EQUAL(p.rounds, 1);
	CU_ASSERT_EQUAL(mig_precopy_pages(&p, 1), 2);
	free(b.p);
}

/* A precopy with round r begun (the counts do not matter here). */
static struct mig_precopy at_round(unsigned r)
{
	struct mig_precopy p;

	mig_precopy_init(&p);
	p.rounds = r;
	return p;
}

/* The guest used 20% of a CPU: the throttle steps once a round has lasted
 * half as long as the one before, again each time it goes on as long
 * again, and no more after 99%. */
static void test_converge_steps(void)
{
	struct mig_precopy p = at_round(1);
	struct converge c;

	converge_init(&c, 0, 1000000000ull);
	CU_ASSERT_FALSE(converge_due(&c, &p, 0));
	CU_ASSERT_FALSE(converge_due(&c, &p, 9000)); /* round 1: never */
	p = at_round(2); /* round 1 lasted 10 s: periods of 5 s */
	CU_ASSERT_FALSE(converge_due(&c, &p, 10000));
	CU_ASSERT_FALSE(converge_due(&c, &p, 14999));
	CU_ASSERT_TRUE(converge_due(&c, &p, 15001));
	CU_ASSERT_EQUAL(converge_step(&c, 15001, 1000000000ull + 3000200000ull),
			10); /* 20% used, 50% of it withheld */
	CU_ASSERT_EQUAL(c.used, 20);
	CU_ASSERT_EQUAL(c.throttle, 50);
	CU_ASSERT_EQUAL(c.from_round, 2);
	CU_ASSERT_FALSE(converge_due(&c, &p, 19000));
	CU_ASSERT_TRUE(converge_due(&c, &p, 20001));
	CU_ASSERT_EQUAL(converge_step(&c, 20001, 0), 5);
	p = at_round(3); /* round 2 lasted 11 s */
	CU_ASSERT_FALSE(converge_due(&c, &p, 21000));
	CU_ASSERT_FALSE(converge_due(&c, &p, 26500));
	CU_ASSERT_TRUE(converge_due(&c, &p, 26501));
	CU_ASSERT_EQUAL(converge_step(&c, 26501, 0), 2);
	p = at_round(4); /* round 3 lasted 6 s */
	CU_ASSERT_FALSE(converge_due(&c, &p, 27000));
	CU_ASSERT_FALSE(converge_due(&c, &p, 30000));
	CU_ASSERT_TRUE(converge_due(&c, &p, 30001));
	CU_ASSERT_EQUAL(converge_step(&c, 30001, 0), 1); /* 99%: 0.2, held
							  * at 1 */
	CU_ASSERT_EQUAL(c.throttle, 99);
	CU_ASSERT_EQUAL(c.from_round, 2);
	p = at_round(5);
	CU_ASSERT_FALSE(converge_due(&c, &p, 31000));
	CU_ASSERT_FALSE(converge_due(&c, &p, 60000)); /* no step left */
}

/* Rounds that shrink, or last less than a second, never throttle. */
static void test_converge_shrinking(void)
{
	struct mig_precopy p = at_round(1);
	struct converge c;
	int64_t t = 0;

	converge_init(&c, 0, 0);
	converge_due(&c, &p, t);
	t += 8000;
	for (unsigned r = 2, len = 4000; r < 8; r++, len /= 2) {
		p = at_round(r);
		CU_ASSERT_FALSE(converge_due(&c, &p, t));
		CU_ASSERT_FALSE(converge_due(&c, &p, t + len - 1));
		t += len;
	}
	converge_init(&c, 0, 0);
	p = at_round(1);
	converge_due(&c, &p, 0);
	p = at_round(2);
	converge_due(&c, &p, 100);
	p = at_round(3);
	converge_due(&c, &p, 200); /* round 2 lasted 100 ms */
	CU_ASSERT_FALSE(converge_due(&c, &p, 1200));
	CU_ASSERT_TRUE(converge_due(&c, &p, 1201));
	CU_ASSERT_EQUAL(c.steps, 0);
}

void suite_precopy(void)
{
	CU_pSuite s = CU_add_suite("precopy", NULL, NULL);

	CU_add_test(s, "rounds from a whole stream", test_rounds_whole);
	CU_add_test(s, "rounds from a stream cut anywhere (seeded)",
		    test_rounds_cut);
	CU_add_test(s, "more rounds than counted one by one", test_rounds_many);
	CU_add_test(s, "a stream not understood stops the count",
		    test_rounds_lost);
	CU_add_test(s, "auto-converge steps by periods, to 99%",
		    test_converge_steps);
	CU_add_test(s, "auto-converge leaves shrinking or short rounds",
		    test_converge_shrinking);
}
