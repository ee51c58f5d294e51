#include "toolstack/blanket/guest_target.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/tls/tls.h"

static int open_cluster(struct guest_target *t)
{
	char err[BL_ERRMSG_MAX], path[PATH_MAX];
	int rc;

	rc = cluster_locate(t->o->cluster, path, sizeof(path));
	if (rc == BL_ERR_NOTFOUND && access(CLIENT_LOCAL_SOCKET, F_OK) == 0) {
		t->local = true;
		t->c.nodes = 1;
		snprintf(t->c.node[0].name, sizeof(t->c.node[0].name), "local");
		return BL_OK;
	}
	if (rc == BL_ERR_NOTFOUND) {
		fprintf(stderr,
			"blanket: no cluster file: none named by --cluster or "
			"$BLANKET_CLUSTER, none in ~/.config/blanket or %s, "
			"and no blanketd on this node (cluster.conf(5))\n",
			CLUSTER_SYSTEM_FILE);
		return rc;
	}
	rc = cluster_load(path, 0, &t->c, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "blanket: %s\n", err);
		return rc;
	}
	rc = tls_ctx_new(TLS_CLIENT, t->c.ca, t->c.cert, t->c.key, NULL,
			 &t->tls);
	if (rc)
		fprintf(stderr,
			"blanket: cannot use the credentials the "
			"cluster file %s names\n",
			path);
	return rc;
}

int guest_target_begin(const struct cmd_call *call, struct guest_target *t)
{
	memset(t, 0, sizeof(*t));
	t->o = call->opts;
	t->operand = call->argc > 0 ? call->argv[0] : NULL;
	t->operand2 = call->argc > 1 ? call->argv[1] : NULL;
	return open_cluster(t);
}

void guest_target_end(struct guest_target *t)
{
	tls_ctx_free(t->tls);
	t->tls = NULL;
}

int guest_target_connect(struct guest_target *t, int i,
			 struct client_conn *conn, char *err, size_t errlen)
{
	if (t->local)
		return client_connect_local(CLIENT_LOCAL_SOCKET, conn, err,
					    errlen);
	return client_connect(t->tls, &t->c.node[i], conn, err, errlen);
}

int guest_target_index(const struct guest_target *t, const char *name)
{
	const struct cluster_node *n;

	if (t->local)
		return 0;
	n = cluster_find(&t->c, name);
	if (!n) {
		fprintf(stderr, "blanket: no node \"%s\" in the cluster file\n",
			name);
		return -1;
	}
	return (int)(n - t->c.node);
}

int guest_target_range(const struct guest_target *t, const char *name,
		       int *lo_r, int *hi_r)
{
	*lo_r = 0;
	*hi_r = t->c.nodes;
	if (!name)
		return 0;
	*lo_r = guest_target_index(t, name);
	*hi_r = *lo_r + 1;
	return *lo_r < 0 ? BL_ERR_NOTFOUND : BL_OK;
}

int guest_target_call(struct guest_target *t, int i, struct rpc_msg *req,
		      struct rpc_msg *reply, bool quiet_notfound)
{
	struct client_conn conn;
	char err[BL_ERRMSG_MAX];
	int rc = guest_target_connect(t, i, &conn, err, sizeof(err));

	if (!rc) {
		rc = client_call(&conn, req, reply, err, sizeof(err));
		client_close(&conn);
	}
	if (rc && !(quiet_notfound && rc == BL_ERR_NOTFOUND))
		fprintf(stderr, "blanket: %s\n", err);
	return rc;
}

int guest_target_find(struct guest_target *t, const char *name, bool unresolved)
{
	char err[BL_ERRMSG_MAX];
	bool unreachable = false;
	int other = -1;

	if (hv_check_name(name, err, sizeof(err))) {
		fprintf(stderr, "blanket: %s\n", err);
		return -1;
	}
	if (t->o->node)
		return guest_target_index(t, t->o->node);
	for (int i = 0; i < t->c.nodes; i++) {
		struct rpc_msg req, reply;
		bool copy;
		int rc;

		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_GUEST_INFO;
		snprintf(req.name, sizeof(req.name), "%s", name);
		rc = guest_target_call(t, i, &req, &reply, true);
		copy = reply.guest.state == HV_STATE_UNRESOLVED;
		rpc_msg_dispose(&reply);
		if (rc == BL_OK && copy == unresolved)
			return i;
		if (rc == BL_OK && other < 0)
			other = i;
		if (rc != BL_OK && rc != BL_ERR_NOTFOUND)
			unreachable = true;
	}
	if (other >= 0 && !unresolved)
		return other;
	fprintf(stderr, "blanket: no %sguest named \"%s\" on any%s node\n",
		unresolved ? "unresolved copy of a " : "", name,
		unreachable ? " reachable" : "");
	return -1;
}
