/* Migrations that were cut off (docs/specs/migration-stream.md, "Resolving
 * UNKNOWN" and the restart rows of the handover tables): the record of where
 * a guest was handed over to, asking that node what became of it, and what
 * blanketd does at start. Shared by the two sides in migrate.c. */
#ifndef BL_BLANKETD_MIGRATE_RECOVER_H
#define BL_BLANKETD_MIGRATE_RECOVER_H

#include <stdbool.h>

#include "cluster.h"
#include "server.h"

#define MIGRATE_INCOMING "--incoming"	  /* the destination's paused copy */
#define MIGRATE_AWAY	 "--migratedaway" /* the source's copy after go */

/* Write, before `go`, which node name is handed to; it survives a restart
 * of blanketd (not of the node: the suspended copy does not either). */
int away_record_write(const struct server_opts *o, const char *name,
		      const struct cluster_node *dest) BL_MUST_CHECK;
void away_record_remove(const struct server_opts *o, const char *name);

/* Ask the recorded destination about name and act: BL_OK when settled
 * (*here_r: the guest runs on at this node, else at the destination);
 * BL_ERR_BUSY when the destination cannot tell yet or cannot be reached
 * (ask again later); another error when there is nothing to resolve. err
 * says what was found. */
int migrate_resolve(const struct server_opts *o, void *hv, const char *name,
		    bool *here_r, char *err, size_t errlen) BL_MUST_CHECK;

/* migrate_resolve again and again, in a process of its own, until it
 * settles. */
void migrate_resolve_later(const struct server_opts *o, const char *name);

/* At start, when no migration runs: destroy every NAME--incoming (none of
 * them saw `go` acted on), resume every guest a save left suspended, and
 * resolve every NAME--migratedaway in the background. */
void migrate_recover(const struct server_opts *o, void *hv);

#endif
