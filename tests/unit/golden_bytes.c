#include "tests/unit/golden_bytes.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void golden_bytes_check(const char *path, const uint8_t *bytes, size_t len)
{
	const char *update = getenv("BL_GOLDEN_UPDATE");
	uint8_t *want;
	size_t want_len;
	FILE *f;

	if (update && *update) {
		f = fopen(path, "wb");
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		CU_ASSERT_EQUAL(fwrite(bytes, 1, len, f), len);
		CU_ASSERT_EQUAL(fclose(f), 0);
		return;
	}
	f = fopen(path, "rb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	/* One byte more than expected tells a longer file from an equal one. */
	want = malloc(len + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	want_len = fread(want, 1, len + 1, f);
	fclose(f);
	CU_ASSERT_EQUAL(want_len, len);
	if (want_len == len)
		CU_ASSERT_EQUAL(memcmp(want, bytes, len), 0);
	free(want);
}
