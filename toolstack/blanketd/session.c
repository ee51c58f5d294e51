/*
 * One client connection of blanketd, in its own process.
 *
 * Order: version handshake -> open the hypervisor -> loop: read a request,
 * check that the caller's role may make it (access.h) and the guest name it
 * carries, look its handler up in the table, reply OK with the result or
 * ERROR with a code and message -> a guest-console request turns the
 * connection into a console session (console.c) until either side
 * detaches.
 * A protocol error gets an ERROR and ends the connection; an operation that
 * fails gets an ERROR and the connection goes on (docs/specs/rpc.md).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drivers/blk/blk_ctl.h"
#include "toolstack/blanketd/access.h"
#include "toolstack/blanketd/benchmarks.h"
#include "toolstack/blanketd/console.h"
#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/names.h"
#include "toolstack/blanketd/overlay.h"
#include "toolstack/blanketd/shutdowns.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/blanketd/migrate.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/common/array.h"

/* A connection idle for this long between requests is closed: it holds
 * one of the node's sessions (slots.h). Not one that holds a name, nor
 * one whose benchmark server runs (until it stops by itself). */
#define IDLE_TIMEOUT_MS 60000
/* Replies must go out within this. */
#define REPLY_TIMEOUT_MS 30000

struct session {
	const struct server_opts *o;
	struct bl_stream *s;
	const char *peer;
	enum ca_role role; /* what the peer may do (access.h) */
	void *hv;	   /* NULL when the hypervisor could not be opened */
	int held;	   /* name-hold's lock, -1: none */
	char held_name[HV_NAME_MAX];
	struct bench_server bench; /* bench-serve's */
};

/* Handlers fill reply (an OK) or return an error with err set. */
typedef int (*handler_fn)(struct session *ss, const struct rpc_msg *req,
			  struct rpc_msg *reply, char *err, size_t errlen);

static int h_node_info(struct session *ss, const struct rpc_msg *req,
		       struct rpc_msg *reply, char *err, size_t errlen)
{
	(void)req;
	(void)err;
	(void)errlen;
	snprintf(reply->node, sizeof(reply->node), "%s", ss->o->node_name);
	snprintf(reply->l0, sizeof(reply->l0), "%s", ss->o->l0);
	overlay_describe(ss->o->overlay, &reply->overlay);
	return ss->o->hv->node_info(ss->hv, &reply->node_info);
}

/* A copy handed over and not settled (NAME--migratedaway) is shown as
 * NAME, unresolved, with its migration and the node it went to. */
static void show_unresolved(const struct server_opts *o, struct hv_guest *g)
{
	size_t len = strlen(g->name), n = strlen(HV_SUFFIX_AWAY);
	struct ledger_away a;

	if (len <= n || strcmp(g->name + len - n, HV_SUFFIX_AWAY))
		return;
	g->name[len - n] = '\0';
	g->state = HV_STATE_UNRESOLVED;
	if (ledger_away_read(o, g->name, &a) == BL_OK) {
		g->migration = a.migration;
		snprintf(g->handed_to, sizeof(g->handed_to), "%s", a.dest.name);
	}
}

static int h_list(struct session *ss, const struct rpc_msg *req,
		  struct rpc_msg *reply, char *err, size_t errlen)
{
	size_t n = 0;
	int rc;

	(void)req;
	(void)err;
	(void)errlen;
	rc = ss->o->hv->list(ss->hv, &reply->guests, &n);
	reply->n_guests = (uint32_t)n;
	for (size_t i = 0; !rc && i < n; i++)
		show_unresolved(ss->o, &reply->guests[i]);
	return rc;
}

/* The disks of the domain named name, for a guest record: what serves
 * each (blanket-blk, when its migration channel is there). A guest whose
 * disks cannot be listed is shown without them. */
static void show_disks(struct session *ss, const char *name,
		       struct rpc_msg *reply)
{
	char why[BL_ERRMSG_MAX], sock[128];
	struct hv_disk_state *d;
	size_t n = 0;

	d = calloc(HV_DISKS_MAX, sizeof(*d));
	if (!d || ss->o->hv->disks(ss->hv, name, d, &n, why, sizeof(why))) {
		free(d);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		blk_ctl_path(sock, sizeof(sock), BLK_CTL_DIR,
			     reply->guest.domid, d[i].disk.devid);
		if (access(sock, F_OK) == 0)
			snprintf(d[i].backend, sizeof(d[i].backend),
				 "blanket-blk");
	}
	reply->disks = d;
	reply->n_disks = (uint32_t)n;
}

/* The vifs of the domain named name, for a guest record; a guest whose
 * vifs cannot be listed is shown without them. */
static void show_vifs(struct session *ss, const char *name,
		      struct rpc_msg *reply)
{
	char why[BL_ERRMSG_MAX];
	struct hv_vif_state *v = calloc(HV_VIFS_MAX, sizeof(*v));
	size_t n = 0;

	if (!v || ss->o->hv->vifs(ss->hv, name, v, &n, why, sizeof(why))) {
		free(v);
		return;
	}
	reply->vifs = v;
	reply->n_vifs = (uint32_t)n;
}

/* A guest record's devices. */
static void show_devices(struct session *ss, const char *name,
			 struct rpc_msg *reply)
{
	show_disks(ss, name, reply);
	show_vifs(ss, name, reply);
}

static int h_info(struct session *ss, const struct rpc_msg *req,
		  struct rpc_msg *reply, char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16];
	int rc = ss->o->hv->info(ss->hv, req->name, &reply->guest);

	snprintf(away, sizeof(away), "%s" HV_SUFFIX_AWAY, req->name);
	if (rc == BL_ERR_NOTFOUND &&
	    ss->o->hv->info(ss->hv, away, &reply->guest) == BL_OK) {
		show_unresolved(ss->o, &reply->guest);
		show_devices(ss, away, reply);
		return BL_OK;
	}
	if (rc == BL_ERR_NOTFOUND)
		snprintf(err, errlen, "no guest named \"%s\"", req->name);
	if (!rc)
		show_devices(ss, req->name, reply);
	return rc;
}

/* The name is held on every node while the guest is created: no other
 * create, no migration of that name anywhere meanwhile (names.h). */
static int h_create(struct session *ss, const struct rpc_msg *req,
		    struct rpc_msg *reply, char *err, size_t errlen)
{
	struct names_claim claim;
	char name[HV_NAME_MAX];
	int rc = hv_config_name(req->source, req->config, req->config_len, name,
				sizeof(name), err, errlen);

	if (!rc)
		rc = names_claim(ss->o, ss->hv, name, &claim, err, errlen);
	if (rc)
		return rc;
	rc = ss->o->hv->create(ss->hv, ss->o->policy, req->source, req->config,
			       req->config_len, &reply->guest, err, errlen);
	names_release(ss->o, name, &claim);
	if (!rc)
		show_devices(ss, name, reply);
	return rc;
}

/* Node to node: hold a name here for a create elsewhere, until this
 * connection ends. */
static int h_name_hold(struct session *ss, const struct rpc_msg *req,
		       struct rpc_msg *reply, char *err, size_t errlen)
{
	int rc;

	(void)reply;
	if (ss->held >= 0) {
		snprintf(err, errlen, "this connection holds a name already");
		return BL_ERR_BUSY;
	}
	rc = names_hold(ss->o, ss->hv, req->name, &ss->held, err, errlen);
	if (!rc)
		snprintf(ss->held_name, sizeof(ss->held_name), "%s", req->name);
	return rc;
}

static int h_destroy(struct session *ss, const struct rpc_msg *req,
		     struct rpc_msg *reply, char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16];
	struct hv_guest g;
	int rc = ss->o->hv->destroy(ss->hv, req->name, err, errlen);

	snprintf(away, sizeof(away), "%s" HV_SUFFIX_AWAY, req->name);
	(void)reply;
	if (rc == BL_ERR_NOTFOUND && ss->o->hv->info(ss->hv, away, &g) == BL_OK)
		snprintf(err, errlen,
			 "\"%s\" here is an unresolved copy; `blanket "
			 "migrate --resolve %s --discard-here` destroys it",
			 req->name, req->name);
	return rc;
}

/* Without `wait`, the guest is asked and the reply goes at once; a forced
 * shutdown then comes due in the main loop (shutdowns.h). */
static int h_shutdown(struct session *ss, const struct rpc_msg *req,
		      struct rpc_msg *reply, char *err, size_t errlen)
{
	bool force = req->flags & RPC_SHUTDOWN_FORCE;
	struct hv_guest g;
	int rc;

	(void)reply;
	if (req->flags & RPC_SHUTDOWN_WAIT)
		return ss->o->hv->shutdown(
		    ss->hv, req->name, (int)req->timeout_s, force, err, errlen);
	rc = ss->o->hv->info(ss->hv, req->name, &g);
	if (rc == BL_ERR_NOTFOUND)
		snprintf(err, errlen, "no guest named \"%s\"", req->name);
	if (!rc)
		rc = ss->o->hv->shutdown(ss->hv, req->name, 0, false, err,
					 errlen);
	if (rc || !force || req->timeout_s == 0)
		return rc;
	rc = shutdowns_add(ss->o->shutdowns, g.domid, req->name,
			   fdio_now_ms() + (int64_t)req->timeout_s * 1000);
	if (rc)
		snprintf(err, errlen,
			 "node %s has %d forced shutdowns pending already; "
			 "the guest was asked to shut down",
			 ss->o->node_name, SHUTDOWNS_MAX);
	return rc;
}

static int h_reboot(struct session *ss, const struct rpc_msg *req,
		    struct rpc_msg *reply, char *err, size_t errlen)
{
	(void)reply;
	return ss->o->hv->reboot(ss->hv, req->name, err, errlen);
}

static int h_pause(struct session *ss, const struct rpc_msg *req,
		   struct rpc_msg *reply, char *err, size_t errlen)
{
	(void)reply;
	return ss->o->hv->pause(ss->hv, req->name, err, errlen);
}

static int h_unpause(struct session *ss, const struct rpc_msg *req,
		     struct rpc_msg *reply, char *err, size_t errlen)
{
	(void)reply;
	return ss->o->hv->unpause(ss->hv, req->name, err, errlen);
}

/* Node to node: what this node did with a migration into it. */
static int h_migrate_status(struct session *ss, const struct rpc_msg *req,
			    struct rpc_msg *reply, char *err, size_t errlen)
{
	int rc = migrate_dest_status(ss->o, ss->hv, &req->migration, reply);

	if (rc)
		snprintf(err, errlen, "cannot read this node's records: %s",
			 bl_strerror(rc));
	return rc;
}

/* Node to node: the source settled its copy; the receipt may go. */
static int h_migrate_settled(struct session *ss, const struct rpc_msg *req,
			     struct rpc_msg *reply, char *err, size_t errlen)
{
	(void)reply;
	(void)err;
	(void)errlen;
	return ledger_receipt_remove(ss->o, &req->migration);
}

static int h_migrate_resolve(struct session *ss, const struct rpc_msg *req,
			     struct rpc_msg *reply, char *err, size_t errlen)
{
	bool here;
	int rc = handover_resolve(ss->o, ss->hv, req->name, req->flags, &here,
				  err, errlen);

	if (!rc)
		snprintf(reply->message, sizeof(reply->message), "%s", err);
	return rc;
}

/* The workload may run longer than a reply's usual time: the reply's
 * deadline starts once it is done. */
static int h_bench_run(struct session *ss, const struct rpc_msg *req,
		       struct rpc_msg *reply, char *err, size_t errlen)
{
	int rc = benchmarks_run(ss->o, req, reply, err, errlen);

	ss->s->deadline_ms = fdio_now_ms() + REPLY_TIMEOUT_MS;
	return rc;
}

static int h_bench_serve(struct session *ss, const struct rpc_msg *req,
			 struct rpc_msg *reply, char *err, size_t errlen)
{
	return benchmarks_serve(ss->o, &ss->bench, ss->s->fd, req, reply, err,
				errlen);
}

static const handler_fn handlers[] = {
    [RPC_NODE_INFO] = h_node_info,
    [RPC_GUEST_LIST] = h_list,
    [RPC_GUEST_INFO] = h_info,
    [RPC_GUEST_CREATE] = h_create,
    [RPC_GUEST_DESTROY] = h_destroy,
    [RPC_GUEST_SHUTDOWN] = h_shutdown,
    [RPC_GUEST_REBOOT] = h_reboot,
    [RPC_GUEST_PAUSE] = h_pause,
    [RPC_GUEST_UNPAUSE] = h_unpause,
    [RPC_MIGRATE_STATUS] = h_migrate_status,
    [RPC_MIGRATE_SETTLED] = h_migrate_settled,
    [RPC_MIGRATE_RESOLVE] = h_migrate_resolve,
    [RPC_NAME_HOLD] = h_name_hold,
    [RPC_BENCH_RUN] = h_bench_run,
    [RPC_BENCH_SERVE] = h_bench_serve,
};

/* Open the guest's console and reply; BL_OK means the connection is now a
 * console session. */
static int start_console(struct session *ss, const struct rpc_msg *req,
			 int *pty_r, char *err, size_t errlen)
{
	char path[256];
	int rc, fd;

	rc = ss->o->hv->console_path(ss->hv, req->name, path, sizeof(path), err,
				     errlen);
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s's console %s", req->name,
			 path);
		return BL_ERR_IO;
	}
	*pty_r = fd;
	return BL_OK;
}

/* Serve one request; BL_ERR_EOF/BL_ERR_PROTO/stream errors end the
 * connection. */
static int serve_one(struct session *ss)
{
	struct rpc_msg req, reply;
	char err[BL_ERRMSG_MAX] = "", shown[HV_NAME_MAX * 4];
	int rc, pty = -1;

	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	/* A session that holds a name for a create elsewhere waits as long
	 * as its holder lives: a hold that lapsed while the holder still
	 * creates would let a second copy be made (found by the chaos run). */
	ss->s->deadline_ms =
	    ss->held >= 0 ? -1 : fdio_now_ms() + IDLE_TIMEOUT_MS;
	/* Nor one whose benchmark server still runs: its client measures
	 * against it and has nothing to ask meanwhile (found by a bench of
	 * ten runs, whose peer's server stopped after a minute). */
	if (ss->held < 0 && ss->bench.pid > 0 &&
	    ss->bench.until_ms > ss->s->deadline_ms)
		ss->s->deadline_ms = ss->bench.until_ms;
	rc = rpc_recv(ss->s, &req, err, sizeof(err));
	ss->s->deadline_ms = fdio_now_ms() + REPLY_TIMEOUT_MS;
	if (rc == BL_ERR_PROTO || (!rc && !rpc_type_is_request(req.type))) {
		if (!rc)
			snprintf(err, sizeof(err), "unexpected %s",
				 rpc_type_name(req.type));
		log_warnx("%s: protocol error: %s", ss->peer, err);
		if (rpc_send_error(ss->s, req.id, BL_ERR_PROTO, err))
			log_debug("%s left before the error reply", ss->peer);
		rc = BL_ERR_PROTO;
		goto out;
	}
	if (rc)
		goto out; /* the peer left or stalled */
	reply.type = RPC_OK;
	reply.id = req.id;
	reply.request = req.type;
	rc = access_check(ss->role, req.type, ss->peer, err, sizeof(err));
	if (!rc && req.name[0])
		rc = hv_check_name(req.name, err, sizeof(err));
	if (rc) {
		/* the refusal is logged and sent below */
	} else if (!ss->hv) {
		rc = BL_ERR_FAIL;
		snprintf(err, sizeof(err),
			 "node %s: the hypervisor is not "
			 "available",
			 ss->o->node_name);
	} else if (req.type == RPC_GUEST_CONSOLE) {
		rc = start_console(ss, &req, &pty, err, sizeof(err));
	} else if (req.type == RPC_MIGRATE_RECEIVE) {
		migrate_dest(ss->o, ss->hv, ss->s, &req, ss->peer);
		rc = BL_ERR_EOF; /* the connection ends with it */
		goto out;
	} else if (req.type == RPC_GUEST_MIGRATE) {
		rc = migrate_source(ss->o, ss->hv, ss->s, &req, &reply.migrate,
				    err, sizeof(err));
	} else if (req.type < ARRAY_LEN(handlers) && handlers[req.type]) {
		rc = handlers[req.type](ss, &req, &reply, err, sizeof(err));
	} else {
		snprintf(err, sizeof(err), "%s is not served here",
			 rpc_type_name(req.type));
		rc = BL_ERR_PROTO;
	}
	log_info("%s: %s%s%s: %s", ss->peer, rpc_type_name(req.type),
		 req.name[0] ? " " : "",
		 log_escape(req.name, shown, sizeof(shown)), rc ? err : "ok");
	if (rc) {
		rc = rpc_send_error(ss->s, req.id, rc, err[0] ? err : NULL);
		goto out;
	}
	rc = rpc_send(ss->s, &reply);
	if (!rc && pty >= 0) {
		ss->s->deadline_ms = -1;
		rc = console_relay(ss->s, req.id, pty, ss->peer);
		if (!rc)
			rc = BL_ERR_EOF; /* a console session ends the
					    connection */
	}
out:
	if (pty >= 0)
		close(pty);
	rpc_msg_dispose(&req);
	rpc_msg_dispose(&reply);
	return rc;
}

void session_run(const struct server_opts *o, struct bl_stream *s,
		 const char *peer, enum ca_role role)
{
	struct session ss = {
	    .o = o, .s = s, .peer = peer, .role = role, .held = -1};
	char err[BL_ERRMSG_MAX] = "";
	uint32_t version;

	s->deadline_ms = fdio_now_ms() + REPLY_TIMEOUT_MS;
	if (rpc_server_hello(s, &version, err, sizeof(err))) {
		log_warnx("%s: refused: %s", peer, err);
		return;
	}
	bench_server_init(&ss.bench);
	if (o->hv->open(&ss.hv))
		log_warnx("cannot open the %s hypervisor", o->hv->name);
	while (serve_one(&ss) == BL_OK)
		;
	names_let_go(o, ss.held_name, ss.held);
	bench_server_stop(&ss.bench);
	if (ss.hv)
		o->hv->close(ss.hv);
}
