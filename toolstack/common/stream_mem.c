/* The memory stream: a growing buffer, read from the front. */
#include "toolstack/common/stream_mem.h"

#include <stdlib.h>
#include <string.h>

static int mem_read(struct bl_stream *s, void *buf, size_t len)
{
	struct stream_mem *m = s->impl;

	if (len > m->len - m->off) {
		m->off = m->len;
		return BL_ERR_EOF;
	}
	if (len)
		memcpy(buf, m->buf + m->off, len);
	m->off += len;
	return BL_OK;
}

static int mem_write(struct bl_stream *s, const void *buf, size_t len)
{
	struct stream_mem *m = s->impl;
	size_t cap = m->cap ? m->cap : 4096;
	uint8_t *bigger;

	if (len > SIZE_MAX / 2 - m->len)
		return BL_ERR_NOMEM;
	if (m->len + len > m->cap) {
		while (cap < m->len + len)
			cap *= 2;
		bigger = realloc(m->buf, cap);
		if (!bigger)
			return BL_ERR_NOMEM;
		m->buf = bigger;
		m->cap = cap;
	}
	if (len)
		memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return BL_OK;
}

static void mem_close(struct bl_stream *s)
{
	struct stream_mem *m = s->impl;

	free(m->buf);
	memset(m, 0, sizeof(*m));
}

static size_t mem_pending(struct bl_stream *s)
{
	struct stream_mem *m = s->impl;

	return m->len - m->off;
}

static const struct bl_stream_ops mem_stream_ops = {
    .read = mem_read,
    .write = mem_write,
    .close = mem_close,
    .pending = mem_pending,
};

void stream_mem_init(struct bl_stream *s, struct stream_mem *m)
{
	memset(m, 0, sizeof(*m));
	s->ops = &mem_stream_ops;
	s->fd = -1;
	s->impl = m;
	s->deadline_ms = -1;
	s->version = 0;
}
