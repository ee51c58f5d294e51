/*
 * The source's side of the two-phase handover, and resolving it
 * (docs/specs/migration-stream.md, "Handover" and "Resolving UNKNOWN").
 *
 * Entry points: handover_send (the session, once the destination has
 * restored the guest), handover_resume_here (any failure before go),
 * handover_resolve and handover_resolve_later (a handover cut off after
 * go, in the session or at blanketd's restart).
 * Nomenclature: the record is STATE_DIR/away-NAME, one line "NODE HOST
 * PORT": where NAME--migratedaway was handed over to. It is written before
 * go and removed once the outcome is known.
 * Order: record -> rename NAME to NAME--migratedaway -> go -> started ->
 * destroy NAME--migratedaway -> remove the record. Before go every failure
 * renames back and resumes; after it the guest is never resumed here
 * unless the destination proves it never started it.
 */
#include "toolstack/blanketd/handover.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/mig/mig_stream.h"
#include "toolstack/tls/tls.h"

#define HANDOVER_TIMEOUT_MS 30000 /* go, started */
#define SETTLE_TIMEOUT_MS   30000 /* resolving UNKNOWN in the session */
#define SETTLE_RETRY_S	    3
#define RESOLVE_RETRY_S	    5
#define RESOLVE_LOG_EVERY   12 /* retries between two log lines: a minute */

/* --- the record --- */

static void record_path(const struct server_opts *o, const char *name,
			char *path, size_t len)
{
	snprintf(path, len, "%s/away-%s", o->state_dir, name);
}

static int record_write(const struct server_opts *o, const char *name,
			const struct cluster_node *dest)
{
	char path[512], tmp[520];
	FILE *f;
	int ok;

	record_path(o, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (path_mkdirs(o->state_dir, 0700))
		return BL_ERR_IO;
	f = fopen(tmp, "we");
	if (!f)
		return BL_ERR_IO;
	ok = fprintf(f, "%s %s %d\n", dest->name, dest->host, dest->port) > 0;
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return BL_ERR_IO;
	}
	return BL_OK;
}

static void record_remove(const struct server_opts *o, const char *name)
{
	char path[512];

	record_path(o, name, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("%s", path);
}

static int record_read(const struct server_opts *o, const char *name,
		       struct cluster_node *dest)
{
	char path[512], line[400];
	FILE *f;
	int ok;

	record_path(o, name, path, sizeof(path));
	f = fopen(path, "re");
	if (!f)
		return BL_ERR_NOTFOUND;
	memset(dest, 0, sizeof(*dest));
	ok = fgets(line, sizeof(line), f) &&
	     sscanf(line, "%63s %255s %d", dest->name, dest->host,
		    &dest->port) == 3 &&
	     dest->port > 0 && dest->port < 65536;
	fclose(f);
	return ok ? BL_OK : BL_ERR_PROTO;
}

/* --- before go --- */

/* Resume the guest here after a failure before `go`; err keeps the reason
 * and says where the guest is. */
void handover_resume_here(const struct server_opts *o, void *hv,
			  const char *name, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX];
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

/* --- resolving a handover cut off after go --- */

/* A one-name request to the destination; the guest record of guest-info in
 * *g_r. */
static int ask(struct client_conn *conn, uint32_t type, const char *name,
	       struct hv_guest *g_r, char *err, size_t errlen)
{
	struct rpc_msg req, reply;
	int rc;

	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = type;
	snprintf(req.name, sizeof(req.name), "%s", name);
	rc = client_call(conn, &req, &reply, err, errlen);
	if (!rc && g_r)
		*g_r = reply.guest;
	rpc_msg_dispose(&req);
	rpc_msg_dispose(&reply);
	return rc;
}

/* The destination runs name: make sure it is not left paused (its daemon
 * may have died between the rename and the unpause), then drop our copy. */
static int settle_there(const struct server_opts *o, void *hv,
			struct client_conn *conn, const char *name,
			const char *away, const struct hv_guest *there,
			char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX];

	if (there->state == HV_STATE_PAUSED &&
	    ask(conn, RPC_GUEST_UNPAUSE, name, NULL, why, sizeof(why))) {
		snprintf(err, errlen,
			 "node %s has \"%s\" paused and did not "
			 "unpause it: %.300s",
			 conn->node, name, why);
		return BL_ERR_BUSY;
	}
	if (o->hv->destroy(hv, away, why, sizeof(why))) {
		snprintf(err, errlen,
			 "\"%s\" runs at %s; destroying %s here "
			 "failed: %.300s",
			 name, conn->node, away, why);
		return BL_ERR_BUSY;
	}
	snprintf(err, errlen,
		 "node %s confirms \"%s\" runs there; its "
		 "suspended copy here is destroyed",
		 conn->node, name);
	return BL_OK;
}

/* The destination has neither name nor name--incoming: it never ran the
 * guest and never will, so it goes on here. */
static int settle_here(const struct server_opts *o, void *hv, const char *node,
		       const char *name, const char *away, char *err,
		       size_t errlen)
{
	char why[BL_ERRMSG_MAX];

	if (o->hv->rename(hv, away, name, why, sizeof(why))) {
		snprintf(err, errlen, "renaming %s back failed: %.300s", away,
			 why);
		return BL_ERR_BUSY;
	}
	if (o->hv->resume(hv, name, why, sizeof(why))) {
		snprintf(err, errlen,
			 "node %s never started \"%s\", and "
			 "resuming it here failed: %.300s",
			 node, name, why);
		return BL_ERR_FAIL;
	}
	snprintf(err, errlen, "node %s never started \"%s\": it runs on at %s",
		 node, name, o->node_name);
	return BL_OK;
}

int handover_resolve(const struct server_opts *o, void *hv, const char *name,
		     bool *here_r, char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16], incoming[HV_NAME_MAX + 16];
	struct client_conn conn = {.s.ops = NULL};
	struct tls_ctx *tls = NULL;
	struct cluster_node dest;
	struct hv_guest g;
	int rc;

	snprintf(away, sizeof(away), "%s" MIGRATE_AWAY, name);
	snprintf(incoming, sizeof(incoming), "%s" MIGRATE_INCOMING, name);
	if (o->hv->info(hv, away, &g)) {
		snprintf(err, errlen, "no guest named \"%s\" here", away);
		record_remove(o, name);
		return BL_ERR_NOTFOUND;
	}
	rc = record_read(o, name, &dest);
	if (rc) {
		snprintf(err, errlen,
			 "no record of the node \"%s\" was handed "
			 "over to: %s stays suspended",
			 name, away);
		return rc;
	}
	rc = tls_ctx_new(TLS_CLIENT, o->ca_file, o->cert_file, o->key_file,
			 &tls);
	if (rc)
		snprintf(err, errlen, "this node's credentials are unusable");
	else
		rc = client_connect(tls, &dest, &conn, err, errlen);
	if (rc) {
		tls_ctx_free(tls);
		return BL_ERR_BUSY;
	}
	rc = ask(&conn, RPC_GUEST_INFO, name, &g, err, errlen);
	if (!rc) {
		rc = settle_there(o, hv, &conn, name, away, &g, err, errlen);
		*here_r = false;
	} else if (rc == BL_ERR_NOTFOUND) {
		rc = ask(&conn, RPC_GUEST_INFO, incoming, NULL, err, errlen);
		if (!rc) {
			snprintf(err, errlen, "node %s still holds %s",
				 dest.name, incoming);
			rc = BL_ERR_BUSY;
		} else if (rc == BL_ERR_NOTFOUND) {
			rc = settle_here(o, hv, dest.name, name, away, err,
					 errlen);
			*here_r = true;
		} else {
			rc = BL_ERR_BUSY;
		}
	} else {
		rc = BL_ERR_BUSY;
	}
	client_close(&conn);
	tls_ctx_free(tls);
	if (rc != BL_ERR_BUSY)
		record_remove(o, name);
	return rc;
}

static void resolve_until_settled(const struct server_opts *o, const char *name)
{
	char err[BL_ERRMSG_MAX] = "";
	void *hv = NULL;
	bool here;
	int rc, tries = 0;

	if (o->hv->open(&hv)) {
		log_warnx("\"%s\": cannot open the hypervisor to resolve its "
			  "migration",
			  name);
		return;
	}
	while ((rc = handover_resolve(o, hv, name, &here, err, sizeof(err))) ==
	       BL_ERR_BUSY) {
		if (tries++ % RESOLVE_LOG_EVERY == 0)
			log_warnx("\"%s\" was handed over, and where it runs "
				  "is not known yet: %s; asking again every "
				  "%d s",
				  name, err, RESOLVE_RETRY_S);
		sleep(RESOLVE_RETRY_S);
	}
	if (rc)
		log_warnx("\"%s\": %s", name, err);
	else
		log_info("\"%s\": %s", name, err);
	o->hv->close(hv);
}

void handover_resolve_later(const struct server_opts *o, const char *name)
{
	pid_t pid = fork();

	if (pid < 0) {
		log_warn("fork");
		return;
	}
	if (pid > 0) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	/* A grandchild, which init reaps; it must not hold the daemon's
	 * listeners or connections, or a restarted daemon could not bind. */
	if (fork() != 0)
		_exit(0);
	close_range(3, ~0U, 0);
	resolve_until_settled(o, name);
	_exit(0);
}

/* The handover was cut off after go (UNKNOWN): ask the destination for a
 * while, then leave it to a process of its own. BL_OK if the guest runs
 * there. */
static int settle(const struct server_opts *o, void *hv, const char *node,
		  const char *name, int cause, char *err, size_t errlen)
{
	int64_t give_up = fdio_now_ms() + SETTLE_TIMEOUT_MS;
	char what[BL_ERRMSG_MAX] = "";
	bool here = false;
	int rc;

	while ((rc = handover_resolve(o, hv, name, &here, what,
				      sizeof(what))) == BL_ERR_BUSY &&
	       fdio_now_ms() < give_up)
		sleep(SETTLE_RETRY_S);
	if (rc == BL_ERR_BUSY) {
		handover_resolve_later(o, name);
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

/* --- the handover --- */

/* After restored: record the destination, rename away, go, started,
 * destroy the old copy. */
int handover_send(const struct server_opts *o, void *hv,
		  struct client_conn *dst, const struct cluster_node *dn,
		  const char *name, char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];
	struct mig_ctl c;
	int rc;

	snprintf(away, sizeof(away), "%s" MIGRATE_AWAY, name);
	rc = record_write(o, name, dn);
	if (rc)
		snprintf(err, errlen, "cannot record the handover in %s",
			 o->state_dir);
	else
		rc = o->hv->rename(hv, name, away, err, errlen);
	if (rc) {
		record_remove(o, name);
		if (mig_send_abort(&dst->s, rc, err))
			log_debug("abort not sent");
		handover_resume_here(o, hv, name, err, errlen);
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
			record_remove(o, name);
			handover_resume_here(o, hv, name, err, errlen);
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
	record_remove(o, name);
	return BL_OK;
}
