/* Cluster-wide guest names (names.h). */
#include "toolstack/blanketd/names.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/peer.h"
#include "toolstack/tls/tls.h"

int names_hold(const struct server_opts *o, void *hv, const char *name,
	       int *fd_r, char *err, size_t errlen)
{
	static const char *const forms[] = {"", HV_SUFFIX_INCOMING,
					    HV_SUFFIX_AWAY};
	char domain[HV_NAME_MAX + 16];
	struct bl_id token;
	struct hv_guest g;
	int rc;

	if (bl_id_new(&token))
		return BL_ERR_IO;
	rc = ledger_reserve(o, name, &token, fd_r);
	if (rc == BL_ERR_BUSY)
		snprintf(err, errlen,
			 "node %s is receiving or creating a guest named "
			 "\"%s\"",
			 o->node_name, name);
	if (rc)
		return rc;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(domain, sizeof(domain), "%s%s", name, forms[i]);
		if (o->hv->info(hv, domain, &g) == BL_OK) {
			snprintf(err, errlen,
				 "%s\"%s\" already exists on node %s",
				 i == 2 ? "an unresolved copy of "
					: "a guest named ",
				 name, o->node_name);
			ledger_release(o, name, *fd_r);
			return BL_ERR_BUSY;
		}
	}
	return BL_OK;
}

void names_let_go(const struct server_opts *o, const char *name, int fd)
{
	if (fd >= 0)
		ledger_release(o, name, fd);
}

/* Hold name at peer n, on a connection kept open in c. */
static int hold_at(const struct server_opts *o, const struct cluster_node *n,
		   const char *name, struct names_claim *c, char *err,
		   size_t errlen)
{
	struct client_conn *conn = &c->conn[c->n];
	struct rpc_msg req, reply;
	char why[BL_ERRMSG_MAX];
	int rc;

	rc = peer_connect(o, n, &c->tls[c->n], conn, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen,
			 "node %s did not answer, and may have a guest named "
			 "\"%s\": %.300s",
			 n->name, name, why);
		return BL_ERR_BUSY;
	}
	c->n++;
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_NAME_HOLD;
	snprintf(req.name, sizeof(req.name), "%s", name);
	rc = client_call(conn, &req, &reply, why, sizeof(why));
	rpc_msg_dispose(&reply);
	if (rc) {
		snprintf(err, errlen, "%.400s", why);
		return BL_ERR_BUSY;
	}
	return BL_OK;
}

int names_claim(const struct server_opts *o, void *hv, const char *name,
		struct names_claim *c, char *err, size_t errlen)
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	rc = names_hold(o, hv, name, &c->fd, err, errlen);
	for (int i = 0; !rc && o->peers && i < o->peers->nodes; i++)
		if (strcmp(o->peers->node[i].name, o->node_name))
			rc = hold_at(o, &o->peers->node[i], name, c, err,
				     errlen);
	if (rc)
		names_release(o, name, c);
	return rc;
}

void names_release(const struct server_opts *o, const char *name,
		   struct names_claim *c)
{
	/* Closing a connection ends the peer's session, and its hold. */
	for (int i = 0; i < c->n; i++)
		peer_close(c->tls[i], &c->conn[i]);
	c->n = 0;
	names_let_go(o, name, c->fd);
	c->fd = -1;
}
