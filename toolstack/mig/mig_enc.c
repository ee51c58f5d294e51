/* The migration stream encoder (docs/specs/migration-stream.md, "How the
 * source chooses chunks").
 *
 * Entry points: mig_enc_start (header); mig_enc_space and mig_enc_commit
 * for the pump loop that reads libxl's save fd straight into the chunk
 * buffer, or mig_enc_write to copy bytes in (mig_enc_stream: the same as
 * a stream, for the page-delta filter in front); mig_enc_finish (the rest,
 * and stream-end).
 *
 * Nomenclature: the *chunk buffer* collects payload bytes until it holds
 * MIG_CHUNK_MAX; it is then cut into fill runs (one word repeated, zeros
 * included) and *stretches* of data between them, each one record. Records
 * collect in the *output buffer*, written to the stream when it cannot take
 * the largest record.
 *
 * Order of the main loop (encode_chunk): keep back the run of equal words
 * that ends the chunk; then, front to back, find the next fill run, send
 * the stretch before it (packed with zstd if it shrinks, else raw), send
 * the run; then move the kept words to the front for the next chunk. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "toolstack/mig/mig_rec.h"
#include "toolstack/mig/mig_fill.h"

/* Two of the largest records: a flush to make room writes at least
 * 256 KiB. */
#define OUT_CAP (2 * MIG__REC_MAX)
/* A chunk's tail of equal words is kept for the next chunk only from this
 * length on: any data ends in one word at least, and keeping that would
 * cut every chunk short; a run that crosses the chunk's end with less
 * than this before it loses that much to a raw record. */
#define KEEP_MIN 64
/* zstd's level: 1, its fastest. On a guest's memory in 256 KiB chunks it
 * packs 3% more bytes than level 2, which matches zlib's fastest (level 1),
 * at 1.3 times level 2's speed and 4 times zlib's (docs/specs/
 * migration-stream.md, "How the source chooses chunks"). */
#define ZSTD_LEVEL 1
/* Stretches shorter than this go raw: the frame's own overhead eats most of
 * what it could save there. */
#define PACK_MIN 512
/* A stretch of PROBE_MIN bytes or more is compressed only if its first
 * PROBE_LEN bytes shrink: incompressible data then costs 4 KiB per stretch,
 * not the whole stretch. */
#define PROBE_LEN 4096
#define PROBE_MIN (4 * PROBE_LEN)
/* A stretch is taken for random, and not tried, when SAMPLES of its bytes,
 * taken evenly across it, show more than RANDOM_DISTINCT distinct values.
 * Random bytes show 162 on average (standard deviation 4.6); bytes drawn
 * from 128 values (7 bits of entropy: the most that Huffman coding alone
 * shrinks by an eighth) show 111; a block that repeats shows only its own
 * values. It costs 256 loads, far less than trying a 4 KiB page. */
#define SAMPLES		256
#define RANDOM_DISTINCT 140
/* Backing off: once BACKOFF_MIN bytes of data in a row did not shrink, as
 * many bytes again go raw untried, up to BACKOFF_MAX, so the tries thin out
 * geometrically. A single page that does not shrink among pages that do
 * (a guest's memory) does not set it off. */
#define BACKOFF_MIN (256u * 1024)
#define BACKOFF_MAX (16u * 1024 * 1024)
struct mig_enc {
	struct bl_stream *s;	 /* borrowed */
	struct bl_stream as_out; /* mig_enc_stream's: writes mig_enc_write */
	bool compress;
	bool delta;  /* the header's MIG_OPT_DELTA */
	bool done;   /* stream-end was sent */
	int rc;	     /* the first error, returned by every later call */
	uint8_t *in; /* the chunk buffer, MIG_CHUNK_MAX bytes */
	size_t in_len;
	uint8_t *out; /* the output buffer, OUT_CAP bytes */
	size_t out_len;
	ZSTD_CCtx *zc;	     /* when compress */
	uint32_t crc;	     /* of the payload so far */
	uint64_t unpaid;     /* data bytes since compressing last paid */
	uint64_t skip;	     /* data bytes still to send raw untried */
	struct mig_stats st; /* raw_bytes counts bytes taken in */
};

static int flush(struct mig_enc *enc)
{
	int64_t t0 = mig__now_ns();
	int rc;

	if (!enc->out_len)
		return BL_OK;
	rc = stream_write(enc->s, enc->out, enc->out_len);
	if (rc)
		return rc;
	enc->st.send_ns += (uint64_t)(mig__now_ns() - t0);
	enc->st.wire_bytes += enc->out_len;
	enc->out_len = 0;
	return BL_OK;
}

/* Room in the output buffer for any record. */
static int room(struct mig_enc *enc)
{
	if (enc->out_len + MIG__REC_MAX > OUT_CAP)
		return flush(enc);
	return BL_OK;
}

/* A fill run: a zero record for zeros, else a fill record. */
static int put_fill(struct mig_enc *enc, size_t len, uint64_t word)
{
	uint8_t body[4 + sizeof(word)];
	int rc = room(enc);

	if (rc)
		return rc;
	frame_store32(body, (uint32_t)len);
	if (!word) {
		enc->out_len +=
		    frame_put(enc->out + enc->out_len, MIG_REC_ZERO, body, 4);
		enc->st.zero_bytes += len;
	} else {
		memcpy(body + 4, &word, sizeof(word));
		enc->out_len += frame_put(enc->out + enc->out_len, MIG_REC_FILL,
					  body, sizeof(body));
		enc->st.fill_bytes += len;
	}
	enc->crc = mig__crc32_fill(enc->crc, word, len);
	enc->st.records++;
	return BL_OK;
}

/* Compresses p[0, len) into dst as one zstd frame: its length, or 0 if it
 * did not shrink by an eighth. Bounding the output makes zstd give up on
 * data that does not shrink, instead of finishing it. */
static size_t pack_into(struct mig_enc *enc, const uint8_t *p, size_t len,
			uint8_t *dst)
{
	size_t n = ZSTD_compress2(enc->zc, dst, len - len / 8, p, len);

	enc->st.pack_tried += len;
	return ZSTD_isError(n) ? 0 : n;
}

static bool looks_random(const uint8_t *p, size_t len)
{
	uint64_t seen[4] = {0};
	unsigned int distinct = 0;
	uint8_t b;

	for (size_t i = 0; i < SAMPLES; i++) {
		b = p[i * len / SAMPLES];
		seen[b >> 6] |= 1ull << (b & 63);
	}
	for (size_t i = 0; i < 4; i++)
		distinct += (unsigned int)__builtin_popcountll(seen[i]);
	return distinct > RANDOM_DISTINCT;
}

/* Compresses a stretch straight into the output buffer as a zstd record,
 * if it shrinks; false when it went untried or did not shrink (the output
 * buffer is then as it was). */
static bool put_packed(struct mig_enc *enc, const uint8_t *p, size_t len)
{
	uint8_t *rec = enc->out + enc->out_len;
	uint8_t *dst = rec + MIG_REC_HEADER_LEN + 4;
	size_t zlen = 0;
	int64_t t0;

	if (!enc->compress || len < PACK_MIN)
		return false;
	if (enc->skip) {
		enc->skip -= enc->skip < len ? enc->skip : len;
		enc->unpaid += len;
		return false;
	}
	/* The cheapest test first: the sample, the probe, then the whole. */
	t0 = mig__cpu_ns();
	if (!looks_random(p, len) &&
	    (len < PROBE_MIN || pack_into(enc, p, PROBE_LEN, dst)))
		zlen = pack_into(enc, p, len, dst);
	enc->st.pack_ns += (uint64_t)(mig__cpu_ns() - t0);
	if (!zlen) {
		enc->unpaid += len;
		if (enc->unpaid >= BACKOFF_MIN)
			enc->skip = enc->unpaid < BACKOFF_MAX ? enc->unpaid
							      : BACKOFF_MAX;
		return false;
	}
	enc->unpaid = 0;
	frame_store32(rec + MIG_REC_HEADER_LEN, (uint32_t)len);
	enc->out_len += frame_put(rec, MIG_REC_ZSTD, NULL, 4 + (uint32_t)zlen);
	enc->st.packed_bytes += len;
	return true;
}

static int put_data(struct mig_enc *enc, const uint8_t *p, size_t len)
{
	int rc = room(enc);

	if (rc)
		return rc;
	enc->crc = (uint32_t)crc32(enc->crc, p, (uInt)len);
	if (!put_packed(enc, p, len))
		enc->out_len += frame_put(enc->out + enc->out_len, MIG_REC_RAW,
					  p, (uint32_t)len);
	enc->st.records++;
	return BL_OK;
}

/* Sends the chunk buffer as records. Unless all, the run of equal words
 * that ends it (KEEP_MIN bytes or more) is kept for the next chunk: a zero
 * or poisoned page cut by the chunk's end is then found whole. A buffer of
 * one run only is sent, to make room. */
static int encode_chunk(struct mig_enc *enc, bool all)
{
	size_t end = enc->in_len, keep = 0, off = 0, foff, flen;
	uint64_t word;
	int rc;

	if (!all) {
		keep = mig__fill_tail(enc->in, end);
		if (keep < KEEP_MIN || keep == end)
			keep = 0;
		end -= keep;
	}
	while (off < end) {
		foff = mig__fill_find(enc->in, off, end, &flen, &word);
		rc = foff > off ? put_data(enc, enc->in + off, foff - off)
				: BL_OK;
		if (!rc && flen)
			rc = put_fill(enc, flen, word);
		if (rc)
			return rc;
		off = foff + flen;
	}
	memmove(enc->in, enc->in + end, keep);
	enc->in_len = keep;
	return BL_OK;
}

int mig_enc_start(struct bl_stream *s, uint32_t flags,
		  const struct mig_ident *ident, struct mig_enc **enc_r)
{
	uint8_t hdr[MIG_HEADER_LEN + MIG_REC_HEADER_LEN + MIG__IDENT_LEN];
	uint8_t body[MIG__IDENT_LEN];
	size_t len;
	struct mig_enc *enc = NULL;
	int rc;

	if (flags & ~(MIG_ENC_NO_COMPRESS | MIG_ENC_DELTA))
		return BL_ERR_INVAL;
	enc = calloc(1, sizeof(*enc));
	if (!enc)
		return BL_ERR_NOMEM;
	enc->s = s;
	enc->compress = !(flags & MIG_ENC_NO_COMPRESS);
	enc->delta = flags & MIG_ENC_DELTA;
	enc->in = malloc(MIG_CHUNK_MAX);
	enc->out = malloc(OUT_CAP);
	rc = enc->in && enc->out ? BL_OK : BL_ERR_NOMEM;
	if (!rc && enc->compress) {
		enc->zc = ZSTD_createCCtx();
		if (!enc->zc ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(
			enc->zc, ZSTD_c_compressionLevel, ZSTD_LEVEL)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(
			enc->zc, ZSTD_c_contentSizeFlag, 1)))
			rc = BL_ERR_NOMEM;
	}
	if (rc)
		goto out;
	/* The header and the migration record, in one write. */
	mig__header_put(hdr, MIG_VERSION,
			(enc->compress ? MIG_OPT_ZSTD : 0) |
			    (enc->delta ? MIG_OPT_DELTA : 0));
	mig__ident_put(body, ident);
	len = MIG_HEADER_LEN + frame_put(hdr + MIG_HEADER_LEN,
					 MIG_REC_MIGRATION, body, sizeof(body));
	rc = stream_write(s, hdr, len);
	if (rc)
		goto out;
	enc->st.wire_bytes = len;
	*enc_r = enc;
	enc = NULL;
out:
	mig_enc_free(enc);
	return rc;
}

int mig_enc_space(struct mig_enc *enc, uint8_t **p_r, size_t *room_r)
{
	if (enc->rc)
		return enc->rc;
	if (enc->done)
		return BL_ERR_INVAL;
	*p_r = enc->in + enc->in_len;
	*room_r = MIG_CHUNK_MAX - enc->in_len;
	return BL_OK;
}

int mig_enc_commit(struct mig_enc *enc, size_t n)
{
	if (enc->rc)
		return enc->rc;
	if (enc->done || n > MIG_CHUNK_MAX - enc->in_len)
		return BL_ERR_INVAL;
	enc->in_len += n;
	enc->st.raw_bytes += n;
	if (enc->in_len == MIG_CHUNK_MAX)
		enc->rc = encode_chunk(enc, false);
	return enc->rc;
}

int mig_enc_write(struct mig_enc *enc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t *dst;
	size_t room;
	int rc = mig_enc_space(enc, &dst, &room);

	while (!rc && len) {
		room = room < len ? room : len;
		memcpy(dst, p, room);
		p += room;
		len -= room;
		rc = mig_enc_commit(enc, room);
		if (!rc)
			rc = mig_enc_space(enc, &dst, &room);
	}
	return rc;
}

/* mig_enc_stream's ops. */
static int as_out_write(struct bl_stream *s, const void *buf, size_t len)
{
	return mig_enc_write(s->impl, buf, len);
}

static int as_out_read(struct bl_stream *s, void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_ERR_IO; /* a stream for writing */
}

static void as_out_close(struct bl_stream *s)
{
	(void)s;
}

static const struct bl_stream_ops as_out_ops = {
    .read = as_out_read,
    .write = as_out_write,
    .close = as_out_close,
};

struct bl_stream *mig_enc_stream(struct mig_enc *enc)
{
	enc->as_out.ops = &as_out_ops;
	enc->as_out.fd = enc->s->fd;
	enc->as_out.impl = enc;
	enc->as_out.deadline_ms = -1;
	enc->as_out.version = enc->s->version;
	return &enc->as_out;
}

int mig_enc_flush(struct mig_enc *enc)
{
	if (enc->rc)
		return enc->rc;
	if (enc->done)
		return BL_ERR_INVAL;
	enc->rc = encode_chunk(enc, true);
	if (!enc->rc)
		enc->rc = flush(enc);
	return enc->rc;
}

int mig_enc_finish(struct mig_enc *enc)
{
	uint8_t body[20];
	int rc;

	if (enc->rc)
		return enc->rc;
	if (enc->done)
		return BL_ERR_INVAL;
	rc = encode_chunk(enc, true);
	if (!rc)
		rc = room(enc);
	if (rc)
		goto out;
	frame_store64(body, enc->st.raw_bytes);
	frame_store64(body + 8, enc->st.records);
	frame_store32(body + 16, enc->crc);
	enc->out_len += frame_put(enc->out + enc->out_len, MIG_REC_STREAM_END,
				  body, sizeof(body));
	rc = flush(enc);
	enc->done = !rc;
out:
	enc->rc = rc;
	return rc;
}

/* --- disks (version 4) --- */

/* Room for a disk record, or the error that sticks. */
static int disk_room(struct mig_enc *enc)
{
	if (enc->rc)
		return enc->rc;
	if (enc->done)
		return BL_ERR_INVAL;
	enc->rc = room(enc);
	return enc->rc;
}

/* A disk record whose body is built, counted as the disks'. */
static int put_disk_record(struct mig_enc *enc, uint32_t type,
			   const uint8_t *body, uint32_t len)
{
	size_t n;
	int rc = disk_room(enc);

	if (rc)
		return rc;
	n = frame_put(enc->out + enc->out_len, type, body, len);
	enc->out_len += n;
	enc->st.disk_wire += n;
	return BL_OK;
}

int mig_enc_disk(struct mig_enc *enc, uint32_t index, uint64_t sectors,
		 uint64_t allocated)
{
	uint8_t body[MIG__DISK_LEN];

	frame_store32(body, index);
	frame_store32(body + 4, 0);
	frame_store64(body + 8, sectors);
	frame_store64(body + 16, allocated);
	return put_disk_record(enc, MIG_REC_DISK, body, sizeof(body));
}

static bool all_zero(const uint8_t *p, size_t len)
{
	return len && !p[0] && !memcmp(p, p + 1, len - 1);
}

int mig_enc_disk_data(struct mig_enc *enc, uint32_t index, uint64_t offset,
		      const void *data, uint32_t len)
{
	uint8_t *rec, *head;
	uint32_t encoding = MIG_DISK_RAW, body = MIG__DISK_DATA_HEAD + len;
	size_t zlen = 0, n;
	int64_t t0;
	int rc = disk_room(enc);

	if (rc)
		return rc;
	if (!len || len > MIG_DISK_CHUNK || len % 512)
		return BL_ERR_INVAL;
	rec = enc->out + enc->out_len;
	head = rec + MIG_REC_HEADER_LEN;
	if (all_zero(data, len)) {
		encoding = MIG_DISK_ZERO;
		body = MIG__DISK_DATA_HEAD;
	} else if (enc->compress && !looks_random(data, len)) {
		t0 = mig__cpu_ns();
		zlen = pack_into(enc, data, len, head + MIG__DISK_DATA_HEAD);
		enc->st.pack_ns += (uint64_t)(mig__cpu_ns() - t0);
	}
	if (zlen) {
		encoding = MIG_DISK_ZSTD;
		body = MIG__DISK_DATA_HEAD + (uint32_t)zlen;
	} else if (encoding == MIG_DISK_RAW) {
		memcpy(head + MIG__DISK_DATA_HEAD, data, len);
	}
	frame_store32(head, index);
	frame_store32(head + 4, encoding);
	frame_store64(head + 8, offset);
	frame_store32(head + 16, len);
	n = frame_put(rec, MIG_REC_DISK_DATA, NULL, body);
	enc->out_len += n;
	enc->st.disk_wire += n;
	enc->st.disk_bytes += len;
	return BL_OK;
}

int mig_enc_disk_end(struct mig_enc *enc, uint32_t index, uint64_t bytes,
		     const uint8_t hash[MIG_HASH_LEN])
{
	uint8_t body[MIG__DISK_END_LEN];

	frame_store32(body, index);
	frame_store32(body + 4, 0);
	frame_store64(body + 8, bytes);
	memcpy(body + 16, hash, MIG_HASH_LEN);
	return put_disk_record(enc, MIG_REC_DISK_END, body, sizeof(body));
}

void mig_enc_stats(const struct mig_enc *enc, struct mig_stats *st_r)
{
	*st_r = enc->st;
}

void mig_enc_free(struct mig_enc *enc)
{
	if (!enc)
		return;
	ZSTD_freeCCtx(enc->zc);
	free(enc->in);
	free(enc->out);
	free(enc);
}
