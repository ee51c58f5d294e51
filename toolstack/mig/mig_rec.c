/* Migration stream framing and the control records
 * (docs/specs/migration-stream.md).
 *
 * Entry points: mig__header_put/mig__header_check for the image header,
 * mig__rec_read for records (the encoder and decoder call them; the
 * framing is toolstack/common/frame.c's), mig_ctl_send/mig_ctl_recv for
 * the handover.
 *
 * Nomenclature: a record is {type, length, body, padding} on the wire; a
 * record's *where* is the part of the connection it may appear in: the
 * payload (chunks up to stream-end) or the control records after it. */
#include "toolstack/mig/mig_rec.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "toolstack/common/array.h"

/* abort: code, message_len, then 1 to MIG_MESSAGE_MAX - 1 bytes. */
#define ABORT_MIN (8 + 1)
#define ABORT_MAX (8 + MIG_MESSAGE_MAX - 1)

_Static_assert(ABORT_MAX + 7 <= MIG__CTL_BUF, "MIG__CTL_BUF too small");

static const uint8_t mig_magic[8] = {'B', 'L', 'A', 'N', 'K', 'M', 'I', 'G'};

/* The spec's record table: names, body lengths, where each may appear. */
static const struct mig__rec_desc recs[] = {
    [MIG_REC_RAW] = {"raw", 1, MIG_CHUNK_MAX, MIG__PAYLOAD, 1},
    [MIG_REC_ZERO] = {"zero", 4, 4, MIG__PAYLOAD, 1},
    [MIG_REC_ZLIB] = {"zlib", 5, MIG_MAX_BODY, MIG__PAYLOAD, 1},
    [MIG_REC_STREAM_END] = {"stream-end", 20, 20, MIG__PAYLOAD, 1},
    [MIG_REC_RESTORED] = {"restored", 4, 4, MIG__CONTROL, 1},
    [MIG_REC_GO] = {"go", 0, 0, MIG__CONTROL, 1},
    [MIG_REC_STARTED] = {"started", 0, 0, MIG__CONTROL, 1},
    [MIG_REC_ABORT] = {"abort", ABORT_MIN, ABORT_MAX,
		       MIG__PAYLOAD | MIG__CONTROL, 1},
    [MIG_REC_FILL] = {"fill", 12, 12, MIG__PAYLOAD, 2},
    [MIG_REC_MIGRATION] = {"migration", MIG__IDENT_LEN, MIG__IDENT_LEN,
			   MIG__HEADER, 3},
    [MIG_REC_SETTLED] = {"settled", 0, 0, MIG__CONTROL, 3},
    [MIG_REC_DISK] = {"disk", MIG__DISK_LEN, MIG__DISK_LEN, MIG__PAYLOAD, 4},
    [MIG_REC_DISK_DATA] = {"disk-data", MIG__DISK_DATA_HEAD,
			   MIG__DISK_DATA_HEAD + MIG_DISK_CHUNK, MIG__PAYLOAD,
			   4},
    [MIG_REC_DISK_END] = {"disk-end", MIG__DISK_END_LEN, MIG__DISK_END_LEN,
			  MIG__PAYLOAD, 4},
    [MIG_REC_ZSTD] = {"zstd", 5, MIG_MAX_BODY, MIG__PAYLOAD, 5},
};

const struct mig__rec_desc *mig__rec_desc(uint32_t type)
{
	if (type < ARRAY_LEN(recs) && recs[type].name)
		return &recs[type];
	return NULL;
}

const char *mig_rec_name(uint32_t type)
{
	const struct mig__rec_desc *d = mig__rec_desc(type);

	return d ? d->name : "unknown";
}

/* Image header. */

void mig__header_put(uint8_t hdr[MIG_HEADER_LEN], uint32_t version,
		     uint32_t options)
{
	frame_header_put(hdr, mig_magic, version, options);
}

int mig__header_check(const uint8_t hdr[MIG_HEADER_LEN], uint32_t *version_r,
		      uint32_t *options_r, char *err, size_t errlen)
{
	uint32_t version, options;

	if (frame_header_get(hdr, mig_magic, &version, &options)) {
		snprintf(err, errlen, "header: magic: not a migration stream");
		return BL_ERR_PROTO;
	}
	if (version < MIG_MIN_VERSION || version > MIG_VERSION) {
		snprintf(err, errlen,
			 "header: version: %" PRIu32
			 ", this reader reads %u to %u",
			 version, MIG_MIN_VERSION, MIG_VERSION);
		return BL_ERR_VERSION;
	}
	if (options & ~(MIG_OPT_ZLIB | (version >= 5 ? MIG_OPT_ZSTD : 0) |
			(version >= 6 ? MIG_OPT_DELTA : 0))) {
		snprintf(err, errlen, "header: options: unknown flags");
		return BL_ERR_PROTO;
	}
	*version_r = version;
	*options_r = options;
	return BL_OK;
}

/* The migration record. */

void mig__ident_put(uint8_t body[MIG__IDENT_LEN], const struct mig_ident *in)
{
	memcpy(body, in->id.b, BL_ID_LEN);
	frame_store64(body + BL_ID_LEN, in->generation);
}

void mig__ident_get(const uint8_t body[MIG__IDENT_LEN], struct mig_ident *out)
{
	memcpy(out->id.b, body, BL_ID_LEN);
	out->generation = frame_load64(body + BL_ID_LEN);
}

/* Records. */

/* The records a reader of this version knows: a type added after it is
 * unknown, as it is to that version's readers. */
static const char *known_name(uint32_t type, const void *arg)
{
	const struct mig__rec_desc *d = mig__rec_desc(type);

	return d && d->since <= *(const uint32_t *)arg ? d->name : NULL;
}

int mig__rec_read(struct bl_stream *s, uint32_t version, unsigned int where,
		  uint8_t *buf, size_t size, uint32_t *type_r, uint32_t *len_r,
		  uint64_t *wire_r, char *err, size_t errlen)
{
	const struct frame_kind kind = {.noun = "record",
					.max = MIG_MAX_BODY,
					.name = known_name,
					.arg = &version};
	const struct mig__rec_desc *d;
	uint32_t type, len;
	size_t n;
	int rc;

	rc = frame_next(s, &kind, &type, &len, wire_r, err, errlen);
	if (rc)
		return rc;
	d = mig__rec_desc(type);
	if (!(d->where & where)) {
		snprintf(err, errlen, "unexpected %s record", d->name);
		return BL_ERR_PROTO;
	}
	if (len < d->min_len || len > d->max_len) {
		snprintf(err, errlen,
			 "%s: length: %" PRIu32 " not in %" PRIu32
			 " to %" PRIu32,
			 d->name, len, d->min_len, d->max_len);
		return BL_ERR_PROTO;
	}
	n = frame_size(len) - MIG_REC_HEADER_LEN;
	if (n > size) {
		snprintf(err, errlen, "%s: no room for %zu bytes", d->name, n);
		return BL_ERR_INVAL;
	}
	rc = frame_body(s, d->name, len, buf, err, errlen);
	if (rc)
		return rc;
	if (wire_r)
		*wire_r += frame_size(len);
	*type_r = type;
	*len_r = len;
	return BL_OK;
}

/* Control records: the bodies of restored and abort, by a table (go and
 * started have none). Lengths were checked by the framing. */

void mig_ctl_init(struct mig_ctl *c)
{
	memset(c, 0, sizeof(*c));
}

static int proto(char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	return BL_ERR_PROTO;
}

static int put_restored(const struct mig_ctl *c, uint8_t *body, uint32_t *len_r)
{
	if (c->domid == 0 || c->domid > MIG_DOMID_MAX)
		return BL_ERR_INVAL;
	frame_store32(body, c->domid);
	*len_r = 4;
	return BL_OK;
}

static int get_restored(const uint8_t *body, uint32_t len, struct mig_ctl *c_r,
			char *err, size_t errlen)
{
	(void)len;
	c_r->domid = frame_load32(body);
	if (c_r->domid == 0 || c_r->domid > MIG_DOMID_MAX)
		return proto(err, errlen, "restored: domid: out of range");
	return BL_OK;
}

static int put_abort(const struct mig_ctl *c, uint8_t *body, uint32_t *len_r)
{
	size_t mlen = strnlen(c->message, sizeof(c->message));

	/* -INT32_MAX at most: -INT32_MIN does not fit the wire's range; an
	 * unterminated message (mlen == size) is too long. */
	if (c->code >= 0 || c->code < -INT32_MAX || mlen == 0 ||
	    mlen == sizeof(c->message))
		return BL_ERR_INVAL;
	frame_store32(body, (uint32_t)-c->code);
	frame_store32(body + 4, (uint32_t)mlen);
	memcpy(body + 8, c->message, mlen);
	*len_r = 8 + (uint32_t)mlen;
	return BL_OK;
}

static int get_abort(const uint8_t *body, uint32_t len, struct mig_ctl *c_r,
		     char *err, size_t errlen)
{
	uint32_t code = frame_load32(body), mlen = frame_load32(body + 4);

	if (code == 0 || code > INT32_MAX)
		return proto(err, errlen, "abort: code: out of range");
	if (mlen == 0 || mlen > MIG_MESSAGE_MAX - 1)
		return proto(err, errlen, "abort: message_len: out of range");
	if (mlen != len - 8)
		return proto(err, errlen,
			     "abort: message_len: does not match the record");
	if (memchr(body + 8, '\0', mlen))
		return proto(err, errlen, "abort: message: contains NUL");
	c_r->code = -(int)code;
	memcpy(c_r->message, body + 8, mlen);
	c_r->message[mlen] = '\0';
	return BL_OK;
}

struct ctl_desc {
	int (*put)(const struct mig_ctl *c, uint8_t *body, uint32_t *len_r);
	int (*get)(const uint8_t *body, uint32_t len, struct mig_ctl *c_r,
		   char *err, size_t errlen);
};

static const struct ctl_desc ctls[] = {
    [MIG_REC_RESTORED] = {put_restored, get_restored},
    [MIG_REC_ABORT] = {put_abort, get_abort},
};

/* The body codec of a control type, NULL for one without a body; *ok_r
 * says whether type is a control type at all. */
static const struct ctl_desc *ctl_desc(uint32_t type, int *ok_r)
{
	const struct mig__rec_desc *d = mig__rec_desc(type);

	*ok_r = d && (d->where & MIG__CONTROL);
	if (*ok_r && type < ARRAY_LEN(ctls) && ctls[type].put)
		return &ctls[type];
	return NULL;
}

int mig__ctl_decode(uint32_t type, const uint8_t *body, uint32_t len,
		    struct mig_ctl *c_r, char *err, size_t errlen)
{
	int ok;
	const struct ctl_desc *cd = ctl_desc(type, &ok);

	mig_ctl_init(c_r);
	c_r->type = type;
	if (!ok)
		return BL_ERR_INVAL;
	return cd ? cd->get(body, len, c_r, err, errlen) : BL_OK;
}

int mig_ctl_send(struct bl_stream *s, const struct mig_ctl *c)
{
	uint8_t body[ABORT_MAX], rec[MIG_REC_HEADER_LEN + MIG__CTL_BUF];
	uint32_t len = 0;
	int ok, rc;
	const struct ctl_desc *cd = ctl_desc(c->type, &ok);

	if (!ok)
		return BL_ERR_INVAL;
	rc = cd ? cd->put(c, body, &len) : BL_OK;
	if (rc)
		return rc;
	/* One write: a record's header and body never travel apart. */
	return stream_write(s, rec, frame_put(rec, c->type, body, len));
}

int mig_send_abort(struct bl_stream *s, int code, const char *message)
{
	struct mig_ctl c;

	mig_ctl_init(&c);
	c.type = MIG_REC_ABORT;
	c.code = code;
	snprintf(c.message, sizeof(c.message), "%s",
		 message && *message ? message : bl_strerror(code));
	return mig_ctl_send(s, &c);
}

int mig_ctl_recv(struct bl_stream *s, uint32_t want, struct mig_ctl *c_r,
		 char *err, size_t errlen)
{
	uint8_t buf[MIG__CTL_BUF];
	uint32_t type, len;
	int ok, rc;

	mig_ctl_init(c_r);
	ctl_desc(want, &ok);
	if (!ok)
		return BL_ERR_INVAL;
	rc = mig__rec_read(s, MIG_VERSION, MIG__CONTROL, buf, sizeof(buf),
			   &type, &len, NULL, err, errlen);
	if (rc)
		return rc;
	if (type != want && type != MIG_REC_ABORT) {
		snprintf(err, errlen, "unexpected %s record",
			 mig_rec_name(type));
		return BL_ERR_PROTO;
	}
	return mig__ctl_decode(type, buf, len, c_r, err, errlen);
}
