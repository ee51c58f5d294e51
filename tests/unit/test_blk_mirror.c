/* The write-blocking mirror (drivers/blk/blk_mirror.c), driven through the
 * backend's control channel as blanketd drives it (blk_ctl_handle):
 * named cases, and seeded runs against a model of what blanketd has
 * sent. The property: a write's response goes only once blanketd has sent
 * every chunk it wrote, as read after it landed; every response held goes
 * exactly once, in the end. A new seed each run, printed; BLANKET_SEED=N
 * runs seed N again. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "drivers/blk/blk_ctl.h"
#include "drivers/blk/blk_req.h"
#include "tests/unit/suites.h"

#define CHUNKS	16
#define SECTORS (CHUNKS << BLK_CTL_CHUNK_SHIFT)
#define SLOTS	32 /* a one-page ring: the most a guest has in flight */

static struct blk_ctl_reply *call(struct blk_ctl *c, uint32_t op, uint32_t arg)
{
	static struct blk_ctl_reply reply;
	struct blk_ctl_req r = {op, arg};
	size_t len;

	blk_ctl_handle(c, &r, sizeof(r), &reply, &len);
	return &reply;
}

/* A write of chunk k's first sector, request id. */
static bool write_chunk(struct blk_ctl *c, unsigned int k, uint64_t id)
{
	return blk_ctl_written(c, (uint64_t)k << BLK_CTL_CHUNK_SHIFT, 1, id,
			       BLKIF_OP_WRITE);
}

static unsigned int released(struct blk_ctl *c, uint64_t *ids)
{
	unsigned int n = 0;
	uint8_t op;

	while (blk_mirror_next(&c->mirror, &ids[n], &op)) {
		CU_ASSERT_EQUAL(op, BLKIF_OP_WRITE);
		n++;
	}
	return n;
}

static void test_mirror_named(void)
{
	struct blk_ctl c;
	uint64_t ids[SLOTS + 1];

	blk_ctl_init(&c, SECTORS);
	/* Not tracking: no mirror, and writes are answered at once. */
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_MIRROR, 0)->status, BL_ERR_INVAL);
	CU_ASSERT_FALSE(write_chunk(&c, 0, 1));
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_TRACK, 0)->status, BL_OK);
	CU_ASSERT_FALSE(write_chunk(&c, 0, 2)); /* tracked, not held */
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_MIRROR, 0)->status, BL_OK);
	/* Held until taken and sent. */
	CU_ASSERT_TRUE(write_chunk(&c, 3, 10));
	CU_ASSERT_TRUE(write_chunk(&c, 5, 11));
	CU_ASSERT_EQUAL(released(&c, ids), 0);
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_SENT, 0)->v[0], 2);
	CU_ASSERT_EQUAL(released(&c, ids), 0); /* sent, but not taken */
	/* A take that leaves a chunk dirty does not let them go. */
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_TAKE, 2)->n, 2); /* 0 and 3 */
	call(&c, BLK_CTL_SENT, 0);
	CU_ASSERT_EQUAL(released(&c, ids), 0);
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_TAKE, 10)->n, 1); /* 5 */
	CU_ASSERT_EQUAL(released(&c, ids), 0);		   /* not sent yet */
	/* A write after the take stays held past the SENT. */
	CU_ASSERT_TRUE(write_chunk(&c, 3, 12));
	call(&c, BLK_CTL_SENT, 0);
	CU_ASSERT_EQUAL(released(&c, ids), 2);
	CU_ASSERT_EQUAL(ids[0], 10);
	CU_ASSERT_EQUAL(ids[1], 11);
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_TAKE, 10)->n, 1);
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_SENT, 0)->v[0], 3);
	CU_ASSERT_EQUAL(released(&c, ids), 1);
	CU_ASSERT_EQUAL(ids[0], 12);
	/* Resume (a failed migration) lets every response go, and stops. */
	CU_ASSERT_TRUE(write_chunk(&c, 1, 13));
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_RESUME, 0)->status, BL_OK);
	CU_ASSERT_EQUAL(released(&c, ids), 1);
	CU_ASSERT_FALSE(write_chunk(&c, 1, 14));
	/* So does the channel's end; a new mirror starts afresh. */
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_TRACK, 0)->status, BL_OK);
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_MIRROR, 0)->status, BL_OK);
	CU_ASSERT_TRUE(write_chunk(&c, 2, 15));
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_SENT, 0)->v[0], 1);
	blk_ctl_closed(&c);
	CU_ASSERT_EQUAL(released(&c, ids), 1);
	CU_ASSERT_EQUAL(ids[0], 15);
	/* The ring is gone: what was held is forgotten, not answered. */
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_TRACK, 0)->status, BL_OK);
	CU_ASSERT_EQUAL(call(&c, BLK_CTL_MIRROR, 0)->status, BL_OK);
	CU_ASSERT_TRUE(write_chunk(&c, 2, 16));
	blk_mirror_forget(&c.mirror);
	blk_ctl_closed(&c);
	CU_ASSERT_EQUAL(released(&c, ids), 0);
}

/* What the model knows of one write. */
struct model_write {
	unsigned int chunk;
	uint64_t seq; /* writes landed, this one included */
	bool answered;
};

static void test_mirror_seeded(void)
{
	const char *again = getenv("BLANKET_SEED");
	unsigned int seed = again ? (unsigned int)strtoul(again, NULL, 10)
				  : (unsigned int)time(NULL);
	static struct model_write w[20000];
	uint64_t early = 0; /* answers that went while mirroring */

	fprintf(stderr, "\n  mirror seed %u\n", seed);
	srandom(seed);
	for (int run = 0; run < 50; run++) {
		/* landed when blanketd read the chunk (at its take), and
		 * when what it read was sent */
		uint64_t read_at[CHUNKS] = {0}, sent_at[CHUNKS] = {0};
		uint64_t seq = 0, ids[SLOTS + 1];
		unsigned int n = 0, in_flight = 0, answered = 0;
		struct blk_ctl c;
		bool stopped = false;

		blk_ctl_init(&c, SECTORS);
		CU_ASSERT_EQUAL(call(&c, BLK_CTL_TRACK, 0)->status, BL_OK);
		CU_ASSERT_EQUAL(call(&c, BLK_CTL_MIRROR, 0)->status, BL_OK);
		for (int step = 0; step < 400 && n < 20000; step++) {
			long a = random() % 10;
			struct blk_ctl_reply *r;
			unsigned int got;

			if (a < 5 && in_flight < SLOTS) {
				w[n] = (struct model_write){
				    (unsigned int)(random() % CHUNKS), ++seq,
				    false};
				CU_ASSERT_EQUAL(write_chunk(&c, w[n].chunk, n),
						!stopped);
				in_flight += !stopped;
				answered += stopped;
				w[n].answered = stopped;
				n++;
			} else if (a < 8) {
				r = call(&c, BLK_CTL_TAKE,
					 (uint32_t)(1 + random() % 4));
				for (uint32_t i = 0; i < r->n; i++)
					read_at[r->v[i]] = seq;
			} else if (a < 9) {
				call(&c, BLK_CTL_SENT, 0);
				for (int k = 0; k < CHUNKS; k++)
					sent_at[k] = read_at[k];
			} else if (random() % 20 == 0) {
				call(&c, BLK_CTL_RESUME, 0);
				stopped = true;
			}
			got = released(&c, ids);
			for (unsigned int i = 0; i < got; i++) {
				struct model_write *x = &w[ids[i]];

				CU_ASSERT_FALSE(x->answered);
				/* Sent as read after it landed, unless the
				 * mirror stopped. */
				if (!stopped)
					CU_ASSERT(sent_at[x->chunk] >= x->seq);
				early += !stopped;
				x->answered = true;
			}
			in_flight -= got;
			answered += got;
		}
		/* The migration ends (or fails): every response goes. */
		blk_ctl_closed(&c);
		for (unsigned int i = 0, got = released(&c, ids); i < got;
		     i++) {
			CU_ASSERT_FALSE(w[ids[i]].answered);
			w[ids[i]].answered = true;
			answered++;
		}
		CU_ASSERT_EQUAL(answered, n);
	}
	fprintf(stderr, "  %llu answers went while mirroring\n",
		(unsigned long long)early);
	CU_ASSERT(early > 0);
}

void suite_blk_mirror(void)
{
	CU_pSuite s = CU_add_suite("block backend: the mirror", NULL, NULL);

	CU_add_test(s, "named cases", test_mirror_named);
	CU_add_test(s, "seeded, against a model", test_mirror_seeded);
}
