/* Rates: --bandwidth's parser and the sender's pacing. */
#include <CUnit/CUnit.h>
#include <stdio.h>

#include "toolstack/common/rate.h"
#include "tests/unit/suites.h"

static void test_parse(void)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} good[] = {
	    {"1", 1},
	    {"4096", 4096},
	    {"64K", 65536},
	    {"20M", 20ull << 20},
	    {"1.5M", 3ull << 19},
	    {"2G", 2ull << 30},
	    {"100Mbit", 12500000},
	    {"1Gbit", 125000000},
	    {"8kbit", 1000},
	};
	static const char *const bad[] = {
	    "",	   "M",	       "-5M",  "0",    "0.1",	"20 M",
	    "20m", "20MB",     "20Mb", "x",    "1e99",	"nan",
	    "inf", "2097152G", " 20M", "20M ", "0x10M", NULL,
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 0;
		CU_ASSERT_EQUAL(rate_parse(good[i].text, &v), BL_OK);
		if (v != good[i].bytes) {
			fprintf(stderr, "\n\"%s\": got %llu\n", good[i].text,
				(unsigned long long)v);
			CU_FAIL("wrong rate");
		}
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 7;
		if (rate_parse(bad[i], &v) != BL_ERR_INVAL || v != 7) {
			fprintf(stderr, "\n\"%s\" accepted\n",
				bad[i] ? bad[i] : "(null)");
			CU_FAIL("bad rate accepted");
		}
	}
}

static void test_delay(void)
{
	/* 1 MB/s: 1 MB is due at 1000 ms. */
	CU_ASSERT_EQUAL(rate_delay_ms(1000000, 1000000, 0), 1000);
	CU_ASSERT_EQUAL(rate_delay_ms(1000000, 1000000, 400), 600);
	CU_ASSERT_EQUAL(rate_delay_ms(1000000, 1000000, 1000), 0);
	CU_ASSERT_EQUAL(rate_delay_ms(1000000, 1000000, 5000), 0);
	CU_ASSERT_EQUAL(rate_delay_ms(1000000, 0, 0), 0);
	/* No limit. */
	CU_ASSERT_EQUAL(rate_delay_ms(0, 1ull << 40, 0), 0);
	/* Large counts do not overflow. */
	CU_ASSERT_EQUAL(rate_delay_ms(1ull << 30, 1ull << 50, 0),
			INT64_C(1048576000));
}

void suite_rate(void)
{
	CU_pSuite s = CU_add_suite("rates", NULL, NULL);

	CU_add_test(s, "parse", test_parse);
	CU_add_test(s, "delay", test_delay);
}
