/* The node RPC protocol: connection header, frames and messages, shared by
 * blanketd, the blanket CLI, the tests and the fuzzer. Everything goes
 * through a struct bl_stream (TLS or a UNIX socket). Wire format:
 * docs/specs/rpc.md; the limits below are the spec's. */
#ifndef BL_RPC_H
#define BL_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/frame.h"
#include "toolstack/common/stream.h"
#include "toolstack/hv/hv.h"

#define RPC_VERSION 9 /* the highest version we speak */
/* The lowest: version 1 has no migration identities, and a node that
 * cannot name a migration cannot hand a guest over exactly once
 * (docs/specs/rpc.md, "Versions"). */
#define RPC_MIN_VERSION	     2
#define RPC_HEADER_LEN	     FRAME_HEADER_LEN
#define RPC_FRAME_HEADER_LEN FRAME_REC_HEADER_LEN
#define RPC_MAX_BODY	     1048576u
#define RPC_OPTIONAL	     FRAME_OPTIONAL /* type bit: skip if unknown */
#define RPC_NODE_NAME_MAX    256	    /* NUL included, like HV_NAME_MAX */
#define RPC_L0_MAX	     64		    /* NUL included */
#define RPC_SOURCE_MAX	     4096	    /* NUL included */
#define RPC_CONFIG_MAX	     524288u	    /* bytes */
#define RPC_CONSOLE_MAX	     65536u	    /* bytes per console-data */
#define RPC_TIMEOUT_MAX	     86400u	    /* guest-shutdown seconds */
#define RPC_OVERLAY_KEY_LEN  44		    /* a WireGuard key in base64 */
#define RPC_OVERLAY_ADDR_MAX 16		    /* dotted IPv4, NUL included */

#define RPC_SHUTDOWN_FORCE 0x1u /* destroy after the timeout */
#define RPC_SHUTDOWN_WAIT  0x2u /* reply once the guest is gone */

enum rpc_type {
	RPC_NODE_INFO = 1,
	RPC_GUEST_LIST = 2,
	RPC_GUEST_INFO = 3,
	RPC_GUEST_CREATE = 4,
	RPC_GUEST_DESTROY = 5,
	RPC_GUEST_SHUTDOWN = 6,
	RPC_GUEST_REBOOT = 7,
	RPC_GUEST_PAUSE = 8,
	RPC_GUEST_UNPAUSE = 9,
	RPC_GUEST_CONSOLE = 10,
	RPC_CONSOLE_DATA = 11,
	RPC_CONSOLE_DETACH = 12,
	RPC_OK = 13,
	RPC_ERROR = 14,
	RPC_GUEST_MIGRATE = 15,
	RPC_MIGRATE_PROGRESS = 16,
	RPC_MIGRATE_RECEIVE = 17,
	RPC_MIGRATE_CANCEL = 18,
	RPC_MIGRATE_STATUS = 19,  /* since version 2 */
	RPC_MIGRATE_SETTLED = 20, /* since version 2 */
	RPC_MIGRATE_RESOLVE = 21, /* since version 2 */
	RPC_NAME_HOLD = 22,	  /* since version 2 */
	RPC_BENCH_RUN = 23,	  /* since version 8 */
	RPC_BENCH_SERVE = 24,	  /* since version 8 */
};

/* bench-run's workloads (blanket bench, docs/bench.md): what runs in the
 * node's dom0, and the figures its result carries, in order. */
enum rpc_bench_workload {
	RPC_BENCH_CPU = 1,	      /* amount iterations: seconds */
	RPC_BENCH_DISK = 2,	      /* amount bytes, seconds of random
				       * reads: write, read KiB/s, IOPS */
	RPC_BENCH_NET_THROUGHPUT = 3, /* host, port, seconds: Mbit/s */
	RPC_BENCH_NET_RR = 4,	      /* host, port, seconds: per 10 s */
	RPC_BENCH_NET_RTT = 5,	      /* host, amount echoes: ms */
};
#define RPC_BENCH_VALUES_MAX  4
#define RPC_BENCH_SECONDS_MAX 600u	     /* bench-run's and bench-serve's */
#define RPC_BENCH_CPU_MAX     10000000000ull /* iterations */
#define RPC_BENCH_DISK_MIN    1048576ull     /* bytes */
#define RPC_BENCH_DISK_MAX    17179869184ull /* 16 GiB */
#define RPC_BENCH_ECHOES_MAX  1000u

/* What a destination knows of a migration (migrate-status). */
enum rpc_migration_status {
	RPC_MIGRATION_UNKNOWN = 0,   /* never here, as far as this instance
				      * of the node knows */
	RPC_MIGRATION_RECEIVING = 1, /* in progress: ask again */
	RPC_MIGRATION_ACCEPTED = 2,  /* go was acted on: the guest is here */
};

/* migrate-resolve flags: how to settle an unresolved copy by hand. */
#define RPC_RESOLVE_RESUME_HERE	 0x1u
#define RPC_RESOLVE_DISCARD_HERE 0x2u

#define RPC_MIGRATE_NO_COMPRESS 0x1u /* guest-migrate flag: raw records */
/* guest-migrate flag (version 3): keep the source's images, renamed */
#define RPC_MIGRATE_KEEP_SOURCE 0x2u
/* guest-migrate flag (version 7): no auto-converge */
#define RPC_MIGRATE_NO_THROTTLE 0x4u
/* guest-migrate's delta_cache_mib (version 9): page deltas' cache, MiB */
#define RPC_DELTA_CACHE_MAX_MIB 1024u
#define RPC_DISK_READONLY	0x1u /* a guest record's disk flag */
#define RPC_HOST_MAX		256  /* NUL included */
#define RPC_PHASE_MAX		16   /* NUL included */
#define RPC_ROUNDS_MAX		16   /* a migration record's rounds */
#define RPC_MESSAGE_MAX		512  /* an error reply's text, NUL included */

/* A migration's figures: progress while it runs, the summary at its end. */
struct rpc_migrate_stats {
	char phase[RPC_PHASE_MAX]; /* "disk", "memory", "handover", "done" */
	struct bl_id migration;
	uint64_t generation; /* the guest's at the destination, once done */
	uint64_t elapsed_ms;
	uint64_t downtime_ms;	  /* the source's view: suspended to started */
	uint64_t raw_bytes;	  /* libxl's stream */
	uint64_t wire_bytes;	  /* what went on the connection */
	uint64_t disk_bytes;	  /* version 3: disk data sent */
	uint64_t disk_wire_bytes; /* version 3: its share of wire_bytes */
	/* version 4: guest writes the disks' mirror held until sent */
	uint64_t disk_writes_held;
	/* version 6: where downtime_ms went, the source's view: the last
	 * round (suspended to libxl's save returning), the destination's
	 * restore (to restored), and the start (go, rename, unpause: to
	 * started); they add up to downtime_ms */
	uint64_t last_round_ms, restore_ms, start_ms;
	/* version 7: libxc's pre-copy rounds so far, the pages each sent
	 * (the last one with the guest paused, once done), and auto-converge:
	 * the round it began in (0: the guest was not throttled), the share
	 * of the guest's CPU withheld, the cap that made it (% of one CPU),
	 * and what the guest used before */
	uint32_t rounds;
	uint64_t round_pages[RPC_ROUNDS_MAX];
	uint32_t throttle_round, throttle_pct, throttle_cap, guest_cpu_pct;
	/* version 9: page deltas (0 when they were off), the source's
	 * figures (mig_delta.h): NOTAB pages libxc sent, of them sent as
	 * deltas, sent whole again for want of a cached copy, sent whole for
	 * a delta too long; and the bytes the deltas saved */
	uint64_t delta_pages, delta_hits, delta_misses, delta_overflows;
	uint64_t delta_saved_bytes;
};

/* Any message, decoded. Which fields a type uses is in the spec's tables;
 * the others stay as rpc_msg_init() left them. The pointers are owned by
 * the message: rpc_msg_dispose() frees them, so a sender that sets one
 * hands it over. */
struct rpc_msg {
	uint32_t type; /* enum rpc_type */
	uint32_t id;   /* the request's, echoed by its reply */

	/* guest-info, -destroy, -shutdown, -reboot, -pause, -unpause,
	 * -console */
	char name[HV_NAME_MAX];
	/* guest-create: malloc'd and NUL-terminated */
	char *source;
	char *config;
	uint32_t config_len;
	/* guest-shutdown */
	uint32_t timeout_s;
	uint32_t flags; /* RPC_SHUTDOWN_*, RPC_MIGRATE_* */
	/* guest-migrate: the destination node (name in node, below) */
	char host[RPC_HOST_MAX];
	uint32_t port;
	uint64_t bandwidth; /* bytes per second on the wire; 0: no limit */
	/* version 9: page deltas' cache in MiB (0 to
	 * RPC_DELTA_CACHE_MAX_MIB); 0: whole pages */
	uint32_t delta_cache_mib;
	/* migrate-progress, and the ok of guest-migrate */
	struct rpc_migrate_stats migrate;
	/* console-data: malloc'd (a NUL follows the bytes when decoded) */
	uint8_t *data;
	uint32_t data_len;
	/* migrate-receive, -status, -settled */
	struct bl_id migration;
	uint64_t generation; /* migrate-receive: the guest's at the source */

	/* ok: the request answered, and its result */
	uint32_t request;
	char node[RPC_NODE_NAME_MAX];  /* node-info */
	char l0[RPC_L0_MAX];	       /* node-info: what the node runs on */
	struct hv_node_info node_info; /* node-info */
	/* node-info (version 5): the node's end of the cluster overlay
	 * (docs/network.md); all empty or 0 when it runs none */
	struct rpc_overlay {
		char key[RPC_OVERLAY_KEY_LEN + 1]; /* WireGuard public key */
		char addr[RPC_OVERLAY_ADDR_MAX];   /* its address on wg0 */
		uint32_t port;			   /* WireGuard's UDP port */
	} overlay;
	struct hv_guest guest; /* guest-info, guest-create */
	/* guest-info, guest-create (version 3): the guest's disks, malloc'd */
	struct hv_disk_state *disks;
	uint32_t n_disks;
	/* guest-info, guest-create (version 4): the guest's vifs, malloc'd */
	struct hv_vif_state *vifs;
	uint32_t n_vifs;
	struct hv_guest *guests; /* guest-list: malloc'd */
	uint32_t n_guests;
	/* bench-run: enum rpc_bench_workload, its amount and seconds (and
	 * host, port above); bench-serve: seconds */
	uint32_t workload;
	uint64_t amount;
	uint32_t seconds;
	/* the ok of bench-run: its figures; of bench-serve: port, above */
	double bench_values[RPC_BENCH_VALUES_MAX];
	uint32_t n_bench_values;
	struct bl_id instance; /* migrate-receive, -status: the node's */
	uint32_t status;       /* migrate-status: enum rpc_migration_status */

	/* error; the ok of migrate-resolve: what was done */
	int code; /* a negative enum bl_err, or a code we do not know */
	char message[RPC_MESSAGE_MAX];
};

/* An overlay record a node may send: all empty and 0, or a WireGuard
 * public key (base64, as wg(8) writes it), a dotted IPv4 address and a
 * port from 1 to 65535. */
bool rpc_overlay_valid(const struct rpc_overlay *ov);
void rpc_msg_init(struct rpc_msg *m);
void rpc_msg_dispose(struct rpc_msg *m);
/* Name for logs and error messages ("guest-info"), "unknown" otherwise. */
const char *rpc_type_name(uint32_t type);
/* True for the types a client sends as requests (node-info..guest-console,
 * guest-migrate, migrate-receive). */
bool rpc_type_is_request(uint32_t type);

/* Functions that take err fill it, on failure, with a message for the peer
 * or the user (BL_ERRMSG_MAX bytes hold any; NULL, 0 is allowed). */

/* Connection header. decode: BL_ERR_PROTO for a bad magic; the versions are
 * not checked. */
void rpc_header_encode(uint8_t hdr[RPC_HEADER_LEN], uint32_t version,
		       uint32_t min_version);
int rpc_header_decode(const uint8_t hdr[RPC_HEADER_LEN], uint32_t *version_r,
		      uint32_t *min_version_r) BL_MUST_CHECK;
/* The highest version in both ranges, or BL_ERR_VERSION. */
int rpc_version_pick(uint32_t our_min, uint32_t our_max, uint32_t peer_min,
		     uint32_t peer_max, uint32_t *version_r) BL_MUST_CHECK;
/* Send our header, read the server's: on success *version_r (and
 * s->version) is the version the connection speaks. A refusal returns the
 * server's code (BL_ERR_VERSION or BL_ERR_PROTO) with its message in err. */
int rpc_client_hello(struct bl_stream *s, uint32_t *version_r, char *err,
		     size_t errlen) BL_MUST_CHECK;
/* Read the client's header and answer it (s->version: the version
 * chosen). When it cannot be served, sends
 * the refusal (header version 0 and an ERROR) and returns its code; the
 * caller closes the stream. */
int rpc_server_hello(struct bl_stream *s, uint32_t *version_r, char *err,
		     size_t errlen) BL_MUST_CHECK;
/* Read the client's header and refuse it whatever it says, with code and
 * message (a node too busy to serve it): header version 0 and an ERROR. */
int rpc_server_refuse(struct bl_stream *s, int code,
		      const char *message) BL_MUST_CHECK;

/* A frame as read: type and body, not decoded. */
struct rpc_frame {
	uint32_t type;
	uint32_t len;
	uint8_t *body; /* malloc'd, len bytes; NULL when len is 0 */
};

void rpc_frame_init(struct rpc_frame *f);
void rpc_frame_dispose(struct rpc_frame *f);
/* One frame, in a single stream write; BL_ERR_INVAL over RPC_MAX_BODY. */
int rpc_send_frame(struct bl_stream *s, uint32_t type, const void *body,
		   uint32_t len) BL_MUST_CHECK;
/* The next frame whose type is known or mandatory: unknown optional frames
 * are skipped. BL_ERR_PROTO for a length over the limit (checked before
 * anything is allocated) or nonzero padding; stream errors as they come.
 * On success *f_r owns the body; on error *f_r is left disposed. */
int rpc_recv_frame(struct bl_stream *s, struct rpc_frame *f_r, char *err,
		   size_t errlen) BL_MUST_CHECK;

/* Message bodies, in protocol version (RPC_MIN_VERSION to RPC_VERSION; 0:
 * RPC_VERSION). encode: BL_ERR_INVAL for a field the spec does not allow
 * (a name too long or empty, an unknown state or flag, a body over the
 * limit), else *body_r is malloc'd (NULL when *len_r is 0) and the caller
 * frees it. decode: BL_ERR_PROTO for anything the spec calls malformed,
 * BL_ERR_NOMEM; on error *m_r owns nothing, but its type and id say what
 * to echo in the ERROR reply (id 0 if the body held none). rpc_send and
 * rpc_recv use the version their stream's hello agreed. */
int rpc_msg_encode(const struct rpc_msg *m, uint32_t version, uint8_t **body_r,
		   uint32_t *len_r) BL_MUST_CHECK;
int rpc_msg_decode(uint32_t type, uint32_t version, const uint8_t *body,
		   uint32_t len, struct rpc_msg *m_r, char *err,
		   size_t errlen) BL_MUST_CHECK;

/* Encode and send, or receive and decode, one message. */
int rpc_send(struct bl_stream *s, const struct rpc_msg *m) BL_MUST_CHECK;
int rpc_recv(struct bl_stream *s, struct rpc_msg *m_r, char *err,
	     size_t errlen) BL_MUST_CHECK;
/* An ERROR reply: code is a negative enum bl_err; message may be NULL or
 * empty (bl_strerror(code) is sent) and is cut to fit. */
int rpc_send_error(struct bl_stream *s, uint32_t id, int code,
		   const char *message) BL_MUST_CHECK;

#endif
