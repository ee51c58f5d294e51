/*
 * Live migration, the destination's side (docs/specs/migration-stream.md).
 *
 * Entry point: migrate_dest (a source's migrate-receive).
 * Nomenclature: the guest is NAME, received by migration ID; it is
 * restored, paused, as NAME--incoming by libxl's restore in a worker
 * process (migrate_worker.c), fed by this session's stream decoder
 * (toolstack/mig/). The session reserves NAME for the migration (ledger.h)
 * while it lives, and writes a receipt when it acts on go.
 * Order: refuse a name in use or reserved, a migration seen before, a disk
 * image this node may not make -> reserve NAME, make its disk images empty
 * (noted in the ledger first) -> refuse a configuration this node's policy
 * does not allow -> OK with this node's
 * instance -> decode the stream: memory into the restore, disks into new
 * images (disk_recv.c), each checked against the source's hash ->
 * stream-end -> restored -> go -> receipt -> rename
 * NAME--incoming to NAME, unpause -> started -> settled: drop the
 * receipt. Until the receipt every failure destroys the domain this
 * session restored and the images it made, and nothing else, and answers
 * abort ("never here"); a failure after it destroys them too and removes
 * the receipt before the abort goes out.
 */
#include "toolstack/blanketd/migrate.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanketd/disk_recv.h"
#include "toolstack/blanketd/failpoint.h"
#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/migrate_worker.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/hv/hv_policy.h"
#include "toolstack/mig/mig_delta.h"
#include "toolstack/mig/mig_elide.h"
#include "toolstack/mig/mig_stream.h"

#define PAYLOAD_TIMEOUT_MS  30000 /* between payload records */
#define HANDOVER_TIMEOUT_MS 30000 /* restored to go, started to settled */

/* One migration into this node, while it runs. */
struct dest {
	const struct server_opts *o;
	void *hv;
	struct bl_stream *s;
	const struct rpc_msg *req;
	const char *peer;
	char id[BL_ID_STR_LEN]; /* the migration, for logs */
	char incoming[HV_NAME_MAX + 16];
	int reservation; /* the lock on NAME, -1: none */
	uint32_t domid;	 /* the domain restored here, 0: none yet */
	struct hv_disk disk_conf[HV_DISKS_MAX]; /* the configuration's */
	struct disk_recv disks[HV_DISKS_MAX];
	size_t ndisks;
	bool images_noted; /* in the ledger: removed on failure */
};

struct restore_arg {
	const char *config;
	const char *name;
};

static int restore_worker(const struct server_opts *o, void *hv,
			  const void *arg, int fd, char *err, size_t errlen)
{
	const struct restore_arg *a = arg;

	return o->hv->restore(hv, o->policy, a->config, a->name, fd, err,
			      errlen);
}

/* Destroy the domain this node restored, if it still has one of the names
 * this migration gave it: never another guest. */
static void destroy_ours(struct dest *d)
{
	const char *names[] = {d->incoming, d->req->name};
	char why[BL_ERRMSG_MAX];
	struct hv_guest g;

	for (size_t i = 0; d->domid && i < 2; i++) {
		if (d->o->hv->info(d->hv, names[i], &g) || g.domid != d->domid)
			continue;
		if (d->o->hv->destroy_domid(d->hv, d->domid, why, sizeof(why)))
			log_warnx("migration %s: destroying %s (domain %u): %s",
				  d->id, names[i], d->domid, why);
		return;
	}
}

/* --- before anything is restored --- */

/* A reservation of migration left by a session that died (its lock is
 * fd): its domain goes, unless the session wrote its receipt. */
static void clear_stale(const struct server_opts *o, void *hv, const char *name,
			const struct bl_id *migration, int fd, uint32_t domid)
{
	char incoming[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];
	struct ledger_receipt r;
	struct hv_guest g;

	/* A session that died after its receipt: its promise is kept at the
	 * daemon's next restart, not undone here. */
	if (ledger_receipt_read(o, migration, &r) == BL_OK) {
		ledger_images_drop(o, LEDGER_IMAGES_INCOMING, name, false);
		close(fd);
		return;
	}
	snprintf(incoming, sizeof(incoming), "%s" HV_SUFFIX_INCOMING, name);
	if (domid && o->hv->info(hv, incoming, &g) == BL_OK &&
	    g.domid == domid &&
	    o->hv->destroy_domid(hv, domid, why, sizeof(why)))
		log_warnx("destroying %s: %s", incoming, why);
	ledger_images_drop(o, LEDGER_IMAGES_INCOMING, name, true);
	ledger_release(o, name, fd);
}

/* The images this migration brings, made empty (the restore finds the
 * files its configuration names), and noted in the ledger before the
 * first is. */
static int make_images(struct dest *d, char *err, size_t errlen)
{
	const char *paths[HV_DISKS_MAX];
	int rc;

	if (!d->ndisks)
		return BL_OK;
	for (size_t i = 0; i < d->ndisks; i++)
		paths[i] = d->disk_conf[i].path;
	rc = ledger_images_write(d->o, LEDGER_IMAGES_INCOMING, d->req->name,
				 paths, d->ndisks, NULL);
	if (rc)
		snprintf(err, errlen, "cannot note the images of \"%s\": %s",
			 d->req->name, bl_strerror(rc));
	d->images_noted = !rc;
	for (size_t i = 0; !rc && i < d->ndisks; i++)
		rc = disk_recv_create(&d->disks[i], (uint32_t)i,
				      d->disk_conf[i].vdev,
				      d->disk_conf[i].path, err, errlen);
	return rc;
}

/* Every image this migration made: kept (the guest is this node's now), or
 * removed (it never ran here). */
static void settle_images(struct dest *d, bool keep)
{
	for (size_t i = 0; i < d->ndisks; i++)
		disk_recv_close(&d->disks[i], !keep);
	if (d->images_noted)
		ledger_images_drop(d->o, LEDGER_IMAGES_INCOMING, d->req->name,
				   !keep);
	d->images_noted = false;
}

/* NAME free here, not reserved, and the migration new: then reserve NAME.
 * err says why not. */
static int admit(struct dest *d, char *err, size_t errlen)
{
	const char *name = d->req->name;
	char away[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];
	struct ledger_receipt r;
	struct bl_id other;
	struct hv_guest g;
	uint32_t domid;
	bool live;
	int fd, rc;

	if (d->o->hv->info(d->hv, name, &g) == BL_OK ||
	    d->o->hv->info(d->hv, d->incoming, &g) == BL_OK) {
		snprintf(err, errlen,
			 "node %s already has a guest named \"%s\"",
			 d->o->node_name, name);
		return BL_ERR_BUSY;
	}
	/* Its copy from a handover not settled yet: settled first, or two
	 * copies of one guest would wait here (and a handover from here
	 * would find the name of the copy taken). */
	snprintf(away, sizeof(away), "%s" HV_SUFFIX_AWAY, name);
	if (d->o->hv->info(d->hv, away, &g) == BL_OK) {
		snprintf(
		    err, errlen,
		    "node %s holds an unresolved copy of \"%s\" from an "
		    "earlier migration; it is settled first (its resolver "
		    "asks every few seconds, or `blanket migrate --resolve "
		    "%s`)",
		    d->o->node_name, name, name);
		return BL_ERR_BUSY;
	}
	if (ledger_receipt_read(d->o, &d->req->migration, &r) == BL_OK) {
		snprintf(err, errlen, "migration %s came here before", d->id);
		return BL_ERR_BUSY;
	}
	rc = ledger_reserved(d->o, name, &other, &domid, &live, &fd);
	if (!rc && live) {
		snprintf(err, errlen,
			 "node %s is receiving or creating a guest named "
			 "\"%s\"",
			 d->o->node_name, name);
		return BL_ERR_BUSY;
	}
	if (!rc)
		clear_stale(d->o, d->hv, name, &other, fd, domid);
	/* Its disks: new images, each where this node keeps them. */
	rc = hv_config_disks(d->req->config, d->req->config_len, d->disk_conf,
			     &d->ndisks, err, errlen);
	for (size_t i = 0; !rc && i < d->ndisks; i++) {
		rc = hv_policy_new_image(d->o->policy, d->disk_conf[i].path,
					 why, sizeof(why));
		if (rc == BL_ERR_BUSY)
			snprintf(err, errlen,
				 "node %s has an image at %.300s already (disk "
				 "%s of \"%s\"): it is never overwritten",
				 d->o->node_name, d->disk_conf[i].path,
				 d->disk_conf[i].vdev, name);
		else if (rc)
			snprintf(err, errlen, "disk %zu (%s): %.400s", i,
				 d->disk_conf[i].vdev, why);
	}
	if (rc)
		return rc;
	rc = ledger_reserve(d->o, name, &d->req->migration, &d->reservation);
	if (rc) {
		snprintf(err, errlen, "cannot reserve \"%s\" on node %s: %s",
			 name, d->o->node_name, bl_strerror(rc));
		return rc;
	}
	rc = make_images(d, err, errlen);
	/* With its images there, the configuration is checked as a create's
	 * would be. The guest is built from what this node's parser reads in
	 * the configuration sent, within this node's policy: never from the
	 * sender's say-so. */
	if (!rc)
		rc = hv_config_admit(d->o->policy, d->req->config,
				     d->req->config_len, name, err, errlen);
	return rc;
}

/* --- the stream --- */

/* A disk record, into its image. */
static int receive_disk(struct dest *d, uint32_t type,
			const struct mig_disk_rec *r, char *err, size_t errlen)
{
	if (r->index >= d->ndisks) {
		snprintf(err, errlen,
			 "disk %u: the guest's configuration has %zu disk%s",
			 r->index, d->ndisks, d->ndisks == 1 ? "" : "s");
		return BL_ERR_PROTO;
	}
	if (type == MIG_REC_DISK)
		return disk_recv_start(&d->disks[r->index], r, err, errlen);
	if (type == MIG_REC_DISK_DATA)
		return disk_recv_data(&d->disks[r->index], r, err, errlen);
	return disk_recv_end(&d->disks[r->index], r, err, errlen);
}

/* Every disk of the configuration came, whole. */
static int disks_complete(struct dest *d, char *err, size_t errlen)
{
	for (size_t i = 0; i < d->ndisks; i++)
		if (!d->disks[i].ended) {
			snprintf(err, errlen,
				 "disk %zu (%s) did not come with the guest", i,
				 d->disk_conf[i].vdev);
			return BL_ERR_PROTO;
		}
	return BL_OK;
}

/* A stream with page deltas (the header's option): the destination's
 * filter in front of out, with this node's limit on the cache; *out_r is
 * then the filter's stream. BL_OK and nothing done without the option. */
static int delta_filter(struct dest *d, struct mig_dec *dec,
			struct bl_stream **out_r,
			struct mig_delta_dec **delta_r, char *err,
			size_t errlen)
{
	uint32_t max = d->o->delta_cache_max_mib;
	int rc;

	if (!mig_dec_delta(dec))
		return BL_OK;
	if (!max) {
		snprintf(err, errlen,
			 "page deltas: this node takes none (blanketd "
			 "--delta-cache-max 0); migrate without --delta-cache");
		return BL_ERR_DENIED;
	}
	rc = mig_delta_dec_new(*out_r, (uint64_t)max << 20, delta_r);
	if (rc) {
		snprintf(err, errlen, "page deltas: no memory for the filter");
		return rc;
	}
	*out_r = mig_delta_dec_stream(*delta_r);
	return BL_OK;
}

/* After the page-delta filter's close: what it refused, as the error, if
 * it caused rc or refused at the close (a record of ours cut short);
 * held says whether it had refused before the close. */
static int delta_refused(const struct mig_delta_dec *delta, bool held, int rc,
			 char *err, size_t errlen)
{
	const char *why = mig_delta_dec_error(delta);

	if (!why || (rc && !held))
		return rc;
	snprintf(err, errlen, "page deltas: %.400s", why);
	return rc ? rc : BL_ERR_PROTO;
}

/* Decode the payload into the restore; BL_OK at a verified stream-end of
 * the migration announced. With page deltas: decoder -> mig_delta_dec ->
 * mig_elide -> the pipe. */
static int pump_restore(struct dest *d, struct migrate_worker *w,
			struct mig_stats *st_r, char *err, size_t errlen)
{
	struct mig_dec *dec = NULL;
	struct mig_elide *elide = NULL;
	struct mig_delta_dec *delta = NULL;
	struct mig_ident ident;
	struct hv_node_info node;
	struct bl_stream pipe, *out = &pipe;
	struct mig_ctl c;
	int rc;

	d->s->deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
	rc = mig_dec_start(d->s, &dec, err, errlen);
	if (!rc && (mig_dec_ident(dec, &ident) ||
		    !bl_id_equal(&ident.id, &d->req->migration) ||
		    ident.generation != d->req->generation)) {
		snprintf(err, errlen,
			 "the stream is not migration %s, generation %llu",
			 d->id, (unsigned long long)d->req->generation);
		rc = BL_ERR_PROTO;
	}
	stream_fd_init(&pipe, w->fd);
	/* Zero pages need not reach libxc where Xen hands out zeroed ones;
	 * without the filter (no memory for it) they go as they came. */
	if (!rc && !d->o->hv->node_info(d->hv, &node) && node.zeroed_pages &&
	    !mig_elide_new(&pipe, &elide))
		out = mig_elide_stream(elide);
	if (!rc)
		rc = delta_filter(d, dec, &out, &delta, err, errlen);
	while (!rc) {
		d->s->deadline_ms = fdio_now_ms() + PAYLOAD_TIMEOUT_MS;
		rc = mig_dec_next(dec, out, &c, err, errlen);
		if (!rc && c.type >= MIG_REC_DISK && c.type <= MIG_REC_DISK_END)
			rc = receive_disk(d, c.type, mig_dec_disk(dec), err,
					  errlen);
		if (!rc && c.type == MIG_REC_STREAM_END)
			rc = disks_complete(d, err, errlen);
		if (!rc && c.type == MIG_REC_STREAM_END)
			break;
		if (!rc && c.type == MIG_REC_ABORT) {
			snprintf(err, errlen, "the source gave up: %.400s",
				 c.message);
			rc = BL_ERR_FAIL;
		}
	}
	/* EOF for libxl: it stops at its own end record anyway. A record of
	 * ours cut short fails here. */
	if (delta) {
		bool held = mig_delta_dec_error(delta) != NULL;

		stream_close(mig_delta_dec_stream(delta));
		rc = delta_refused(delta, held, rc, err, errlen);
	}
	if (elide)
		stream_close(mig_elide_stream(elide));
	stream_close(&pipe);
	w->fd = -1;
	if (dec)
		mig_dec_stats(dec, st_r);
	if (elide) {
		st_r->elided_pages = mig_elide_pages(elide);
		if (mig_elide_lost(elide))
			log_warnx("migration %s: libxl's stream was not as "
				  "expected: its zero pages went to libxc from "
				  "there on",
				  d->id);
	}
	if (delta)
		log_info("migration %s: %llu pages rebuilt from page deltas",
			 d->id, (unsigned long long)mig_delta_dec_pages(delta));
	mig_delta_dec_free(delta);
	mig_elide_free(elide);
	mig_dec_free(dec);
	return rc;
}

/* --- the handover --- */

/* The domain restored: noted in the reservation, announced as restored;
 * then go. */
static int await_go(struct dest *d, char *err, size_t errlen)
{
	struct hv_guest g;
	struct mig_ctl c;
	int rc = d->o->hv->info(d->hv, d->incoming, &g);

	if (!rc) {
		d->domid = g.domid;
		rc = ledger_reserve_domid(d->o, d->req->name, d->reservation,
					  &d->req->migration, g.domid);
	}
	mig_ctl_init(&c);
	if (!rc) {
		c.type = MIG_REC_RESTORED;
		c.domid = g.domid;
		d->s->deadline_ms = fdio_now_ms() + HANDOVER_TIMEOUT_MS;
		rc = mig_ctl_send(d->s, &c);
	}
	if (!rc)
		rc = mig_ctl_recv(d->s, MIG_REC_GO, &c, err, errlen);
	if (!rc && c.type == MIG_REC_ABORT) {
		snprintf(err, errlen, "the source gave up: %.400s", c.message);
		rc = BL_ERR_FAIL;
	}
	return rc;
}

/* go: the receipt first, then the guest becomes NAME, generation one
 * more, running. */
static int take_over(struct dest *d, char *err, size_t errlen)
{
	struct ledger_receipt r = {.domid = d->domid,
				   .generation = d->req->generation + 1};
	int rc;

	snprintf(r.name, sizeof(r.name), "%s", d->req->name);
	rc = ledger_receipt_write(d->o, &d->req->migration, &r);
	if (rc) {
		snprintf(err, errlen, "cannot write the receipt of %s", d->id);
		return rc;
	}
	failpoint("dest-after-receipt");
	rc = d->o->hv->rename(d->hv, d->incoming, d->req->name, err, errlen);
	if (!rc)
		rc = d->o->hv->adopt(d->hv, d->req->name, r.generation, err,
				     errlen);
	if (!rc) {
		settle_images(d, true);
		return BL_OK;
	}
	/* Never ran: destroyed, and the receipt gone before the abort says
	 * "never here". */
	destroy_ours(d);
	settle_images(d, false);
	if (ledger_receipt_remove(d->o, &d->req->migration))
		log_warnx("migration %s: the receipt stays, and the guest is "
			  "lost: it never ran here",
			  d->id);
	return rc;
}

/* The source destroyed its copy: the receipt is no longer needed. */
static void await_settled(struct dest *d)
{
	char why[BL_ERRMSG_MAX];
	struct mig_ctl c;

	d->s->deadline_ms = fdio_now_ms() + HANDOVER_TIMEOUT_MS;
	if (mig_ctl_recv(d->s, MIG_REC_SETTLED, &c, why, sizeof(why)) ||
	    c.type != MIG_REC_SETTLED) {
		log_info("migration %s: the source did not say it settled; "
			 "the receipt stays until it does",
			 d->id);
		return;
	}
	if (ledger_receipt_remove(d->o, &d->req->migration))
		log_warnx("migration %s: the receipt stays", d->id);
}

void migrate_dest(const struct server_opts *o, void *hv, struct bl_stream *s,
		  const struct rpc_msg *req, const char *peer)
{
	struct dest d = {.o = o,
			 .hv = hv,
			 .s = s,
			 .req = req,
			 .peer = peer,
			 .reservation = -1};
	struct migrate_worker w = MIGRATE_WORKER_NONE;
	struct restore_arg arg = {req->config, d.incoming};
	char err[BL_ERRMSG_MAX] = "";
	struct mig_stats ms = {0};
	struct rpc_msg reply;
	struct hv_guest g;
	struct mig_ctl c;
	int64_t ended, restored, go;
	int rc;

	for (size_t i = 0; i < HV_DISKS_MAX; i++)
		d.disks[i] = DISK_RECV_NONE;
	bl_id_str(&req->migration, d.id);
	snprintf(d.incoming, sizeof(d.incoming), "%s" HV_SUFFIX_INCOMING,
		 req->name);
	rpc_msg_init(&reply);
	rc = admit(&d, err, sizeof(err));
	if (!rc)
		rc = ledger_instance(o, &reply.instance);
	if (rc) {
		if (rpc_send_error(s, req->id, rc, err[0] ? err : NULL))
			log_debug("%s left", peer);
		goto out;
	}
	reply.type = RPC_OK;
	reply.id = req->id;
	reply.request = RPC_MIGRATE_RECEIVE;
	if (rpc_send(s, &reply))
		goto out;
	log_info("%s: receiving \"%s\" (migration %s, generation %llu)", peer,
		 req->name, d.id, (unsigned long long)req->generation);
	rc = migrate_worker_start(o, restore_worker, &arg, &w);
	if (!rc)
		rc = pump_restore(&d, &w, &ms, err, sizeof(err));
	ended = fdio_now_ms();
	if (w.pid > 0 && migrate_worker_wait(&w, "restore", err, sizeof(err)) &&
	    !rc)
		rc = BL_ERR_FAIL;
	restored = fdio_now_ms();
	if (!rc)
		rc = await_go(&d, err, sizeof(err));
	go = fdio_now_ms();
	if (rc) {
		/* Destroyed first: an abort from here means "never here". A
		 * restore that returned has a domain not noted yet: NAME is
		 * reserved, so NAME--incoming is this session's. */
		if (!d.domid && o->hv->info(hv, d.incoming, &g) == BL_OK)
			d.domid = g.domid;
		destroy_ours(&d);
		settle_images(&d, false);
		log_warnx("%s: receiving \"%s\" (migration %s) failed: %s",
			  peer, req->name, d.id, err);
	} else {
		rc = take_over(&d, err, sizeof(err));
	}
	if (rc) {
		if (mig_send_abort(s, rc, err))
			log_debug("%s left", peer);
		goto out;
	}
	mig_ctl_init(&c);
	c.type = MIG_REC_STARTED;
	/* The guest is ours now, whether or not the source hears it. */
	if (mig_ctl_send(s, &c))
		log_warnx("%s: \"%s\" started (migration %s), but the source "
			  "did not hear it",
			  peer, req->name, d.id);
	log_info("%s: \"%s\" received and started (migration %s, generation "
		 "%llu); %.1f s reading the connection, %.1f s writing to "
		 "libxl's restore, %llu zero pages left out of it; after "
		 "stream-end: restore returned +%lld ms, go +%lld ms, running "
		 "+%lld ms",
		 peer, req->name, d.id, (unsigned long long)req->generation + 1,
		 (double)ms.recv_ns / 1e9, (double)ms.send_ns / 1e9,
		 (unsigned long long)ms.elided_pages,
		 (long long)(restored - ended), (long long)(go - ended),
		 (long long)(fdio_now_ms() - ended));
	ledger_release(o, req->name, d.reservation);
	d.reservation = -1;
	await_settled(&d);
out:
	/* Refused, or the source gone before restored: nothing ran here. */
	settle_images(&d, false);
	if (d.reservation >= 0)
		ledger_release(o, req->name, d.reservation);
	rpc_msg_dispose(&reply);
}

void migrate_dest_clear(const struct server_opts *o, void *hv, const char *name)
{
	struct bl_id migration;
	uint32_t domid;
	bool live;
	int fd;

	if (!ledger_reserved(o, name, &migration, &domid, &live, &fd) && !live)
		clear_stale(o, hv, name, &migration, fd, domid);
}

/* The reservation a migration holds here, if any, as a status query
 * finds it. */
struct status_search {
	const struct server_opts *o;
	const struct bl_id *migration;
	bool found, live;
	char name[HV_NAME_MAX];
	uint32_t domid;
	int fd; /* the lock of a reservation whose session is gone, or -1 */
};

static void find_reservation(const char *name, void *arg)
{
	struct status_search *w = arg;
	struct bl_id migration;
	uint32_t domid;
	bool live;
	int fd;

	if (w->found ||
	    ledger_reserved(w->o, name, &migration, &domid, &live, &fd))
		return;
	if (!bl_id_equal(&migration, w->migration)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	w->found = true;
	w->live = live;
	w->domid = domid;
	w->fd = fd;
	snprintf(w->name, sizeof(w->name), "%s", name);
}

/* Reservation first, receipt second: a session writes its receipt before
 * it lets its reservation go, so a migration whose reservation is gone or
 * dead and that has no receipt now never will, and "unknown" is true for
 * good. (Receipt first would race: a session that took the guest over and
 * ended between the two reads looked unknown, and the source resumed its
 * copy: the chaos run found it under load.) */
int migrate_dest_status(const struct server_opts *o, void *hv,
			const struct bl_id *migration, struct rpc_msg *reply)
{
	struct status_search w = {.o = o, .migration = migration, .fd = -1};
	struct ledger_receipt r;
	int rc = ledger_instance(o, &reply->instance);

	if (rc)
		return rc;
	ledger_each_reservation(o, find_reservation, &w);
	if (w.found && w.live) {
		reply->status = RPC_MIGRATION_RECEIVING;
		snprintf(reply->name, sizeof(reply->name), "%s", w.name);
		return BL_OK;
	}
	reply->status = RPC_MIGRATION_UNKNOWN;
	rc = ledger_receipt_read(o, migration, &r);
	if (!rc) {
		reply->status = RPC_MIGRATION_ACCEPTED;
		snprintf(reply->name, sizeof(reply->name), "%s", r.name);
		reply->generation = r.generation;
	}
	if (w.fd >= 0 && (rc == BL_OK || rc == BL_ERR_NOTFOUND))
		clear_stale(o, hv, w.name, migration, w.fd, w.domid);
	else if (w.fd >= 0)
		close(w.fd);
	return rc == BL_ERR_NOTFOUND ? BL_OK : rc;
}
