/* libFuzzer target for the node RPC codec (toolstack/rpc): the input is
 * what a hostile peer sends, read as a stream of frames, as a client's and
 * a server's connection start, and as the body of every message type.
 *
 * Besides not crashing, a body that decodes must encode back to the same
 * bytes: the wire encoding is canonical, so any difference means the
 * encoder and decoder disagree about a field. Seeds: tests/fuzz/corpus/rpc/,
 * the unit tests' golden frames. */
#include <stdlib.h>
#include <string.h>

#include "toolstack/rpc/rpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A stream over the input. Writes (the server's answers) go nowhere. */
struct mem {
	const uint8_t *p;
	size_t len;
	size_t off;
};

static int mem_read(struct bl_stream *s, void *buf, size_t len)
{
	struct mem *m = s->impl;

	if (len > m->len - m->off) {
		m->off = m->len;
		return BL_ERR_EOF;
	}
	memcpy(buf, m->p + m->off, len);
	m->off += len;
	return BL_OK;
}

static int mem_write(struct bl_stream *s, const void *buf, size_t len)
{
	(void)s;
	(void)buf;
	(void)len;
	return BL_OK;
}

/* The input belongs to libFuzzer: nothing to release. */
static void mem_close(struct bl_stream *s)
{
	(void)s;
}

static const struct bl_stream_ops mem_ops = {
    .read = mem_read,
    .write = mem_write,
    .close = mem_close,
};

static void mem_open(struct bl_stream *s, struct mem *m, const uint8_t *data,
		     size_t size)
{
	m->p = data;
	m->len = size;
	m->off = 0;
	s->ops = &mem_ops;
	s->fd = -1;
	s->impl = m;
	s->deadline_ms = -1;
	s->version = 0;
}

/* In every version spoken: what decodes encodes back to the same bytes. */
static void decode_and_check(uint32_t type, const uint8_t *body, uint32_t len)
{
	char err[BL_ERRMSG_MAX];
	uint8_t *again;
	uint32_t again_len;
	struct rpc_msg m;

	for (uint32_t v = RPC_MIN_VERSION; v <= RPC_VERSION; v++) {
		if (rpc_msg_decode(type, v, body, len, &m, err, sizeof(err)))
			continue;
		again = NULL;
		again_len = 0;
		if (rpc_msg_encode(&m, v, &again, &again_len) ||
		    again_len != len || (len && memcmp(again, body, len)))
			abort();
		free(again);
		rpc_msg_dispose(&m);
	}
}

/* Frames until the input runs out or breaks the protocol. */
static void read_frames(struct bl_stream *s)
{
	struct rpc_frame f;

	while (!rpc_recv_frame(s, &f, NULL, 0)) {
		decode_and_check(f.type, f.body, f.len);
		rpc_frame_dispose(&f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bl_stream s;
	uint32_t version;
	struct mem m;

	if (size <= RPC_MAX_BODY) {
		for (uint32_t t = 0; t <= RPC_ERROR + 1; t++)
			decode_and_check(t, data, (uint32_t)size);
		decode_and_check(RPC_OPTIONAL | RPC_GUEST_INFO, data,
				 (uint32_t)size);
	}

	mem_open(&s, &m, data, size);
	read_frames(&s);

	mem_open(&s, &m, data, size);
	if (!rpc_server_hello(&s, &version, NULL, 0))
		read_frames(&s);

	mem_open(&s, &m, data, size);
	if (!rpc_client_hello(&s, &version, NULL, 0))
		read_frames(&s);
	return 0;
}
