/*
 * Live migration, the destination's side (docs/specs/migration-stream.md).
 *
 * Entry point: migrate_dest (a source's migrate-receive).
 * Nomenclature: the guest is NAME; it is restored, paused, as
 * NAME--incoming by libxl's restore in a worker process
 * (migrate_worker.c), fed by this session's stream decoder
 * (toolstack/mig/).
 * Order: refuse a name in use -> OK -> decode the stream into the restore
 * -> stream-end -> restored -> go -> rename NAME--incoming to NAME and
 * unpause -> started. Until go every failure destroys NAME--incoming and
 * answers abort ("never here"); once started, the guest is ours.
 */
#include "toolstack/blanketd/migrate.h"

#include <stdio.h>
#include <string.h>

#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/migrate_worker.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/mig/mig_stream.h"

#define PAYLOAD_TIMEOUT_MS  30000 /* between payload records */
#define HANDOVER_TIMEOUT_MS 30000 /* restored to go */

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
static int pump_restore(struct bl_stream *s, struct migrate_worker *w,
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

static void destroy_if_there(const struct server_opts *o, void *hv,
			     const char *name)
{
	char why[BL_ERRMSG_MAX];
	struct hv_guest g;

	if (o->hv->info(hv, name, &g) == BL_OK &&
	    o->hv->destroy(hv, name, why, sizeof(why)))
		log_warnx("destroying %s: %s", name, why);
}

/* restored -> go: BL_OK once the source said go. */
static int await_go(const struct server_opts *o, void *hv, struct bl_stream *s,
		    const char *incoming, char *err, size_t errlen)
{
	struct hv_guest g;
	struct mig_ctl c;
	int rc = o->hv->info(hv, incoming, &g);

	mig_ctl_init(&c);
	if (!rc) {
		c.type = MIG_REC_RESTORED;
		c.domid = g.domid;
		s->deadline_ms = fdio_now_ms() + HANDOVER_TIMEOUT_MS;
		rc = mig_ctl_send(s, &c);
	}
	if (!rc)
		rc = mig_ctl_recv(s, MIG_REC_GO, &c, err, errlen);
	if (!rc && c.type == MIG_REC_ABORT) {
		snprintf(err, errlen, "the source gave up: %.400s", c.message);
		rc = BL_ERR_FAIL;
	}
	return rc;
}

/* go: the guest becomes NAME, this toolstack's, running. */
static int take_over(const struct server_opts *o, void *hv,
		     const char *incoming, const char *name, char *err,
		     size_t errlen)
{
	int rc = o->hv->rename(hv, incoming, name, err, errlen);

	if (!rc)
		rc = o->hv->adopt(hv, name, err, errlen);
	if (rc) {
		destroy_if_there(o, hv, incoming);
		destroy_if_there(o, hv, name);
	}
	return rc;
}

void migrate_dest(const struct server_opts *o, void *hv, struct bl_stream *s,
		  const struct rpc_msg *req, const char *peer)
{
	struct migrate_worker w = MIGRATE_WORKER_NONE;
	char incoming[HV_NAME_MAX + 16], err[BL_ERRMSG_MAX] = "";
	struct restore_arg arg = {req->config, incoming};
	struct mig_stats ms = {0};
	struct rpc_msg reply;
	struct hv_guest g;
	struct mig_ctl c;
	int64_t ended, restored, go;
	int rc;

	snprintf(incoming, sizeof(incoming), "%s" MIGRATE_INCOMING, req->name);
	if (o->hv->info(hv, req->name, &g) == BL_OK ||
	    o->hv->info(hv, incoming, &g) == BL_OK) {
		snprintf(err, sizeof(err),
			 "node %s already has a guest named \"%s\"",
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
	rc = migrate_worker_start(o, restore_worker, &arg, &w);
	if (!rc)
		rc = pump_restore(s, &w, &ms, err, sizeof(err));
	ended = fdio_now_ms();
	if (w.pid > 0 && migrate_worker_wait(&w, "restore", err, sizeof(err)) &&
	    !rc)
		rc = BL_ERR_FAIL;
	restored = fdio_now_ms();
	if (!rc)
		rc = await_go(o, hv, s, incoming, err, sizeof(err));
	go = fdio_now_ms();
	if (rc) {
		/* Destroyed first: an abort from here means "never here". */
		destroy_if_there(o, hv, incoming);
		log_warnx("%s: receiving \"%s\" failed: %s", peer, req->name,
			  err);
	} else {
		rc = take_over(o, hv, incoming, req->name, err, sizeof(err));
	}
	if (rc) {
		if (mig_send_abort(s, rc, err))
			log_debug("%s left", peer);
		return;
	}
	mig_ctl_init(&c);
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
