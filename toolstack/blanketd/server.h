/* blanketd's listeners and the process per connection. */
#ifndef BL_BLANKETD_SERVER_H
#define BL_BLANKETD_SERVER_H

#include <stdbool.h>

#include "toolstack/client/cluster.h"
#include "toolstack/common/err.h"
#include "toolstack/hv/hv.h"
#include "toolstack/common/stream.h"
#include "toolstack/tls/ca.h"

struct tls_ctx;
struct shutdowns;
struct dhcp;
struct overlay;

struct server_opts {
	const char *node_name;
	/* The other nodes (blanketd --peers; none when NULL): asked before
	 * a copy of a guest is resumed here that may run elsewhere. */
	const struct cluster *peers;
	const char *l0;		 /* what the node runs on (probe_summary) */
	const char *listen;	 /* TCP ADDR:PORT, or NULL for none */
	const char *socket_path; /* local UNIX socket, or NULL for none */
	const char *state_dir;	 /* migrations' locks and records */
	const char *ca_file, *cert_file, *key_file;
	const char *crl_file; /* the CA's revocations, NULL: none checked */
	const struct hv_ops *hv;
	int max_sessions; /* connections served at once; more are refused */
	int boot_wait_s;  /* how long a migration waits for a guest to boot */
	/* The largest page-delta cache a migration into this node may ask
	 * for, in MiB (blanketd --delta-cache-max): a source asking for more
	 * is refused. */
	uint32_t delta_cache_max_mib;
	/* What guests may touch (hv_policy.h), read from policy_file (which
	 * may be missing when policy_optional) at start and on SIGHUP. */
	const char *policy_file;
	bool policy_optional;
	struct hv_policy *policy;
	/* Forced shutdowns not due yet (set by server_run). */
	struct shutdowns *shutdowns;
	/* The cluster overlay (blanketd --overlay), NULL: none. */
	struct overlay *overlay;
	/* The guests' DHCP service (blanketd --guest-dhcp), NULL: none. */
	struct dhcp *dhcp;
	/* bench-run and bench-serve are served (not blanketd --no-bench). */
	bool bench;
};

/* Serve until SIGTERM/SIGINT: accept, fork a session per connection, and
 * reap guests each second; on SIGHUP read the policy and the CRL again (a
 * bad file leaves the one in force). Returns when asked to stop, or on a setup
 * error. */
int server_run(struct server_opts *o) BL_MUST_CHECK;

/* One connection, in its own process: requests until the peer leaves.
 * peer names the caller for logs, and role says what it may do; both come
 * from the TLS certificate or the UNIX socket's credentials (local root is
 * an operator), never from the payload. */
void session_run(const struct server_opts *o, struct bl_stream *s,
		 const char *peer, enum ca_role role);

#endif
