/* libFuzzer target for the pre-copy observer (toolstack/mig/mig_precopy):
 * any bytes as libxl's save stream must not crash it, and must read the
 * same however they are cut: the input is fed whole, then in pieces whose
 * lengths come from its own bytes. Seeds: tests/fuzz/corpus/precopy/ (a
 * stream as Xen's specs lay it out, with four rounds). */
#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_precopy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mig_precopy whole, cut;
	size_t off = 0, i = 0;

	mig_precopy_init(&whole);
	mig_precopy_feed(&whole, data, size);
	mig_precopy_init(&cut);
	while (off < size) {
		size_t n = 1 + data[i++ % size] % 64;

		if (n > size - off)
			n = size - off;
		mig_precopy_feed(&cut, data + off, n);
		off += n;
	}
	if (whole.rounds != cut.rounds || whole.lost != cut.lost ||
	    memcmp(whole.pages, cut.pages, sizeof(whole.pages)))
		abort();
	for (unsigned r = 1; r <= whole.rounds && r <= MIG_PRECOPY_ROUNDS_MAX;
	     r++)
		if (!mig_precopy_pages(&whole, r))
			abort(); /* a round begins with a page */
	return 0;
}
