/*
 * blanket-lab-agent: runs in a lab node's dom0 and executes the host's
 * `blanket-lab exec` commands (docs/specs/lab-control.md).
 *
 * Main loop: accept a connection, fork a handler for it. The handler reads
 * the EXEC record, starts the command in its own process group with pipes
 * for its standard streams, then relays: STDIN records to the command,
 * its output to STDOUT/STDERR records, and finally its status as EXIT. If the
 * host goes away first, the command's process group is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lab/ctl.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

/* A host that connects must send its header and EXEC within this time. */
#define REQUEST_TIMEOUT_MS 10000
#define SEARCH_PATH	   "/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/xen-4.17/bin"

struct child {
	pid_t pid;
	int in_fd;  /* write end of its stdin, -1 once closed */
	int out_fd; /* read end of its stdout, -1 at EOF */
	int err_fd; /* read end of its stderr, -1 at EOF */
};

static void send_error(int sock, const char *msg)
{
	if (ctl_send_rec(sock, CTL_REC_ERROR, msg, (uint32_t)strlen(msg),
			 fdio_now_ms() + REQUEST_TIMEOUT_MS))
		log_warnx("could not send error \"%s\"", msg);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Start argv with fresh pipes as its stdin/stdout/stderr. */
static int spawn(char **argv, struct child *c)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1};

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
	    pipe2(err, O_CLOEXEC) < 0)
		goto fail;
	c->pid = fork();
	if (c->pid < 0)
		goto fail;
	if (c->pid == 0) {
		setsid();
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		setenv("PATH", SEARCH_PATH, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "blanket-lab-agent: cannot execute %s: %s\n",
			argv[0], strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	c->in_fd = in[1];
	c->out_fd = out[0];
	c->err_fd = err[0];
	return BL_OK;
fail:
	log_warn("cannot start %s", argv[0]);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	return BL_ERR_IO;
}

/* Forward what the command wrote on *fd as a record; close *fd at EOF. */
static int relay_output(int sock, int *fd, uint32_t type)
{
	char buf[CTL_MAX_BODY];
	ssize_t r = read(*fd, buf, sizeof(buf));

	if (r < 0 && (errno == EINTR || errno == EAGAIN))
		return BL_OK;
	if (r <= 0) {
		close_fd(fd);
		return BL_OK;
	}
	return ctl_send_rec(sock, type, buf, (uint32_t)r, -1);
}

/* Apply one record from the host; BL_ERR_EOF means the host went away. */
static int relay_input(int sock, struct child *c)
{
	struct ctl_rec rec;
	int rc = ctl_recv_rec(sock, &rec, -1);

	if (rc)
		return rc;
	switch (rec.type) {
	case CTL_REC_STDIN:
		/* A command that closed its stdin just loses the bytes. */
		if (c->in_fd >= 0 &&
		    fdio_write(c->in_fd, rec.body, rec.len, -1) != BL_OK)
			close_fd(&c->in_fd);
		break;
	case CTL_REC_STDIN_EOF:
		close_fd(&c->in_fd);
		break;
	default:
		send_error(sock, "unexpected record after exec");
		rc = BL_ERR_PROTO;
		break;
	}
	ctl_rec_dispose(&rec);
	return rc;
}

static uint32_t wait_status(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		return 128 + (uint32_t)WTERMSIG(status);
	return (uint32_t)WEXITSTATUS(status);
}

static void serve(int sock)
{
	struct child c = {.pid = -1, .in_fd = -1, .out_fd = -1, .err_fd = -1};
	int64_t deadline = fdio_now_ms() + REQUEST_TIMEOUT_MS;
	struct ctl_rec rec;
	char **argv = NULL;
	bool host_gone = false;
	uint8_t status[4];
	uint32_t code;
	int rc;

	ctl_rec_init(&rec);
	rc = ctl_recv_header(sock, deadline);
	if (rc == BL_ERR_VERSION || rc == BL_ERR_PROTO) {
		if (!ctl_send_header(sock, deadline))
			send_error(sock,
				   "unsupported control header or version");
		goto out;
	}
	if (rc || ctl_send_header(sock, deadline))
		goto out;
	rc = ctl_recv_rec(sock, &rec, deadline);
	if (rc)
		goto out;
	if (rec.type != CTL_REC_EXEC ||
	    ctl_argv_decode(rec.body, rec.len, &argv)) {
		send_error(sock, "the first record must be a valid exec");
		goto out;
	}
	if (spawn(argv, &c)) {
		send_error(sock, "cannot start the command");
		goto out;
	}
	while (c.out_fd >= 0 || c.err_fd >= 0) {
		struct pollfd p[3] = {
		    {.fd = sock, .events = POLLIN},
		    {.fd = c.out_fd, .events = POLLIN},
		    {.fd = c.err_fd, .events = POLLIN},
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			host_gone = true;
			break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) &&
		    relay_input(sock, &c)) {
			host_gone = true;
			break;
		}
		if ((p[1].revents & (POLLIN | POLLHUP)) &&
		    relay_output(sock, &c.out_fd, CTL_REC_STDOUT)) {
			host_gone = true;
			break;
		}
		if ((p[2].revents & (POLLIN | POLLHUP)) &&
		    relay_output(sock, &c.err_fd, CTL_REC_STDERR)) {
			host_gone = true;
			break;
		}
	}
	if (host_gone)
		kill(-c.pid, SIGKILL);
	code = wait_status(c.pid);
	if (!host_gone) {
		status[0] = (uint8_t)(code >> 24);
		status[1] = (uint8_t)(code >> 16);
		status[2] = (uint8_t)(code >> 8);
		status[3] = (uint8_t)code;
		if (ctl_send_rec(sock, CTL_REC_EXIT, status, 4, -1))
			log_warnx("host left before the exit status of %s",
				  argv[0]);
	}
out:
	close_fd(&c.in_fd);
	close_fd(&c.out_fd);
	close_fd(&c.err_fd);
	ctl_rec_dispose(&rec);
	free(argv);
}

static int listen_on(const char *spec)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	char host[64];
	const char *colon = strrchr(spec, ':');
	int one = 1, fd;
	long port;
	char *end;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		fatalx("--listen wants ADDRESS:PORT, got \"%s\"", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		fatalx("--listen wants ADDRESS:PORT, got \"%s\"", spec);
	sa.sin_port = htons((uint16_t)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fatal("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* The control NIC may still be coming up when init starts us. */
	for (int tries = 0; bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0;
	     tries++) {
		if (tries == 300)
			fatal("bind %s", spec);
		usleep(100000);
	}
	if (listen(fd, 16) < 0)
		fatal("listen %s", spec);
	return fd;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT};
	int lsock;

	log_init("blanket-lab-agent", false, false);
	if (argc != 3 || strcmp(argv[1], "--listen") != 0) {
		fprintf(stderr,
			"usage: blanket-lab-agent --listen ADDRESS:PORT\n");
		return 2;
	}
	lsock = listen_on(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	/* Handlers are never waited for: let the kernel reap them. */
	sigaction(SIGCHLD, &sa, NULL);
	for (;;) {
		int sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
		pid_t pid;

		if (sock < 0) {
			if (errno != EINTR)
				log_warn("accept");
			continue;
		}
		pid = fork();
		if (pid == 0) {
			close(lsock);
			/* Handlers wait for their own command. */
			signal(SIGCHLD, SIG_DFL);
			serve(sock);
			_exit(0);
		}
		if (pid < 0)
			log_warn("fork");
		close(sock);
	}
}
