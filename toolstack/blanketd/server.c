/*
 * blanketd's main loop.
 *
 * Entry point: server_run. Order of the loop: wait (at most a second) for a
 * connection or a signal -> reap finished sessions -> accept: refuse above
 * max_sessions, else fork a session process (TLS handshake and requests run
 * there, so a client that stalls or sends garbage costs one process and
 * nothing else) -> once a second, let the hypervisor module apply guests'
 * shutdown actions.
 */
#include "toolstack/blanketd/server.h"

#include <arpa/inet.h>
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
#include "toolstack/blanketd/migrate_recover.h"
#include "toolstack/tls/tls.h"

/* A connection must finish its TLS handshake within this. */
#define HANDSHAKE_TIMEOUT_MS 10000
#define REAP_INTERVAL_MS     1000

static volatile sig_atomic_t stopping;

static void on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

static int listen_tcp(const char *spec, int *fd_r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *colon = strrchr(spec, ':');
	char host[64];
	int one = 1, fd;
	long port;
	char *end;

	if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
		log_warnx("--listen wants ADDRESS:PORT, got \"%s\"", spec);
		return BL_ERR_INVAL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		log_warnx("--listen wants ADDRESS:PORT, got \"%s\"", spec);
		return BL_ERR_INVAL;
	}
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return BL_ERR_IO;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		log_warn("cannot listen on %s", spec);
		close(fd);
		return BL_ERR_IO;
	}
	*fd_r = fd;
	return BL_OK;
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

/* In the session process: authenticate the connection, then serve it. */
static void serve_connection(const struct server_opts *o, struct tls_ctx *tls,
			     int fd, bool local)
{
	enum ca_role role = CA_ROLE_OPERATOR;
	struct bl_stream s;
	char peer[64];

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
		if (tls_accept(tls, fd, fdio_now_ms() + HANDSHAKE_TIMEOUT_MS,
			       &s))
			return; /* tls_accept said why, and closed fd */
		snprintf(peer, sizeof(peer), "%s", tls_peer_name(&s));
		role = tls_peer_role(&s);
	}
	session_run(o, &s, peer, role);
	stream_close(&s);
}

static void accept_one(const struct server_opts *o, struct tls_ctx *tls,
		       int lfd, bool local, int *sessions)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return;
	if (*sessions >= o->max_sessions) {
		log_warnx("refused a connection: %d sessions already",
			  *sessions);
		close(fd);
		return;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("fork");
		close(fd);
		return;
	}
	if (pid == 0) {
		/* A session dies with the daemon: at its restart no migration
		 * runs (docs/specs/migration-stream.md). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		serve_connection(o, tls, fd, local);
		_exit(0);
	}
	(*sessions)++;
	close(fd);
}

static void reap_guests(const struct server_opts *o, void *hv)
{
	if (hv && o->hv->reap(hv))
		log_debug("reaping guests failed");
}

int server_run(const struct server_opts *o)
{
	struct sigaction sa = {.sa_handler = on_stop};
	struct tls_ctx *tls = NULL;
	int tcp = -1, local = -1, sessions = 0, rc = BL_OK;
	int64_t next_reap = 0;
	void *hv = NULL;

	signal(SIGPIPE, SIG_IGN);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (o->listen) {
		rc = tls_ctx_new(TLS_SERVER, o->ca_file, o->cert_file,
				 o->key_file, &tls);
		if (!rc)
			rc = listen_tcp(o->listen, &tcp);
	}
	if (!rc && o->socket_path)
		rc = listen_unix(o->socket_path, &local);
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
		while (sessions > 0 && waitpid(-1, NULL, WNOHANG) > 0)
			sessions--;
		if (p[0].revents & POLLIN)
			accept_one(o, tls, tcp, false, &sessions);
		if (p[1].revents & POLLIN)
			accept_one(o, tls, local, true, &sessions);
		if (fdio_now_ms() >= next_reap) {
			reap_guests(o, hv);
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
