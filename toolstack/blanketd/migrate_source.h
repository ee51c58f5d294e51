/* A live migration from here, between the files that run it: the
 * session's order and its client (migrate_source.c), and the payload
 * (migrate_send.c). Internal to blanketd's migration source. */
#ifndef BL_BLANKETD_MIGRATE_SOURCE_H
#define BL_BLANKETD_MIGRATE_SOURCE_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/blanketd/converge.h"
#include "toolstack/blanketd/disk_send.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/migrate_worker.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/client/client.h"
#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_precopy.h"
#include "toolstack/mig/mig_stream.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/tls/tls.h"

#define MIGRATE__PROGRESS_MS 1000 /* between progress messages */
#define MIGRATE__CANCEL_READ_MS                                                \
	5000 /* a client's or destination's message, once it began */

/* One migration from here, while it runs. */
struct source {
	const struct server_opts *o;
	void *hv;
	struct bl_stream *cli; /* the client: progress, cancel */
	const struct rpc_msg *req;
	int64_t start;
	struct ledger_away a; /* the migration, its destination */
	struct client_conn dst;
	struct tls_ctx *tls;
	struct mig_enc *enc;
	/* page deltas (delta_cache_mib): the filter in front of the encoder,
	 * and the pump's buffer (migrate_send.c); NULL without */
	struct mig_delta_enc *delta;
	uint8_t *buf;
	uint64_t mem_kib; /* the guest's, capping the delta cache */
	/* the destination's abort during the payload, for the client */
	char gave_up[BL_ERRMSG_MAX];
	struct migrate_worker w;
	uint32_t domid;
	struct hv_disk disk_conf[HV_DISKS_MAX];
	struct disk_send disks[HV_DISKS_MAX];
	size_t ndisks;
	char lock[512];
	int lock_fd;
	/* the guest seen suspended (0: not yet), libxl's save returned, the
	 * destination restored, then started it */
	int64_t suspended, saved, restored, started;
	/* libxc's rounds as the stream shows them, and auto-converge: the
	 * guest's cap before it (cap0) while throttled */
	struct mig_precopy pre;
	struct converge conv;
	bool throttled;
	int cap0;
};

/* migrate_source.c: a progress message to the client (which may have
 * gone: the migration goes on regardless); whether the client asked to
 * cancel (a migrate-cancel, anything else it sends, or its leaving),
 * without waiting for it. */
void migrate__progress(struct source *m, const char *phase);
bool migrate__client_cancelled(struct bl_stream *cli);

/* migrate_send.c: the payload, to stream-end: the disks while the guest
 * runs, then libxl's live save with the disks' mirror; the guest is
 * suspended when it returns. On error, err says why; the caller resumes
 * the guest. */
int migrate__send(struct source *m, char *err, size_t errlen) BL_MUST_CHECK;

#endif
