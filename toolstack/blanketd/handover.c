/*
 * The source's side of the two-phase handover, and resolving it
 * (docs/specs/migration-stream.md, "The handover" and "Exactly once").
 *
 * Entry points: handover_send (the session, once the destination has
 * restored the guest), handover_resume_here (any failure before go),
 * handover_resolve and handover_resolve_later (a handover cut off after
 * go: in the session, at blanketd's restart, or by hand).
 * Nomenclature: the away record (ledger.h) says which migration handed
 * NAME--migratedaway over, to which node and instance of it. It is written
 * before go and removed once the copy here is settled.
 * Order: record -> rename NAME to NAME--migratedaway -> go -> started ->
 * destroy our copy -> settled -> remove the record. Before go every
 * failure renames back and resumes; after it our copy is resumed only when
 * the destination proves it never acted on go for this migration (no
 * receipt, and the same instance that promised to keep one; or a receipt
 * that says aborted), and no other node holds a copy that runs.
 */
#include "toolstack/blanketd/handover.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/blanketd/failpoint.h"
#include "toolstack/blanketd/peer.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/mig/mig_stream.h"
#include "toolstack/tls/tls.h"

#define HANDOVER_TIMEOUT_MS 30000 /* go, started */
#define SETTLE_TIMEOUT_MS   30000 /* resolving in the session */
#define SETTLE_RETRY_S	    3
#define RESOLVE_RETRY_S	    5
#define RESOLVE_LOG_EVERY   12 /* retries between two log lines: a minute */

static void away_name(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s" HV_SUFFIX_AWAY, name);
}

/* --- before go --- */

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

/* Undo the rename and resume: the guest never ran elsewhere. */
static int take_back(const struct server_opts *o, void *hv, const char *name,
		     char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];

	away_name(away, sizeof(away), name);
	if (o->hv->rename(hv, away, name, why, sizeof(why))) {
		snprintf(err, errlen, "renaming %s back failed: %.300s", away,
			 why);
		return BL_ERR_BUSY;
	}
	if (o->hv->resume(hv, name, why, sizeof(why))) {
		snprintf(err, errlen, "resuming \"%s\" here failed: %.300s",
			 name, why);
		return BL_ERR_FAIL;
	}
	return BL_OK;
}

/* Destroy our copy, NAME--migratedaway, by its domid; then the images of
 * its writable disks go as the ledger's record of them says (removed, or
 * renamed with --keep-source): the guest runs elsewhere on its own copies,
 * and these must never be attached again. */
static int drop_copy(const struct server_opts *o, void *hv, const char *name,
		     char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16];
	struct hv_guest g;
	int rc = BL_OK;

	away_name(away, sizeof(away), name);
	if (o->hv->info(hv, away, &g) == BL_OK)
		rc = o->hv->destroy_domid(hv, g.domid, err, errlen);
	if (!rc)
		ledger_images_drop(o, LEDGER_IMAGES_HANDED, name, true);
	return rc;
}

/* The destination may drop its receipt of a migration settled here. */
static void tell_settled(const struct server_opts *o,
			 const struct ledger_away *a)
{
	char why[BL_ERRMSG_MAX];
	struct rpc_msg req, reply;

	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_MIGRATE_SETTLED;
	req.migration = a->migration;
	if (peer_call(o, &a->dest, &req, &reply, why, sizeof(why)))
		log_info("node %s did not hear that the migration settled: %s "
			 "(it keeps its receipt)",
			 a->dest.name, why);
	rpc_msg_dispose(&reply);
}

/* The copy here is settled: its away record goes, and the record of its
 * images (kept: it runs here; or already removed with it). */
static void forget(const struct server_opts *o, const char *name)
{
	if (ledger_away_remove(o, name))
		log_warnx("\"%s\": its away record stays", name);
	ledger_images_drop(o, LEDGER_IMAGES_HANDED, name, false);
}

/* --- resolving --- */

/* What the destination says of the migration. */
static int ask_status(const struct server_opts *o, const struct ledger_away *a,
		      struct rpc_msg *reply, char *err, size_t errlen)
{
	struct rpc_msg req;

	rpc_msg_init(&req);
	rpc_msg_init(reply);
	req.type = RPC_MIGRATE_STATUS;
	req.migration = a->migration;
	return peer_call(o, &a->dest, &req, reply, err, errlen);
}

/* Resume our copy: the destination never ran the guest. Only if no other
 * node holds a copy that runs, or a later one. */
static int resume_proven(const struct server_opts *o, void *hv,
			 const char *name, const struct ledger_away *a,
			 const char *proof, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX];
	int silent, rc;

	rc = peer_no_other_copy(o, name, a->generation, &silent, why,
				sizeof(why));
	if (rc == BL_ERR_BUSY) {
		snprintf(err, errlen,
			 "%s, but %.300s: the copy here stays suspended, "
			 "unresolved",
			 proof, why);
		return BL_ERR_UNRESOLVED;
	}
	rc = take_back(o, hv, name, err, errlen);
	if (rc)
		return rc;
	tell_settled(o, a);
	forget(o, name);
	snprintf(err, errlen, "%s: it runs on at %s", proof, o->node_name);
	return BL_OK;
}

/* The destination's answer, acted on. */
static int act_on_status(const struct server_opts *o, void *hv,
			 const char *name, const struct ledger_away *a,
			 const struct rpc_msg *st, bool *here_r, char *err,
			 size_t errlen)
{
	char proof[BL_ERRMSG_MAX], why[BL_ERRMSG_MAX];
	int rc;

	switch (st->status) {
	case RPC_MIGRATION_RECEIVING:
		snprintf(err, errlen, "node %s is still receiving \"%s\"",
			 a->dest.name, name);
		return BL_ERR_BUSY;
	case RPC_MIGRATION_ACCEPTED:
		rc = drop_copy(o, hv, name, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen,
				 "\"%s\" runs at %s; destroying the copy here "
				 "failed: %.300s",
				 name, a->dest.name, why);
			return BL_ERR_BUSY;
		}
		tell_settled(o, a);
		forget(o, name);
		*here_r = false;
		snprintf(err, errlen,
			 "node %s confirms \"%s\" runs there; its suspended "
			 "copy here is destroyed",
			 a->dest.name, name);
		return BL_OK;
	default:
		if (!bl_id_equal(&st->instance, &a->instance)) {
			snprintf(err, errlen,
				 "node %s has lost its records since it took "
				 "\"%s\" in (it restarted as a new instance): "
				 "the guest may run there; the copy here stays "
				 "suspended until `blanket migrate --resolve` "
				 "settles it",
				 a->dest.name, name);
			return BL_ERR_UNRESOLVED;
		}
		snprintf(proof, sizeof(proof), "node %s never started \"%s\"",
			 a->dest.name, name);
		break;
	}
	*here_r = true;
	return resume_proven(o, hv, name, a, proof, err, errlen);
}

/* By hand: resume here, or discard here, whatever the destination says. */
static int act_by_hand(const struct server_opts *o, void *hv, const char *name,
		       const struct ledger_away *a, uint32_t flags,
		       bool *here_r, char *err, size_t errlen)
{
	char why[BL_ERRMSG_MAX];
	int silent, rc;

	if (flags & RPC_RESOLVE_DISCARD_HERE) {
		rc = drop_copy(o, hv, name, why, sizeof(why));
		if (rc) {
			snprintf(err, errlen, "destroying the copy failed: %s",
				 why);
			return rc;
		}
		tell_settled(o, a);
		forget(o, name);
		*here_r = false;
		snprintf(err, errlen,
			 "the suspended copy of \"%s\" here is destroyed, by "
			 "hand",
			 name);
		return BL_OK;
	}
	rc = peer_no_other_copy(o, name, a->generation, &silent, why,
				sizeof(why));
	if (rc) {
		snprintf(err, errlen, "refused: %.400s", why);
		return rc;
	}
	rc = take_back(o, hv, name, err, errlen);
	if (rc)
		return rc;
	tell_settled(o, a);
	forget(o, name);
	*here_r = true;
	snprintf(err, errlen, "\"%s\" resumed here, by hand%s%.300s", name,
		 silent ? " (unasked: " : "", silent ? why : "");
	if (silent)
		strncat(err, ")", errlen - strlen(err) - 1);
	return BL_OK;
}

/* One resolver of name at a time: STATE_DIR/resolving-NAME, locked. */
static int lock_resolution(const struct server_opts *o, const char *name,
			   int *fd_r)
{
	char path[HV_NAME_MAX + 256];
	int fd;

	snprintf(path, sizeof(path), "%s/resolving-%s", o->state_dir, name);
	if (path_mkdirs(o->state_dir, 0700))
		return BL_ERR_IO;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return BL_ERR_IO;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return BL_ERR_BUSY;
	}
	*fd_r = fd;
	return BL_OK;
}

int handover_resolve(const struct server_opts *o, void *hv, const char *name,
		     uint32_t flags, bool *here_r, char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];
	struct ledger_away a;
	struct rpc_msg st;
	struct hv_guest g;
	int lock = -1, rc;

	*here_r = false;
	away_name(away, sizeof(away), name);
	rc = lock_resolution(o, name, &lock);
	if (rc) {
		snprintf(err, errlen, "\"%s\" is being resolved already", name);
		return BL_ERR_BUSY;
	}
	rc = ledger_away_read(o, name, &a);
	if (o->hv->info(hv, away, &g)) {
		/* Destroyed after started, the record not yet removed. */
		if (!rc) {
			tell_settled(o, &a);
			forget(o, name);
		}
		snprintf(err, errlen, "no unresolved copy of \"%s\" here",
			 name);
		rc = BL_ERR_NOTFOUND;
		goto out;
	}
	if (rc) {
		snprintf(err, errlen,
			 "no record of the migration that handed \"%s\" over: "
			 "its copy here stays suspended until `blanket "
			 "migrate --resolve` settles it",
			 name);
		rc = BL_ERR_UNRESOLVED;
		goto out;
	}
	if (flags) {
		rc = act_by_hand(o, hv, name, &a, flags, here_r, err, errlen);
		goto out;
	}
	rc = ask_status(o, &a, &st, why, sizeof(why));
	if (rc) {
		snprintf(err, errlen, "cannot ask node %s: %.300s", a.dest.name,
			 why);
		rc = BL_ERR_BUSY;
	} else {
		rc = act_on_status(o, hv, name, &a, &st, here_r, err, errlen);
	}
	rpc_msg_dispose(&st);
out:
	close(lock);
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
	while ((rc = handover_resolve(o, hv, name, 0, &here, err,
				      sizeof(err))) == BL_ERR_BUSY) {
		if (tries++ % RESOLVE_LOG_EVERY == 0)
			log_warnx("\"%s\" was handed over, and what became of "
				  "it is not known yet: %s; asking again every "
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

/* The handover was cut off after go: ask the destination for a while,
 * then leave it to a process of its own. */
static int settle(const struct server_opts *o, void *hv,
		  const struct ledger_away *a, const char *name, int cause,
		  char *err, size_t errlen)
{
	int64_t give_up = fdio_now_ms() + SETTLE_TIMEOUT_MS;
	char what[BL_ERRMSG_MAX] = "";
	bool here = false;
	int rc;

	while ((rc = handover_resolve(o, hv, name, 0, &here, what,
				      sizeof(what))) == BL_ERR_BUSY &&
	       fdio_now_ms() < give_up)
		sleep(SETTLE_RETRY_S);
	if (rc == BL_ERR_BUSY) {
		handover_resolve_later(o, name);
		snprintf(err, errlen,
			 "the handover to %s was cut off after go (%s): "
			 "\"%s\" runs there, or nowhere; its suspended copy "
			 "stays here, unresolved, until %s answers (%s asks "
			 "every few seconds; last: %.200s)",
			 a->dest.name, bl_strerror(cause), name, a->dest.name,
			 o->node_name, what);
		return BL_ERR_UNRESOLVED;
	}
	log_info("\"%s\": handover cut off after go: %s", name, what);
	if (!rc && !here)
		return BL_OK;
	snprintf(err, errlen,
		 "the handover to %s was cut off after go (%s): %.300s",
		 a->dest.name, bl_strerror(cause), what);
	return rc ? rc : BL_ERR_FAIL;
}

/* --- the handover --- */

/* After the rename and before go: anything that fails renames back. */
static void undo_rename(const struct server_opts *o, void *hv, const char *name,
			char *err, size_t errlen)
{
	char away[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];

	away_name(away, sizeof(away), name);
	if (o->hv->rename(hv, away, name, why, sizeof(why)) == BL_OK) {
		forget(o, name);
		handover_resume_here(o, hv, name, err, errlen);
	}
}

int handover_send(const struct server_opts *o, void *hv,
		  struct client_conn *dst, const struct ledger_away *a,
		  const char *name, int64_t *started_r, char *err,
		  size_t errlen)
{
	char away[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX];
	struct mig_ctl c;
	int rc;

	away_name(away, sizeof(away), name);
	rc = ledger_away_write(o, name, a);
	if (rc)
		snprintf(err, errlen, "cannot record the handover in %s",
			 o->state_dir);
	else
		rc = o->hv->rename(hv, name, away, err, errlen);
	if (rc) {
		forget(o, name);
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
		failpoint("source-after-go");
	if (!rc)
		rc = mig_ctl_recv(&dst->s, MIG_REC_STARTED, &c, why,
				  sizeof(why));
	*started_r = fdio_now_ms();
	if (!rc && c.type == MIG_REC_ABORT) {
		/* The destination destroyed its copy before it said so. */
		snprintf(err, errlen,
			 "node %s could not start the guest: %.400s", dst->node,
			 c.message);
		undo_rename(o, hv, name, err, errlen);
		return BL_ERR_FAIL;
	}
	if (rc) {
		/* Closed first: the destination acts on what it has read
		 * only once the connection ends. */
		client_close(dst);
		dst->s.ops = NULL;
		return settle(o, hv, a, name, rc, err, errlen);
	}
	rc = drop_copy(o, hv, name, why, sizeof(why));
	if (rc) {
		/* The record stays: the copy is resolved later, by ID. */
		log_warnx("destroying %s after the move: %s", away, why);
		handover_resolve_later(o, name);
		return BL_OK;
	}
	c.type = MIG_REC_SETTLED;
	if (mig_ctl_send(&dst->s, &c))
		tell_settled(o, a);
	forget(o, name);
	return BL_OK;
}
