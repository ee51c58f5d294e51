/* The client side of the node RPC: connect to a node's blanketd (TLS over
 * TCP, or the local UNIX socket as root) and make calls. Used by the CLI,
 * and by nodes calling each other. */
#ifndef BL_CLIENT_H
#define BL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "toolstack/client/cluster.h"
#include "toolstack/common/err.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/common/stream.h"

#define CLIENT_LOCAL_SOCKET "/run/blanket/blanketd.sock"
/* Bounded waits: a node that is down is named, not waited for. */
#define CLIENT_CONNECT_TIMEOUT_MS 5000
/* A node that took the connection is up: its TLS handshake and hello may
 * take longer on a loaded (or emulated) dom0, where 5 s ran out. */
#define CLIENT_HANDSHAKE_TIMEOUT_MS 20000
#define CLIENT_CALL_TIMEOUT_MS	    120000
/* A create waits for libxl to build the domain and run its devices'
 * hotplug scripts, which on a loaded node (or an emulated one) take
 * minutes. */
#define CLIENT_CREATE_TIMEOUT_MS 600000

struct tls_ctx;

struct client_conn {
	struct bl_stream s;
	char node[64];
	uint32_t next_id;
};

/* A TCP connection to n's host:port within CLIENT_CONNECT_TIMEOUT_MS;
 * on error err says which node and why. */
int client_tcp_connect(const struct cluster_node *n, int *fd_r, char *err,
		       size_t errlen) BL_MUST_CHECK;
/* TLS to node n, checking that its certificate names n. On error err says
 * which node and why; *conn_r is untouched. */
int client_connect(struct tls_ctx *tls, const struct cluster_node *n,
		   struct client_conn *conn_r, char *err,
		   size_t errlen) BL_MUST_CHECK;
/* This machine's blanketd over its UNIX socket (root only). */
int client_connect_local(const char *path, struct client_conn *conn_r,
			 char *err, size_t errlen) BL_MUST_CHECK;
/* Send req (its id is set here) and read the reply, within
 * CLIENT_CALL_TIMEOUT_MS (CLIENT_CREATE_TIMEOUT_MS for a guest-create), into
 * *reply_r (init'd by the caller, disposed by the caller). An ERROR reply
 * returns its code with its message in err ("node2: no guest named ..."). */
int client_call(struct client_conn *conn, struct rpc_msg *req,
		struct rpc_msg *reply_r, char *err,
		size_t errlen) BL_MUST_CHECK;
void client_close(struct client_conn *conn);

#endif
