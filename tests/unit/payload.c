#include "tests/unit/payload.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_rec.h"

#define PAGE  4096
#define BATCH 64

static uint64_t rng_state;

void payload_seed(uint64_t seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

/* xorshift64*: fixed seeds give the same payloads on every machine. */
static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

void payload_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(rng() >> 56);
}

void payload_text(uint8_t *p, size_t n)
{
	static const char *const words[] = {
	    "the ",  "kernel ", "page ",  "0x7f3a ", "struct ", "inode ",
	    "\n",    "buffer ", "42 ",	  "error: ", "guest ",	"xen ",
	    "dom0 ", "evtchn ", "grant ", "ring ",
	};
	size_t i = 0, l;
	const char *w;

	while (i < n) {
		w = words[rng() % 16];
		l = strlen(w);
		l = l < n - i ? l : n - i;
		memcpy(p + i, w, l);
		i += l;
	}
}

uint8_t *payload_pages(size_t pages, unsigned int text_tenths,
		       unsigned int random_tenths, size_t *len_r)
{
	size_t cap = pages * (PAGE + 8) + (pages / BATCH + 1) * 16, len = 0;
	uint8_t *p = calloc(1, cap);
	size_t batch, kind;

	if (!p)
		return NULL;
	while (pages) {
		batch = pages < BATCH ? pages : BATCH;
		frame_store32(p + len, 1);
		frame_store32(p + len + 4, (uint32_t)(8 + batch * (8 + PAGE)));
		frame_store32(p + len + 8, (uint32_t)batch);
		len += 16;
		for (size_t i = 0; i < batch; i++, len += 8)
			frame_store64(p + len, rng() & 0xfffff);
		for (size_t i = 0; i < batch; i++, len += PAGE) {
			kind = rng() % 10;
			if (kind >= 10 - random_tenths)
				payload_random(p + len, PAGE);
			else if (kind >= 10 - random_tenths - text_tenths)
				payload_text(p + len, PAGE);
		}
		pages -= batch;
	}
	*len_r = len;
	return p;
}
