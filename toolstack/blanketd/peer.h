/* blanketd calling another node's blanketd, with this node's identity:
 * the migration's destination, and the peers it asks before resuming a
 * copy of a guest that might run elsewhere. */
#ifndef BL_BLANKETD_PEER_H
#define BL_BLANKETD_PEER_H

#include <stdbool.h>

#include "toolstack/blanketd/server.h"
#include "toolstack/client/client.h"

struct tls_ctx;

/* TLS to node n as this node. On success *tls_r and *conn_r are the
 * caller's to peer_close(); on error err says why and nothing is left. */
int peer_connect(const struct server_opts *o, const struct cluster_node *n,
		 struct tls_ctx **tls_r, struct client_conn *conn_r, char *err,
		 size_t errlen) BL_MUST_CHECK;
void peer_close(struct tls_ctx *tls, struct client_conn *conn);
/* One request to node n on a connection of its own. */
int peer_call(const struct server_opts *o, const struct cluster_node *n,
	      struct rpc_msg *req, struct rpc_msg *reply_r, char *err,
	      size_t errlen) BL_MUST_CHECK;

/* Whether a peer holds a copy of name that resuming ours (generation)
 * would duplicate: one that runs (running, blocked, paused), or one of a
 * later generation. BL_OK when none does; BL_ERR_BUSY with err naming the
 * node and its copy when one does. Peers that do not answer are listed in
 * err and counted in *silent_r, but do not count as holding one. */
int peer_no_other_copy(const struct server_opts *o, const char *name,
		       uint64_t generation, int *silent_r, char *err,
		       size_t errlen) BL_MUST_CHECK;

#endif
