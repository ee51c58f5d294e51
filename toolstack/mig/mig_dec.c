/* The migration stream decoder (docs/specs/migration-stream.md).
 *
 * Entry points: mig_dec_start (the header), then mig_dec_next per record
 * until stream-end or an abort.
 *
 * Nomenclature: the *body buffer* holds the record being decoded; the
 * *output buffer* collects the payload, each chunk decoded straight into
 * it, for writes to out; both are taken once, at the start, at their
 * largest (a record needs no allocation, so no length from the wire ever
 * sizes one).
 *
 * Each record type the payload may hold has a handler in handlers[], in
 * the order of the spec's table. Framing and lengths are checked by
 * mig__rec_read() before a handler runs; handlers check fields. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "toolstack/mig/mig_rec.h"
#include "toolstack/mig/mig_fill.h"
#include "toolstack/common/array.h"

struct mig_dec {
	struct bl_stream *in; /* borrowed */
	uint32_t version;     /* the header's */
	uint32_t options;     /* the header's: MIG_OPT_* */
	bool z_ready;	      /* z holds inflate's state: inflateEnd() it */
	ZSTD_DCtx *zd;	      /* with MIG_OPT_ZSTD */
	bool over;	      /* stream-end or abort was read */
	int rc;		      /* the first error, returned by later calls */
	char err[MIG_MESSAGE_MAX]; /* and its message */
	uint8_t *body;		   /* the body buffer */
	uint8_t *obuf;		   /* payload for out, OBUF_CAP bytes */
	size_t obuf_len;
	z_stream z;
	uint32_t crc; /* of the payload so far */
	struct mig_stats st;
	bool has_ident; /* version 3 on */
	struct mig_ident ident;
	/* disks (version 4): the record just read, and each disk's */
	struct mig_disk_rec disk;
	uint8_t *disk_buf; /* a disk-data's bytes unpacked, MIG_DISK_CHUNK */
	uint32_t ndisks;
	struct {
		uint64_t sectors;
		uint64_t got; /* disk-data bytes */
		bool ended;
	} disks[MIG_DISKS_MAX];
};

/* A record's body and padding. */
#define BODY_BUF (MIG_MAX_BODY + 8)
/* The payload goes to out in writes of up to this much, not one per record:
 * in a PV dom0 each write is a trip through Xen, and wakes the reader. */
#define OBUF_CAP (2 * MIG_CHUNK_MAX)

static int proto(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return BL_ERR_PROTO;
}

/* Write what the output buffer holds to out. */
static int drain(struct mig_dec *dec, struct bl_stream *out, char *err,
		 size_t errlen)
{
	int64_t t0 = mig__now_ns();
	int rc =
	    dec->obuf_len ? stream_write(out, dec->obuf, dec->obuf_len) : BL_OK;

	dec->st.send_ns += (uint64_t)(mig__now_ns() - t0);
	if (rc) {
		snprintf(err, errlen, "output: %s", bl_strerror(rc));
		return rc;
	}
	dec->obuf_len = 0;
	return BL_OK;
}

/* Room for a chunk of len bytes at the end of the output buffer: where
 * they go, once the caller has them there and folded into the CRC,
 * counted by chunk_done(). */
static int chunk_room(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		      uint8_t **dst_r, char *err, size_t errlen)
{
	int rc = dec->obuf_len + len > OBUF_CAP ? drain(dec, out, err, errlen)
						: BL_OK;

	*dst_r = dec->obuf + dec->obuf_len;
	return rc;
}

static void chunk_done(struct mig_dec *dec, uint32_t len)
{
	dec->obuf_len += len;
	dec->st.raw_bytes += len;
	dec->st.records++;
}

static int raw_len(const uint8_t *body, const char *what, uint32_t *len_r,
		   char *err, size_t errlen)
{
	*len_r = frame_load32(body);
	if (*len_r == 0 || *len_r > MIG_CHUNK_MAX)
		return proto(err, errlen, what);
	return BL_OK;
}

static int on_raw(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		  struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	uint8_t *dst;
	int rc = chunk_room(dec, out, len, &dst, err, errlen);

	(void)ctl_r;
	if (rc)
		return rc;
	memcpy(dst, dec->body, len);
	dec->crc = (uint32_t)crc32(dec->crc, dst, len);
	chunk_done(dec, len);
	return BL_OK;
}

/* A run of n bytes of word repeated (n a multiple of 8 unless word is 0),
 * counted in *counter. */
static int put_run(struct mig_dec *dec, struct bl_stream *out, uint32_t n,
		   uint64_t word, uint64_t *counter, char *err, size_t errlen)
{
	uint8_t *dst;
	int rc = chunk_room(dec, out, n, &dst, err, errlen);

	if (rc)
		return rc;
	if (!word)
		memset(dst, 0, n);
	else
		for (uint32_t i = 0; i < n; i += sizeof(word))
			memcpy(dst + i, &word, sizeof(word));
	dec->crc = mig__crc32_fill(dec->crc, word, n);
	*counter += n;
	chunk_done(dec, n);
	return BL_OK;
}

static int on_zero(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		   struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	uint32_t n;
	int rc =
	    raw_len(dec->body, "zero: raw_len: out of range", &n, err, errlen);

	(void)len;
	(void)ctl_r;
	if (rc)
		return rc;
	return put_run(dec, out, n, 0, &dec->st.zero_bytes, err, errlen);
}

static int on_fill(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		   struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	uint64_t word;
	uint32_t n;
	int rc =
	    raw_len(dec->body, "fill: raw_len: out of range", &n, err, errlen);

	(void)len;
	(void)ctl_r;
	if (!rc && n % sizeof(word))
		rc = proto(err, errlen, "fill: raw_len: not a multiple of 8");
	if (rc)
		return rc;
	memcpy(&word, dec->body + 4, sizeof(word));
	return put_run(dec, out, n, word, &dec->st.fill_bytes, err, errlen);
}

/* Why inflate stopped, as the spec words it. */
static int inflate_err(int r, const z_stream *z, char *err, size_t errlen)
{
	if (r == Z_MEM_ERROR)
		return BL_ERR_NOMEM;
	if (r == Z_STREAM_END && z->avail_out)
		return proto(err, errlen,
			     "zlib: data: inflates to less than raw_len");
	if (r == Z_STREAM_END)
		return proto(err, errlen, "zlib: data: trailing bytes");
	if (r == Z_DATA_ERROR || r == Z_NEED_DICT)
		return proto(err, errlen, "zlib: data: corrupt");
	if (!z->avail_out)
		return proto(err, errlen,
			     "zlib: data: inflates to more than raw_len");
	return proto(err, errlen, "zlib: data: truncated");
}

/* A packed chunk record's checks, as the spec words them for its type
 * (name): the header's option (off: the message when it is clear), raw_len,
 * data shorter than it; then room for the chunk: *n_r bytes at *dst_r. */
static int packed_chunk(struct mig_dec *dec, struct bl_stream *out,
			uint32_t len, const char *name, uint32_t option,
			const char *off, uint32_t *n_r, uint8_t **dst_r,
			char *err, size_t errlen)
{
	char what[64];
	int rc;

	if (!(dec->options & option)) {
		snprintf(err, errlen, "%s: options: %s", name, off);
		return BL_ERR_PROTO;
	}
	snprintf(what, sizeof(what), "%s: raw_len: out of range", name);
	rc = raw_len(dec->body, what, n_r, err, errlen);
	if (rc)
		return rc;
	if (len - 4 >= *n_r) {
		snprintf(err, errlen, "%s: data: not shorter than raw_len",
			 name);
		return BL_ERR_PROTO;
	}
	return chunk_room(dec, out, *n_r, dst_r, err, errlen);
}

/* A packed chunk unpacked into dst: counted, and passed on. */
static void packed_done(struct mig_dec *dec, const uint8_t *dst, uint32_t n)
{
	dec->crc = (uint32_t)crc32(dec->crc, dst, n);
	dec->st.packed_bytes += n;
	chunk_done(dec, n);
}

static int on_zlib(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		   struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	uint32_t n, zlen = len - 4;
	uint8_t *dst;
	int r, rc;

	(void)ctl_r;
	rc = packed_chunk(dec, out, len, "zlib", MIG_OPT_ZLIB,
			  "compression is off in the header", &n, &dst, err,
			  errlen);
	if (rc)
		return rc;
	if (inflateReset(&dec->z) != Z_OK) {
		snprintf(err, errlen, "zlib: inflateReset failed");
		return BL_ERR_FAIL;
	}
	dec->z.next_in = dec->body + 4;
	dec->z.avail_in = zlen;
	dec->z.next_out = dst;
	dec->z.avail_out = n;
	r = inflate(&dec->z, Z_FINISH);
	if (r != Z_STREAM_END || dec->z.avail_out || dec->z.avail_in)
		return inflate_err(r, &dec->z, err, errlen);
	packed_done(dec, dst, n);
	return BL_OK;
}

/* One zstd frame, data[0, len), into dst[0, n): NULL, or what is wrong
 * with it, as the spec words it after "TYPE: data: ". The frame must say
 * its content size, n, and hold nothing after its end. */
static const char *unpack_zstd(struct mig_dec *dec, const uint8_t *data,
			       size_t len, uint8_t *dst, size_t n)
{
	size_t frame = ZSTD_findFrameCompressedSize(data, len), got;
	unsigned long long size;

	if (ZSTD_isError(frame))
		return "corrupt";
	if (frame != len)
		return "trailing bytes";
	size = ZSTD_getFrameContentSize(data, len);
	if (size == ZSTD_CONTENTSIZE_UNKNOWN || size == ZSTD_CONTENTSIZE_ERROR)
		return "no content size";
	if (size != n)
		return "content size is not raw_len";
	got = ZSTD_decompressDCtx(dec->zd, dst, n, data, len);
	if (ZSTD_isError(got) || got != n)
		return "corrupt";
	return NULL;
}

static int on_zstd(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		   struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	uint32_t n, zlen = len - 4;
	const char *why;
	uint8_t *dst;
	int rc;

	(void)ctl_r;
	rc = packed_chunk(dec, out, len, "zstd", MIG_OPT_ZSTD,
			  "zstd is off in the header", &n, &dst, err, errlen);
	if (rc)
		return rc;
	why = unpack_zstd(dec, dec->body + 4, zlen, dst, n);
	if (why) {
		snprintf(err, errlen, "zstd: data: %s", why);
		return BL_ERR_PROTO;
	}
	packed_done(dec, dst, n);
	return BL_OK;
}

static int on_stream_end(struct mig_dec *dec, struct bl_stream *out,
			 uint32_t len, struct mig_ctl *ctl_r, char *err,
			 size_t errlen)
{
	(void)len;
	(void)ctl_r;
	if (frame_load64(dec->body) != dec->st.raw_bytes)
		return proto(err, errlen,
			     "stream-end: raw_bytes: does not match the "
			     "payload");
	if (frame_load64(dec->body + 8) != dec->st.records)
		return proto(err, errlen,
			     "stream-end: records: does not match the payload");
	if (frame_load32(dec->body + 16) != dec->crc)
		return proto(err, errlen,
			     "stream-end: crc32: checksum mismatch");
	for (uint32_t i = 0; i < dec->ndisks; i++)
		if (!dec->disks[i].ended) {
			snprintf(err, errlen,
				 "stream-end: disk %u: no disk-end", i);
			return BL_ERR_PROTO;
		}
	dec->over = true;
	return drain(dec, out, err, errlen);
}

static int on_abort(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		    struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	int rc =
	    mig__ctl_decode(MIG_REC_ABORT, dec->body, len, ctl_r, err, errlen);

	(void)out;
	dec->over = !rc;
	return rc;
}

/* --- disks --- */

static int on_disk(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		   struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	struct mig_disk_rec *r = &dec->disk;

	(void)out;
	(void)len;
	(void)ctl_r;
	memset(r, 0, sizeof(*r));
	r->index = frame_load32(dec->body);
	r->sectors = frame_load64(dec->body + 8);
	r->allocated = frame_load64(dec->body + 16);
	if (r->index != dec->ndisks || r->index >= MIG_DISKS_MAX)
		return proto(err, errlen, "disk: index: out of order");
	if (frame_load32(dec->body + 4))
		return proto(err, errlen, "disk: flags: unknown flags");
	if (!r->sectors || r->sectors > MIG_DISK_SECTORS)
		return proto(err, errlen, "disk: sectors: out of range");
	if (r->allocated > r->sectors * 512)
		return proto(err, errlen, "disk: allocated: over the size");
	dec->disks[dec->ndisks++].sectors = r->sectors;
	return BL_OK;
}

/* The disk a disk-data or disk-end record names: announced, not ended. */
static int disk_open(struct mig_dec *dec, const char *what, char *err,
		     size_t errlen)
{
	uint32_t i = frame_load32(dec->body);

	if (i >= dec->ndisks || dec->disks[i].ended) {
		snprintf(err, errlen, "%s: index: no such disk open", what);
		return BL_ERR_PROTO;
	}
	dec->disk.index = i;
	return BL_OK;
}

static int on_disk_data(struct mig_dec *dec, struct bl_stream *out,
			uint32_t len, struct mig_ctl *ctl_r, char *err,
			size_t errlen)
{
	struct mig_disk_rec *r = &dec->disk;
	const uint8_t *data = dec->body + MIG__DISK_DATA_HEAD;
	uint32_t encoding, dlen = len - MIG__DISK_DATA_HEAD;
	int rc, z;

	(void)out;
	(void)ctl_r;
	memset(r, 0, sizeof(*r));
	rc = disk_open(dec, "disk-data", err, errlen);
	if (rc)
		return rc;
	encoding = frame_load32(dec->body + 4);
	r->offset = frame_load64(dec->body + 8);
	r->len = frame_load32(dec->body + 16);
	if (!r->len || r->len > MIG_DISK_CHUNK || r->len % 512)
		return proto(err, errlen, "disk-data: raw_len: out of range");
	if (r->offset % 512 ||
	    r->offset / 512 > dec->disks[r->index].sectors - r->len / 512)
		return proto(err, errlen,
			     "disk-data: offset: outside the disk");
	switch (encoding) {
	case MIG_DISK_RAW:
		if (dlen != r->len)
			return proto(err, errlen,
				     "disk-data: raw_len: does not match the "
				     "record");
		r->data = data;
		break;
	case MIG_DISK_ZERO:
		if (dlen)
			return proto(err, errlen,
				     "disk-data: zero: carries data");
		break;
	case MIG_DISK_ZLIB:
		if (!(dec->options & MIG_OPT_ZLIB))
			return proto(err, errlen,
				     "disk-data: encoding: compression is off "
				     "in the header");
		if (!dlen || dlen >= r->len)
			return proto(err, errlen,
				     "disk-data: data: not shorter than "
				     "raw_len");
		if (inflateReset(&dec->z) != Z_OK) {
			snprintf(err, errlen, "zlib: inflateReset failed");
			return BL_ERR_FAIL;
		}
		dec->z.next_in = (Bytef *)data;
		dec->z.avail_in = dlen;
		dec->z.next_out = dec->disk_buf;
		dec->z.avail_out = r->len;
		z = inflate(&dec->z, Z_FINISH);
		if (z != Z_STREAM_END || dec->z.avail_out || dec->z.avail_in)
			return proto(err, errlen, "disk-data: data: corrupt");
		r->data = dec->disk_buf;
		break;
	case MIG_DISK_ZSTD:
		if (!(dec->options & MIG_OPT_ZSTD))
			return proto(err, errlen,
				     "disk-data: encoding: zstd is off in the "
				     "header");
		if (!dlen || dlen >= r->len)
			return proto(err, errlen,
				     "disk-data: data: not shorter than "
				     "raw_len");
		if (unpack_zstd(dec, data, dlen, dec->disk_buf, r->len))
			return proto(err, errlen, "disk-data: data: corrupt");
		r->data = dec->disk_buf;
		break;
	default:
		return proto(err, errlen, "disk-data: encoding: unknown");
	}
	dec->disks[r->index].got += r->len;
	dec->st.disk_bytes += r->len;
	return BL_OK;
}

static int on_disk_end(struct mig_dec *dec, struct bl_stream *out, uint32_t len,
		       struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	struct mig_disk_rec *r = &dec->disk;
	int rc;

	(void)out;
	(void)len;
	(void)ctl_r;
	memset(r, 0, sizeof(*r));
	rc = disk_open(dec, "disk-end", err, errlen);
	if (rc)
		return rc;
	if (frame_load32(dec->body + 4))
		return proto(err, errlen, "disk-end: flags: unknown flags");
	r->bytes = frame_load64(dec->body + 8);
	if (r->bytes != dec->disks[r->index].got)
		return proto(err, errlen,
			     "disk-end: bytes: does not match the disk-data");
	memcpy(r->hash, dec->body + 16, MIG_HASH_LEN);
	dec->disks[r->index].ended = true;
	return BL_OK;
}

typedef int (*handler_fn)(struct mig_dec *dec, struct bl_stream *out,
			  uint32_t len, struct mig_ctl *ctl_r, char *err,
			  size_t errlen);

/* Every type mig__rec_read() lets through for MIG__PAYLOAD. */
static const handler_fn handlers[] = {
    [MIG_REC_RAW] = on_raw,	      [MIG_REC_ZERO] = on_zero,
    [MIG_REC_ZLIB] = on_zlib,	      [MIG_REC_STREAM_END] = on_stream_end,
    [MIG_REC_ABORT] = on_abort,	      [MIG_REC_FILL] = on_fill,
    [MIG_REC_DISK] = on_disk,	      [MIG_REC_DISK_DATA] = on_disk_data,
    [MIG_REC_DISK_END] = on_disk_end, [MIG_REC_ZSTD] = on_zstd,
};

/* Version 3's migration record, which must come first. */
static int read_ident(struct mig_dec *dec, char *err, size_t errlen)
{
	uint32_t type, len;
	int rc;

	rc = mig__rec_read(dec->in, dec->version, MIG__HEADER, dec->body,
			   BODY_BUF, &type, &len, &dec->st.wire_bytes, err,
			   errlen);
	if (rc == BL_ERR_PROTO && !strncmp(err, "unexpected", 10))
		snprintf(err, errlen, "migration: missing after the header");
	if (rc)
		return rc;
	mig__ident_get(dec->body, &dec->ident);
	dec->has_ident = true;
	return BL_OK;
}

int mig_dec_start(struct bl_stream *in, struct mig_dec **dec_r, char *err,
		  size_t errlen)
{
	uint8_t hdr[MIG_HEADER_LEN];
	struct mig_dec *dec = NULL;
	uint32_t version, options;
	int rc;

	rc = stream_read(in, hdr, sizeof(hdr));
	if (rc) {
		snprintf(err, errlen, "header: %s", bl_strerror(rc));
		return rc;
	}
	rc = mig__header_check(hdr, &version, &options, err, errlen);
	if (rc)
		return rc;
	rc = BL_ERR_NOMEM;
	dec = calloc(1, sizeof(*dec));
	if (!dec)
		goto out;
	dec->in = in;
	dec->version = version;
	dec->options = options;
	dec->st.wire_bytes = sizeof(hdr);
	dec->body = malloc(BODY_BUF);
	dec->obuf = malloc(OBUF_CAP);
	dec->disk_buf = malloc(MIG_DISK_CHUNK);
	if (!dec->body || !dec->obuf || !dec->disk_buf)
		goto out;
	if (options & MIG_OPT_ZLIB) {
		if (inflateInit(&dec->z) != Z_OK)
			goto out;
		dec->z_ready = true;
	}
	/* One-shot decompression into a buffer of raw_len: the window it may
	 * ask for is bounded all the same. */
	if (options & MIG_OPT_ZSTD) {
		dec->zd = ZSTD_createDCtx();
		if (!dec->zd || ZSTD_isError(ZSTD_DCtx_setParameter(
				    dec->zd, ZSTD_d_windowLogMax, 18)))
			goto out;
	}
	if (version >= 3) {
		rc = read_ident(dec, err, errlen);
		if (rc)
			goto fail;
	}
	*dec_r = dec;
	dec = NULL;
	rc = BL_OK;
out:
	if (rc)
		snprintf(err, errlen, "%s", bl_strerror(rc));
fail:
	mig_dec_free(dec);
	return rc;
}

int mig_dec_ident(const struct mig_dec *dec, struct mig_ident *ident_r)
{
	if (!dec->has_ident)
		return BL_ERR_NOTFOUND;
	*ident_r = dec->ident;
	return BL_OK;
}

bool mig_dec_delta(const struct mig_dec *dec)
{
	return dec->options & MIG_OPT_DELTA;
}

int mig_dec_next(struct mig_dec *dec, struct bl_stream *out,
		 struct mig_ctl *ctl_r, char *err, size_t errlen)
{
	uint32_t type, len;
	int64_t t0;
	int rc;

	mig_ctl_init(ctl_r);
	if (dec->rc) {
		snprintf(err, errlen, "%s", dec->err);
		return dec->rc;
	}
	if (dec->over) {
		snprintf(err, errlen, "the payload is over");
		return BL_ERR_INVAL;
	}
	/* Nothing has come yet: libxl restores what it has while the rest
	 * is on its way (the last round's pages, sent with the guest
	 * paused, most of all). */
	rc = dec->obuf_len && !stream_readable(dec->in)
		 ? drain(dec, out, dec->err, sizeof(dec->err))
		 : BL_OK;
	t0 = mig__now_ns();
	if (!rc)
		rc = mig__rec_read(dec->in, dec->version, MIG__PAYLOAD,
				   dec->body, BODY_BUF, &type, &len,
				   &dec->st.wire_bytes, dec->err,
				   sizeof(dec->err));
	dec->st.recv_ns += (uint64_t)(mig__now_ns() - t0);
	if (!rc && (type >= ARRAY_LEN(handlers) || !handlers[type])) {
		snprintf(dec->err, sizeof(dec->err), "%s: no handler",
			 mig_rec_name(type));
		rc = BL_ERR_INVAL;
	}
	if (!rc) {
		ctl_r->type = type;
		rc = handlers[type](dec, out, len, ctl_r, dec->err,
				    sizeof(dec->err));
	}
	if (rc) {
		/* The stream is out of step, or the output broken: there is
		 * no going on. */
		dec->rc = rc;
		snprintf(err, errlen, "%s", dec->err);
	}
	return rc;
}

const struct mig_disk_rec *mig_dec_disk(const struct mig_dec *dec)
{
	return &dec->disk;
}

void mig_dec_stats(const struct mig_dec *dec, struct mig_stats *st_r)
{
	*st_r = dec->st;
}

void mig_dec_free(struct mig_dec *dec)
{
	if (!dec)
		return;
	if (dec->z_ready)
		inflateEnd(&dec->z);
	ZSTD_freeDCtx(dec->zd);
	free(dec->body);
	free(dec->obuf);
	free(dec->disk_buf);
	free(dec);
}
