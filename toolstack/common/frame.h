/*
 * The framing every Blanket wire format shares (docs/specs/rpc.md,
 * migration-stream.md, lab-control.md), in the line of Xen's migration v2:
 * big-endian numbers; a 16-byte header {magic[8], u32, u32}; then records
 * {u32 type; u32 length; body; zero padding to a multiple of 8}, where bit
 * 31 of a type marks a record a reader that does not know it may skip.
 *
 * Each codec keeps its own record table and limits; this module reads and
 * writes the frames, and frame_next() is the one place that checks an
 * untrusted length (against the codec's limit, before anything is read
 * into memory).
 */
#ifndef BL_FRAME_H
#define BL_FRAME_H

#include <endian.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"

#define FRAME_HEADER_LEN     16
#define FRAME_MAGIC_LEN	     8
#define FRAME_REC_HEADER_LEN 8
#define FRAME_OPTIONAL	     0x80000000u

static inline uint32_t frame_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static inline uint64_t frame_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

static inline void frame_store32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static inline void frame_store64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

/* Padding after a body of len bytes. */
static inline uint32_t frame_pad(uint32_t len)
{
	return (8 - (len & 7)) & 7;
}

/* Bytes a record with a body of len bytes takes on the wire. */
static inline size_t frame_size(uint32_t len)
{
	return FRAME_REC_HEADER_LEN + (size_t)len + frame_pad(len);
}

/* The header: magic, then two numbers (a version and options, or a version
 * range). frame_header_get: BL_ERR_PROTO when the magic is not ours. */
void frame_header_put(uint8_t hdr[FRAME_HEADER_LEN],
		      const uint8_t magic[FRAME_MAGIC_LEN], uint32_t a,
		      uint32_t b);
int frame_header_get(const uint8_t hdr[FRAME_HEADER_LEN],
		     const uint8_t magic[FRAME_MAGIC_LEN], uint32_t *a_r,
		     uint32_t *b_r) BL_MUST_CHECK;

/* A record into dst, which has room for frame_size(len) bytes: header,
 * body, zeroed padding. With body NULL the caller has put the body at dst +
 * FRAME_REC_HEADER_LEN already (the migration encoder deflates straight
 * there). Returns frame_size(len). */
size_t frame_put(uint8_t *dst, uint32_t type, const void *body, uint32_t len);
/* A record in one write (over TCP, a header and a body written apart meet
 * Nagle's algorithm and the peer's delayed ACK). BL_ERR_INVAL over max. */
int frame_write(struct bl_stream *s, uint32_t max, uint32_t type,
		const void *body, uint32_t len) BL_MUST_CHECK;

/* What a reader reads: its records' limit and names, for errors. */
struct frame_kind {
	const char *noun; /* "message", "record" */
	uint32_t max;	  /* the longest body */
	/* The name of a type this reader knows, NULL for one it does not. */
	const char *(*name)(uint32_t type, const void *arg);
	const void *arg;
};

/* The next record's header: its type and body length. Unknown optional
 * records are read past (their bytes added to *skipped_r if not NULL);
 * a body over k->max or an unknown mandatory type is BL_ERR_PROTO; a
 * stream error its code. err says why. */
int frame_next(struct bl_stream *s, const struct frame_kind *k,
	       uint32_t *type_r, uint32_t *len_r, uint64_t *skipped_r,
	       char *err, size_t errlen) BL_MUST_CHECK;
/* The body and padding of the record frame_next() announced, into buf
 * (room for len + frame_pad(len) bytes); BL_ERR_PROTO if the padding is
 * not zero. name is the record's, for errors. */
int frame_body(struct bl_stream *s, const char *name, uint32_t len,
	       uint8_t *buf, char *err, size_t errlen) BL_MUST_CHECK;

#endif
