/* Bounded body buffers: every read is checked against what is left, every
 * length against its limit before it is used or allocated. */
#include "toolstack/rpc/rpc_buf.h"

#include <stdlib.h>
#include <string.h>

#include "toolstack/common/frame.h"

void rpc__wr_init(struct rpc__wr *wr, size_t max)
{
	wr->buf = NULL;
	wr->len = 0;
	wr->cap = 0;
	wr->max = max;
	wr->rc = BL_OK;
}

void rpc__wr_dispose(struct rpc__wr *wr)
{
	free(wr->buf);
	rpc__wr_init(wr, wr->max);
}

void rpc__wr_fail(struct rpc__wr *wr, int rc)
{
	if (!wr->rc)
		wr->rc = rc;
}

/* Room for n more bytes, or the writer fails. */
static int reserve(struct rpc__wr *wr, size_t n)
{
	size_t cap = wr->cap ? wr->cap : 256;
	uint8_t *bigger;

	if (wr->rc)
		return wr->rc;
	if (n > wr->max - wr->len) {
		wr->rc = BL_ERR_INVAL;
		return wr->rc;
	}
	if (wr->len + n <= wr->cap)
		return BL_OK;
	while (cap < wr->len + n)
		cap *= 2;
	bigger = realloc(wr->buf, cap);
	if (!bigger) {
		wr->rc = BL_ERR_NOMEM;
		return wr->rc;
	}
	wr->buf = bigger;
	wr->cap = cap;
	return BL_OK;
}

static void put_raw(struct rpc__wr *wr, const void *p, size_t n)
{
	if (reserve(wr, n))
		return;
	if (n)
		memcpy(wr->buf + wr->len, p, n);
	wr->len += n;
}

void rpc__put_u32(struct rpc__wr *wr, uint32_t v)
{
	uint8_t b[4];

	frame_store32(b, v);
	put_raw(wr, b, sizeof(b));
}

void rpc__put_u64(struct rpc__wr *wr, uint64_t v)
{
	rpc__put_u32(wr, (uint32_t)(v >> 32));
	rpc__put_u32(wr, (uint32_t)v);
}

void rpc__put_bytes(struct rpc__wr *wr, const void *p, size_t len, size_t max)
{
	if (len > max || (len && !p)) {
		rpc__wr_fail(wr, BL_ERR_INVAL);
		return;
	}
	rpc__put_u32(wr, (uint32_t)len);
	put_raw(wr, p, len);
}

void rpc__put_str(struct rpc__wr *wr, const char *s, size_t len, size_t max)
{
	if (len && s && memchr(s, '\0', len)) {
		rpc__wr_fail(wr, BL_ERR_INVAL);
		return;
	}
	rpc__put_bytes(wr, s, len, max);
}

int rpc__wr_take(struct rpc__wr *wr, uint8_t **buf_r, uint32_t *len_r)
{
	int rc = wr->rc;

	if (!rc) {
		/* max is at most the 1 MiB body limit, so len fits. */
		*buf_r = wr->buf;
		*len_r = (uint32_t)wr->len;
		wr->buf = NULL;
	}
	rpc__wr_dispose(wr);
	return rc;
}

void rpc__rd_init(struct rpc__rd *rd, const void *p, size_t len)
{
	rd->p = p;
	rd->len = len;
	rd->off = 0;
	rd->rc = BL_OK;
	rd->field = NULL;
	rd->why = NULL;
}

void rpc__rd_fail(struct rpc__rd *rd, int rc, const char *field,
		  const char *why)
{
	if (rd->rc)
		return;
	rd->rc = rc;
	rd->field = field;
	rd->why = why;
}

size_t rpc__rd_left(const struct rpc__rd *rd)
{
	return rd->len - rd->off;
}

/* The next n bytes, or NULL (and the reader fails) if the body is shorter. */
static const uint8_t *take(struct rpc__rd *rd, const char *field, size_t n)
{
	const uint8_t *p;

	if (rd->rc)
		return NULL;
	if (n > rpc__rd_left(rd)) {
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "truncated");
		return NULL;
	}
	p = rd->p + rd->off;
	rd->off += n;
	return p;
}

void rpc__get_u32(struct rpc__rd *rd, const char *field, uint32_t *v_r)
{
	const uint8_t *p = take(rd, field, 4);

	*v_r = p ? frame_load32(p) : 0;
}

void rpc__get_u64(struct rpc__rd *rd, const char *field, uint64_t *v_r)
{
	uint32_t hi, lo;

	rpc__get_u32(rd, field, &hi);
	rpc__get_u32(rd, field, &lo);
	*v_r = (uint64_t)hi << 32 | lo;
}

/* A length-prefixed field of at most max bytes, NUL-free if text: the
 * pointer to its bytes in the body, or NULL on failure. */
static const uint8_t *get_field(struct rpc__rd *rd, const char *field,
				size_t max, int text, uint32_t *len_r)
{
	const uint8_t *p;
	uint32_t len;

	*len_r = 0;
	rpc__get_u32(rd, field, &len);
	if (rd->rc)
		return NULL;
	if (len > max) {
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "too long");
		return NULL;
	}
	p = take(rd, field, len);
	if (!p)
		return NULL;
	if (text && memchr(p, '\0', len)) {
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "contains NUL");
		return NULL;
	}
	*len_r = len;
	return p;
}

void rpc__get_str(struct rpc__rd *rd, const char *field, char *buf, size_t size)
{
	uint32_t len;
	const uint8_t *p = get_field(rd, field, size - 1, 1, &len);

	if (p)
		memcpy(buf, p, len);
	buf[len] = '\0';
}

static void get_dup(struct rpc__rd *rd, const char *field, size_t max, int text,
		    uint8_t **p_r, uint32_t *len_r)
{
	const uint8_t *p = get_field(rd, field, max, text, len_r);
	uint8_t *copy;

	*p_r = NULL;
	if (!p)
		return;
	/* len_r <= max and within the body: both already checked. */
	copy = malloc((size_t)*len_r + 1);
	if (!copy) {
		rpc__rd_fail(rd, BL_ERR_NOMEM, field, "out of memory");
		*len_r = 0;
		return;
	}
	memcpy(copy, p, *len_r);
	copy[*len_r] = '\0';
	*p_r = copy;
}

void rpc__get_strdup(struct rpc__rd *rd, const char *field, size_t max,
		     char **s_r, uint32_t *len_r)
{
	uint8_t *p;

	get_dup(rd, field, max, 1, &p, len_r);
	*s_r = (char *)p;
}

void rpc__get_bytes(struct rpc__rd *rd, const char *field, size_t max,
		    uint8_t **p_r, uint32_t *len_r)
{
	get_dup(rd, field, max, 0, p_r, len_r);
}

int rpc__rd_end(struct rpc__rd *rd)
{
	if (!rd->rc && rpc__rd_left(rd))
		rpc__rd_fail(rd, BL_ERR_PROTO, "body", "trailing bytes");
	return rd->rc;
}
