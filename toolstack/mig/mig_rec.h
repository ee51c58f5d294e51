/* Migration stream framing (docs/specs/migration-stream.md, "Image header"
 * and "Records"): the record table and the reader of records, on the
 * framing all Blanket's wire formats share (toolstack/common/frame.h:
 * byte order, frame_put() with a body already in place for the encoder).
 * Module-internal: the encoder, the decoder and the tests use it. */
#ifndef BL_MIG_REC_H
#define BL_MIG_REC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "toolstack/common/frame.h"
#include "toolstack/mig/mig_stream.h"

/* Where a record may appear: mig__rec_read() refuses the others. */
#define MIG__PAYLOAD 0x1u /* from the source, up to stream-end */
#define MIG__CONTROL 0x2u /* after stream-end, both ways */
#define MIG__HEADER  0x4u /* right after the header (the migration record) */

/* The migration record's body: id, generation. */
#define MIG__IDENT_LEN (BL_ID_LEN + 8)
/* Disk records' bodies: disk (index, flags, sectors, allocated);
 * disk-data's fields before its data (index, encoding, offset, raw_len);
 * disk-end (index, flags, bytes, hash). */
#define MIG__DISK_LEN	    24
#define MIG__DISK_DATA_HEAD 20
#define MIG__DISK_END_LEN   (16 + MIG_HASH_LEN)

/* The largest record on the wire: MIG_MAX_BODY is a multiple of 8. */
#define MIG__REC_MAX (MIG_REC_HEADER_LEN + MIG_MAX_BODY)
/* A buffer that holds any control record's body and padding. */
#define MIG__CTL_BUF 528

struct mig__rec_desc {
	const char *name;
	uint32_t min_len; /* the body's length range */
	uint32_t max_len;
	unsigned int where; /* MIG__PAYLOAD, MIG__CONTROL */
	uint32_t since;	    /* the first version that has it */
};

/* The entry for a type of this version (MIG_VERSION), NULL for any
 * other. */
const struct mig__rec_desc *mig__rec_desc(uint32_t type);

/* The monotonic clock in ns, for the stats' timings. */
static inline int64_t mig__now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* This thread's CPU time in ns: what compressing costs, however long a
 * preemption kept it off the CPU. */
static inline int64_t mig__cpu_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

void mig__header_put(uint8_t hdr[MIG_HEADER_LEN], uint32_t version,
		     uint32_t options);
/* The spec's checks, in its order: BL_ERR_PROTO for the magic or options,
 * BL_ERR_VERSION for a version we do not read. */
int mig__header_check(const uint8_t hdr[MIG_HEADER_LEN], uint32_t *version_r,
		      uint32_t *options_r, char *err,
		      size_t errlen) BL_MUST_CHECK;

/* Reads the next record of a type that version knows and where allows
 * (a type added after version is unknown, as it is to that version's
 * readers),
 * its body and padding into buf[size]; unknown optional records are
 * skipped. size must hold the largest body allowed where, plus 7: a known
 * record that does not fit is BL_ERR_INVAL (our bug, not the peer's).
 * Every length is checked before the body is read. BL_ERR_PROTO for what
 * the spec calls malformed, stream errors as they come. *wire_r (if not
 * NULL) grows by the bytes read, skipped records included. */
int mig__rec_read(struct bl_stream *s, uint32_t version, unsigned int where,
		  uint8_t *buf, size_t size, uint32_t *type_r, uint32_t *len_r,
		  uint64_t *wire_r, char *err, size_t errlen) BL_MUST_CHECK;

/* The migration record's body, and back. */
void mig__ident_put(uint8_t body[MIG__IDENT_LEN], const struct mig_ident *in);
void mig__ident_get(const uint8_t body[MIG__IDENT_LEN], struct mig_ident *out);

/* A control record's body, framing already checked (restored, go, started,
 * abort): BL_ERR_PROTO with the spec's message for a bad field. */
int mig__ctl_decode(uint32_t type, const uint8_t *body, uint32_t len,
		    struct mig_ctl *c_r, char *err,
		    size_t errlen) BL_MUST_CHECK;

#endif
