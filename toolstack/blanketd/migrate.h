/* Live migration between two blanketd (docs/specs/migration-stream.md):
 * the source side (migrate_source.c) serves a client's guest-migrate, the
 * destination side (migrate_dest.c) a source's migrate-receive. Both run
 * in a session process; the handover is handover.c's. */
#ifndef BL_BLANKETD_MIGRATE_H
#define BL_BLANKETD_MIGRATE_H

#include "toolstack/rpc/rpc.h"
#include "toolstack/blanketd/server.h"

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

#endif
