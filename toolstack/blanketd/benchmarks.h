/* bench-run and bench-serve (docs/specs/rpc.md): blanket bench's
 * workloads in the node's dom0, its L1 (docs/bench.md). */
#ifndef BL_BLANKETD_BENCHMARKS_H
#define BL_BLANKETD_BENCHMARKS_H

#include <stddef.h>

#include "toolstack/bench/server.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/rpc/rpc.h"

/* Runs req's workload here and fills reply's figures. Disk workloads use
 * a file in the first images folder of the node's policy: the storage
 * guests' disks live on. */
int benchmarks_run(const struct server_opts *o, const struct rpc_msg *req,
		   struct rpc_msg *reply, char *err,
		   size_t errlen) BL_MUST_CHECK;
/* Starts a server on every address of the node for req's seconds, or
 * until bench_server_stop (one a session: a second replaces the first),
 * and puts its port in reply. */
int benchmarks_serve(const struct server_opts *o, struct bench_server *b,
		     int session_fd, const struct rpc_msg *req,
		     struct rpc_msg *reply, char *err,
		     size_t errlen) BL_MUST_CHECK;

#endif
