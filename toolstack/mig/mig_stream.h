/* The migration stream: the channel that carries libxl's save stream from
 * the source blanketd to the destination's, and the handover records that
 * follow it. Wire format and handover: docs/specs/migration-stream.md; the
 * limits below are the spec's.
 *
 * The source pumps libxl's bytes into an encoder (mig_enc_*), which writes
 * records to a struct bl_stream; the destination's decoder (mig_dec_*)
 * reads them and writes the bytes back out to another stream (the pipe
 * libxl restores from). Then both sides exchange control records
 * (mig_ctl_*) on the same connection. */
#ifndef BL_MIG_STREAM_H
#define BL_MIG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/frame.h"
#include "toolstack/common/id.h"
#include "toolstack/common/stream.h"

#define MIG_VERSION	   6 /* the version we write, and the highest we read */
#define MIG_MIN_VERSION	   1 /* the lowest we read */
#define MIG_HEADER_LEN	   FRAME_HEADER_LEN
#define MIG_REC_HEADER_LEN FRAME_REC_HEADER_LEN
#define MIG_MAX_BODY	   262144u	  /* any record's body */
#define MIG_CHUNK_MAX	   262144u	  /* a chunk's raw_len */
#define MIG_OPTIONAL	   FRAME_OPTIONAL /* type bit: skip if unknown */
#define MIG_OPT_ZLIB	   0x1u		  /* header option: zlib records */
#define MIG_OPT_ZSTD	   0x2u	  /* header option (version 5): zstd records */
#define MIG_OPT_DELTA	   0x4u	  /* header option (version 6): deltas */
#define MIG_MESSAGE_MAX	   512	  /* abort message, NUL included */
#define MIG_DOMID_MAX	   32751u /* below DOMID_FIRST_RESERVED */
#define MIG_DISKS_MAX	   16u	  /* disk records in a stream */
#define MIG_DISK_CHUNK	   65536u /* a disk-data record's raw_len */
#define MIG_DISK_SECTORS   (1ull << 41) /* a disk's most: 1 PiB */
#define MIG_HASH_LEN	   32u		/* disk-end's hash: SHA-256 */

enum mig_rec_type {
	MIG_REC_RAW = 1,
	MIG_REC_ZERO = 2,
	MIG_REC_ZLIB = 3,
	MIG_REC_STREAM_END = 4,
	MIG_REC_RESTORED = 5,
	MIG_REC_GO = 6,
	MIG_REC_STARTED = 7,
	MIG_REC_ABORT = 8,
	MIG_REC_FILL = 9,	/* since version 2 */
	MIG_REC_MIGRATION = 10, /* since version 3 */
	MIG_REC_SETTLED = 11,	/* since version 3 */
	MIG_REC_DISK = 12,	/* since version 4 */
	MIG_REC_DISK_DATA = 13, /* since version 4 */
	MIG_REC_DISK_END = 14,	/* since version 4 */
	MIG_REC_ZSTD = 15,	/* since version 5 */
};

/* disk-data's encodings of its bytes */
enum mig_disk_encoding {
	MIG_DISK_RAW = 0,
	MIG_DISK_ZERO = 1,
	MIG_DISK_ZLIB = 2,
	MIG_DISK_ZSTD = 3, /* since version 5 */
};

/* A disk record as the decoder read it (version 4): which fields a type
 * uses is in the spec's table. */
struct mig_disk_rec {
	uint32_t index;
	uint64_t sectors;    /* disk: the image's size in 512-byte sectors */
	uint64_t allocated;  /* disk: bytes allocated at the source */
	uint64_t offset;     /* disk-data: where the bytes go, in bytes */
	uint32_t len;	     /* disk-data: how many */
	const uint8_t *data; /* disk-data: the bytes, NULL for zeros; the
			      * decoder's until its next call */
	uint64_t bytes;	     /* disk-end: disk-data bytes for the disk */
	uint8_t hash[MIG_HASH_LEN]; /* disk-end: the image's at the source */
};

/* Which migration a stream carries (version 3's migration record): its
 * identity, and the generation of the guest at the source. */
struct mig_ident {
	struct bl_id id;
	uint64_t generation;
};

/* Name for logs and error messages ("stream-end"), "unknown" otherwise. */
const char *mig_rec_name(uint32_t type);

/* What one side moved, for the final report. Payload bytes are libxl's;
 * wire bytes are everything on the connection from the header to
 * stream-end, padding included. */
struct mig_stats {
	uint64_t raw_bytes;    /* payload bytes */
	uint64_t wire_bytes;   /* header and records */
	uint64_t records;      /* chunk records */
	uint64_t zero_bytes;   /* payload bytes sent as zero records */
	uint64_t fill_bytes;   /* payload bytes sent as fill records */
	uint64_t packed_bytes; /* payload bytes sent as zlib or zstd records */
	uint64_t pack_tried;   /* encoder: bytes it fed zstd (probes too) */
	uint64_t send_ns;      /* wall time in writes: the encoder's to the
				* connection, the decoder's to its output */
	uint64_t recv_ns;      /* decoder: wall time reading records */
	uint64_t pack_ns;      /* encoder: CPU time in zstd */
	uint64_t disk_bytes;   /* disk-data bytes, not in raw_bytes */
	uint64_t disk_wire;    /* the disk records' share of wire_bytes */
	uint64_t elided_pages; /* destination: zero pages left out of the
				* restore (mig_elide.h), set by its caller */
};

/* Control records, decoded. Which fields a type uses is in the spec's
 * tables; the others are as mig_ctl_init() left them. Nothing is
 * allocated: a mig_ctl needs no dispose. */
struct mig_ctl {
	uint32_t type;		       /* enum mig_rec_type */
	uint32_t domid;		       /* restored */
	int code;		       /* abort: a negative enum bl_err, or
					* one we do not know */
	char message[MIG_MESSAGE_MAX]; /* abort */
};

/* Functions that take err fill it, on failure, with a message for the peer
 * or the user (MIG_MESSAGE_MAX bytes hold any; NULL, 0 is allowed). */

void mig_ctl_init(struct mig_ctl *c);
/* restored, go, started, settled or abort, in one stream write. BL_ERR_INVAL
 * for another type or a field the spec does not allow; stream errors as they
 * come. */
int mig_ctl_send(struct bl_stream *s, const struct mig_ctl *c) BL_MUST_CHECK;
/* An abort: code is a negative enum bl_err; message may be NULL or empty
 * (bl_strerror(code) is sent) and is cut to fit. */
int mig_send_abort(struct bl_stream *s, int code,
		   const char *message) BL_MUST_CHECK;
/* The next control record: BL_OK when it is want or an abort (c_r->type
 * says which), BL_ERR_PROTO for any other record or a malformed one.
 * Unknown optional records are skipped. */
int mig_ctl_recv(struct bl_stream *s, uint32_t want, struct mig_ctl *c_r,
		 char *err, size_t errlen) BL_MUST_CHECK;

/* The encoder, from libxl's save fd to records. */
struct mig_enc;

#define MIG_ENC_NO_COMPRESS 0x1u /* raw, zero and fill records only */
/* The header's option MIG_OPT_DELTA: the payload is what the source's
 * page-delta filter (mig_delta.h) wrote. The encoder only sets the option:
 * the filter sits in front of it (mig_enc_stream). */
#define MIG_ENC_DELTA 0x2u

/* Writes the header and the migration record (ident) to s and returns the
 * encoder in *enc_r, the caller's to mig_enc_free(). s stays the caller's
 * and must outlive the encoder. On error *enc_r is untouched. */
int mig_enc_start(struct bl_stream *s, uint32_t flags,
		  const struct mig_ident *ident,
		  struct mig_enc **enc_r) BL_MUST_CHECK;
/* Payload bytes, in any pieces: buffered, and sent as records once a chunk
 * is full. Errors are the stream's or BL_ERR_NOMEM, and stick: every later
 * call returns the first. */
int mig_enc_write(struct mig_enc *enc, const void *buf,
		  size_t len) BL_MUST_CHECK;
/* The same without a copy, for a caller that reads the payload straight
 * into the encoder: mig_enc_space() gives where the next bytes go and how
 * many fit (never 0); mig_enc_commit() takes the n of them written there
 * (BL_ERR_INVAL for more than fit). Errors as mig_enc_write()'s. */
int mig_enc_space(struct mig_enc *enc, uint8_t **p_r,
		  size_t *room_r) BL_MUST_CHECK;
int mig_enc_commit(struct mig_enc *enc, size_t n) BL_MUST_CHECK;
/* The encoder as a stream, for a filter in front of it (mig_delta.h):
 * its write is mig_enc_write(); its read fails (BL_ERR_IO); its close does
 * nothing (mig_enc_finish() ends the payload). fd is the connection's.
 * The encoder's, valid until mig_enc_free(). */
struct bl_stream *mig_enc_stream(struct mig_enc *enc);
/* Sends what is buffered now, as records (for a caller whose input has
 * paused: what it has is on its way while it waits). Errors as
 * mig_enc_write()'s; BL_ERR_INVAL once finished. */
int mig_enc_flush(struct mig_enc *enc) BL_MUST_CHECK;
/* Sends what is buffered and stream-end. The payload is then complete:
 * mig_enc_write() and mig_enc_finish() return BL_ERR_INVAL. */
int mig_enc_finish(struct mig_enc *enc) BL_MUST_CHECK;
void mig_enc_stats(const struct mig_enc *enc, struct mig_stats *st_r);
/* NULL is allowed. Does not close the stream. */
void mig_enc_free(struct mig_enc *enc);

/* Disks (version 4), in the payload's place, before stream-end: a disk
 * record per disk, numbered from 0 in order, then its disk-data records
 * (each written at once, as zeros, packed with zstd if it shrinks, or raw),
 * then
 * its disk-end. len: a multiple of 512, at most MIG_DISK_CHUNK. The
 * encoder does not check the order: the decoder does. Errors as
 * mig_enc_write()'s. */
int mig_enc_disk(struct mig_enc *enc, uint32_t index, uint64_t sectors,
		 uint64_t allocated) BL_MUST_CHECK;
int mig_enc_disk_data(struct mig_enc *enc, uint32_t index, uint64_t offset,
		      const void *data, uint32_t len) BL_MUST_CHECK;
int mig_enc_disk_end(struct mig_enc *enc, uint32_t index, uint64_t bytes,
		     const uint8_t hash[MIG_HASH_LEN]) BL_MUST_CHECK;

/* The decoder, from records to libxl's restore fd. */
struct mig_dec;

/* Reads and checks the header from in (and, from version 3 on, the
 * migration record that follows it), and returns the decoder in *dec_r,
 * the caller's to mig_dec_free(). in stays the caller's and must outlive
 * the decoder. BL_ERR_PROTO or BL_ERR_VERSION for a header this reader
 * refuses; on error *dec_r is untouched. */
int mig_dec_start(struct bl_stream *in, struct mig_dec **dec_r, char *err,
		  size_t errlen) BL_MUST_CHECK;
/* The stream's migration record; BL_ERR_NOTFOUND for a stream older than
 * version 3, which has none. */
int mig_dec_ident(const struct mig_dec *dec,
		  struct mig_ident *ident_r) BL_MUST_CHECK;
/* Whether the header has the option MIG_OPT_DELTA (version 6): the
 * payload goes through the destination's page-delta filter
 * (mig_delta.h) before libxl's restore. */
bool mig_dec_delta(const struct mig_dec *dec);
/* Reads the next record and writes a chunk's bytes to out, buffered: out
 * gets them in writes of up to 512 KiB, and whatever is buffered before a
 * read that would wait (so out works while the rest is on its way); never
 * more than was decoded, and all of it once stream-end is verified. On
 * BL_OK,
 * ctl_r->type says what was read: a chunk type (call again), a disk
 * record (mig_dec_disk() has it; call again), MIG_REC_STREAM_END (the payload
 * is complete and its checksum verified; the handover follows, with mig_ctl_*),
 * or MIG_REC_ABORT (the source gave up: its code and message are in ctl_r).
 * After either of those, and after an error, which sticks, there is nothing
 * more to decode: later calls return BL_ERR_INVAL, or the error. Errors writing
 * to out are returned as they come, with "output: " before the message. */
int mig_dec_next(struct mig_dec *dec, struct bl_stream *out,
		 struct mig_ctl *ctl_r, char *err, size_t errlen) BL_MUST_CHECK;
/* The disk record mig_dec_next() just read (its ctl_r->type was
 * MIG_REC_DISK, MIG_REC_DISK_DATA or MIG_REC_DISK_END): checked against
 * the spec and the disk's earlier records. */
const struct mig_disk_rec *mig_dec_disk(const struct mig_dec *dec);
void mig_dec_stats(const struct mig_dec *dec, struct mig_stats *st_r);
/* NULL is allowed. Does not close the streams. */
void mig_dec_free(struct mig_dec *dec);

#endif
