/* The plain-fd stream: a socket or pipe, with the stream's deadline. */
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/stream.h"

static int fd_read(struct bl_stream *s, void *buf, size_t len)
{
	return fdio_read(s->fd, buf, len, s->deadline_ms, NULL);
}

static int fd_write(struct bl_stream *s, const void *buf, size_t len)
{
	return fdio_write(s->fd, buf, len, s->deadline_ms);
}

static void fd_close(struct bl_stream *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static const struct bl_stream_ops fd_stream_ops = {
    .read = fd_read,
    .write = fd_write,
    .close = fd_close,
};

void stream_fd_init(struct bl_stream *s, int fd)
{
	s->ops = &fd_stream_ops;
	s->fd = fd;
	s->impl = NULL;
	s->deadline_ms = -1;
	s->version = 0;
}
