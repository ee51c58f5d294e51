/* Synthetic guest memory for the migration stream's tests and its host
 * benchmark (tests/bench/mig_pipeline.c): the same bytes for the same seed
 * on every machine. No test framework here, so the benchmark links it. */
#ifndef BL_TEST_PAYLOAD_H
#define BL_TEST_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

void payload_seed(uint64_t seed);
void payload_random(uint8_t *p, size_t n);
/* Words and numbers, as in a page of logs or the page cache of text. */
void payload_text(uint8_t *p, size_t n);
/* pages of guest memory as libxc sends them: PAGE_DATA-like records of up
 * to 64 pages, each after a 16-byte header and its pfns, so pages are not
 * 4 KiB aligned in the payload; of every ten pages, on average, text_tenths
 * hold text, random_tenths random bytes, the rest zeros. Returns the
 * payload, malloc'd, with its length in *len_r (the caller frees), or NULL
 * when memory runs out. */
uint8_t *payload_pages(size_t pages, unsigned int text_tenths,
		       unsigned int random_tenths, size_t *len_r);

#endif
