/* Page deltas (mig_xbzrle): the codec on crafted pages and its bytes
 * written out by hand, and the delta decoder's refusals. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/unit/suites.h"
#include "tests/unit/xcstream.h"
#include "toolstack/mig/mig_xbzrle.h"

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

void suite_delta(void)
{
	CU_pSuite s = CU_add_suite("delta", NULL, NULL);

	CU_add_test(s, "codec: bytes written out by hand", test_codec_golden);
	CU_add_test(s, "codec: round trips", test_codec_round_trips);
	CU_add_test(s, "codec: random (seeded)", test_codec_random);
	CU_add_test(s, "codec: refusals", test_codec_refusals);
}
