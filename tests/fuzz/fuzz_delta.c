/* libFuzzer target for page deltas (toolstack/mig/mig_delta, mig_xbzrle).
 * Every input is used three ways:
 * - as what the destination's filter receives (the peer's bytes): it must
 *   not crash, and must give the same verdict however the bytes are cut
 *   (fed whole, then in pieces whose lengths come from its own bytes), and
 *   the same output when it accepts them;
 * - as libxl's save stream, through the source's filter (a cache of 1 to 8
 *   pages, so that pages meet their cached copies) then the destination's:
 *   unless the source lost the stream, it comes back byte for byte;
 * - as a delta, applied to a page: refused, or applied within the page;
 *   and the page it gives encodes again into a delta that gives it too.
 * Seeds: tests/fuzz/corpus/delta/ (streams of three rounds as the source's
 * filter writes them and as libxl wrote them, written by the unit suite
 * delta with BL_DELTA_CORPUS=DIR; and the spec's example delta). */
#include <stdlib.h>
#include <string.h>

#include "toolstack/common/stream_mem.h"
#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_xbzrle.h"

#define PAGE 4096
/* The destination's limit: 64 pages, so that no input costs a big cache. */
#define CACHE_MAX (64 * PAGE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct verdict {
	struct stream_mem m;
	int rc; /* the first write's error, or BL_OK */
	char err[BL_ERRMSG_MAX];
};

/* The input through the destination's filter, in pieces (cut: lengths
 * from its bytes, starting at the byte cut - 1), closed. */
static void dec_run(const uint8_t *data, size_t size, int cut,
		    struct verdict *v)
{
	struct bl_stream s;
	struct mig_delta_dec *d;
	const char *err;
	size_t off = 0, i = (size_t)cut;

	stream_mem_init(&s, &v->m);
	if (mig_delta_dec_new(&s, CACHE_MAX, &d))
		abort();
	v->rc = BL_OK;
	while (off < size && !v->rc) {
		size_t len = cut ? 1 + data[i++ % size] % 200 : size;

		if (len > size - off)
			len = size - off;
		v->rc = stream_write(mig_delta_dec_stream(d), data + off, len);
		off += len;
	}
	stream_close(mig_delta_dec_stream(d));
	err = mig_delta_dec_error(d);
	strcpy(v->err, err ? err : "");
	if (v->rc && v->rc != BL_ERR_PROTO)
		abort(); /* memory writes no other error */
	if (!v->rc && err && strstr(err, "cut short") == NULL)
		abort(); /* only the close finds an error after the writes */
	mig_delta_dec_free(d);
}

/* The input through the source's filter, in pieces; true: it was lost. */
static bool enc_run(const uint8_t *data, size_t size, struct stream_mem *m)
{
	struct bl_stream s;
	struct mig_delta_enc *e;
	size_t off = 0, i = 1;
	bool lost;

	stream_mem_init(&s, m);
	if (mig_delta_enc_new(
		&s, (uint64_t)(1 + (size ? data[0] % 8 : 0)) * PAGE, &e))
		abort();
	while (off < size) {
		size_t len = 1 + data[i++ % size] % 251;

		if (len > size - off)
			len = size - off;
		if (stream_write(mig_delta_enc_stream(e), data + off, len))
			abort();
		off += len;
	}
	stream_close(mig_delta_enc_stream(e));
	lost = mig_delta_enc_lost(e);
	mig_delta_enc_free(e);
	return lost;
}

static bool same(const struct stream_mem *a, const uint8_t *b, size_t len)
{
	return a->len == len && (!len || !memcmp(a->buf, b, len));
}

static void codec(const uint8_t *data, size_t size)
{
	static uint8_t old[PAGE], page[PAGE], again[PAGE], delta[2 * PAGE];
	const char *why;
	size_t n;

	for (size_t i = 0; i < PAGE; i++)
		old[i] = (uint8_t)(i * (size ? data[0] : 1));
	if (mig__xbzrle_decode(old, data, size, page, &why))
		return;
	n = mig__xbzrle_encode(old, page, delta, sizeof(delta));
	if (!n || mig__xbzrle_decode(old, delta, n, again, &why) ||
	    memcmp(page, again, PAGE))
		abort();
	n = mig__xbzrle_encode(old, page, delta, MIG__XBZRLE_CAP);
	if (n > MIG__XBZRLE_CAP ||
	    (n && (mig__xbzrle_decode(old, delta, n, again, &why) ||
		   memcmp(page, again, PAGE))))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict whole, cut, back;
	struct stream_mem enc;
	bool lost;

	dec_run(data, size, 0, &whole);
	dec_run(data, size, 1, &cut);
	if (whole.rc != cut.rc || strcmp(whole.err, cut.err) ||
	    (!whole.err[0] && (whole.m.len != cut.m.len ||
			       !same(&whole.m, cut.m.buf, cut.m.len))))
		abort();
	free(whole.m.buf);
	free(cut.m.buf);

	lost = enc_run(data, size, &enc);
	dec_run(enc.buf, enc.len, 0, &back);
	if (!lost && (back.rc || back.err[0] || !same(&back.m, data, size)))
		abort();
	free(enc.buf);
	free(back.m.buf);

	codec(data, size);
	return 0;
}
