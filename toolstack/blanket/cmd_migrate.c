/* `blanket migrate GUEST NODE`: live-migrate a guest from the node that
 * runs it to NODE. The source node's blanketd does the work (node to node,
 * over TLS: docs/specs/migration-stream.md); this shows its progress and
 * summary. Ctrl-C sends migrate-cancel and waits for the outcome; a second
 * Ctrl-C leaves at once (closing the connection cancels too). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanket/guest_target.h"
#include "toolstack/common/json.h"

#define MIB (1024.0 * 1024.0)

/* The pre-copy's rounds and auto-converge's throttle, as JSON members. */
static void json_precopy(const struct rpc_migrate_stats *st)
{
	printf(", \"round_pages\": [");
	for (uint32_t i = 0; i < st->rounds; i++)
		printf("%s%llu", i ? ", " : "",
		       (unsigned long long)st->round_pages[i]);
	printf("], \"throttle\": {\"from_round\": %u, \"pct\": %u, "
	       "\"cap\": %u, \"guest_cpu_pct\": %u}",
	       st->throttle_round, st->throttle_pct, st->throttle_cap,
	       st->guest_cpu_pct);
}

/* The page-delta figures, as JSON members. */
static void json_delta(const struct rpc_migrate_stats *st)
{
	printf(", \"delta_pages\": %llu, \"delta_hits\": %llu, "
	       "\"delta_misses\": %llu, \"delta_overflows\": %llu, "
	       "\"delta_saved_bytes\": %llu",
	       (unsigned long long)st->delta_pages,
	       (unsigned long long)st->delta_hits,
	       (unsigned long long)st->delta_misses,
	       (unsigned long long)st->delta_overflows,
	       (unsigned long long)st->delta_saved_bytes);
}

/* The page deltas, for people: "page deltas: 812 of 1033 pages sent again
 * went as deltas, 3.1 MiB saved". A page sent again was cached (a hit, or
 * a delta too long) or no longer (a miss). */
static void print_delta(const struct rpc_migrate_stats *st)
{
	printf("; page deltas: %llu of %llu pages sent again went as deltas, "
	       "%.1f MiB saved",
	       (unsigned long long)st->delta_hits,
	       (unsigned long long)(st->delta_hits + st->delta_misses +
				    st->delta_overflows),
	       (double)st->delta_saved_bytes / MIB);
}

/* The throttle, for people: "throttled 75% (cap 4% of a CPU)". */
static void print_throttle(FILE *out, const struct rpc_migrate_stats *st)
{
	fprintf(out, "throttled %u%% (cap %u%% of a CPU)", st->throttle_pct,
		st->throttle_cap);
}

static void show_progress(const struct rpc_migrate_stats *st, bool json,
			  bool tty, bool delta)
{
	double s = (double)st->elapsed_ms / 1000;
	char id[BL_ID_STR_LEN];

	if (json) {
		printf("{\"event\": \"progress\", \"migration\": \"%s\", "
		       "\"phase\": ",
		       bl_id_str(&st->migration, id));
		json_string(stdout, st->phase);
		printf(", \"elapsed_ms\": %llu, \"raw_bytes\": %llu, "
		       "\"wire_bytes\": %llu, \"disk_bytes\": %llu, "
		       "\"disk_wire_bytes\": %llu, \"disk_writes_held\": "
		       "%llu",
		       (unsigned long long)st->elapsed_ms,
		       (unsigned long long)st->raw_bytes,
		       (unsigned long long)st->wire_bytes,
		       (unsigned long long)st->disk_bytes,
		       (unsigned long long)st->disk_wire_bytes,
		       (unsigned long long)st->disk_writes_held);
		json_precopy(st);
		if (delta)
			json_delta(st);
		printf("}\n");
		fflush(stdout);
		return;
	}
	fprintf(stderr,
		"%s%-8s %8.1f MiB sent (%.1f MiB of guest state, %.1f MiB of "
		"disks), %.1f MiB/s, %.0f s",
		tty ? "\r" : "", st->phase, (double)st->wire_bytes / MIB,
		(double)st->raw_bytes / MIB, (double)st->disk_bytes / MIB,
		s > 0 ? (double)st->wire_bytes / MIB / s : 0.0, s);
	if (st->rounds)
		fprintf(stderr, ", round %u", st->rounds);
	if (st->throttle_round) {
		fprintf(stderr, ", ");
		print_throttle(stderr, st);
	}
	fprintf(stderr, "%s", tty ? "" : "\n");
}

static void show_summary(const char *guest, const char *from, const char *to,
			 const struct rpc_migrate_stats *st, bool json,
			 bool delta)
{
	char id[BL_ID_STR_LEN];

	bl_id_str(&st->migration, id);
	if (json) {
		printf("{\"event\": \"done\", \"guest\": ");
		json_string(stdout, guest);
		printf(", \"from\": ");
		json_string(stdout, from);
		printf(", \"to\": ");
		json_string(stdout, to);
		printf(", \"migration\": \"%s\", \"generation\": %llu", id,
		       (unsigned long long)st->generation);
		printf(", \"total_ms\": %llu, \"downtime_ms\": %llu, "
		       "\"raw_bytes\": %llu, \"wire_bytes\": %llu, "
		       "\"disk_bytes\": %llu, \"disk_wire_bytes\": %llu, "
		       "\"disk_writes_held\": %llu, \"downtime_phases\": "
		       "{\"last_round_ms\": %llu, \"restore_ms\": %llu, "
		       "\"start_ms\": %llu}",
		       (unsigned long long)st->elapsed_ms,
		       (unsigned long long)st->downtime_ms,
		       (unsigned long long)st->raw_bytes,
		       (unsigned long long)st->wire_bytes,
		       (unsigned long long)st->disk_bytes,
		       (unsigned long long)st->disk_wire_bytes,
		       (unsigned long long)st->disk_writes_held,
		       (unsigned long long)st->last_round_ms,
		       (unsigned long long)st->restore_ms,
		       (unsigned long long)st->start_ms);
		json_precopy(st);
		if (delta)
			json_delta(st);
		printf("}\n");
		return;
	}
	printf("migrated %s from %s to %s in %.1f s (migration %s, "
	       "generation %llu); paused %.1f s (as the toolstack saw it",
	       guest, from, to, (double)st->elapsed_ms / 1000, id,
	       (unsigned long long)st->generation,
	       (double)st->downtime_ms / 1000);
	if (st->last_round_ms + st->restore_ms + st->start_ms)
		printf(": last round %.1f s, restore %.1f s, start %.1f s",
		       (double)st->last_round_ms / 1000,
		       (double)st->restore_ms / 1000,
		       (double)st->start_ms / 1000);
	printf("); %llu bytes of guest state",
	       (unsigned long long)st->raw_bytes);
	if (st->disk_bytes)
		printf(" and %llu of disks",
		       (unsigned long long)st->disk_bytes);
	printf(", %llu on the wire (%.1f%%)",
	       (unsigned long long)st->wire_bytes,
	       st->raw_bytes + st->disk_bytes
		   ? 100.0 * (double)st->wire_bytes /
			 (double)(st->raw_bytes + st->disk_bytes)
		   : 0.0);
	if (st->disk_writes_held)
		printf("; %llu guest writes waited for the disk mirror",
		       (unsigned long long)st->disk_writes_held);
	if (st->rounds) {
		printf("; pre-copy rounds of");
		for (uint32_t i = 0; i < st->rounds; i++)
			printf("%s %llu", i ? "," : "",
			       (unsigned long long)st->round_pages[i]);
		printf(" pages (the last paused)");
	}
	if (st->throttle_round) {
		printf("; from round %u, ", st->throttle_round);
		print_throttle(stdout, st);
		printf(" of the %u%% it used, then its cap put back",
		       st->guest_cpu_pct);
	}
	if (delta)
		print_delta(st);
	printf("\n");
}

/* Ctrl-C, as a byte on a pipe the loop polls. */
static int interrupt_pipe[2] = {-1, -1};

static void on_interrupt(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(interrupt_pipe[1], "", 1) < 0)
		(void)0; /* a full pipe has a Ctrl-C waiting already */
	errno = saved;
}

static int catch_interrupts(void)
{
	struct sigaction sa = {.sa_handler = on_interrupt};

	if (pipe2(interrupt_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return BL_ERR_IO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return BL_OK;
}

/* Wait for the next message; on the first Ctrl-C send migrate-cancel, on
 * the second give up (BL_ERR_CANCELLED). */
static int next_message(struct client_conn *conn, struct rpc_msg *m,
			bool *cancelling, char *err, size_t errlen)
{
	while (!stream_pending(&conn->s)) {
		struct pollfd p[2] = {
		    {.fd = conn->s.fd, .events = POLLIN},
		    {.fd = interrupt_pipe[0], .events = POLLIN}};
		struct rpc_msg cancel;
		char c;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return BL_ERR_IO;
		}
		if (p[0].revents)
			break;
		while (read(interrupt_pipe[0], &c, 1) == 1)
			;
		if (*cancelling)
			return BL_ERR_CANCELLED;
		*cancelling = true;
		fprintf(stderr, "\ncancelling (the guest stays where it is "
				"unless the handover has begun; Ctrl-C again "
				"to stop waiting)\n");
		rpc_msg_init(&cancel);
		cancel.type = RPC_MIGRATE_CANCEL;
		cancel.id = conn->next_id++;
		if (rpc_send(&conn->s, &cancel))
			return BL_ERR_IO;
	}
	return rpc_recv(&conn->s, m, err, errlen);
}

int cmd_migrate(const struct cmd_call *call)
{
	const struct cluster_node *dst;
	struct client_conn conn;
	struct guest_target t;
	struct rpc_msg req, m;
	char err[BL_ERRMSG_MAX] = "";
	bool tty = isatty(STDERR_FILENO), progressed = false, connected;
	bool lost = false; /* the connection to the source broke */
	bool cancelling = false;
	const struct cli_opts *o = call->opts;
	int i, j, rc;

	if (o->resolve)
		return cmd_migrate_resolve(call);
	if (call->argc < 2) {
		fprintf(stderr,
			"%s: which node to? (only --resolve goes "
			"without NODE)\n",
			call->who);
		return EXIT_USAGE;
	}
	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	if (t.local) {
		fprintf(stderr, "blanket: migrate needs a cluster file naming "
				"both nodes\n");
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	j = guest_target_index(&t, t.operand2);
	i = j < 0 ? -1 : guest_target_find(&t, t.operand, false);
	if (i < 0) {
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	dst = &t.c.node[j];
	rpc_msg_init(&req);
	req.type = RPC_GUEST_MIGRATE;
	snprintf(req.name, sizeof(req.name), "%s", t.operand);
	snprintf(req.node, sizeof(req.node), "%s", dst->name);
	snprintf(req.host, sizeof(req.host), "%s", dst->peer_host);
	req.port = (uint32_t)dst->peer_port;
	req.flags = (t.o->no_compress ? RPC_MIGRATE_NO_COMPRESS : 0) |
		    (t.o->no_throttle ? RPC_MIGRATE_NO_THROTTLE : 0) |
		    (t.o->keep_source ? RPC_MIGRATE_KEEP_SOURCE : 0);
	req.bandwidth = t.o->bandwidth;
	req.delta_cache_mib = (uint32_t)t.o->delta_cache_mib;
	rc = catch_interrupts();
	if (!rc)
		rc = guest_target_connect(&t, i, &conn, err, sizeof(err));
	connected = rc == BL_OK;
	if (!rc) {
		req.id = conn.next_id++;
		conn.s.deadline_ms = -1; /* progress arrives every second */
		rc = rpc_send(&conn.s, &req);
		if (rc == BL_ERR_INVAL && req.delta_cache_mib &&
		    conn.s.version < 9)
			snprintf(err, sizeof(err),
				 "%s's blanketd speaks node RPC version %u, "
				 "without page deltas: upgrade it, or migrate "
				 "without --delta-cache",
				 t.c.node[i].name, conn.s.version);
	}
	while (!rc) {
		rpc_msg_init(&m);
		rc = next_message(&conn, &m, &cancelling, err, sizeof(err));
		lost = rc != BL_OK && rc != BL_ERR_CANCELLED;
		if (!rc && m.type == RPC_MIGRATE_PROGRESS) {
			show_progress(&m.migrate, t.o->json, tty,
				      req.delta_cache_mib != 0);
			progressed = true;
		} else if (!rc && m.type == RPC_OK && m.id == req.id) {
			if (progressed && tty && !t.o->json)
				fprintf(stderr, "\n");
			show_summary(t.operand, t.c.node[i].name, dst->name,
				     &m.migrate, t.o->json,
				     req.delta_cache_mib != 0);
			rpc_msg_dispose(&m);
			break;
		} else if (!rc && m.type == RPC_ERROR) {
			snprintf(err, sizeof(err), "%s", m.message);
			rc = m.code < 0 ? m.code : BL_ERR_FAIL;
		} else if (!rc) {
			snprintf(err, sizeof(err), "unexpected %s",
				 rpc_type_name(m.type));
			rc = BL_ERR_PROTO;
		}
		rpc_msg_dispose(&m);
	}
	if (rc == BL_ERR_CANCELLED && !err[0])
		snprintf(err, sizeof(err),
			 "stopped waiting; %s cancels the migration unless "
			 "the handover has begun, and `blanket list` shows "
			 "where \"%s\" runs",
			 t.c.node[i].name, t.operand);
	if (lost && (rc == BL_ERR_EOF || rc == BL_ERR_IO)) {
		/* The source's daemon died: it settles the guest at restart. */
		snprintf(err, sizeof(err),
			 "lost the connection to %s's blanketd (%s); when it "
			 "is back it resumes or resolves the migration, and "
			 "`blanket list` shows where \"%s\" runs",
			 t.c.node[i].name, bl_strerror(rc), t.operand);
	}
	if (rc) {
		if (progressed && tty && !t.o->json)
			fprintf(stderr, "\n");
		fprintf(stderr, "blanket: migrating %s from %s to %s: %s\n",
			t.operand, t.c.node[i].name, dst->name,
			err[0] ? err : bl_strerror(rc));
	}
	if (connected)
		client_close(&conn);
	guest_target_end(&t);
	return cmd_status(rc);
}
