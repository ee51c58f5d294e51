/* The node's end of the cluster overlay (docs/network.md): its WireGuard
 * key, made here and never sent, and the rounds that keep wg0's peers and
 * the VXLAN device's flooding entries in step with the cluster's nodes. */
#ifndef BL_BLANKETD_OVERLAY_H
#define BL_BLANKETD_OVERLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "toolstack/common/err.h"
#include "toolstack/rpc/rpc.h"

#define OVERLAY_PORT_DEFAULT 51820
#define OVERLAY_KEY_FILE     "overlay.key"   /* in the state folder */
#define OVERLAY_PEERS_FILE   "overlay-peers" /* what the last round saw */
#define OVERLAY_BRIDGE	     "xenbr0"	     /* the guests' bridge */

struct server_opts;

struct overlay {
	char addr[RPC_OVERLAY_ADDR_MAX]; /* this node's on wg0 */
	int prefix;			 /* the overlay's subnet */
	uint32_t port;			 /* WireGuard's, on the link */
	const char *peers_file;		 /* the cluster's nodes, re-read */
	const char *script;		 /* drivers/net/blanket-overlay */
	char public_key[RPC_OVERLAY_KEY_LEN + 1];
	pid_t round;	    /* the round running, 0: none */
	int64_t next_ms;    /* when the next one starts */
	int64_t reapply_ms; /* when a round runs the script, changed or not */
};

/* "A.B.C.D/LEN" (LEN 8 to 30) and a port into ov; err names what is
 * wrong. */
int overlay_parse(const char *spec, uint32_t port, struct overlay *ov,
		  char *err, size_t errlen) BL_MUST_CHECK;
/* The node's key from the state folder, made there (0600) the first time;
 * fills ov->public_key. */
int overlay_key_load(const char *state_dir, struct overlay *ov, char *err,
		     size_t errlen) BL_MUST_CHECK;
/* What node-info says of it: all empty when ov is NULL. */
void overlay_describe(const struct overlay *ov, struct rpc_overlay *out);
/* From the server's loop: start a round when one is due and none runs.
 * A round (a process named overlay-round) asks every node in the peers
 * file for its overlay record, then, when that changed or every 20 s, runs
 * the script to make wg0 and the flooding entries match. */
void overlay_tick(const struct server_opts *o, struct overlay *ov);
/* The loop reaped pid, which ended with status (waitpid's): true when it
 * was the round. */
bool overlay_reaped(struct overlay *ov, pid_t pid, int status);

#endif
