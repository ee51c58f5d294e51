/*
 * Live migration, the source's payload (migrate_source.h;
 * docs/specs/migration-stream.md).
 *
 * Entry point: migrate__send, once the destination took the guest in.
 * Order: the encoder (and the page-delta filter in front of it, when the
 * client asked for it) -> the disks' bulk pass and dirty rounds
 * (disk_send.c), then their mirror -> libxl's live save in a worker
 * (migrate_worker.c), its bytes pumped through the filter and the encoder
 * to the destination, the disks' mirror sent every MIRROR_MS, the guest
 * throttled when its rounds do not shrink (converge.h) -> the disks'
 * last chunks and disk-end -> stream-end; the guest's cap back.
 */
#include "toolstack/blanketd/migrate_source.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/rate.h"

#define PAYLOAD_TIMEOUT_MS 30000 /* between payload records */
#define SUSPEND_POLL_MS	   10	 /* how late the downtime's start may be seen */
/* libxl's stream quiet this long while the guest is throttled: libxc waits
 * for the guest to suspend, which a guest capped at 1-2% of a CPU may take
 * tens of seconds to do (seen in the lab: past the destination's 30 s
 * timeout). Shorter, and the guest, uncapped before it suspends, dirties
 * its backlog into the paused round (measured at 250 ms: 7,343 pages, 3.1 s
 * of downtime, against 442 pages and 1.1 s when it suspends capped). */
#define STALL_MS 2000
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

		migrate__progress(m, "disk");
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
		migrate__progress(m, "disk");
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
			 (int)(delay < MIGRATE__PROGRESS_MS
				   ? delay
				   : MIGRATE__PROGRESS_MS)) > 0)
			if (migrate__client_cancelled(m->cli))
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

	m->dst.s.deadline_ms = fdio_now_ms() + MIGRATE__CANCEL_READ_MS;
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
	int64_t next = fdio_now_ms() + MIGRATE__PROGRESS_MS,
		mirror = fdio_now_ms();
	int64_t watch = fdio_now_ms(), quiet_since = fdio_now_ms();
	int rc = BL_OK;

	for (;;) {
		struct pollfd p[3] = {{.fd = m->w.fd, .events = POLLIN},
				      {.fd = m->cli->fd, .events = POLLIN},
				      {.fd = m->dst.s.fd, .events = POLLIN}};
		int wait =
		    m->suspended ? MIGRATE__PROGRESS_MS : SUSPEND_POLL_MS;
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
			migrate__progress(m, "memory");
			next = fdio_now_ms() + MIGRATE__PROGRESS_MS;
		}
		if ((p[1].revents || stream_pending(m->cli)) &&
		    migrate__client_cancelled(m->cli))
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

int migrate__send(struct source *m, char *err, size_t errlen)
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
