/* Live migration between two blanketd (docs/specs/migration-stream.md):
 * the source side (migrate_source.c) serves a client's guest-migrate, the
 * destination side (migrate_dest.c) a source's migrate-receive. Both run
 * in a session process; the handover is handover.c's. */
#ifndef BL_BLANKETD_MIGRATE_H
#define BL_BLANKETD_MIGRATE_H

#include "toolstack/rpc/rpc.h"
#include "toolstack/blanketd/server.h"

/* A migration of NAME from here holds STATE_DIR/migrating-NAME. */
#define MIGRATE_LOCK_PREFIX "migrating-"

/* Move req->name to the node req names, sending migrate-progress to the
 * client on cli as it goes. On BL_OK *st_r is the summary; on error err
 * says what happened and where the guest runs. */
int migrate_source(const struct server_opts *o, void *hv, struct bl_stream *cli,
		   const struct rpc_msg *req, struct rpc_migrate_stats *st_r,
		   char *err, size_t errlen) BL_MUST_CHECK;

/* Take a guest in: answer req (ok, or error when it cannot be received),
 * then run the stream and the handover on s. The connection ends with it. */
void migrate_dest(const struct server_opts *o, void *hv, struct bl_stream *s,
		  const struct rpc_msg *req, const char *peer);

/* What this node knows of a migration into it (migrate-status): *reply
 * gets the status, the guest's name and generation, and this node's
 * instance. A reservation whose session is gone is cleared on the way, so
 * "unknown" is then true for good. */
int migrate_dest_status(const struct server_opts *o, void *hv,
			const struct bl_id *migration,
			struct rpc_msg *reply) BL_MUST_CHECK;

/* A reservation of name whose session is gone: destroy the domain it
 * restored, if it is still NAME--incoming, and drop it. */
void migrate_dest_clear(const struct server_opts *o, void *hv,
			const char *name);

#endif
