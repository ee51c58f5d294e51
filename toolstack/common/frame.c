/* Blanket's wire framing: headers and records (frame.h). */
#include "toolstack/common/frame.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define SKIP_CHUNK 4096

void frame_header_put(uint8_t hdr[FRAME_HEADER_LEN],
		      const uint8_t magic[FRAME_MAGIC_LEN], uint32_t a,
		      uint32_t b)
{
	memcpy(hdr, magic, FRAME_MAGIC_LEN);
	frame_store32(hdr + 8, a);
	frame_store32(hdr + 12, b);
}

int frame_header_get(const uint8_t hdr[FRAME_HEADER_LEN],
		     const uint8_t magic[FRAME_MAGIC_LEN], uint32_t *a_r,
		     uint32_t *b_r)
{
	if (memcmp(hdr, magic, FRAME_MAGIC_LEN) != 0)
		return BL_ERR_PROTO;
	*a_r = frame_load32(hdr + 8);
	*b_r = frame_load32(hdr + 12);
	return BL_OK;
}

size_t frame_put(uint8_t *dst, uint32_t type, const void *body, uint32_t len)
{
	size_t size = frame_size(len);
	uint8_t *end = dst + FRAME_REC_HEADER_LEN + len;

	frame_store32(dst, type);
	frame_store32(dst + 4, len);
	if (body && len)
		memcpy(dst + FRAME_REC_HEADER_LEN, body, len);
	memset(end, 0, (size_t)(dst + size - end));
	return size;
}

int frame_write(struct bl_stream *s, uint32_t max, uint32_t type,
		const void *body, uint32_t len)
{
	uint8_t *frame;
	int rc;

	if (len > max || (len && !body))
		return BL_ERR_INVAL;
	frame = malloc(frame_size(len));
	if (!frame)
		return BL_ERR_NOMEM;
	rc = stream_write(s, frame, frame_put(frame, type, body, len));
	free(frame);
	return rc;
}

static int stream_failed(int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", bl_strerror(rc));
	return rc;
}

static int check_pad(const uint8_t *pad, uint32_t n, const char *name,
		     char *err, size_t errlen)
{
	for (uint32_t i = 0; i < n; i++) {
		if (pad[i]) {
			snprintf(err, errlen, "%s: padding: not zero", name);
			return BL_ERR_PROTO;
		}
	}
	return BL_OK;
}

/* Reads past an unknown optional record without allocating it. */
static int skip(struct bl_stream *s, uint32_t len, char *err, size_t errlen)
{
	uint8_t chunk[SKIP_CHUNK];
	uint32_t n;
	int rc;

	while (len) {
		n = len < sizeof(chunk) ? len : (uint32_t)sizeof(chunk);
		rc = stream_read(s, chunk, n);
		if (rc)
			return stream_failed(rc, err, errlen);
		len -= n;
	}
	return BL_OK;
}

int frame_next(struct bl_stream *s, const struct frame_kind *k,
	       uint32_t *type_r, uint32_t *len_r, uint64_t *skipped_r,
	       char *err, size_t errlen)
{
	uint8_t hdr[FRAME_REC_HEADER_LEN], pad[8];
	uint32_t type, len;
	int rc;

	for (;;) {
		rc = stream_read(s, hdr, sizeof(hdr));
		if (rc)
			return stream_failed(rc, err, errlen);
		type = frame_load32(hdr);
		len = frame_load32(hdr + 4);
		if (len > k->max) {
			snprintf(err, errlen,
				 "%s length %" PRIu32
				 " over the limit of %" PRIu32 " bytes",
				 k->noun, len, k->max);
			return BL_ERR_PROTO;
		}
		if (k->name(type, k->arg))
			break;
		if (!(type & FRAME_OPTIONAL)) {
			snprintf(err, errlen, "unknown %s type %" PRIu32,
				 k->noun, type);
			return BL_ERR_PROTO;
		}
		rc = skip(s, len, err, errlen);
		if (rc)
			return rc;
		rc = frame_pad(len) ? stream_read(s, pad, frame_pad(len))
				    : BL_OK;
		if (rc)
			return stream_failed(rc, err, errlen);
		rc = check_pad(pad, frame_pad(len), "unknown", err, errlen);
		if (rc)
			return rc;
		if (skipped_r)
			*skipped_r += frame_size(len);
	}
	*type_r = type;
	*len_r = len;
	return BL_OK;
}

int frame_body(struct bl_stream *s, const char *name, uint32_t len,
	       uint8_t *buf, char *err, size_t errlen)
{
	uint32_t pad = frame_pad(len);
	int rc = stream_read(s, buf, (size_t)len + pad);

	if (rc)
		return stream_failed(rc, err, errlen);
	return check_pad(buf + len, pad, name, err, errlen);
}
