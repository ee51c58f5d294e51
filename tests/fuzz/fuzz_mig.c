/* libFuzzer target for the migration stream (toolstack/mig). The input is
 * read three ways:
 * - at the destination: a source's stream, from the header to stream-end,
 *   then the handover records it may send (awaiting go);
 * - at the source: a destination's records (awaiting restored);
 * - as a payload: through the encoder and the decoder, with compression
 *   or without, alone or behind zeros that push it across the first
 *   chunk's end. It must come back byte for byte: a differential check of
 *   the fill-run finder, the deflate choice and the decoder.
 * Seeds: tests/fuzz/corpus/mig/, the golden streams of tests/golden/mig/
 * (version 2, "-v2") and tests/golden/mig/v1/. */
#include <stdlib.h>
#include <string.h>

#include "toolstack/mig/mig_stream.h"
#include "toolstack/common/stream_mem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where decoded payloads go: counted, not kept. */
static int null_write(struct bl_stream *s, const void *buf, size_t len)
{
	(void)buf;
	*(size_t *)s->impl += len;
	return BL_OK;
}

static void null_close(struct bl_stream *s)
{
	(void)s;
}

static const struct bl_stream_ops null_ops = {
    .write = null_write,
    .close = null_close,
};

/* The input as a stream from a peer. */
static void input_open(struct bl_stream *s, struct stream_mem *m,
		       const uint8_t *data, size_t size)
{
	stream_mem_init(s, m);
	if (stream_write(s, data, size))
		abort();
}

static void as_destination(const uint8_t *data, size_t size)
{
	char err[MIG_MESSAGE_MAX];
	size_t written = 0;
	struct bl_stream in, out = {.ops = &null_ops,
				    .fd = -1,
				    .impl = &written,
				    .deadline_ms = -1};
	struct mig_dec *dec = NULL;
	struct stream_mem m;
	struct mig_stats st;
	struct mig_ctl c;
	int rc;

	input_open(&in, &m, data, size);
	if (!mig_dec_start(&in, &dec, err, sizeof(err))) {
		do
			rc = mig_dec_next(dec, &out, &c, err, sizeof(err));
		while (!rc && c.type != MIG_REC_STREAM_END &&
		       c.type != MIG_REC_ABORT);
		mig_dec_stats(dec, &st);
		/* Output is buffered: all of it arrives at a verified
		 * stream-end, never more than was decoded. */
		if (written > st.raw_bytes || st.wire_bytes > size ||
		    (!rc && c.type == MIG_REC_STREAM_END &&
		     written != st.raw_bytes))
			abort();
		if (!rc && c.type == MIG_REC_STREAM_END)
			while (!mig_ctl_recv(&in, MIG_REC_GO, &c, err,
					     sizeof(err)) &&
			       c.type == MIG_REC_GO)
				;
		mig_dec_free(dec);
	}
	stream_close(&in);
}

static void as_source(const uint8_t *data, size_t size)
{
	char err[MIG_MESSAGE_MAX];
	struct bl_stream in;
	struct stream_mem m;
	struct mig_ctl c;

	input_open(&in, &m, data, size);
	while (!mig_ctl_recv(&in, MIG_REC_RESTORED, &c, err, sizeof(err)) &&
	       c.type == MIG_REC_RESTORED)
		;
	stream_close(&in);
}

/* zeros bytes of zero, then the input, there and back. */
static void round_trip(const uint8_t *data, size_t size, size_t zeros,
		       uint32_t flags)
{
	static const uint8_t zero_buf[65536];
	static const struct mig_ident ident = {.generation = 1};
	char err[MIG_MESSAGE_MAX];
	struct bl_stream s, out;
	struct stream_mem m, mo;
	struct mig_enc *enc = NULL;
	struct mig_dec *dec = NULL;
	struct mig_ctl c;
	size_t n;
	int rc;

	stream_mem_init(&s, &m);
	stream_mem_init(&out, &mo);
	rc = mig_enc_start(&s, flags, &ident, &enc);
	for (size_t left = zeros; !rc && left; left -= n) {
		n = left < sizeof(zero_buf) ? left : sizeof(zero_buf);
		rc = mig_enc_write(enc, zero_buf, n);
	}
	if (!rc)
		rc = mig_enc_write(enc, data, size);
	if (!rc)
		rc = mig_enc_finish(enc);
	mig_enc_free(enc);
	if (!rc)
		rc = mig_dec_start(&s, &dec, err, sizeof(err));
	while (!rc) {
		rc = mig_dec_next(dec, &out, &c, err, sizeof(err));
		if (!rc && c.type == MIG_REC_STREAM_END)
			break;
	}
	if (rc || m.off != m.len || mo.len != zeros + size ||
	    (zeros && (mo.buf[0] || memcmp(mo.buf, mo.buf + 1, zeros - 1))) ||
	    (size && memcmp(mo.buf + zeros, data, size)))
		abort();
	mig_dec_free(dec);
	stream_close(&s);
	stream_close(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_destination(data, size);
	as_source(data, size);
	/* One round trip per input, picked by its size: each takes fresh
	 * 256 KiB buffers, and page faults would otherwise be most of the
	 * fuzzer's time. The third pushes the input across the first chunk's
	 * end, at any word offset. */
	if (size % 3 == 0)
		round_trip(data, size, 0, 0);
	else if (size % 3 == 1)
		round_trip(data, size, 0, MIG_ENC_NO_COMPRESS);
	else if (size < MIG_CHUNK_MAX)
		round_trip(data, size, MIG_CHUNK_MAX - size / 2 - data[0] % 8,
			   0);
	return 0;
}
