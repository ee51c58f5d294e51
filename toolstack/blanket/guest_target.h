/* What the guest and cluster commands share: the nodes they reach (the
 * cluster file's, or this node's blanketd through its local socket when
 * there is no cluster file) and the requests they make there. */
#ifndef BL_GUEST_TARGET_H
#define BL_GUEST_TARGET_H

#include <stdbool.h>
#include <stddef.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/client/client.h"
#include "toolstack/client/cluster.h"
#include "toolstack/rpc/rpc.h"

struct tls_ctx;

struct guest_target {
	const struct cli_opts *o;
	const char *operand;  /* the first operand (guest, file, node) */
	const char *operand2; /* the second (migrate's node), or NULL */
	struct cluster c;
	bool local;
	struct tls_ctx *tls;
};

/* Open the cluster the call's options lead to (cluster.conf(5)). BL_OK, or
 * an error after saying why. */
int guest_target_begin(const struct cmd_call *call,
		       struct guest_target *t) BL_MUST_CHECK;
void guest_target_end(struct guest_target *t);

/* Index of the node named name (-n), or -1 after saying it is unknown. */
int guest_target_index(const struct guest_target *t, const char *name);
/* The nodes [*lo_r, *hi_r) a listing covers: the one named (NULL: all).
 * BL_ERR_NOTFOUND after saying the name is unknown. */
int guest_target_range(const struct guest_target *t, const char *name,
		       int *lo_r, int *hi_r) BL_MUST_CHECK;
/* The node that has guest name: -n's, else one whose copy runs (unresolved
 * false: an unresolved copy only when there is nothing else) or whose copy
 * is unresolved (true). -1 after saying none has, or that name is not a
 * guest name (hv_check_name). */
int guest_target_find(struct guest_target *t, const char *name,
		      bool unresolved);
int guest_target_connect(struct guest_target *t, int i,
			 struct client_conn *conn, char *err,
			 size_t errlen) BL_MUST_CHECK;
/* One request to node i; on failure prints why (unless quiet_notfound and
 * the node has no such guest). */
int guest_target_call(struct guest_target *t, int i, struct rpc_msg *req,
		      struct rpc_msg *reply, bool quiet_notfound) BL_MUST_CHECK;

#endif
