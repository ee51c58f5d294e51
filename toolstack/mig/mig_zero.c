/* Zero runs, found cheaply: a run of MIG__ZERO_MIN zero bytes made of
 * words always holds a whole PROBE-aligned block, so the scan reads one
 * word per block and checks a block in full only when that word is zero.
 * Data that is not zero costs one load per 2 KiB. */
#include "mig_zero.h"

#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#define PROBE 2048

/* A word-aligned run of n >= 2 * PROBE - 8 bytes holds an aligned block. */
_Static_assert(MIG__ZERO_MIN >= 2 * PROBE - 8, "PROBE too large");

static inline uint64_t word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Whether p[0, n) is zero; n is a multiple of 64. Eight words are or'ed
 * before each test, which the compiler turns into vector loads. */
static bool zero_block(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i += 64) {
		uint64_t acc = 0;

		for (size_t j = 0; j < 64; j += 8)
			acc |= word(p + i + j);
		if (acc)
			return false;
	}
	return true;
}

size_t mig__zero_find(const uint8_t *p, size_t start, size_t end, size_t *len_r)
{
	size_t wend = end & ~(size_t)7;
	size_t b = (start + PROBE - 1) & ~(size_t)(PROBE - 1);
	size_t lo, hi;

	while (b + PROBE <= wend) {
		if (word(p + b) || !zero_block(p + b, PROBE)) {
			b += PROBE;
			continue;
		}
		lo = b;
		while (lo > start && !word(p + lo - 8))
			lo -= 8;
		hi = b + PROBE;
		while (hi + 64 <= wend && zero_block(p + hi, 64))
			hi += 64;
		while (hi + 8 <= wend && !word(p + hi))
			hi += 8;
		if (hi - lo >= MIG__ZERO_MIN) {
			*len_r = hi - lo;
			return lo;
		}
		/* A nonzero word (or the end) follows hi: a later run starts
		 * after it, and so does its aligned block. */
		b = (hi + PROBE - 1) & ~(size_t)(PROBE - 1);
	}
	*len_r = 0;
	return end;
}

size_t mig__zero_tail(const uint8_t *p, size_t len)
{
	size_t n = len;

	while (n >= 64 && zero_block(p + n - 64, 64))
		n -= 64;
	while (n >= 8 && !word(p + n - 8))
		n -= 8;
	return len - n;
}

/* zlib's CRC-32 inverts the register before and after: appending n zeros
 * multiplies the inverted register by x^(8n) modulo the polynomial, which
 * crc32_combine_op() does when given crc2 = the final inversion. */
uint32_t mig__crc32_zeros(uint32_t crc, uint64_t n)
{
	if (!n)
		return crc;
	return (uint32_t)crc32_combine_op(crc ^ 0xffffffffu, 0xffffffffu,
					  crc32_combine_gen((z_off_t)n));
}
