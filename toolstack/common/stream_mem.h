/* A byte stream over memory, for tests and fuzzers: what is written is
 * appended to a buffer and what is read is taken from its front, so one
 * stream is a loopback between an encoder and a decoder, with no socket
 * buffer to fill and no second process to drain it. */
#ifndef BL_STREAM_MEM_H
#define BL_STREAM_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/stream.h"

struct stream_mem {
	uint8_t *buf; /* malloc'd; the stream's close() frees it */
	size_t len;   /* bytes written */
	size_t off;   /* bytes read: off <= len */
	size_t cap;
};

/* An empty stream over m, which must outlive s. Reads past the bytes
 * written are BL_ERR_EOF and consume them, as at a closed socket; writes
 * fail only with BL_ERR_NOMEM. fd is -1: there is nothing to poll, and
 * pending() counts the bytes not yet read. */
void stream_mem_init(struct bl_stream *s, struct stream_mem *m);

#endif
