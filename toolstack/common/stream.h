/* A byte stream behind an ops struct (Redis's rio): the RPC codec reads and
 * writes through it, over a plain fd (UNIX socket, socketpair in tests) or a
 * TLS connection, so round trips are cheap to test. */
#ifndef BL_STREAM_H
#define BL_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/fdio.h"

struct bl_stream;

struct bl_stream_ops {
	/* Exactly len bytes, or BL_ERR_EOF (closed first), BL_ERR_TIMEOUT,
	 * BL_ERR_IO. */
	int (*read)(struct bl_stream *s, void *buf, size_t len);
	int (*write)(struct bl_stream *s, const void *buf, size_t len);
	/* Release what the stream owns (fd, TLS session); idempotent. */
	void (*close)(struct bl_stream *s);
	/* Bytes already read from fd and buffered (TLS records): poll() on fd
	 * does not see them. NULL when the stream buffers nothing. */
	size_t (*pending)(struct bl_stream *s);
};

struct bl_stream {
	const struct bl_stream_ops *ops;
	int fd;		     /* the underlying socket, for poll() */
	void *impl;	     /* the implementation's state */
	int64_t deadline_ms; /* absolute fdio_now_ms() deadline, -1: none */
	/* The version of the protocol the connection agreed on (the node RPC's
	 * hello sets it); 0: this build's newest. */
	uint32_t version;
};

/* A stream over fd; takes ownership of fd (close() closes it). */
void stream_fd_init(struct bl_stream *s, int fd);

static inline int stream_read(struct bl_stream *s, void *buf, size_t len)
{
	return s->ops->read(s, buf, len);
}

static inline int stream_write(struct bl_stream *s, const void *buf, size_t len)
{
	return s->ops->write(s, buf, len);
}

/* Whether a read would find data without waiting on fd. */
static inline int stream_pending(struct bl_stream *s)
{
	return s->ops->pending && s->ops->pending(s) > 0;
}

/* Whether a read would find data (or the end) without waiting. */
static inline int stream_readable(struct bl_stream *s)
{
	return stream_pending(s) || (s->fd >= 0 && fdio_readable(s->fd));
}

static inline void stream_close(struct bl_stream *s)
{
	if (s->ops)
		s->ops->close(s);
}

#endif
