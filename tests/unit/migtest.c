/* Helpers shared by the migration stream suites (test_mig.c,
 * test_mig_rec.c): streams made, encoded and decoded in one call. */
#include "tests/unit/migtest.h"

#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "toolstack/common/fdio.h"
#include "toolstack/mig/mig_rec.h"
#include "toolstack/common/stream_mem.h"

const struct mig_ident migtest_ident = {
    .id = {{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}},
    .generation = 7};

/* a: the source's end, b: the destination's; a test that hangs fails. */
void migtest_pair_open(struct bl_stream *a, struct bl_stream *b)
{
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_fd_init(a, sv[0]);
	stream_fd_init(b, sv[1]);
	a->deadline_ms = b->deadline_ms = fdio_now_ms() + 5000;
}

/* Encodes p[0, n) into s, written in pieces of piece bytes. */
void migtest_encode(struct bl_stream *s, const uint8_t *p, size_t n,
		    uint32_t flags, size_t piece, struct mig_stats *st_r)
{
	struct mig_enc *enc = NULL;
	size_t k;

	CU_ASSERT_EQUAL_FATAL(mig_enc_start(s, flags, &migtest_ident, &enc),
			      BL_OK);
	for (size_t off = 0; off < n; off += k) {
		k = n - off < piece ? n - off : piece;
		CU_ASSERT_EQUAL_FATAL(mig_enc_write(enc, p + off, k), BL_OK);
	}
	CU_ASSERT_EQUAL_FATAL(mig_enc_finish(enc), BL_OK);
	mig_enc_stats(enc, st_r);
	CU_ASSERT_EQUAL(mig_enc_write(enc, p, 0), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(mig_enc_finish(enc), BL_ERR_INVAL);
	mig_enc_free(enc);
}

/* Decodes from in to out until stream-end, an abort or an error: returns
 * the error, or BL_OK with the last record's type in *type_r. */
int migtest_decode(struct bl_stream *in, struct bl_stream *out,
		   uint32_t *type_r, struct mig_stats *st_r, char *err,
		   size_t errlen)
{
	struct mig_dec *dec = NULL;
	struct mig_ctl c;
	int rc;

	*type_r = 0;
	rc = mig_dec_start(in, &dec, err, errlen);
	if (rc)
		return rc;
	do {
		rc = mig_dec_next(dec, out, &c, err, errlen);
		*type_r = c.type;
	} while (!rc && c.type != MIG_REC_STREAM_END &&
		 c.type != MIG_REC_ABORT);
	if (st_r)
		mig_dec_stats(dec, st_r);
	mig_dec_free(dec);
	return rc;
}

/* Decodes bytes[0, n): the error it ends with, and its message. */
int migtest_decode_bytes(const uint8_t *bytes, size_t n, uint32_t *type_r,
			 char *err, size_t errlen)
{
	struct bl_stream in, out;
	struct stream_mem mi, mo;
	int rc;

	stream_mem_init(&in, &mi);
	stream_mem_init(&out, &mo);
	CU_ASSERT_EQUAL_FATAL(stream_write(&in, bytes, n), BL_OK);
	rc = migtest_decode(&in, &out, type_r, NULL, err, errlen);
	stream_close(&in);
	stream_close(&out);
	return rc;
}

void migtest_put_header(struct bl_stream *s, uint32_t version, uint32_t opts)
{
	uint8_t hdr[MIG_HEADER_LEN], body[MIG__IDENT_LEN];

	mig__header_put(hdr, version, opts);
	CU_ASSERT_EQUAL(stream_write(s, hdr, sizeof(hdr)), BL_OK);
	if (version < 3)
		return;
	mig__ident_put(body, &migtest_ident);
	migtest_put_rec(s, MIG_REC_MIGRATION, body, sizeof(body));
}

void migtest_put_rec(struct bl_stream *s, uint32_t type, const void *body,
		     uint32_t len)
{
	uint8_t *rec = malloc(frame_size(len));

	CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
	CU_ASSERT_EQUAL(stream_write(s, rec, frame_put(rec, type, body, len)),
			BL_OK);
	free(rec);
}

/* Hex digits, spaces ignored, into out[size]: the bytes' count. */
size_t migtest_unhex(const char *hex, uint8_t *out, size_t size)
{
	size_t n = 0;
	unsigned int b;

	for (; *hex; hex++) {
		if (*hex == ' ')
			continue;
		CU_ASSERT_FATAL(n < size && sscanf(hex, "%2x", &b) == 1);
		out[n++] = (uint8_t)b;
		hex++;
	}
	return n;
}
