/* Migrations that were cut off, at blanketd's start
 * (docs/specs/migration-stream.md, the restart rows of the handover
 * tables). */
#ifndef BL_BLANKETD_MIGRATE_RECOVER_H
#define BL_BLANKETD_MIGRATE_RECOVER_H

#include "toolstack/blanketd/server.h"

/* At start, when no migration runs: destroy every NAME--incoming (none of
 * them saw `go` acted on), resume every guest a save left suspended, and
 * resolve every NAME--migratedaway in the background. */
void migrate_recover(const struct server_opts *o, void *hv);

#endif
