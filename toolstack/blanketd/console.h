/* A guest console over the node RPC: bytes between the guest's pty and
 * console-data messages, until either side detaches. */
#ifndef BL_BLANKETD_CONSOLE_H
#define BL_BLANKETD_CONSOLE_H

#include "toolstack/common/err.h"
#include "toolstack/common/stream.h"

/* A console whose client has typed nothing for this long is detached: it
 * holds one of the node's sessions. */
#define CONSOLE_IDLE_MS (30 * 60 * 1000)
/* Output the client does not take within this ends the session. */
#define CONSOLE_WRITE_MS 30000

/* Relay until the client sends console-detach (answered with ours) or
 * leaves, or the console closes or the client stays idle for
 * CONSOLE_IDLE_MS (then we detach and wait a little for the client's
 * answer). id is the guest-console request's: every message of the
 * session carries it (docs/specs/rpc.md). */
int console_relay(struct bl_stream *s, uint32_t id, int pty,
		  const char *peer) BL_MUST_CHECK;

#endif
