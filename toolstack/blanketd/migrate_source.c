/*
 * Live migration, the source's side (docs/specs/migration-stream.md).
 *
 * Entry point: migrate_source (a client's guest-migrate).
 * Nomenclature: the guest is NAME; the destination restores it as
 * NAME--incoming; libxl's live save runs in a worker process
 * (migrate_worker.c) and this session pumps its bytes through the stream
 * encoder (toolstack/mig/) to the destination, sending progress to the
 * client.
 * Order: check the guest, its disks and this node -> lock NAME -> connect
 * to the destination and check it -> wait until the guest answers a
 * suspend request -> migrate-receive (the migration's ID and the guest's
 * generation; the destination's instance back) -> the disks' bulk pass
 * and dirty rounds (disk_send.c), then their mirror -> pump the live
 * save (through the page-delta filter when the client asked for it:
 * libxl -> mig_delta_enc -> the encoder), sending what the guest writes
 * every MIRROR_MS (each write is answered once sent) -> the disks
 * quiesced, their last chunks and disk-end -> stream-end -> restored ->
 * the images noted
 * (ledger.h) -> the handover (handover.c) -> the summary.
 * Until the save suspends the guest nothing needs undoing but the lock
 * and the disks' tracking; from then until go every failure resumes the
 * disks' backends, then the guest, here.
 */
#include "toolstack/blanketd/migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "toolstack/blanketd/converge.h"
#include "toolstack/blanketd/disk_send.h"
#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/migrate_worker.h"
#include "toolstack/blanketd/peer.h"
#include "toolstack/client/client.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/common/rate.h"
#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_precopy.h"
#include "toolstack/mig/mig_stream.h"
#include "toolstack/tls/tls.h"

#define PROGRESS_MS	    1000
#define PAYLOAD_TIMEOUT_MS  30000  /* between payload records */
#define RESTORED_TIMEOUT_MS 120000 /* stream-end to restored */
#define CANCEL_READ_MS	    5000   /* a client's message, once it began */
#define BOOT_POLL_MS	    250
#define SUSPEND_POLL_MS	    10 /* how late the downtime's start may be seen */
/* libxl's stream quiet this long while the guest is throttled: libxc waits
 * for the guest to suspend, which a guest capped at 1-2% of a CPU may take
 * tens of seconds to do (seen in the lab: past the destination's 30 s
 * timeout). Shorter, and the guest, uncapped before it suspends, dirties
 * its backlog into the paused round (measured at 250 ms: 7,343 pages, 3.1 s
 * of downtime, against 442 pages and 1.1 s when it suspends capped). */
#define STALL_MS       2000
#define MIGRATE_SNDBUF (256 * 1024)
/* Disk rounds before the memory: until one takes fewer chunks than this,
 * or after this many rounds; then the write-blocking mirror, which sends
 * what the guest wrote every MIRROR_MS, and answers its writes once sent:
 * the disk converges whatever the guest's pace, for the guest waits for
 * the link. */
#define DISK_ROUND_SMALL 64
#define DISK_ROUNDS_MAX	 8
#define MIRROR_MS	 10
/* With page deltas, libxl's bytes are read here, then written to the
 * filter: as much as the encoder's chunk buffer takes at once. */
#define PUMP_BUF MIG_CHUNK_MAX

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
	 * and pump_save's buffer (PUMP_BUF bytes); NULL without */
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

static void progress(struct source *m, const char *phase)
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
	/* The client may have gone: the migration goes on regardless. */
	if (rpc_send(m->cli, &p))
		log_debug("progress not sent");
}

/* Whether the client asked to cancel: a migrate-cancel, or anything else
 * it sends, or its leaving. Does not wait for it. */
static bool client_cancelled(struct bl_stream *cli)
{
	struct pollfd p = {.fd = cli->fd, .events = POLLIN};
	int64_t deadline = cli->deadline_ms;
	char why[BL_ERRMSG_MAX];
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
			progress(m, "booting");
		told = true;
		if (client_cancelled(m->cli)) {
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

/* --- the stream --- */

static int save_worker(const struct server_opts *o, void *hv, const void *arg,
		       int fd, char *err, size_t errlen)
{
	return o->hv->save_live(hv, arg, fd, err, errlen);
}

/* Each disk's bulk pass, then dirty rounds while they shrink, all while
 * the guest runs. */
static int send_disks(struct source *m, char *err, size_t errlen)
{
	uint64_t taken = 0;
	int rc = BL_OK;

	for (size_t i = 0; !rc && i < m->ndisks; i++) {
		const struct hv_disk *c = &m->disk_conf[i];

		progress(m, "disk");
		rc = disk_send_start(&m->disks[i], m->enc, (uint32_t)i, c->vdev,
				     c->path, BLK_CTL_DIR, m->domid, c->devid,
				     err, errlen);
		if (!rc)
			rc = disk_send_bulk(&m->disks[i], m->enc, err, errlen);
	}
	for (int round = 0; !rc && m->ndisks && round < DISK_ROUNDS_MAX;
	     round++) {
		uint64_t n, sum = 0;

		for (size_t i = 0; !rc && i < m->ndisks; i++) {
			rc = disk_send_dirty(&m->disks[i], m->enc, UINT32_MAX,
					     &n, err, errlen);
			sum += n;
		}
		taken += sum;
		progress(m, "disk");
		if (sum < DISK_ROUND_SMALL)
			break;
	}
	for (size_t i = 0; !rc && i < m->ndisks; i++)
		rc = disk_send_mirror_start(&m->disks[i], err, errlen);
	if (!rc && m->ndisks)
		log_info("\"%s\": %zu disk%s sent while it runs, %llu chunks "
			 "again after they were written",
			 m->req->name, m->ndisks, m->ndisks > 1 ? "s" : "",
			 (unsigned long long)taken);
	return rc;
}

/* The mirror's round, while the memory goes: what each disk's guest
 * wrote, sent; its writes answered. */
static int mirror_disks(struct source *m)
{
	char why[BL_ERRMSG_MAX];
	uint64_t n;
	int rc = BL_OK;

	for (size_t i = 0; !rc && i < m->ndisks; i++)
		rc = disk_send_mirror(&m->disks[i], m->enc, &n, why,
				      sizeof(why));
	if (rc)
		log_warnx("\"%s\": %s", m->req->name, why);
	return rc;
}

/* The guest is suspended: the disks' last chunks, and their disk-end.
 * The log says how much the mirror throttled the guest, and how little it
 * left for the downtime. */
static int finish_disks(struct source *m, char *err, size_t errlen)
{
	int rc = BL_OK;

	for (size_t i = 0; !rc && i < m->ndisks; i++) {
		struct disk_send *ds = &m->disks[i];
		uint64_t before = ds->chunks_sent;

		rc = disk_send_finish(ds, m->enc, err, errlen);
		if (!rc)
			log_info(
			    "\"%s\": %s: %llu writes waited for the "
			    "mirror to send them; %llu chunks left for "
			    "the downtime",
			    m->req->name, ds->what,
			    (unsigned long long)ds->writes_held,
			    (unsigned long long)(ds->chunks_sent - before));
	}
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

/* Keep the wire under the requested bandwidth (none: no limit): wait
 * while the stream is ahead, watching for a cancel. */
static int pace(struct source *m)
{
	struct mig_stats ms;
	int64_t delay;

	mig_enc_stats(m->enc, &ms);
	while ((delay = rate_delay_ms(m->req->bandwidth, ms.wire_bytes,
				      fdio_now_ms() - m->start)) > 0) {
		struct pollfd p = {.fd = m->cli->fd, .events = POLLIN};

		if (stream_pending(m->cli) ||
		    poll(&p, 1,
			 (int)(delay < PROGRESS_MS ? delay : PROGRESS_MS)) > 0)
			if (client_cancelled(m->cli))
				return BL_ERR_CANCELLED;
	}
	return BL_OK;
}

/* Note when the guest is first seen suspended: its downtime starts there
 * (libxl's save suspends it before the last round). */
static void watch_suspend(struct source *m)
{
	bool suspended = false;

	if (!m->suspended &&
	    !m->o->hv->suspended(m->hv, m->domid, &suspended) && suspended)
		m->suspended = fdio_now_ms();
}

/* Auto-converge (converge.h): step the guest's throttle up when its
 * rounds do not shrink. The first step notes the cap the guest had in the
 * migration's lock file, for a blanketd that dies before unthrottle() to
 * put back at its start (migrate_recover.c). */
static void throttle(struct source *m)
{
	struct hv_guest g;
	int cap;

	if ((m->req->flags & RPC_MIGRATE_NO_THROTTLE) || m->suspended ||
	    !m->o->hv->set_cap ||
	    !converge_due(&m->conv, &m->pre, fdio_now_ms()))
		return;
	if (!m->throttled && (m->o->hv->cap(m->hv, m->domid, &m->cap0) ||
			      dprintf(m->lock_fd, "cap %d\n", m->cap0) < 0)) {
		log_warnx("\"%s\": cannot read its cap: not throttled",
			  m->req->name);
		m->conv.steps = CONVERGE_STEPS;
		return;
	}
	if (m->o->hv->info(m->hv, m->req->name, &g))
		return;
	cap = converge_step(&m->conv, fdio_now_ms(), g.cpu_time_ns);
	m->throttled = true;
	if (m->o->hv->set_cap(m->hv, m->domid, cap))
		log_warnx("\"%s\": setting its cap to %d%% failed",
			  m->req->name, cap);
	else
		log_info("\"%s\": pre-copy round %u does not shrink: throttled "
			 "%d%% (cap %d%% of a CPU; it used %d%%)",
			 m->req->name, m->conv.round, m->conv.throttle, cap,
			 m->conv.used);
}

/* The cap the guest had before auto-converge, back, once its save is over
 * (it succeeded or not). */
static void unthrottle(struct source *m)
{
	if (!m->throttled)
		return;
	if (m->o->hv->set_cap(m->hv, m->domid, m->cap0))
		log_warnx("\"%s\": putting its cap back to %d failed",
			  m->req->name, m->cap0);
	else if (ftruncate(m->lock_fd, 0) < 0)
		log_warn("%s", m->lock);
	m->throttled = false;
}

/* libxl's stream went quiet while the guest is throttled: its cap back,
 * for good in this migration, so that it suspends at its own pace. */
static void unthrottle_stalled(struct source *m, int64_t quiet_since)
{
	if (!m->throttled || m->suspended ||
	    fdio_now_ms() - quiet_since < STALL_MS)
		return;
	unthrottle(m);
	m->conv.steps = CONVERGE_STEPS;
	log_info("\"%s\": libxl's stream stalled %lld ms, as when libxc waits "
		 "for the guest to suspend: its cap is back to %d",
		 m->req->name, (long long)(fdio_now_ms() - quiet_since),
		 m->cap0);
}

/* The destination's abort during the payload (it could not take the
 * stream): its message, for the client, in m->gave_up. Nothing else may
 * come then but the connection's end. */
static int read_abort(struct source *m, char *why, size_t whylen)
{
	struct mig_ctl c;
	int rc;

	m->dst.s.deadline_ms = fdio_now_ms() + CANCEL_READ_MS;
	rc = mig_ctl_recv(&m->dst.s, MIG_REC_ABORT, &c, why, whylen);
	if (!rc)
		snprintf(m->gave_up, sizeof(m->gave_up),
			 "node %s gave up on the stream: %.400s", m->dst.node,
			 c.message);
	return rc ? rc : BL_ERR_FAIL;
}

/* The destination spoke during the payload: its abort, or a stream that
 * cannot go on. */
static int destination_gave_up(struct source *m)
{
	char why[BL_ERRMSG_MAX] = "";
	int rc = read_abort(m, why, sizeof(why));

	if (rc != BL_ERR_FAIL)
		log_warnx("\"%s\": %s spoke during the payload: %s",
			  m->req->name, m->dst.node,
			  why[0] ? why : bl_strerror(rc));
	return rc;
}

/* Pump the saver's bytes into the encoder until it is done, watching for
 * the guest's suspend every SUSPEND_POLL_MS. A destination that stops
 * reading (link down, daemon gone) fails the write after
 * PAYLOAD_TIMEOUT_MS; a client that cancels or leaves stops it; a
 * destination that gives up (its abort) stops it, with its reason. */
static int pump_save(struct source *m)
{
	int64_t next = fdio_now_ms() + PROGRESS_MS, mirror = fdio_now_ms();
	int64_t watch = fdio_now_ms(), quiet_since = fdio_now_ms();
	int rc = BL_OK;

	for (;;) {
		struct pollfd p[3] = {{.fd = m->w.fd, .events = POLLIN},
				      {.fd = m->cli->fd, .events = POLLIN},
				      {.fd = m->dst.s.fd, .events = POLLIN}};
		int wait = m->suspended ? PROGRESS_MS : SUSPEND_POLL_MS;
		uint8_t *space;
		size_t room;
		ssize_t r;

		if (m->ndisks && MIRROR_MS < wait)
			wait = MIRROR_MS;
		if (poll(p, 3, wait) < 0 && errno != EINTR)
			return BL_ERR_IO;
		if (p[2].revents || stream_pending(&m->dst.s))
			return destination_gave_up(m);
		if (fdio_now_ms() >= watch) {
			watch_suspend(m);
			throttle(m);
			unthrottle_stalled(m, quiet_since);
			watch = fdio_now_ms() + SUSPEND_POLL_MS;
		}
		if (m->ndisks && fdio_now_ms() >= mirror) {
			if (mirror_disks(m))
				return BL_ERR_IO;
			mirror = fdio_now_ms() + MIRROR_MS;
		}
		if (fdio_now_ms() >= next) {
			progress(m, "memory");
			next = fdio_now_ms() + PROGRESS_MS;
		}
		if ((p[1].revents || stream_pending(m->cli)) &&
		    client_cancelled(m->cli))
			return BL_ERR_CANCELLED;
		if (!p[0].revents)
			continue;
		if (m->delta) {
			space = m->buf;
			room = PUMP_BUF;
		} else if ((rc = mig_enc_space(m->enc, &space, &room))) {
			return rc;
		}
		r = read(m->w.fd, space, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? BL_ERR_IO : BL_OK;
		m->dst.s.deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
		quiet_since = fdio_now_ms();
		mig_precopy_feed(&m->pre, space, (size_t)r);
		rc = m->delta ? stream_write(mig_delta_enc_stream(m->delta),
					     space, (size_t)r)
			      : mig_enc_commit(m->enc, (size_t)r);
		/* libxl has nothing more for now: send what we hold, so the
		 * link and the destination work while it does (in the last
		 * round, with the guest paused, most of all). The filter
		 * passed on all it could: it keeps only a record of libxc's
		 * not whole yet. */
		if (!rc && (size_t)r < room && !fdio_readable(m->w.fd))
			rc = mig_enc_flush(m->enc);
		if (!rc && m->req->bandwidth)
			rc = pace(m);
		if (rc)
			return rc;
	}
}

/* Page deltas, when the client asked for them: the filter in front of
 * the encoder, its cache the size asked for, but no larger than the
 * guest (a larger one holds nothing more). */
static int delta_start(struct source *m, char *err, size_t errlen)
{
	uint64_t cache = (uint64_t)m->req->delta_cache_mib << 20;
	int rc;

	if (m->mem_kib && m->mem_kib * 1024 < cache)
		cache = m->mem_kib * 1024;
	m->buf = malloc(PUMP_BUF);
	rc = m->buf
		 ? mig_delta_enc_new(mig_enc_stream(m->enc), cache, &m->delta)
		 : BL_ERR_NOMEM;
	if (rc)
		snprintf(err, errlen,
			 "no memory for a page-delta cache of %llu MiB",
			 (unsigned long long)(cache >> 20));
	else
		log_info("\"%s\": page deltas against a cache of %llu KiB",
			 m->req->name, (unsigned long long)(cache >> 10));
	return rc;
}

/* The filter's end: what it held, passed on; its figures in the log. */
static void delta_finish(struct source *m)
{
	struct mig_delta_stats ds;

	stream_close(mig_delta_enc_stream(m->delta));
	mig_delta_enc_stats(m->delta, &ds);
	if (mig_delta_enc_lost(m->delta))
		log_warnx("\"%s\": libxl's stream was not as the page-delta "
			  "filter expects: it passed unchanged from there on, "
			  "with no delta",
			  m->req->name);
	log_info("\"%s\": page deltas: %llu of %llu pages sent as deltas, "
		 "%llu misses, %llu overflows; %lld bytes saved",
		 m->req->name, (unsigned long long)ds.hits,
		 (unsigned long long)ds.pages, (unsigned long long)ds.misses,
		 (unsigned long long)ds.overflows,
		 (long long)(ds.bytes_in - ds.bytes_out));
}

/* The live save, to stream-end: the guest is suspended when it returns. */
static int stream_memory(struct source *m, char *err, size_t errlen)
{
	struct mig_ident ident = {m->a.migration, m->a.generation};
	struct hv_guest g;
	uint32_t flags = 0;
	int rc;

	if (m->req->flags & RPC_MIGRATE_NO_COMPRESS)
		flags |= MIG_ENC_NO_COMPRESS;
	if (m->req->delta_cache_mib)
		flags |= MIG_ENC_DELTA;
	rc = mig_enc_start(&m->dst.s, flags, &ident, &m->enc);
	if (rc) {
		snprintf(err, errlen, "starting the migration failed");
		return rc;
	}
	if (m->req->delta_cache_mib) {
		rc = delta_start(m, err, errlen);
		if (rc)
			return rc;
	}
	rc = send_disks(m, err, errlen);
	if (rc)
		return rc;
	mig_precopy_init(&m->pre);
	converge_init(&m->conv, fdio_now_ms(),
		      m->o->hv->info(m->hv, m->req->name, &g) ? 0
							      : g.cpu_time_ns);
	rc = migrate_worker_start(m->o, save_worker, m->req->name, &m->w);
	if (rc) {
		snprintf(err, errlen, "starting the migration failed");
		return rc;
	}
	rc = pump_save(m);
	/* A write that failed as the destination gave up: its reason, if it
	 * came (what the connection still holds). */
	if (rc && rc != BL_ERR_CANCELLED && !m->gave_up[0] &&
	    stream_readable(&m->dst.s) &&
	    read_abort(m, (char[BL_ERRMSG_MAX]){0}, BL_ERRMSG_MAX) !=
		BL_ERR_FAIL)
		log_debug("no abort from %s", m->dst.node);
	watch_suspend(m);
	if (!m->suspended) /* suspended and saved between two looks */
		m->suspended = fdio_now_ms();
	if (migrate_worker_wait(&m->w, "live save", err, errlen) && !rc)
		rc = BL_ERR_FAIL;
	else if (rc == BL_ERR_CANCELLED)
		snprintf(err, errlen, "cancelled");
	else if (m->gave_up[0])
		snprintf(err, errlen, "%s", m->gave_up);
	else if (rc)
		snprintf(err, errlen, "sending to %s failed: %s", m->dst.node,
			 bl_strerror(rc));
	m->dst.s.deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
	m->saved = fdio_now_ms();
	if (!rc && m->delta)
		delta_finish(m);
	if (!rc)
		rc = finish_disks(m, err, errlen);
	if (!rc)
		rc = mig_enc_finish(m->enc);
	/* Off the downtime's path: the guest's cap matters again only if it
	 * resumes here. */
	unthrottle(m);
	return rc;
}

/* After stream-end: the destination's restored (or its abort), and the
 * last moment a cancel can be honoured, before go. */
static int await_restored(struct source *m, char *err, size_t errlen)
{
	struct mig_ctl c;
	int rc;

	progress(m, "handover");
	m->dst.s.deadline_ms = fdio_now_ms() + RESTORED_TIMEOUT_MS;
	rc = mig_ctl_recv(&m->dst.s, MIG_REC_RESTORED, &c, err, errlen);
	m->restored = fdio_now_ms();
	if (!rc && c.type == MIG_REC_ABORT) {
		snprintf(err, errlen, "node %s could not restore: %.400s",
			 m->dst.node, c.message);
		return BL_ERR_FAIL;
	}
	if (!rc && client_cancelled(m->cli)) {
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
	rc = stream_memory(&m, err, errlen);
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
