/* Fill runs, found cheaply: a run of MIG__FILL_MIN bytes made of words
 * always holds a whole PROBE-aligned block, so the scan reads the first
 * word of each block and checks the block in full only when its second and
 * last words are the same. Data that is no fill costs two or three loads
 * per 512 bytes. */
#include "toolstack/mig/mig_fill.h"

#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#define PROBE 512

/* A word-aligned run of n >= 2 * PROBE - 8 bytes holds an aligned block. */
_Static_assert(MIG__FILL_MIN >= 2 * PROBE - 8, "PROBE too large");

static inline uint64_t word(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Whether p[0, n) is w repeated; n is a multiple of 64. Eight differences
 * are or'ed before each test, which the compiler turns into vector
 * loads. */
static bool fill_block(const uint8_t *p, size_t n, uint64_t w)
{
	for (size_t i = 0; i < n; i += 64) {
		uint64_t acc = 0;

		for (size_t j = 0; j < 64; j += 8)
			acc |= word(p + i + j) ^ w;
		if (acc)
			return false;
	}
	return true;
}

static size_t probe_up(size_t off)
{
	return (off + PROBE - 1) & ~(size_t)(PROBE - 1);
}

size_t mig__fill_find(const uint8_t *p, size_t start, size_t end, size_t *len_r,
		      uint64_t *word_r)
{
	size_t wend = end & ~(size_t)7;
	size_t b = probe_up(start);
	size_t lo, hi;
	uint64_t w;

	while (b + PROBE <= wend) {
		w = word(p + b);
		if (word(p + b + 8) != w || word(p + b + PROBE - 8) != w ||
		    !fill_block(p + b, PROBE, w)) {
			b += PROBE;
			continue;
		}
		lo = b;
		while (lo > start && word(p + lo - 8) == w)
			lo -= 8;
		hi = b + PROBE;
		while (hi + 64 <= wend && fill_block(p + hi, 64, w))
			hi += 64;
		while (hi + 8 <= wend && word(p + hi) == w)
			hi += 8;
		if (hi - lo >= MIG__FILL_MIN) {
			*len_r = hi - lo;
			*word_r = w;
			return lo;
		}
		/* Another word (or the end) follows hi: a later run starts
		 * there or after, and so does its aligned block. */
		b = probe_up(hi);
	}
	*len_r = 0;
	return end;
}

size_t mig__fill_tail(const uint8_t *p, size_t len)
{
	size_t n;
	uint64_t w;

	if (len < 8)
		return 0;
	w = word(p + len - 8);
	n = len - 8;
	while (n >= 64 && fill_block(p + n - 64, 64, w))
		n -= 64;
	while (n >= 8 && word(p + n - 8) == w)
		n -= 8;
	return len - n;
}

/* zlib's CRC-32 inverts the register before and after: appending n zeros
 * multiplies the inverted register by x^(8n) modulo the polynomial, which
 * crc32_combine_op() does when given crc2 = the final inversion. */
static uint32_t crc32_zeros(uint32_t crc, uint64_t n)
{
	if (!n)
		return crc;
	return (uint32_t)crc32_combine_op(crc ^ 0xffffffffu, 0xffffffffu,
					  crc32_combine_gen((z_off_t)n));
}

/* Zeros in one step; another word by doubling: unit is the CRC of the
 * word repeated 2^i times (unit_len bytes), added to run for each bit of
 * the count, so 2 log2(n / 8) combines in all. */
uint32_t mig__crc32_fill(uint32_t crc, uint64_t word, uint64_t n)
{
	uLong unit = crc32(0, (const Bytef *)&word, sizeof(word)), run = 0;
	uint64_t unit_len = sizeof(word), run_len = 0;

	if (!word)
		return crc32_zeros(crc, n);
	for (uint64_t k = n / sizeof(word); k; k >>= 1) {
		if (k & 1) {
			run = crc32_combine(run, unit, (z_off_t)unit_len);
			run_len += unit_len;
		}
		if (k > 1) {
			unit = crc32_combine(unit, unit, (z_off_t)unit_len);
			unit_len *= 2;
		}
	}
	return run_len ? (uint32_t)crc32_combine(crc, run, (z_off_t)run_len)
		       : crc;
}
