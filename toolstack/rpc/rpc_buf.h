/* Bounded buffers for RPC message bodies (docs/specs/rpc.md, "Types"): the
 * writer that encodes them and the reader that decodes them. The reader is
 * the only code that touches untrusted bytes, so it is kept small.
 *
 * Errors are sticky, as in a bufio writer: after the first failure every
 * put or get does nothing (a get yields zero or an empty string), and the
 * codec checks once, at the end. A codec that acts on a value it read
 * (allocates by a count) checks rd->rc first. */
#ifndef BL_RPC_BUF_H
#define BL_RPC_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"

struct rpc__wr {
	uint8_t *buf; /* malloc'd, owned until rpc__wr_take() */
	size_t len;
	size_t cap;
	size_t max;	  /* the body limit: growing past it fails */
	int rc;		  /* BL_OK, or the first failure */
	uint32_t version; /* of the protocol being written */
};

struct rpc__rd {
	const uint8_t *p; /* borrowed: the body being decoded */
	size_t len;
	size_t off;
	int rc;		   /* BL_OK, or the first failure: BL_ERR_PROTO, or
			    * BL_ERR_NOMEM from rpc__get_strdup/bytes */
	const char *field; /* the first failure: the field being read, */
	const char *why;   /* and the reason (static text, from the spec) */
	uint32_t version;  /* of the protocol being read */
};

void rpc__wr_init(struct rpc__wr *wr, size_t max);
void rpc__wr_dispose(struct rpc__wr *wr);
/* Fails the writer with rc (a value the codec refuses to send). */
void rpc__wr_fail(struct rpc__wr *wr, int rc);
void rpc__put_u32(struct rpc__wr *wr, uint32_t v);
void rpc__put_u64(struct rpc__wr *wr, uint64_t v);
/* A string of len bytes: BL_ERR_INVAL over max bytes or with a NUL. */
void rpc__put_str(struct rpc__wr *wr, const char *s, size_t len, size_t max);
/* Bytes of any value: BL_ERR_INVAL over max bytes. */
void rpc__put_bytes(struct rpc__wr *wr, const void *p, size_t len, size_t max);
/* The writer's error, or BL_OK and the encoded body: *buf_r is malloc'd
 * (NULL when *len_r is 0) and the caller frees it. The writer is left
 * disposed either way. */
int rpc__wr_take(struct rpc__wr *wr, uint8_t **buf_r,
		 uint32_t *len_r) BL_MUST_CHECK;

void rpc__rd_init(struct rpc__rd *rd, const void *p, size_t len);
/* Fails the reader with rc (BL_ERR_PROTO for bad input): field and why are
 * static text for the error message. */
void rpc__rd_fail(struct rpc__rd *rd, int rc, const char *field,
		  const char *why);
void rpc__get_u32(struct rpc__rd *rd, const char *field, uint32_t *v_r);
void rpc__get_u64(struct rpc__rd *rd, const char *field, uint64_t *v_r);
/* A string of at most size - 1 bytes into buf[size], NUL-terminated. */
void rpc__get_str(struct rpc__rd *rd, const char *field, char *buf,
		  size_t size);
/* A string of at most max bytes, as a malloc'd copy with a NUL appended
 * (not counted in *len_r): *s_r is the caller's to free, and stays NULL on
 * failure. A failed malloc fails the reader with BL_ERR_NOMEM. */
void rpc__get_strdup(struct rpc__rd *rd, const char *field, size_t max,
		     char **s_r, uint32_t *len_r);
/* The same for bytes of any value. */
void rpc__get_bytes(struct rpc__rd *rd, const char *field, size_t max,
		    uint8_t **p_r, uint32_t *len_r);
/* Bytes left unread. */
size_t rpc__rd_left(const struct rpc__rd *rd);
/* The reader's error; BL_ERR_PROTO ("body", "trailing bytes") if it has not
 * consumed the whole body. */
int rpc__rd_end(struct rpc__rd *rd) BL_MUST_CHECK;

#endif
