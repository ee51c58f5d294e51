/* Node-to-node calls (peer.h). */
#include "toolstack/blanketd/peer.h"

#include <stdio.h>
#include <string.h>

#include "toolstack/tls/tls.h"

int peer_connect(const struct server_opts *o, const struct cluster_node *n,
		 struct tls_ctx **tls_r, struct client_conn *conn_r, char *err,
		 size_t errlen)
{
	struct tls_ctx *tls = NULL;
	int rc;

	rc = tls_ctx_new(TLS_CLIENT, o->ca_file, o->cert_file, o->key_file,
			 o->crl_file, &tls);
	if (rc) {
		snprintf(err, errlen, "this node's credentials are unusable");
		return rc;
	}
	rc = client_connect(tls, n, conn_r, err, errlen);
	if (rc) {
		tls_ctx_free(tls);
		return rc;
	}
	*tls_r = tls;
	return BL_OK;
}

void peer_close(struct tls_ctx *tls, struct client_conn *conn)
{
	if (conn->s.ops)
		client_close(conn);
	conn->s.ops = NULL;
	tls_ctx_free(tls);
}

int peer_call(const struct server_opts *o, const struct cluster_node *n,
	      struct rpc_msg *req, struct rpc_msg *reply_r, char *err,
	      size_t errlen)
{
	struct client_conn conn = {.s.ops = NULL};
	struct tls_ctx *tls = NULL;
	int rc = peer_connect(o, n, &tls, &conn, err, errlen);

	if (!rc)
		rc = client_call(&conn, req, reply_r, err, errlen);
	peer_close(tls, &conn);
	return rc;
}

static bool runs(enum hv_guest_state s)
{
	return s == HV_STATE_RUNNING || s == HV_STATE_BLOCKED ||
	       s == HV_STATE_PAUSED;
}

int peer_no_other_copy(const struct server_opts *o, const char *name,
		       uint64_t generation, int *silent_r, char *err,
		       size_t errlen)
{
	char why[BL_ERRMSG_MAX];
	size_t len;

	*silent_r = 0;
	err[0] = '\0';
	for (int i = 0; o->peers && i < o->peers->nodes; i++) {
		const struct cluster_node *n = &o->peers->node[i];
		struct rpc_msg req, reply;
		int rc;

		if (!strcmp(n->name, o->node_name))
			continue;
		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_GUEST_INFO;
		snprintf(req.name, sizeof(req.name), "%s", name);
		rc = peer_call(o, n, &req, &reply, why, sizeof(why));
		if (!rc && (runs(reply.guest.state) ||
			    reply.guest.generation > generation)) {
			snprintf(err, errlen,
				 "node %s has \"%s\" (%s, generation %llu)",
				 n->name, name,
				 hv_state_name(reply.guest.state),
				 (unsigned long long)reply.guest.generation);
			rpc_msg_dispose(&reply);
			return BL_ERR_BUSY;
		}
		rpc_msg_dispose(&reply);
		if (rc && rc != BL_ERR_NOTFOUND) {
			len = strlen(err);
			snprintf(err + len, errlen - len,
				 "%snode %s did not answer", len ? "; " : "",
				 n->name);
			(*silent_r)++;
		}
	}
	return BL_OK;
}
