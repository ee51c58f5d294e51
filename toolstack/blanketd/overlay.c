/*
 * The node's end of the cluster overlay (overlay.h, docs/network.md).
 *
 * Entry points: overlay_parse and overlay_key_load (blanketd's start),
 * overlay_describe (node-info), overlay_tick and overlay_reaped (the
 * server's loop).
 * Order of a round, in a process of its own every ROUND_MS: read the peers
 * file -> ask each node's blanketd for its overlay record (node-info, over
 * the mutually authenticated TLS the nodes already have) -> a node that
 * cannot be reached keeps what the last round saw of it; one that answers
 * with no overlay, one whose certificate (or ours) is refused (revoked,
 * say), or one no longer in the file, is dropped -> note what
 * was seen in the state folder, logging who joined and left -> when that
 * changed, or the last run is REAPPLY_MS old or failed, run the script,
 * which makes wg0, the VXLAN device and its flooding entries match (it
 * changes nothing when they already do; running it again repairs what
 * changed under it, and follows the link's MTU).
 * The file: OVERLAY_PEERS_FILE, a line a node: NAME KEY HOST PORT ADDR.
 */
#include "toolstack/blanketd/overlay.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/blanketd/peer.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/common/durable.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/prefix.h"
#include "toolstack/tls/wg_key.h"

#define ROUND_MS   5000
#define REAPPLY_MS 20000	   /* the script runs at least this often */
#define ROUND_NAME "overlay-round" /* its process name (comm) */
/* A round's exit status. */
#define ROUND_UNCHANGED 0 /* nothing new: the script did not run */
#define ROUND_APPLIED	2 /* the script ran and made it all match */
#define ROUND_FAILED	1 /* it ran and failed, or never ran */
#define ARGS_MAX	(6 + 3 * CLUSTER_MAX_NODES + 1)

int overlay_parse(const char *spec, uint32_t port, struct overlay *ov,
		  char *err, size_t errlen)
{
	int rc = prefix_parse(spec, 8, 30, ov->addr, &ov->prefix, err, errlen);

	if (rc)
		return rc;
	if (port < 1 || port > 65535) {
		snprintf(err, errlen, "port %u: want 1 to 65535", port);
		return BL_ERR_INVAL;
	}
	ov->port = port;
	return BL_OK;
}

int overlay_key_load(const char *state_dir, struct overlay *ov, char *err,
		     size_t errlen)
{
	char text[WG_KEY_TEXT_LEN + 2];
	int rc = durable_read(state_dir, OVERLAY_KEY_FILE, text, sizeof(text));

	if (rc == BL_ERR_NOTFOUND) {
		rc = wg_key_make(text);
		if (!rc) {
			strcat(text, "\n");
			rc = durable_write(state_dir, OVERLAY_KEY_FILE, text);
		}
		if (rc) {
			snprintf(err, errlen, "cannot make %s/%s", state_dir,
				 OVERLAY_KEY_FILE);
			return rc;
		}
		log_info("made this node's overlay key, %s/%s", state_dir,
			 OVERLAY_KEY_FILE);
	}
	text[strcspn(text, "\n")] = '\0';
	if (rc || wg_key_public(text, ov->public_key)) {
		snprintf(err, errlen, "%s/%s is not a WireGuard key", state_dir,
			 OVERLAY_KEY_FILE);
		explicit_bzero(text, sizeof(text));
		return BL_ERR_INVAL;
	}
	explicit_bzero(text, sizeof(text));
	return BL_OK;
}

void overlay_describe(const struct overlay *ov, struct rpc_overlay *out)
{
	memset(out, 0, sizeof(*out));
	if (!ov)
		return;
	snprintf(out->key, sizeof(out->key), "%s", ov->public_key);
	snprintf(out->addr, sizeof(out->addr), "%s", ov->addr);
	out->port = ov->port;
}

/* --- a round --- */

/* A node of the overlay as a round saw it. */
struct member {
	char name[64];
	char host[256];
	struct rpc_overlay ov;
};

struct members {
	struct member m[CLUSTER_MAX_NODES];
	int n;
};

static const struct member *find(const struct members *ms, const char *name)
{
	for (int i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].name, name))
			return &ms->m[i];
	return NULL;
}

static void read_seen(const char *state_dir, struct members *ms)
{
	static char text[CLUSTER_MAX_NODES * 512];
	char *save = NULL;

	ms->n = 0;
	if (durable_read(state_dir, OVERLAY_PEERS_FILE, text, sizeof(text)))
		return;
	for (char *line = strtok_r(text, "\n", &save);
	     line && ms->n < CLUSTER_MAX_NODES;
	     line = strtok_r(NULL, "\n", &save)) {
		struct member *m = &ms->m[ms->n];

		if (sscanf(line, "%63s %44s %255s %u %15s", m->name, m->ov.key,
			   m->host, &m->ov.port, m->ov.addr) == 5 &&
		    rpc_overlay_valid(&m->ov) && m->ov.key[0])
			ms->n++;
	}
}

static void write_seen(const char *state_dir, const struct members *ms)
{
	char text[CLUSTER_MAX_NODES * 512];
	size_t len = 0;

	text[0] = '\0';
	for (int i = 0; i < ms->n; i++) {
		const struct member *m = &ms->m[i];

		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s %s %s %u %s\n", m->name, m->ov.key,
					m->host, m->ov.port, m->ov.addr);
	}
	if (durable_write(state_dir, OVERLAY_PEERS_FILE, text))
		log_warnx("overlay: cannot note its nodes in %s/%s", state_dir,
			  OVERLAY_PEERS_FILE);
}

/* Whether m may join: inside our subnet, and neither our address or key
 * nor one already taken by a node before it (a node that claimed
 * another's address would draw its traffic). */
static bool admissible(const struct overlay *ov, const struct members *ms,
		       const struct member *m)
{
	if (!prefix_holds(ov->addr, ov->prefix, m->ov.addr) ||
	    !strcmp(ov->addr, m->ov.addr) ||
	    !strcmp(m->ov.key, ov->public_key)) {
		log_warnx("overlay: %s's address %s or key clashes with this "
			  "node's %s/%d: left out",
			  m->name, m->ov.addr, ov->addr, ov->prefix);
		return false;
	}
	for (int i = 0; i < ms->n; i++)
		if (!strcmp(ms->m[i].ov.addr, m->ov.addr) ||
		    !strcmp(ms->m[i].ov.key, m->ov.key)) {
			log_warnx("overlay: %s claims %s's address or key: "
				  "left out",
				  m->name, ms->m[i].name);
			return false;
		}
	return true;
}

/* A node that could not be reached, as opposed to one that answered, or
 * whose certificate (or ours) was refused: it may be rebooting. */
static bool silent(int rc)
{
	return rc == BL_ERR_IO || rc == BL_ERR_TIMEOUT || rc == BL_ERR_EOF;
}

/* Each node of the peers file but this one, asked; a silent one as last
 * seen, one refused not at all. */
static void ask_nodes(const struct server_opts *o, const struct overlay *ov,
		      const struct cluster *c, const struct members *seen,
		      struct members *now)
{
	now->n = 0;
	for (int i = 0; i < c->nodes; i++) {
		const struct cluster_node *n = &c->node[i];
		struct member m = {0};
		const struct member *last;
		struct rpc_msg req, reply;
		char why[BL_ERRMSG_MAX];
		int rc;

		if (!strcmp(n->name, o->node_name))
			continue;
		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_NODE_INFO;
		snprintf(m.name, sizeof(m.name), "%s", n->name);
		snprintf(m.host, sizeof(m.host), "%s",
			 n->peer_host[0] ? n->peer_host : n->host);
		rc = peer_call(o, n, &req, &reply, why, sizeof(why));
		if (!rc) {
			m.ov = reply.overlay;
		} else {
			log_debug("overlay: %s: %s", n->name, why);
			if (silent(rc) && (last = find(seen, n->name)))
				m.ov = last->ov;
		}
		rpc_msg_dispose(&req);
		rpc_msg_dispose(&reply);
		if (m.ov.key[0] && admissible(ov, now, &m))
			now->m[now->n++] = m;
	}
}

static bool same(const struct member *a, const struct member *b)
{
	return !strcmp(a->host, b->host) && !strcmp(a->ov.key, b->ov.key) &&
	       !strcmp(a->ov.addr, b->ov.addr) && a->ov.port == b->ov.port;
}

/* Who joined, changed and left since the last round; true if any. */
static bool log_changes(const struct members *seen, const struct members *now)
{
	bool changed = false;

	for (int i = 0; i < now->n; i++) {
		const struct member *m = &now->m[i], *was = find(seen, m->name);

		if (was && same(was, m))
			continue;
		log_info("overlay: %s %s, %s at %s:%u", m->name,
			 was ? "changed" : "joins", m->ov.addr, m->host,
			 m->ov.port);
		changed = true;
	}
	for (int i = 0; i < seen->n; i++)
		if (!find(now, seen->m[i].name)) {
			log_info("overlay: %s leaves", seen->m[i].name);
			changed = true;
		}
	return changed;
}

/* script sync KEYFILE ADDR/LEN PORT BRIDGE [KEY HOST:PORT ADDR]...: true
 * when it made everything match. */
static bool apply(const struct server_opts *o, const struct overlay *ov,
		  const struct members *now)
{
	static char bufs[ARGS_MAX][PATH_MAX];
	char *argv[ARGS_MAX];
	int argc = 0, status;
	pid_t pid;

#define ARG(...)                                                               \
	(snprintf(bufs[argc], sizeof(bufs[argc]), __VA_ARGS__),                \
	 argv[argc] = bufs[argc], argc++)
	argv[argc++] = (char *)ov->script;
	ARG("sync");
	ARG("%s/%s", o->state_dir, OVERLAY_KEY_FILE);
	ARG("%s/%d", ov->addr, ov->prefix);
	ARG("%u", ov->port);
	ARG("%s", OVERLAY_BRIDGE);
	for (int i = 0; i < now->n; i++) {
		ARG("%s", now->m[i].ov.key);
		ARG("%s:%u", now->m[i].host, now->m[i].ov.port);
		ARG("%s", now->m[i].ov.addr);
	}
#undef ARG
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0) {
		execv(argv[0], argv);
		log_warn("overlay: %s", argv[0]);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		log_warn("overlay: running %s", ov->script);
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		log_warnx("overlay: %s sync failed (status %d): wg0 or the "
			  "flooding entries may not match the cluster",
			  ov->script, status);
		return false;
	}
	return true;
}

/* A round; force: run the script whatever changed. Its exit status. */
static int run_round(const struct server_opts *o, const struct overlay *ov,
		     bool force)
{
	static struct cluster c;
	static struct members seen, now;
	char err[BL_ERRMSG_MAX];
	int rc = BL_ERR_NOTFOUND;

	memset(&c, 0, sizeof(c));
	if (ov->peers_file)
		rc = cluster_load(ov->peers_file, CLUSTER_NODES_ONLY, &c, err,
				  sizeof(err));
	if (rc && rc != BL_ERR_NOTFOUND) {
		log_warnx("overlay: %s: the overlay stays as it is", err);
		return ROUND_FAILED;
	}
	read_seen(o->state_dir, &seen);
	ask_nodes(o, ov, &c, &seen, &now);
	if (log_changes(&seen, &now)) {
		write_seen(o->state_dir, &now);
		force = true;
	}
	if (!force)
		return ROUND_UNCHANGED;
	return apply(o, ov, &now) ? ROUND_APPLIED : ROUND_FAILED;
}

void overlay_tick(const struct server_opts *o, struct overlay *ov)
{
	int64_t now = fdio_now_ms();
	pid_t pid;

	if (!ov || ov->round || now < ov->next_ms)
		return;
	ov->next_ms = now + ROUND_MS;
	pid = fork();
	if (pid < 0) {
		log_warn("overlay: fork");
		return;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		prctl(PR_SET_NAME, ROUND_NAME);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_IGN);
		_exit(run_round(o, ov, now >= ov->reapply_ms));
	}
	ov->round = pid;
}

bool overlay_reaped(struct overlay *ov, pid_t pid, int status)
{
	if (!ov || !ov->round || pid != ov->round)
		return false;
	ov->round = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == ROUND_APPLIED)
		ov->reapply_ms = fdio_now_ms() + REAPPLY_MS;
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != ROUND_UNCHANGED)
		ov->reapply_ms = 0; /* failed: run the script next round */
	return true;
}
