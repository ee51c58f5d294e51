/*
 * blanketd's main loop.
 *
 * Entry point: server_run. Order of the loop: wait (at most a second) for a
 * connection or a signal -> on SIGHUP read the policy and CRL again -> reap
 * finished sessions, freeing their slots -> accept: refuse beyond the
 * limits of slots.h, else fork a session process (TLS handshake and
 * requests run there, so a client that stalls or sends garbage costs one
 * process and nothing else) -> once a second, let the hypervisor module
 * apply guests' shutdown actions.
 */
#include "toolstack/blanketd/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/migrate.h"
#include "toolstack/blanketd/migrate_recover.h"
#include "toolstack/blanketd/dhcp.h"
#include "toolstack/blanketd/overlay.h"
#include "toolstack/blanketd/shutdowns.h"
#include "toolstack/blanketd/slots.h"
#include "toolstack/hv/hv_policy.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/tls/tls.h"

#define REAP_INTERVAL_MS 1000
/* The longest the node's background work (the overlay's rounds, the DHCP
 * service's runs) waits for migrations: see quiet(). */
#define QUIET_MAX_MS 60000

static volatile sig_atomic_t stopping, reloading;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static void on_hup(int sig)
{
	(void)sig;
	reloading = 1;
}

/* SIGHUP: what may change while the node runs: the policy, and the CRL
 * (with the credentials it checks). New sessions get them. */
static void reload(const struct server_opts *o, struct tls_ctx **tls)
{
	struct tls_ctx *next_tls = NULL;
	struct hv_policy next;
	char err[BL_ERRMSG_MAX];

	if (hv_policy_load(o->policy_file, o->policy_optional, &next, err,
			   sizeof(err))) {
		log_warnx("%s; the policy in force stays", err);
	} else {
		*o->policy = next;
		log_info("read the policy again from %s", o->policy_file);
	}
	if (!*tls)
		return;
	if (tls_ctx_new(TLS_SERVER, o->ca_file, o->cert_file, o->key_file,
			o->crl_file, &next_tls)) {
		log_warnx("the credentials and CRL in force stay");
		return;
	}
	tls_ctx_free(*tls);
	*tls = next_tls;
	if (o->crl_file)
		log_info("read the CRL again from %s", o->crl_file);
}

/* Root only: the socket file is 0600 and the peer's uid is checked. */
static int listen_unix(const char *path, int *fd_r)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)];
	char *slash;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_warnx("socket path %s is too long", path);
		return BL_ERR_INVAL;
	}
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		mkdir(dir, 0700);
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return BL_ERR_IO;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		log_warn("cannot listen on %s", path);
		close(fd);
		return BL_ERR_IO;
	}
	*fd_r = fd;
	return BL_OK;
}

/* Until the peer is authenticated, what it makes this process log is
 * bounded (slots_log_budget). */
static bool stranger_log_gate(void *slots)
{
	return slots_log_budget(slots);
}

/* In the session process: authenticate the connection, take a session
 * slot for its role, then serve it. */
static void serve_connection(const struct server_opts *o, struct tls_ctx *tls,
			     struct slots *slots, int slot, int fd, bool local)
{
	enum ca_role role = CA_ROLE_OPERATOR;
	char peer[64], why[128];
	struct bl_stream s;

	if (local) {
		struct ucred cred;
		socklen_t len = sizeof(cred);

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
			log_warn("refused a local connection: no credentials");
			close(fd);
			return;
		}
		if (cred.uid != 0) {
			log_warnx("refused a local connection from uid %d",
				  (int)cred.uid);
			close(fd);
			return;
		}
		snprintf(peer, sizeof(peer), "root(pid %d)", (int)cred.pid);
		stream_fd_init(&s, fd);
	} else {
		fdio_tcp_liveness(fd);
		log_set_gate(stranger_log_gate, slots);
		if (tls_accept(tls, fd, fdio_now_ms() + SLOTS_HANDSHAKE_MS, &s))
			return; /* tls_accept said why, and closed fd */
		log_set_gate(NULL, NULL);
		snprintf(peer, sizeof(peer), "%s", tls_peer_name(&s));
		role = tls_peer_role(&s);
		if (slots_take_session(slots, slot, role, why, sizeof(why))) {
			log_warnx("%s: refused: %s", peer, why);
			s.deadline_ms = fdio_now_ms() + SLOTS_HANDSHAKE_MS;
			if (rpc_server_refuse(&s, BL_ERR_BUSY, why))
				log_debug("%s left before its refusal", peer);
			stream_close(&s);
			return;
		}
	}
	session_run(o, &s, peer, role);
	stream_close(&s);
}

/* A refusal of a connection not served, logged within the budget. */
static void refuse(struct slots *slots, int fd, const char *what,
		   const char *why)
{
	if (slots_log_budget(slots))
		log_warnx("refused a connection %s: %s", what, why);
	close(fd);
}

static void accept_one(const struct server_opts *o, struct tls_ctx *tls,
		       struct slots *slots, int lfd, bool local)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char why[128], from[INET_ADDRSTRLEN + 8] = "on the local socket";
	int fd = accept4(lfd, (struct sockaddr *)&sa, &len, SOCK_CLOEXEC);
	int slot;
	pid_t pid;

	if (fd < 0)
		return;
	if (local) {
		slot = slots_admit_local(slots, why, sizeof(why));
	} else {
		snprintf(from, sizeof(from), "from ");
		inet_ntop(AF_INET, &sa.sin_addr, from + 5, sizeof(from) - 5);
		slot = slots_admit_tcp(slots, sa.sin_addr.s_addr, why,
				       sizeof(why));
	}
	if (slot < 0) {
		refuse(slots, fd, from, why);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		slots_release(slots, 0); /* the only slot without a process */
		close(fd);
		return;
	}
	if (pid == 0) {
		/* A session dies with the daemon: at its restart no migration
		 * runs (docs/specs/migration-stream.md). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_IGN); /* `kill -HUP $(pidof blanketd)` */
		serve_connection(o, tls, slots, slot, fd, local);
		_exit(0);
	}
	slots_assign(slots, slot, pid);
	close(fd);
}

/* Sessions that have ended free their slots; strangers' log lines that
 * were left out are summed up. */
static void reap_sessions(const struct server_opts *o, struct slots *slots)
{
	int dropped = slots_logs_dropped(slots), status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (!overlay_reaped(o->overlay, pid, status) &&
		    !dhcp_reaped(o->dhcp, pid, status))
			slots_release(slots, pid);
	if (dropped)
		log_warnx("%d more lines about refused or failed connections "
			  "left out",
			  dropped);
}

/* Guests' shutdown actions, and forced shutdowns come due. */
/* Whether a migration runs on this node: a source's lock or a
 * destination's reservation in the state folder. */
static bool migrating(const struct server_opts *o)
{
	DIR *d = opendir(o->state_dir);
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d)))
		found = !strncmp(e->d_name, MIGRATE_LOCK_PREFIX,
				 strlen(MIGRATE_LOCK_PREFIX)) ||
			!strncmp(e->d_name, LEDGER_RESERVED_PREFIX,
				 strlen(LEDGER_RESERVED_PREFIX));
	closedir(d);
	return found;
}

/* Whether the node's background work waits: while a migration runs here,
 * for at most QUIET_MAX_MS in a row. On a node with one vCPU (the lab's
 * emulated ones), an overlay round's TLS handshakes or the DHCP script
 * landing in a migration's last round or restore add to the guest's
 * downtime. */
static bool quiet(const struct server_opts *o, int64_t *since_ms)
{
	int64_t now = fdio_now_ms();

	if (!migrating(o)) {
		*since_ms = 0;
		return false;
	}
	if (!*since_ms)
		*since_ms = now;
	return now - *since_ms < QUIET_MAX_MS;
}

static void reap_guests(const struct server_opts *o, void *hv)
{
	if (!hv)
		return;
	if (o->hv->reap(hv))
		log_debug("reaping guests failed");
	shutdowns_run(o->shutdowns, o->hv, hv);
}

int server_run(struct server_opts *o)
{
	struct sigaction sa = {.sa_handler = on_stop},
			 hup = {.sa_handler = on_hup};
	struct tls_ctx *tls = NULL;
	struct slots *slots = NULL;
	int tcp = -1, local = -1, rc = BL_OK;
	int64_t next_reap = 0, quiet_since = 0;
	bool hold;
	void *hv = NULL;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &hup, NULL);
	if (o->listen) {
		rc = tls_ctx_new(TLS_SERVER, o->ca_file, o->cert_file,
				 o->key_file, o->crl_file, &tls);
		if (!rc)
			rc = fdio_listen_tcp("--listen", o->listen, &tcp);
	}
	if (!rc && o->socket_path)
		rc = listen_unix(o->socket_path, &local);
	if (!rc)
		rc = slots_create(o->max_sessions, &slots);
	if (!rc)
		rc = shutdowns_create(&o->shutdowns);
	if (rc)
		goto out;
	/* The loop's own handle, for reaping; sessions open their own. */
	if (o->hv->open(&hv))
		log_warnx("cannot open the %s hypervisor; guests' shutdown "
			  "actions will not run",
			  o->hv->name);
	else
		migrate_recover(o, hv);
	log_info("node %s serving on %s%s%s (hypervisor: %s)", o->node_name,
		 o->listen ? o->listen : "",
		 o->listen && o->socket_path ? " and " : "",
		 o->socket_path ? o->socket_path : "", o->hv->name);
	while (!stopping) {
		struct pollfd p[2] = {{.fd = tcp, .events = POLLIN},
				      {.fd = local, .events = POLLIN}};

		if (poll(p, 2, REAP_INTERVAL_MS) < 0 && errno != EINTR)
			break;
		if (reloading) {
			reloading = 0;
			reload(o, &tls);
		}
		reap_sessions(o, slots);
		hold = quiet(o, &quiet_since);
		if (!hold)
			overlay_tick(o, o->overlay);
		if (p[0].revents & POLLIN)
			accept_one(o, tls, slots, tcp, false);
		if (p[1].revents & POLLIN)
			accept_one(o, tls, slots, local, true);
		if (fdio_now_ms() >= next_reap) {
			reap_guests(o, hv);
			if (!hold)
				dhcp_tick(o, o->dhcp, hv);
			next_reap = fdio_now_ms() + REAP_INTERVAL_MS;
		}
	}
	log_info("stopping");
out:
	if (hv)
		o->hv->close(hv);
	if (tcp >= 0)
		close(tcp);
	if (local >= 0) {
		close(local);
		unlink(o->socket_path);
	}
	tls_ctx_free(tls);
	return rc;
}
