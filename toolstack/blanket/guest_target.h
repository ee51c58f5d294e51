/* What the guest commands share: their options, and the nodes they reach
 * (the cluster file's, or this node's blanketd through its local socket when
 * there is no cluster file). */
#ifndef BL_GUEST_TARGET_H
#define BL_GUEST_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client.h"
#include "cluster.h"
#include "rpc.h"

struct tls_ctx;

struct guest_target {
	/* options */
	const char *cluster_file; /* --cluster */
	const char *node;	  /* -n */
	bool json, force, wait, no_compress;
	int timeout_s;
	uint64_t bandwidth;   /* --bandwidth, bytes/s; 0: none */
	const char *operand;  /* the first operand (guest or file), or NULL */
	const char *operand2; /* the second (migrate's node), or NULL */
	/* nodes */
	struct cluster c;
	bool local;
	struct tls_ctx *tls;
};

/* Parse argv[0]'s options, accepting the long names in allowed (words),
 * and operands (0 to 2) operands; then open the cluster. Returns -1 to go
 * on, else an exit status (having said why). */
int guest_target_begin(int argc, char **argv, const char *allowed, int operands,
		       const char *usage, struct guest_target *t);
void guest_target_end(struct guest_target *t);

/* Index of the node named name (-n), or -1 after saying it is unknown. */
int guest_target_index(const struct guest_target *t, const char *name);
/* The nodes [*lo_r, *hi_r) a listing covers: the one named (NULL: all).
 * -1 after saying the name is unknown. */
int guest_target_range(const struct guest_target *t, const char *name,
		       int *lo_r, int *hi_r);
/* The node that runs guest name: -n's, else the one that has it; -1 after
 * saying none has. */
int guest_target_find(struct guest_target *t, const char *name);
int guest_target_connect(struct guest_target *t, int i,
			 struct client_conn *conn, char *err, size_t errlen);
/* One request to node i; on failure prints why (unless quiet_notfound and
 * the node has no such guest). */
int guest_target_call(struct guest_target *t, int i, struct rpc_msg *req,
		      struct rpc_msg *reply, bool quiet_notfound);

#endif
