/* Guest names are unique in the cluster. A node that creates a guest
 * first holds its name on every node (docs/specs/migration-stream.md,
 * "Names"): each holds it in its ledger's reservation (the lock a
 * migration into that node takes too), and only if it has no guest, copy
 * or incoming guest of that name; then the create runs, then the names are
 * let go. A hold lasts as long as the connection that asked for it, so a
 * creator that dies lets go at once. */
#ifndef BL_BLANKETD_NAMES_H
#define BL_BLANKETD_NAMES_H

#include "toolstack/blanketd/server.h"
#include "toolstack/client/client.h"
#include "toolstack/client/cluster.h"

struct tls_ctx;

/* Hold name here: BL_ERR_BUSY (err says why) when it is reserved or a
 * domain of that name, copy or incoming one, is here. On BL_OK *fd_r is
 * the hold, for names_let_go(). */
int names_hold(const struct server_opts *o, void *hv, const char *name,
	       int *fd_r, char *err, size_t errlen) BL_MUST_CHECK;
void names_let_go(const struct server_opts *o, const char *name, int fd);

/* name held here and on every peer. */
struct names_claim {
	int fd; /* the hold here */
	struct client_conn conn[CLUSTER_MAX_NODES];
	struct tls_ctx *tls[CLUSTER_MAX_NODES];
	int n;
};

/* Hold name everywhere: BL_ERR_BUSY with err naming the node that holds
 * it, or does not answer (it may). On BL_OK the caller names_release()s
 * the claim once the guest is created (or not). */
int names_claim(const struct server_opts *o, void *hv, const char *name,
		struct names_claim *c, char *err, size_t errlen) BL_MUST_CHECK;
void names_release(const struct server_opts *o, const char *name,
		   struct names_claim *c);

#endif
