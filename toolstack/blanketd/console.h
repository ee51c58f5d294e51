/* A guest console over the node RPC: bytes between the guest's pty and
 * console-data messages, until either side detaches. */
#ifndef BL_BLANKETD_CONSOLE_H
#define BL_BLANKETD_CONSOLE_H

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"

/* Relay until the client sends console-detach (answered with ours) or
 * leaves, or the console closes (then we detach and wait a little for the
 * client's answer). id is the guest-console request's: every message of the
 * session carries it (docs/specs/rpc.md). */
int console_relay(struct bl_stream *s, uint32_t id, int pty,
		  const char *peer) BL_MUST_CHECK;

#endif
