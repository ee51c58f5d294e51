/*
 * Migrations that were cut off: the record of a handover, resolving
 * UNKNOWN, and the restart (docs/specs/migration-stream.md).
 *
 * Entry points: away_record_write/remove (the source, around `go`),
 * migrate_resolve (ask the destination, act on its answer),
 * migrate_resolve_later (the same in a detached process, until settled),
 * migrate_recover (blanketd's start).
 * The record is STATE_DIR/away-NAME, one line "NODE HOST PORT": where
 * NAME--migratedaway was handed over to.
 */
#include "migrate_recover.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "log.h"
#include "tls.h"

#define RESOLVE_RETRY_S	  5
#define RESOLVE_LOG_EVERY 12 /* retries between two log lines: a minute */

static void record_path(const struct server_opts *o, const char *name,
			char *path, size_t len)
{
	snprintf(path, len, "%s/away-%s", o->state_dir, name);
}

int away_record_write(const struct server_opts *o, const char *name,
		      const struct cluster_node *dest)
{
	char path[512], tmp[520];
	FILE *f;
	int ok;

	record_path(o, name, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	mkdir(o->state_dir, 0700);
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

void away_record_remove(const struct server_opts *o, const char *name)
{
	char path[512];

	record_path(o, name, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("%s", path);
}

static int away_record_read(const struct server_opts *o, const char *name,
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
	char why[HV_ERRMSG_MAX];

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
	char why[HV_ERRMSG_MAX];

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

int migrate_resolve(const struct server_opts *o, void *hv, const char *name,
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
		away_record_remove(o, name);
		return BL_ERR_NOTFOUND;
	}
	rc = away_record_read(o, name, &dest);
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
		away_record_remove(o, name);
	return rc;
}

static void resolve_until_settled(const struct server_opts *o, const char *name)
{
	char err[HV_ERRMSG_MAX] = "";
	void *hv = NULL;
	bool here;
	int rc, tries = 0;

	if (o->hv->open(&hv)) {
		log_warnx("\"%s\": cannot open the hypervisor to resolve its "
			  "migration",
			  name);
		return;
	}
	while ((rc = migrate_resolve(o, hv, name, &here, err, sizeof(err))) ==
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

void migrate_resolve_later(const struct server_opts *o, const char *name)
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

/* No migration survives a restart: their locks go. */
static void remove_locks(const struct server_opts *o)
{
	DIR *d = opendir(o->state_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "migrating-", 10) &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0)
			log_warn("%s/%s", o->state_dir, e->d_name);
	closedir(d);
}

static bool has_suffix(const char *s, const char *suffix, size_t *base_r)
{
	size_t l = strlen(s), n = strlen(suffix);

	*base_r = l - n;
	return l > n && !strcmp(s + l - n, suffix);
}

void migrate_recover(const struct server_opts *o, void *hv)
{
	struct hv_guest *g = NULL;
	char why[HV_ERRMSG_MAX], name[HV_NAME_MAX];
	size_t n = 0, base;

	remove_locks(o);
	if (o->hv->list(hv, &g, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (has_suffix(g[i].name, MIGRATE_INCOMING, &base)) {
			log_warnx("destroying %s, left by a migration that "
				  "did not finish",
				  g[i].name);
			if (o->hv->destroy(hv, g[i].name, why, sizeof(why)))
				log_warnx("%s: %s", g[i].name, why);
		} else if (has_suffix(g[i].name, MIGRATE_AWAY, &base)) {
			snprintf(name, sizeof(name), "%.*s", (int)base,
				 g[i].name);
			migrate_resolve_later(o, name);
		} else if (g[i].state == HV_STATE_SUSPENDED) {
			log_warnx("resuming %s, left suspended by a migration "
				  "that did not finish",
				  g[i].name);
			if (o->hv->resume(hv, g[i].name, why, sizeof(why)))
				log_warnx("%s: %s", g[i].name, why);
		}
	}
	free(g);
}
