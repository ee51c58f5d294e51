/*
 * Live migration, both sides (docs/specs/migration-stream.md).
 *
 * Entry points: migrate_source (a client's guest-migrate), migrate_dest (a
 * source's migrate-receive); what a cut-off migration leaves is resolved in
 * migrate_recover.c.
 * Nomenclature: the guest is NAME; the destination restores it as
 * NAME--incoming, the source renames its suspended copy NAME--migratedaway
 * just before `go`. libxl's save and restore run in child processes (each
 * with its own libxl context) on one end of a socketpair; the session pumps
 * the other end through the stream codec (toolstack/mig/).
 * Source order: checks -> connect -> migrate-receive -> pump the live save
 * (progress to the client) -> stream-end -> restored -> rename -> go ->
 * started -> destroy the old copy. Before `go` every failure resumes the
 * guest here; after it the guest is never resumed here on our own.
 */
#include "migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "fdio.h"
#include "log.h"
#include "mig_stream.h"
#include "rate.h"
#include "migrate_recover.h"
#include "tls.h"

#define PROGRESS_MS	    1000
#define PAYLOAD_TIMEOUT_MS  30000  /* between payload records */
#define RESTORED_TIMEOUT_MS 120000 /* stream-end to restored */
#define HANDOVER_TIMEOUT_MS 30000  /* go, started */
#define SETTLE_TIMEOUT_MS   30000  /* resolving UNKNOWN in the session */
#define SETTLE_RETRY_S	    3
#define CANCEL_READ_MS	    5000 /* a client's message, once it began */
#define MIGRATE_SNDBUF	    (256 * 1024)

/* A libxl save or restore in a child process. */
struct worker {
	pid_t pid;
	int fd;	 /* our end of the socketpair; -1 once closed */
	int why; /* read end of the child's error message pipe */
};

typedef int (*worker_fn)(const struct server_opts *o, void *hv, const void *arg,
			 int fd, char *err, size_t errlen);

/* Run fn(arg, fd) in a child with its own hypervisor handle. */
static int worker_start(const struct server_opts *o, worker_fn fn,
			const void *arg, struct worker *w)
{
	int sp[2], why[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return BL_ERR_IO;
	if (pipe2(why, O_CLOEXEC) < 0) {
		close(sp[0]);
		close(sp[1]);
		return BL_ERR_IO;
	}
	w->pid = fork();
	if (w->pid < 0) {
		close(sp[0]);
		close(sp[1]);
		close(why[0]);
		close(why[1]);
		return BL_ERR_IO;
	}
	if (w->pid == 0) {
		char err[HV_ERRMSG_MAX] = "";
		void *hv = NULL;
		int rc;

		/* No migration outlives its session (nor the daemon). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		close(sp[0]);
		close(why[0]);
		rc = o->hv->open(&hv);
		if (rc)
			snprintf(err, sizeof(err),
				 "cannot open the hypervisor");
		else
			rc = fn(o, hv, arg, sp[1], err, sizeof(err));
		if (rc && write(why[1], err, strlen(err)) < 0)
			rc = BL_ERR_IO;
		_exit(rc ? 1 : 0);
	}
	close(sp[1]);
	close(why[1]);
	w->fd = sp[0];
	w->why = why[0];
	return BL_OK;
}

/* Reap the child; BL_OK if it succeeded, else its message added to err. */
static int worker_wait(struct worker *w, const char *what, char *err,
		       size_t errlen)
{
	char msg[HV_ERRMSG_MAX] = "";
	int status = 0;
	size_t len;
	ssize_t r;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	r = read(w->why, msg, sizeof(msg) - 1);
	close(w->why);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return BL_OK;
	len = strlen(err);
	snprintf(err + len, errlen - len, "%s%s: %s", len ? "; " : "", what,
		 r > 0 ? msg : "the worker process died");
	return BL_ERR_FAIL;
}

/* --- source --- */

static int save_worker(const struct server_opts *o, void *hv, const void *arg,
		       int fd, char *err, size_t errlen)
{
	return o->hv->save_live(hv, arg, fd, err, errlen);
}

static void progress(struct bl_stream *cli, const char *phase, int64_t start,
		     const struct mig_enc *enc)
{
	struct mig_stats ms;
	struct rpc_msg m;

	rpc_msg_init(&m);
	m.type = RPC_MIGRATE_PROGRESS;
	mig_enc_stats(enc, &ms);
	snprintf(m.migrate.phase, sizeof(m.migrate.phase), "%s", phase);
	m.migrate.elapsed_ms = (uint64_t)(fdio_now_ms() - start);
	m.migrate.raw_bytes = ms.raw_bytes;
	m.migrate.wire_bytes = ms.wire_bytes;
	/* The client may have gone: the migration goes on regardless. */
	if (rpc_send(cli, &m))
		log_debug("progress not sent");
}

/* Whether the client asked to cancel: a migrate-cancel, or anything else
 * it sends, or its leaving. Does not wait for it. */
static bool client_cancelled(struct bl_stream *cli)
{
	struct pollfd p = {.fd = cli->fd, .events = POLLIN};
	int64_t deadline = cli->deadline_ms;
	char why[HV_ERRMSG_MAX];
	struct rpc_msg m;
	int rc;

	if (!stream_pending(cli) && poll(&p, 1, 0) <= 0)
		return false;
	rpc_msg_init(&m);
	cli->deadline_ms = fdio_now_ms() + CANCEL_READ_MS;
	rc = rpc_recv(cli, &m, why, sizeof(why));
	cli->deadline_ms = deadline;
	if (!rc && m.type != RPC_MIGRATE_CANCEL)
		log_warnx("%s during a migration, taken as a cancel",
			  rpc_type_name(m.type));
	rpc_msg_dispose(&m);
	return true;
}

/* Keep the wire under bandwidth bytes/s (0: no limit): wait while the
 * stream is ahead, watching for a cancel. */
static int pace(const struct mig_enc *enc, struct bl_stream *cli, int64_t start,
		uint64_t bandwidth)
{
	struct mig_stats ms;
	int64_t delay;

	mig_enc_stats(enc, &ms);
	while ((delay = rate_delay_ms(bandwidth, ms.wire_bytes,
				      fdio_now_ms() - start)) > 0) {
		struct pollfd p = {.fd = cli->fd, .events = POLLIN};

		if (stream_pending(cli) ||
		    poll(&p, 1,
			 (int)(delay < PROGRESS_MS ? delay : PROGRESS_MS)) > 0)
			if (client_cancelled(cli))
				return BL_ERR_CANCELLED;
	}
	return BL_OK;
}

/* Pump the saver's bytes into the encoder (writing to out) until it is
 * done, at most bandwidth bytes/s on the wire. A destination that stops
 * reading (link down, daemon gone) fails the write after
 * PAYLOAD_TIMEOUT_MS; a client that cancels or leaves stops it. */
static int pump_save(struct worker *w, struct mig_enc *enc,
		     struct bl_stream *out, struct bl_stream *cli,
		     int64_t start, uint64_t bandwidth)
{
	int64_t next = fdio_now_ms() + PROGRESS_MS;
	int rc = BL_OK;

	for (;;) {
		struct pollfd p[2] = {{.fd = w->fd, .events = POLLIN},
				      {.fd = cli->fd, .events = POLLIN}};
		uint8_t *space;
		size_t room;
		ssize_t r;

		if (poll(p, 2, PROGRESS_MS) < 0 && errno != EINTR)
			return BL_ERR_IO;
		if (fdio_now_ms() >= next) {
			progress(cli, "memory", start, enc);
			next = fdio_now_ms() + PROGRESS_MS;
		}
		if ((p[1].revents || stream_pending(cli)) &&
		    client_cancelled(cli))
			return BL_ERR_CANCELLED;
		if (!p[0].revents)
			continue;
		rc = mig_enc_space(enc, &space, &room);
		if (rc)
			return rc;
		r = read(w->fd, space, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? BL_ERR_IO : BL_OK;
		out->deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
		rc = mig_enc_commit(enc, (size_t)r);
		/* libxl has nothing more for now: send what we hold, so the
		 * link and the destination work while it does (in the last
		 * round, with the guest paused, most of all). */
		if (!rc && (size_t)r < room && !fdio_readable(w->fd))
			rc = mig_enc_flush(enc);
		if (!rc && bandwidth)
			rc = pace(enc, cli, start, bandwidth);
		if (rc)
			return rc;
	}
}

/* Checks before anything is touched: the destination can take the guest. */
static int check_destination(struct client_conn *dst, const struct hv_guest *g,
			     const struct hv_node_info *mine, char *err,
			     size_t errlen)
{
	struct rpc_msg req, reply;
	const struct hv_node_info *n = &reply.node_info;
	size_t vlen = strcspn(mine->xen_version, ".") + 1;
	int rc;

	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_NODE_INFO;
	rc = client_call(dst, &req, &reply, err, errlen);
	if (rc)
		goto out;
	vlen += strcspn(mine->xen_version + vlen, ".");
	if (!strstr(n->virt_caps, "pv")) {
		snprintf(err, errlen, "node %s cannot run PV guests",
			 dst->node);
		rc = BL_ERR_INVAL;
	} else if (strncmp(n->xen_version, mine->xen_version, vlen) != 0) {
		snprintf(err, errlen,
			 "node %s runs Xen %s, this node %s: a guest moves "
			 "between equal Xen versions only",
			 dst->node, n->xen_version, mine->xen_version);
		rc = BL_ERR_INVAL;
	} else if (n->free_kib < g->mem_kib) {
		snprintf(err, errlen,
			 "node %s has %llu MiB free, \"%s\" needs %llu MiB",
			 dst->node, (unsigned long long)(n->free_kib / 1024),
			 g->name, (unsigned long long)(g->mem_kib / 1024));
		rc = BL_ERR_BUSY;
	}
out:
	rpc_msg_dispose(&reply);
	return rc;
}

/* Resume the guest here after a failure before `go`; err keeps the reason
 * and says where the guest is. */
static void resume_here(const struct server_opts *o, void *hv, const char *name,
			char *err, size_t errlen)
{
	char why[HV_ERRMSG_MAX];
	size_t len = strlen(err);
	struct hv_guest g;

	/* A save that failed before its last round never suspended it. */
	if (o->hv->info(hv, name, &g) == BL_OK &&
	    g.state != HV_STATE_SUSPENDED) {
		snprintf(err + len, errlen - len, "; \"%s\" runs on at %s",
			 name, o->node_name);
		return;
	}
	if (o->hv->resume(hv, name, why, sizeof(why)) == BL_OK)
		snprintf(err + len, errlen - len, "; \"%s\" runs on at %s",
			 name, o->node_name);
	else
		snprintf(err + len, errlen - len,
			 "; resuming \"%s\" here failed too: %s", name, why);
}

/* The handover was cut off after go (UNKNOWN): ask the destination for a
 * while, then leave it to a process of its own. BL_OK if the guest runs
 * there. */
static int settle(const struct server_opts *o, void *hv, const char *node,
		  const char *name, int cause, char *err, size_t errlen)
{
	int64_t give_up = fdio_now_ms() + SETTLE_TIMEOUT_MS;
	char what[HV_ERRMSG_MAX] = "";
	bool here = false;
	int rc;

	while ((rc = migrate_resolve(o, hv, name, &here, what, sizeof(what))) ==
		   BL_ERR_BUSY &&
	       fdio_now_ms() < give_up)
		sleep(SETTLE_RETRY_S);
	if (rc == BL_ERR_BUSY) {
		migrate_resolve_later(o, name);
		snprintf(err, errlen,
			 "the handover to %s was cut off after go (%s): "
			 "\"%s\" runs there, or nowhere; its suspended copy "
			 "stays here as \"%s" MIGRATE_AWAY "\" until %s "
			 "answers (%s asks every few seconds; last: %.200s)",
			 node, bl_strerror(cause), name, name, node,
			 o->node_name, what);
		return rc;
	}
	log_info("\"%s\": handover cut off after go: %s", name, what);
	if (!rc && !here)
		return BL_OK;
	snprintf(err, errlen,
		 "the handover to %s was cut off after go (%s): "
		 "%.300s",
		 node, bl_strerror(cause), what);
	return rc ? rc : BL_ERR_FAIL;
}

/* After restored: record the destination, rename away, go, started,
 * destroy the old copy. */
static int hand_over(const struct server_opts *o, void *hv,
		     struct client_conn *dst, const struct cluster_node *dn,
		     const char *name, char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16], why[HV_ERRMSG_MAX];
	struct mig_ctl c;
	int rc;

	snprintf(away, sizeof(away), "%s" MIGRATE_AWAY, name);
	rc = away_record_write(o, name, dn);
	if (rc)
		snprintf(err, errlen, "cannot record the handover in %s",
			 o->state_dir);
	else
		rc = o->hv->rename(hv, name, away, err, errlen);
	if (rc) {
		away_record_remove(o, name);
		if (mig_send_abort(&dst->s, rc, err))
			log_debug("abort not sent");
		resume_here(o, hv, name, err, errlen);
		return rc;
	}
	mig_ctl_init(&c);
	c.type = MIG_REC_GO;
	dst->s.deadline_ms = fdio_now_ms() + HANDOVER_TIMEOUT_MS;
	rc = mig_ctl_send(&dst->s, &c);
	if (!rc)
		rc = mig_ctl_recv(&dst->s, MIG_REC_STARTED, &c, why,
				  sizeof(why));
	if (!rc && c.type == MIG_REC_ABORT) {
		snprintf(err, errlen,
			 "node %s could not start the guest: %.400s", dst->node,
			 c.message);
		if (o->hv->rename(hv, away, name, why, sizeof(why)) == BL_OK) {
			away_record_remove(o, name);
			resume_here(o, hv, name, err, errlen);
		}
		return BL_ERR_FAIL;
	}
	if (rc) {
		/* Closed first: the destination acts on what it has read
		 * only once the connection ends. */
		client_close(dst);
		dst->s.ops = NULL;
		return settle(o, hv, dn->name, name, rc, err, errlen);
	}
	if (o->hv->destroy(hv, away, why, sizeof(why)))
		log_warnx("destroying %s after the move: %s", away, why);
	away_record_remove(o, name);
	return BL_OK;
}

int migrate_source(const struct server_opts *o, void *hv, struct bl_stream *cli,
		   const struct rpc_msg *req, struct rpc_migrate_stats *st_r,
		   char *err, size_t errlen)
{
	struct cluster_node dn = {.port = (int)req->port};
	struct worker w = {.pid = -1, .fd = -1, .why = -1};
	struct client_conn dst = {.s.ops = NULL};
	struct tls_ctx *tls = NULL;
	struct mig_enc *enc = NULL;
	struct hv_node_info mine;
	struct rpc_msg rreq, rreply;
	struct hv_guest g;
	struct mig_stats ms;
	struct mig_ctl c;
	char lock[128], *json = NULL;
	int64_t start = fdio_now_ms(), suspended = 0, saved = 0, restored = 0;
	int lock_fd = -1, rc;

	rpc_msg_init(&rreq);
	rpc_msg_init(&rreply);
	rc = o->hv->info(hv, req->name, &g);
	if (rc) {
		snprintf(err, errlen, "no guest named \"%s\"", req->name);
		return rc;
	}
	if (!strcmp(req->node, o->node_name)) {
		snprintf(err, errlen, "\"%s\" already runs on %s", req->name,
			 o->node_name);
		return BL_ERR_INVAL;
	}
	rc = o->hv->node_info(hv, &mine);
	if (!rc && !strstr(mine.virt_caps, "shadow")) {
		snprintf(err, errlen,
			 "this node's hypervisor lacks shadow "
			 "paging: PV live migration impossible");
		return BL_ERR_INVAL;
	}
	snprintf(lock, sizeof(lock), "%s/migrating-%s", o->state_dir,
		 req->name);
	mkdir(o->state_dir, 0700);
	lock_fd = open(lock, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (lock_fd < 0) {
		snprintf(err, errlen, "\"%s\" is already migrating", req->name);
		return BL_ERR_BUSY;
	}
	if (strlen(req->node) >= sizeof(dn.name)) {
		snprintf(err, errlen, "node name too long");
		rc = BL_ERR_INVAL;
		goto out;
	}
	memcpy(dn.name, req->node, strlen(req->node) + 1);
	snprintf(dn.host, sizeof(dn.host), "%s", req->host);
	rc = tls_ctx_new(TLS_CLIENT, o->ca_file, o->cert_file, o->key_file,
			 &tls);
	if (rc)
		snprintf(err, errlen, "this node's credentials are unusable");
	if (!rc)
		rc = client_connect(tls, &dn, &dst, err, errlen);
	/* A small send buffer: what the kernel queues ahead of the last
	 * round's pages (the guest paused) has to drain through the slower
	 * end first, and adds to the downtime. */
	if (!rc && setsockopt(dst.s.fd, SOL_SOCKET, SO_SNDBUF,
			      &(int){MIGRATE_SNDBUF}, sizeof(int)) < 0)
		log_warn("SO_SNDBUF");
	if (!rc)
		rc = check_destination(&dst, &g, &mine, err, errlen);
	if (!rc)
		rc = o->hv->config_json(hv, req->name, &json, err, errlen);
	if (rc)
		goto out;
	rreq.type = RPC_MIGRATE_RECEIVE;
	snprintf(rreq.name, sizeof(rreq.name), "%s", req->name);
	rreq.config = json;
	rreq.config_len = (uint32_t)strlen(json);
	json = NULL;
	rc = client_call(&dst, &rreq, &rreply, err, errlen);
	if (!rc)
		rc = mig_enc_start(&dst.s,
				   req->flags & RPC_MIGRATE_NO_COMPRESS
				       ? MIG_ENC_NO_COMPRESS
				       : MIG_ENC_TIMED,
				   &enc);
	if (!rc)
		rc = worker_start(o, save_worker, req->name, &w);
	if (rc) {
		if (!err[0])
			snprintf(err, errlen, "starting the migration failed");
		goto out;
	}
	/* Nothing suspended the guest yet: from here a failure resumes it. */
	rc = pump_save(&w, enc, &dst.s, cli, start, req->bandwidth);
	suspended = fdio_now_ms();
	if (worker_wait(&w, "live save", err, errlen) && !rc)
		rc = BL_ERR_FAIL;
	else if (rc == BL_ERR_CANCELLED)
		snprintf(err, errlen, "cancelled");
	else if (rc)
		snprintf(err, errlen, "sending to %s failed: %s", dst.node,
			 bl_strerror(rc));
	dst.s.deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
	saved = fdio_now_ms();
	if (!rc)
		rc = mig_enc_finish(enc);
	if (!rc)
		progress(cli, "handover", start, enc);
	if (!rc) {
		dst.s.deadline_ms = fdio_now_ms() + RESTORED_TIMEOUT_MS;
		rc = mig_ctl_recv(&dst.s, MIG_REC_RESTORED, &c, err, errlen);
		restored = fdio_now_ms();
		if (!rc && c.type == MIG_REC_ABORT) {
			snprintf(err, errlen,
				 "node %s could not restore: %.400s", dst.node,
				 c.message);
			rc = BL_ERR_FAIL;
		}
		/* The last moment a cancel can be honoured: before go. */
		if (!rc && client_cancelled(cli)) {
			snprintf(err, errlen, "cancelled");
			rc = BL_ERR_CANCELLED;
			if (mig_send_abort(&dst.s, rc, err))
				log_debug("abort not sent");
		}
	} else if (mig_send_abort(&dst.s, rc, err)) {
		log_debug("abort not sent");
	}
	if (rc) {
		resume_here(o, hv, req->name, err, errlen);
		goto out;
	}
	rc = hand_over(o, hv, &dst, &dn, req->name, err, errlen);
	if (!rc) {
		mig_enc_stats(enc, &ms);
		memset(st_r, 0, sizeof(*st_r));
		snprintf(st_r->phase, sizeof(st_r->phase), "done");
		st_r->elapsed_ms = (uint64_t)(fdio_now_ms() - start);
		st_r->downtime_ms = (uint64_t)(fdio_now_ms() - suspended);
		st_r->raw_bytes = ms.raw_bytes;
		st_r->wire_bytes = ms.wire_bytes;
		log_info("\"%s\" to %s: %.1f s, %llu of %llu bytes on the "
			 "wire; %.1f s writing to the connection, %.1f s in "
			 "deflate, %llu bytes not deflated for time; after "
			 "libxl's stream ended: its save returned +%lld ms, "
			 "restored +%lld ms, started +%lld ms",
			 req->name, dst.node, (double)st_r->elapsed_ms / 1000,
			 (unsigned long long)ms.wire_bytes,
			 (unsigned long long)ms.raw_bytes,
			 (double)ms.send_ns / 1e9, (double)ms.deflate_ns / 1e9,
			 (unsigned long long)ms.zlib_slow,
			 (long long)(saved - suspended),
			 (long long)(restored - suspended),
			 (long long)st_r->downtime_ms);
	}
out:
	if (w.pid > 0 && w.fd >= 0) {
		kill(w.pid, SIGKILL);
		if (worker_wait(&w, "live save", err, errlen))
			log_debug("save worker stopped");
	}
	mig_enc_free(enc);
	if (dst.s.ops)
		client_close(&dst);
	tls_ctx_free(tls);
	rpc_msg_dispose(&rreq);
	rpc_msg_dispose(&rreply);
	free(json);
	close(lock_fd);
	unlink(lock);
	return rc;
}

/* --- destination --- */

struct restore_arg {
	const char *json;
	const char *name;
};

static int restore_worker(const struct server_opts *o, void *hv,
			  const void *arg, int fd, char *err, size_t errlen)
{
	const struct restore_arg *a = arg;

	return o->hv->restore(hv, a->json, a->name, fd, err, errlen);
}

/* Decode the payload into the restore; BL_OK at a verified stream-end. */
static int pump_restore(struct bl_stream *s, struct worker *w,
			struct mig_stats *st_r, char *err, size_t errlen)
{
	struct mig_dec *dec = NULL;
	struct bl_stream out;
	struct mig_ctl c;
	int rc;

	s->deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
	rc = mig_dec_start(s, &dec, err, errlen);
	stream_fd_init(&out, w->fd);
	while (!rc) {
		s->deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
		rc = mig_dec_next(dec, &out, &c, err, errlen);
		if (!rc && c.type == MIG_REC_STREAM_END)
			break;
		if (!rc && c.type == MIG_REC_ABORT) {
			snprintf(err, errlen, "the source gave up: %.400s",
				 c.message);
			rc = BL_ERR_FAIL;
		}
	}
	/* EOF for libxl: it stops at its own end record anyway. */
	stream_close(&out);
	w->fd = -1;
	if (dec)
		mig_dec_stats(dec, st_r);
	mig_dec_free(dec);
	return rc;
}

static void destroy_incoming(const struct server_opts *o, void *hv,
			     const char *incoming)
{
	char why[HV_ERRMSG_MAX];
	struct hv_guest g;

	if (o->hv->info(hv, incoming, &g) == BL_OK &&
	    o->hv->destroy(hv, incoming, why, sizeof(why)))
		log_warnx("destroying %s: %s", incoming, why);
}

void migrate_dest(const struct server_opts *o, void *hv, struct bl_stream *s,
		  const struct rpc_msg *req, const char *peer)
{
	struct worker w = {.pid = -1, .fd = -1, .why = -1};
	char incoming[HV_NAME_MAX + 16], err[HV_ERRMSG_MAX] = "";
	struct restore_arg arg = {req->config, incoming};
	struct rpc_msg reply;
	struct hv_guest g;
	struct mig_ctl c;
	struct mig_stats ms = {0};
	int64_t ended, restored, go;
	int rc;

	snprintf(incoming, sizeof(incoming), "%s" MIGRATE_INCOMING, req->name);
	if (o->hv->info(hv, req->name, &g) == BL_OK ||
	    o->hv->info(hv, incoming, &g) == BL_OK) {
		snprintf(err, sizeof(err),
			 "node %s already has a guest named "
			 "\"%s\"",
			 o->node_name, req->name);
		if (rpc_send_error(s, req->id, BL_ERR_BUSY, err))
			log_debug("%s left", peer);
		return;
	}
	rpc_msg_init(&reply);
	reply.type = RPC_OK;
	reply.id = req->id;
	reply.request = RPC_MIGRATE_RECEIVE;
	if (rpc_send(s, &reply))
		return;
	log_info("%s: receiving \"%s\"", peer, req->name);
	rc = worker_start(o, restore_worker, &arg, &w);
	if (!rc)
		rc = pump_restore(s, &w, &ms, err, sizeof(err));
	ended = fdio_now_ms();
	if (w.pid > 0 && worker_wait(&w, "restore", err, sizeof(err)) && !rc)
		rc = BL_ERR_FAIL;
	restored = fdio_now_ms();
	if (!rc)
		rc = o->hv->info(hv, incoming, &g);
	mig_ctl_init(&c);
	if (!rc) {
		c.type = MIG_REC_RESTORED;
		c.domid = g.domid;
		s->deadline_ms = fdio_now_ms() + HANDOVER_TIMEOUT_MS;
		rc = mig_ctl_send(s, &c);
	}
	if (!rc)
		rc = mig_ctl_recv(s, MIG_REC_GO, &c, err, sizeof(err));
	go = fdio_now_ms();
	if (!rc && c.type == MIG_REC_ABORT) {
		snprintf(err, sizeof(err), "the source gave up: %.400s",
			 c.message);
		rc = BL_ERR_FAIL;
	}
	if (rc) {
		/* Destroyed first: an abort from here means "never here". */
		destroy_incoming(o, hv, incoming);
		log_warnx("%s: receiving \"%s\" failed: %s", peer, req->name,
			  err);
		if (mig_send_abort(s, rc, err))
			log_debug("%s left", peer);
		return;
	}
	rc = o->hv->rename(hv, incoming, req->name, err, sizeof(err));
	if (!rc)
		rc = o->hv->adopt(hv, req->name, err, sizeof(err));
	if (rc) {
		destroy_incoming(o, hv, incoming);
		destroy_incoming(o, hv, req->name);
		if (mig_send_abort(s, rc, err))
			log_debug("%s left", peer);
		return;
	}
	c.type = MIG_REC_STARTED;
	/* The guest is ours now, whether or not the source hears it. */
	if (mig_ctl_send(s, &c))
		log_warnx("%s: \"%s\" started, but the source did not hear it",
			  peer, req->name);
	log_info("%s: \"%s\" received and started; %.1f s reading the "
		 "connection, %.1f s writing to libxl's restore; after "
		 "stream-end: restore returned +%lld ms, go +%lld ms, running "
		 "+%lld ms",
		 peer, req->name, (double)ms.recv_ns / 1e9,
		 (double)ms.send_ns / 1e9, (long long)(restored - ended),
		 (long long)(go - ended), (long long)(fdio_now_ms() - ended));
}
