/* libFuzzer target for the zero-page filter (toolstack/mig/mig_elide): any
 * bytes as libxl's save stream must not crash it, must come out the same
 * however they are cut (fed whole, then in pieces whose lengths come from
 * its own bytes), and shorter by exactly the pages it says it left out.
 * Seeds: tests/fuzz/corpus/elide/ (streams as Xen's specs lay them out, with
 * zero and other pages over two rounds). */
#include <stdlib.h>
#include <string.h>

#include "toolstack/common/stream_mem.h"
#include "toolstack/mig/mig_elide.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input through a filter, in pieces (cut: lengths from its bytes). */
static uint64_t run(const uint8_t *data, size_t size, int cut,
		    struct stream_mem *m, int *lost_r)
{
	struct bl_stream s;
	struct mig_elide *e;
	size_t off = 0, i = 0;
	uint64_t n;

	stream_mem_init(&s, m);
	if (mig_elide_new(&s, &e))
		abort();
	while (off < size) {
		size_t len = cut ? 1 + data[i++ % size] % 64 : size;

		if (len > size - off)
			len = size - off;
		if (stream_write(mig_elide_stream(e), data + off, len))
			abort();
		off += len;
	}
	stream_close(mig_elide_stream(e));
	n = mig_elide_pages(e);
	*lost_r = mig_elide_lost(e);
	mig_elide_free(e);
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stream_mem whole, cut;
	int lost_whole, lost_cut;
	uint64_t n = run(data, size, 0, &whole, &lost_whole);

	if (run(data, size, 1, &cut, &lost_cut) != n ||
	    lost_cut != lost_whole || whole.len != cut.len ||
	    (whole.len && memcmp(whole.buf, cut.buf, whole.len)) ||
	    size - whole.len != n * 4096)
		abort();
	free(whole.buf);
	free(cut.buf);
	return 0;
}
