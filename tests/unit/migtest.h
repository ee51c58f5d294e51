/* Helpers shared by the migration stream suites: streams encoded, decoded
 * or written by hand in one call (payloads: payload.h). Failures are CUnit
 * assertions (fatal where the test cannot go on). */
#ifndef BL_TEST_MIGTEST_H
#define BL_TEST_MIGTEST_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/mig/mig_stream.h"

/* The migration the tests' streams carry: id 00 01 .. 0f, generation 7. */
extern const struct mig_ident migtest_ident;

/* A socketpair: a is the source's end, b the destination's. Both have a
 * 5 s deadline, so a test that would hang fails. */
void migtest_pair_open(struct bl_stream *a, struct bl_stream *b);
/* Encodes p[0, n) into s with flags, written in pieces of piece bytes;
 * the encoder's figures in *st_r. */
void migtest_encode(struct bl_stream *s, const uint8_t *p, size_t n,
		    uint32_t flags, size_t piece, struct mig_stats *st_r);
/* Decodes from in to out until stream-end, an abort or an error: returns
 * the error, or BL_OK with the last record's type in *type_r; the
 * decoder's figures in *st_r if it is not NULL. */
int migtest_decode(struct bl_stream *in, struct bl_stream *out,
		   uint32_t *type_r, struct mig_stats *st_r, char *err,
		   size_t errlen);
/* The same for the stream bytes[0, n), decoded into nowhere. */
int migtest_decode_bytes(const uint8_t *bytes, size_t n, uint32_t *type_r,
			 char *err, size_t errlen);

/* Hand-made streams. The header of version 3 on includes the migration
 * record (migtest_ident). */
void migtest_put_header(struct bl_stream *s, uint32_t version, uint32_t opts);
void migtest_put_rec(struct bl_stream *s, uint32_t type, const void *body,
		     uint32_t len);
/* Hex digits, spaces ignored, into out[size]: returns the bytes' count. */
size_t migtest_unhex(const char *hex, uint8_t *out, size_t size);

#endif
