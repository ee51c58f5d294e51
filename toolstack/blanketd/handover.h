/* The source's side of the two-phase handover (docs/specs/migration-
 * stream.md, "Handover" and "Resolving UNKNOWN"): the record of where a
 * guest is handed over to, rename away -> go -> started, resuming the
 * guest here when the handover does not happen, and asking the
 * destination what became of it when the handover was cut off after go. */
#ifndef BL_BLANKETD_HANDOVER_H
#define BL_BLANKETD_HANDOVER_H

#include <stdbool.h>

#include "toolstack/blanketd/server.h"
#include "toolstack/client/client.h"
#include "toolstack/client/cluster.h"

#define MIGRATE_INCOMING "--incoming"	  /* the destination's paused copy */
#define MIGRATE_AWAY	 "--migratedaway" /* the source's copy after go */

/* The guest is suspended here and restored, paused, at dst (node dn):
 * hand it over. BL_OK when it runs there and our copy is gone; otherwise
 * err says what happened and where the guest runs (resumed here before
 * go; after go, settled with the destination, or left to a resolver). */
int handover_send(const struct server_opts *o, void *hv,
		  struct client_conn *dst, const struct cluster_node *dn,
		  const char *name, char *err, size_t errlen) BL_MUST_CHECK;

/* Resume name here after a failure before go (unless the save never
 * suspended it); err, which holds the reason, gains where it runs. */
void handover_resume_here(const struct server_opts *o, void *hv,
			  const char *name, char *err, size_t errlen);

/* Ask the node name was handed over to (its record) and act: BL_OK when
 * settled (*here_r: the guest runs on at this node, else there);
 * BL_ERR_BUSY when that node cannot tell yet or cannot be reached (ask
 * again later); another error when there is nothing to resolve. err says
 * what was found. */
int handover_resolve(const struct server_opts *o, void *hv, const char *name,
		     bool *here_r, char *err, size_t errlen) BL_MUST_CHECK;
/* handover_resolve again and again, in a process of its own, until it
 * settles. */
void handover_resolve_later(const struct server_opts *o, const char *name);

#endif
