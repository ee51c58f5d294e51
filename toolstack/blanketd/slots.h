/* blanketd's connections and what bounds them (docs/security.md,
 * "Connection limits"), in memory the main loop shares with its session
 * processes. Strangers can hold only handshakes, a few per address and
 * each for at most SLOTS_HANDSHAKE_MS; sessions are for authenticated
 * peers, with slots kept for operators; local root has slots of its own.
 *
 * The main loop admits a connection and gives its process a slot; the
 * session takes a session slot for its role once the handshake is over;
 * the main loop frees the slot when it reaps the process. */
#ifndef BL_BLANKETD_SLOTS_H
#define BL_BLANKETD_SLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "toolstack/common/err.h"
#include "toolstack/tls/ca.h"

/* A TLS handshake's deadline: an emulated dom0 at full load took more
 * than 3 s to finish an operator's. */
#define SLOTS_HANDSHAKE_MS	  10000
#define SLOTS_HANDSHAKES	  32 /* handshakes at once, in all */
#define SLOTS_HANDSHAKES_PER_ADDR 4  /* ... from one address */
#define SLOTS_LOCAL		  16 /* sessions on the UNIX socket */
#define SLOTS_OPERATOR_RESERVE                                                 \
	8		     /* session slots nodes and viewers                \
			      * never take */
#define SLOTS_VIEWERS	   8 /* sessions of viewers, at most */
#define SLOTS_MIN_SESSIONS (2 * SLOTS_OPERATOR_RESERVE)
/* Lines strangers can make the daemon log (refusals, failed handshakes):
 * at most SLOTS_LOG_LINES per SLOTS_LOG_WINDOW_MS, the rest counted. */
#define SLOTS_LOG_LINES	    20
#define SLOTS_LOG_WINDOW_MS 10000

struct slots;

/* A table for max_sessions authenticated TCP sessions, shared with the
 * processes forked after this. */
int slots_create(int max_sessions, struct slots **slots_r) BL_MUST_CHECK;

/* In the main loop. A slot for a TCP connection from addr (IPv4, network
 * order), or for one on the UNIX socket: its index, or -1 with why set
 * when the limits are reached. */
int slots_admit_tcp(struct slots *t, uint32_t addr, char *why, size_t len);
int slots_admit_local(struct slots *t, char *why, size_t len);
/* The slot's connection is served by process pid. */
void slots_assign(struct slots *t, int slot, pid_t pid);
/* Process pid has ended: its slot is free. */
void slots_release(struct slots *t, pid_t pid);

/* Whether a line about a connection not authenticated yet may be logged
 * now; if not, it is counted. Any process. */
bool slots_log_budget(struct slots *t);
/* How many such lines were left out, once their window is over (0 until
 * then): one line sums them up per window. */
int slots_logs_dropped(struct slots *t);

/* In a session process, once the handshake is over: a session slot for
 * role, or BL_ERR_BUSY with why set. */
int slots_take_session(struct slots *t, int slot, enum ca_role role, char *why,
		       size_t len) BL_MUST_CHECK;

#endif
