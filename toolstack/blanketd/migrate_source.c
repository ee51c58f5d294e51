/*
 * Live migration, the source's side (docs/specs/migration-stream.md).
 *
 * Entry point: migrate_source (a client's guest-migrate).
 * Nomenclature: the guest is NAME; the destination restores it as
 * NAME--incoming; the payload is the disks and libxl's live save
 * (migrate_send.c), sent through the stream encoder (toolstack/mig/),
 * with progress to the client.
 * Order: check the guest, its disks and this node -> lock NAME -> connect
 * to the destination and check it -> wait until the guest answers a
 * suspend request -> migrate-receive (the migration's ID and the guest's
 * generation; the destination's instance back) -> the payload, to
 * stream-end -> restored -> the images noted (ledger.h) -> the handover
 * (handover.c) -> the summary.
 * Until the save suspends the guest nothing needs undoing but the lock
 * and the disks' tracking; from then until go every failure resumes the
 * disks' backends, then the guest, here.
 */
#include "toolstack/blanketd/migrate.h"
#include "toolstack/blanketd/migrate_source.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/peer.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"

#define RESTORED_TIMEOUT_MS 120000 /* stream-end to restored */
#define BOOT_POLL_MS	    250
#define MIGRATE_SNDBUF	    (256 * 1024)

/* --- talking to the client --- */

/* The guest writes the disks' mirror has held so far: how much it
 * throttled the guest. */
static uint64_t writes_held(const struct source *m)
{
	uint64_t n = 0;

	for (size_t i = 0; i < m->ndisks; i++)
		n += m->disks[i].writes_held;
	return n;
}

/* The encoder's figures, with raw_bytes counting libxl's stream (the
 * page-delta filter's input: the encoder sees its output); and the
 * filter's into a migration record. */
static void stream_stats(const struct source *m, struct mig_stats *ms,
			 struct rpc_migrate_stats *st)
{
	struct mig_delta_stats ds;

	memset(ms, 0, sizeof(*ms));
	if (m->enc)
		mig_enc_stats(m->enc, ms);
	if (!m->delta)
		return;
	mig_delta_enc_stats(m->delta, &ds);
	/* bytes_out counts the delta-cache record too: it may be over */
	ms->raw_bytes += ds.bytes_in;
	ms->raw_bytes -= ds.bytes_out;
	st->delta_pages = ds.pages;
	st->delta_hits = ds.hits;
	st->delta_misses = ds.misses;
	st->delta_overflows = ds.overflows;
	st->delta_saved_bytes =
	    ds.bytes_in > ds.bytes_out ? ds.bytes_in - ds.bytes_out : 0;
}

/* The rounds so far, and the throttle, into a migration record. */
static void precopy_stats(const struct source *m, struct rpc_migrate_stats *st)
{
	st->rounds =
	    m->pre.rounds < RPC_ROUNDS_MAX ? m->pre.rounds : RPC_ROUNDS_MAX;
	for (uint32_t i = 0; i < st->rounds; i++)
		st->round_pages[i] = mig_precopy_pages(&m->pre, i + 1);
	st->throttle_round = m->conv.from_round;
	st->throttle_pct = (uint32_t)m->conv.throttle;
	st->throttle_cap = (uint32_t)m->conv.cap;
	st->guest_cpu_pct = (uint32_t)m->conv.used;
}

void migrate__progress(struct source *m, const char *phase)
{
	struct mig_stats ms;
	struct rpc_msg p;

	rpc_msg_init(&p);
	p.type = RPC_MIGRATE_PROGRESS;
	stream_stats(m, &ms, &p.migrate);
	snprintf(p.migrate.phase, sizeof(p.migrate.phase), "%s", phase);
	p.migrate.migration = m->a.migration;
	p.migrate.elapsed_ms = (uint64_t)(fdio_now_ms() - m->start);
	p.migrate.raw_bytes = ms.raw_bytes;
	p.migrate.wire_bytes = ms.wire_bytes;
	p.migrate.disk_bytes = ms.disk_bytes;
	p.migrate.disk_wire_bytes = ms.disk_wire;
	p.migrate.disk_writes_held = writes_held(m);
	precopy_stats(m, &p.migrate);
	if (rpc_send(m->cli, &p))
		log_debug("progress not sent");
}

bool migrate__client_cancelled(struct bl_stream *cli)
{
	struct pollfd p = {.fd = cli->fd, .events = POLLIN};
	int64_t deadline = cli->deadline_ms;
	char why[BL_ERRMSG_MAX];
	struct rpc_msg m;
	int rc;

	if (!stream_pending(cli) && poll(&p, 1, 0) <= 0)
		return false;
	rpc_msg_init(&m);
	cli->deadline_ms = fdio_now_ms() + MIGRATE__CANCEL_READ_MS;
	rc = rpc_recv(cli, &m, why, sizeof(why));
	cli->deadline_ms = deadline;
	if (!rc && m.type != RPC_MIGRATE_CANCEL)
		log_warnx("%s during a migration, taken as a cancel",
			  rpc_type_name(m.type));
	rpc_msg_dispose(&m);
	return true;
}

/* --- before anything is touched --- */

/* The guest exists, has no unresolved copy here, is not headed here, and
 * this node can live-migrate. */
static int check_guest(struct source *m, struct hv_node_info *mine,
		       struct hv_guest *g, char *err, size_t errlen)
{
	const struct rpc_msg *req = m->req;
	char away[HV_NAME_MAX + 16];
	struct hv_guest old;
	int rc = m->o->hv->info(m->hv, req->name, g);

	if (rc) {
		snprintf(err, errlen, "no guest named \"%s\"", req->name);
		return rc;
	}
	m->domid = g->domid;
	m->mem_kib = g->mem_kib;
	snprintf(away, sizeof(away), "%s" HV_SUFFIX_AWAY, req->name);
	if (m->o->hv->info(m->hv, away, &old) == BL_OK) {
		snprintf(err, errlen,
			 "an unresolved copy of \"%s\" is here from an "
			 "earlier migration; `blanket migrate --resolve %s` "
			 "settles it first",
			 req->name, req->name);
		return BL_ERR_BUSY;
	}
	if (!strcmp(req->node, m->o->node_name)) {
		snprintf(err, errlen, "\"%s\" already runs on %s", req->name,
			 m->o->node_name);
		return BL_ERR_INVAL;
	}
	if (strlen(req->node) >= sizeof(m->a.dest.name)) {
		snprintf(err, errlen, "node name too long");
		return BL_ERR_INVAL;
	}
	rc = m->o->hv->node_info(m->hv, mine);
	if (!rc && !strstr(mine->virt_caps, "shadow")) {
		snprintf(err, errlen,
			 "this node's hypervisor lacks shadow "
			 "paging: PV live migration impossible");
		return BL_ERR_INVAL;
	}
	return rc;
}

/* The disks that go with the guest, as its configuration names them. */
static int find_disks(struct source *m, char *err, size_t errlen)
{
	char *config = NULL, why[BL_ERRMSG_MAX];
	int rc;

	rc = m->o->hv->config_text(m->hv, m->req->name, &config, err, errlen);
	if (!rc)
		rc = hv_config_disks(config, strlen(config), m->disk_conf,
				     &m->ndisks, why, sizeof(why));
	if (rc && config)
		snprintf(err, errlen, "\"%s\" cannot move: %.400s",
			 m->req->name, why);
	free(config);
	if (rc)
		m->ndisks = 0;
	for (size_t i = 0; i < m->ndisks; i++)
		m->disks[i] = DISK_SEND_NONE;
	return rc;
}

/* One migration of NAME at a time: STATE_DIR/migrating-NAME. */
static int lock_guest(struct source *m, char *err, size_t errlen)
{
	snprintf(m->lock, sizeof(m->lock), "%s/" MIGRATE_LOCK_PREFIX "%s",
		 m->o->state_dir, m->req->name);
	if (path_mkdirs(m->o->state_dir, 0700)) {
		snprintf(err, errlen, "cannot create %s", m->o->state_dir);
		m->lock[0] = '\0';
		return BL_ERR_IO;
	}
	m->lock_fd =
	    open(m->lock, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (m->lock_fd < 0) {
		snprintf(err, errlen, "\"%s\" is already migrating",
			 m->req->name);
		m->lock[0] = '\0';
		return BL_ERR_BUSY;
	}
	return BL_OK;
}

static void unlock_guest(struct source *m)
{
	if (m->lock_fd >= 0)
		close(m->lock_fd);
	if (m->lock[0])
		unlink(m->lock);
}

/* Node to node over TLS, with this node's own identity. */
static int connect_destination(struct source *m, char *err, size_t errlen)
{
	const struct rpc_msg *req = m->req;
	int rc;

	memcpy(m->a.dest.name, req->node, strlen(req->node) + 1);
	snprintf(m->a.dest.host, sizeof(m->a.dest.host), "%s", req->host);
	m->a.dest.port = (int)req->port;
	rc = peer_connect(m->o, &m->a.dest, &m->tls, &m->dst, err, errlen);
	/* A small send buffer: what the kernel queues ahead of the last
	 * round's pages (the guest paused) has to drain through the slower
	 * end first, and adds to the downtime. */
	if (!rc && setsockopt(m->dst.s.fd, SOL_SOCKET, SO_SNDBUF,
			      &(int){MIGRATE_SNDBUF}, sizeof(int)) < 0)
		log_warn("SO_SNDBUF");
	return rc;
}

/* The destination can take the guest: PV, the same Xen, room. */
static int check_destination(struct source *m, const struct hv_guest *g,
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
	rc = client_call(&m->dst, &req, &reply, err, errlen);
	if (rc)
		goto out;
	vlen += strcspn(mine->xen_version + vlen, ".");
	if (!strstr(n->virt_caps, "pv")) {
		snprintf(err, errlen, "node %s cannot run PV guests",
			 m->dst.node);
		rc = BL_ERR_INVAL;
	} else if (strncmp(n->xen_version, mine->xen_version, vlen) != 0) {
		snprintf(err, errlen,
			 "node %s runs Xen %s, this node %s: a guest moves "
			 "between equal Xen versions only",
			 m->dst.node, n->xen_version, mine->xen_version);
		rc = BL_ERR_INVAL;
	} else if (n->free_kib < g->mem_kib) {
		snprintf(err, errlen,
			 "node %s has %llu MiB free, \"%s\" needs %llu MiB",
			 m->dst.node, (unsigned long long)(n->free_kib / 1024),
			 g->name, (unsigned long long)(g->mem_kib / 1024));
		rc = BL_ERR_BUSY;
	}
out:
	rpc_msg_dispose(&reply);
	return rc;
}

/* A PV guest that is still booting ignores a suspend request, and libxl
 * only says "did not respond": wait, within a bound, for its kernel to
 * listen, telling the client. */
static int await_suspendable(struct source *m, char *err, size_t errlen)
{
	int64_t give_up = fdio_now_ms() + (int64_t)m->o->boot_wait_s * 1000;
	bool ready = false, told = false;
	int rc;

	while (!(rc = m->o->hv->suspendable(m->hv, m->req->name, &ready)) &&
	       !ready && fdio_now_ms() < give_up) {
		if (!told)
			migrate__progress(m, "booting");
		told = true;
		if (migrate__client_cancelled(m->cli)) {
			snprintf(err, errlen, "cancelled");
			return BL_ERR_CANCELLED;
		}
		usleep(BOOT_POLL_MS * 1000);
	}
	if (!rc && !ready) {
		snprintf(err, errlen,
			 "\"%s\" cannot be migrated yet: its kernel does not "
			 "answer suspend requests (no control/feature-suspend "
			 "after %d s: still booting, or a kernel without PV "
			 "suspend)",
			 m->req->name, m->o->boot_wait_s);
		return BL_ERR_BUSY;
	}
	if (rc)
		snprintf(err, errlen, "\"%s\" is gone", m->req->name);
	return rc;
}

/* migrate-receive with the guest's configuration, the migration's ID and
 * the guest's generation: the destination answers OK, with its instance,
 * when it can take it in. */
static int announce(struct source *m, char *err, size_t errlen)
{
	struct rpc_msg req, reply;
	char *config = NULL;
	int rc;

	rc = m->o->hv->config_text(m->hv, m->req->name, &config, err, errlen);
	if (rc)
		return rc;
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_MIGRATE_RECEIVE;
	snprintf(req.name, sizeof(req.name), "%s", m->req->name);
	req.config = config;
	req.config_len = (uint32_t)strlen(config);
	req.migration = m->a.migration;
	req.generation = m->a.generation;
	rc = client_call(&m->dst, &req, &reply, err, errlen);
	if (!rc)
		m->a.instance = reply.instance;
	rpc_msg_dispose(&req);
	rpc_msg_dispose(&reply);
	return rc;
}

/* Before go: the images of the writable disks, noted in the ledger, to be
 * removed with the copy here once the guest runs elsewhere (handover.c),
 * or kept, renamed IMAGE--moved-MIGRATION (--keep-source). */
static int note_images(struct source *m, char *err, size_t errlen)
{
	char keep[16 + BL_ID_STR_LEN], id[BL_ID_STR_LEN];
	const char *paths[HV_DISKS_MAX];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < m->ndisks; i++)
		if (!m->disk_conf[i].readonly)
			paths[n++] = m->disk_conf[i].path;
	if (!n)
		return BL_OK;
	snprintf(keep, sizeof(keep), "--moved-%s",
		 bl_id_str(&m->a.migration, id));
	rc = ledger_images_write(
	    m->o, LEDGER_IMAGES_HANDED, m->req->name, paths, n,
	    m->req->flags & RPC_MIGRATE_KEEP_SOURCE ? keep : NULL);
	if (rc)
		snprintf(err, errlen, "cannot note the images of \"%s\": %s",
			 m->req->name, bl_strerror(rc));
	return rc;
}

static void close_disks(struct source *m, bool resume)
{
	for (size_t i = 0; i < m->ndisks; i++)
		disk_send_close(&m->disks[i], resume);
}

/* After stream-end: the destination's restored (or its abort), and the
 * last moment a cancel can be honoured, before go. */
static int await_restored(struct source *m, char *err, size_t errlen)
{
	struct mig_ctl c;
	int rc;

	migrate__progress(m, "handover");
	m->dst.s.deadline_ms = fdio_now_ms() + RESTORED_TIMEOUT_MS;
	rc = mig_ctl_recv(&m->dst.s, MIG_REC_RESTORED, &c, err, errlen);
	m->restored = fdio_now_ms();
	if (!rc && c.type == MIG_REC_ABORT) {
		snprintf(err, errlen, "node %s could not restore: %.400s",
			 m->dst.node, c.message);
		return BL_ERR_FAIL;
	}
	if (!rc && migrate__client_cancelled(m->cli)) {
		snprintf(err, errlen, "cancelled");
		rc = BL_ERR_CANCELLED;
		if (mig_send_abort(&m->dst.s, rc, err))
			log_debug("abort not sent");
	}
	return rc;
}

/* The summary for the client, and the timings for the log. */
static void report(struct source *m, struct rpc_migrate_stats *st_r)
{
	char id[BL_ID_STR_LEN];
	int64_t started = m->started;
	struct mig_stats ms;

	memset(st_r, 0, sizeof(*st_r));
	stream_stats(m, &ms, st_r);
	snprintf(st_r->phase, sizeof(st_r->phase), "done");
	st_r->migration = m->a.migration;
	st_r->generation = m->a.generation + 1;
	st_r->elapsed_ms = (uint64_t)(fdio_now_ms() - m->start);
	st_r->downtime_ms = (uint64_t)(started - m->suspended);
	st_r->last_round_ms = (uint64_t)(m->saved - m->suspended);
	st_r->restore_ms = (uint64_t)(m->restored - m->saved);
	st_r->start_ms = (uint64_t)(started - m->restored);
	st_r->raw_bytes = ms.raw_bytes;
	st_r->wire_bytes = ms.wire_bytes;
	st_r->disk_bytes = ms.disk_bytes;
	st_r->disk_wire_bytes = ms.disk_wire;
	st_r->disk_writes_held = writes_held(m);
	precopy_stats(m, st_r);
	log_info(
	    "\"%s\" to %s (migration %s): %.1f s, %llu of %llu bytes on "
	    "the wire; disks: %llu bytes of data, %llu on the wire; %.1f "
	    "s writing to the connection, %.1f s in zstd; downtime %lld "
	    "ms: the last round %lld "
	    "ms, the destination's restore %lld ms, its start %lld ms",
	    m->req->name, m->dst.node, bl_id_str(&m->a.migration, id),
	    (double)st_r->elapsed_ms / 1000, (unsigned long long)ms.wire_bytes,
	    (unsigned long long)ms.raw_bytes, (unsigned long long)ms.disk_bytes,
	    (unsigned long long)ms.disk_wire, (double)ms.send_ns / 1e9,
	    (double)ms.pack_ns / 1e9, (long long)st_r->downtime_ms,
	    (long long)st_r->last_round_ms, (long long)st_r->restore_ms,
	    (long long)st_r->start_ms);
}

int migrate_source(const struct server_opts *o, void *hv, struct bl_stream *cli,
		   const struct rpc_msg *req, struct rpc_migrate_stats *st_r,
		   char *err, size_t errlen)
{
	struct source m = {.o = o,
			   .hv = hv,
			   .cli = cli,
			   .req = req,
			   .start = fdio_now_ms(),
			   .w = MIGRATE_WORKER_NONE,
			   .lock_fd = -1};
	struct hv_node_info mine;
	struct hv_guest g;
	int rc;

	rc = check_guest(&m, &mine, &g, err, errlen);
	if (!rc)
		rc = find_disks(&m, err, errlen);
	if (!rc)
		rc = lock_guest(&m, err, errlen);
	if (!rc && bl_id_new(&m.a.migration))
		rc = BL_ERR_IO;
	m.a.generation = g.generation;
	if (!rc)
		rc = connect_destination(&m, err, errlen);
	if (!rc)
		rc = check_destination(&m, &g, &mine, err, errlen);
	if (!rc)
		rc = await_suspendable(&m, err, errlen);
	if (!rc)
		rc = announce(&m, err, errlen);
	if (rc)
		goto out;
	/* Nothing suspended the guest yet: from here a failure resumes it. */
	rc = migrate__send(&m, err, errlen);
	if (!rc)
		rc = await_restored(&m, err, errlen);
	else if (mig_send_abort(&m.dst.s, rc, err))
		log_debug("abort not sent");
	if (rc) {
		close_disks(&m, true);
		handover_resume_here(o, hv, req->name, err, errlen);
		goto out;
	}
	rc = note_images(&m, err, errlen);
	if (rc) {
		if (mig_send_abort(&m.dst.s, rc, err))
			log_debug("abort not sent");
		close_disks(&m, true);
		handover_resume_here(o, hv, req->name, err, errlen);
		goto out;
	}
	rc = handover_send(o, hv, &m.dst, &m.a, req->name, &m.started, err,
			   errlen);
	if (!rc)
		report(&m, st_r);
out:
	close_disks(&m, rc != BL_OK);
	migrate_worker_stop(&m.w);
	mig_delta_enc_free(m.delta); /* before the encoder it writes to */
	free(m.buf);
	mig_enc_free(m.enc);
	peer_close(m.tls, &m.dst);
	unlock_guest(&m);
	return rc;
}
