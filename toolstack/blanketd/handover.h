/* The source's side of the two-phase handover (docs/specs/migration-
 * stream.md, "The handover" and "Exactly once"): rename away -> go ->
 * started -> settled, resuming the guest here when the handover does not
 * happen, and, when it is cut off after go, asking the destination by the
 * migration's ID what it did, never guessing. */
#ifndef BL_BLANKETD_HANDOVER_H
#define BL_BLANKETD_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/client/client.h"

/* The guest is suspended here and restored, paused, at dst (a's
 * destination): hand it over. BL_OK when it runs there and our copy is
 * gone; otherwise err says what happened and where the guest runs
 * (resumed here before go; after go, settled with the destination,
 * unresolved, or left to a resolver). *started_r: when the destination
 * said the guest runs (fdio_now_ms), the downtime's end; our copy is
 * destroyed after. */
int handover_send(const struct server_opts *o, void *hv,
		  struct client_conn *dst, const struct ledger_away *a,
		  const char *name, int64_t *started_r, char *err,
		  size_t errlen) BL_MUST_CHECK;

/* Resume name here after a failure before go (unless the save never
 * suspended it); err, which holds the reason, gains where it runs. */
void handover_resume_here(const struct server_opts *o, void *hv,
			  const char *name, char *err, size_t errlen);

/* Settle name's copy here (NAME--migratedaway) by its away record: ask
 * the destination what it did with the migration, and act. flags
 * (RPC_RESOLVE_*) settle it by hand instead: resume here or discard here.
 * BL_OK when settled (*here_r: the guest runs here); BL_ERR_BUSY when the
 * destination cannot tell yet or cannot be reached (ask again later);
 * BL_ERR_UNRESOLVED when it can never tell (a human must decide);
 * BL_ERR_NOTFOUND when there is nothing to settle. err says what was
 * found, and what was done. */
int handover_resolve(const struct server_opts *o, void *hv, const char *name,
		     uint32_t flags, bool *here_r, char *err,
		     size_t errlen) BL_MUST_CHECK;
/* handover_resolve again and again, in a process of its own, until it is
 * settled or found unresolved. */
void handover_resolve_later(const struct server_opts *o, const char *name);

#endif
