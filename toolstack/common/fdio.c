#include "toolstack/common/fdio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/common/log.h"

int64_t fdio_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait until fd is ready for events; BL_OK, BL_ERR_TIMEOUT or BL_ERR_IO. */
static int wait_ready(int fd, short events, int64_t deadline_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	int timeout, r;

	if (deadline_ms < 0)
		return BL_OK;
	for (;;) {
		int64_t left = deadline_ms - fdio_now_ms();

		if (left <= 0)
			return BL_ERR_TIMEOUT;
		timeout = left > 60000 ? 60000 : (int)left;
		r = poll(&pfd, 1, timeout);
		if (r > 0)
			return BL_OK;
		if (r < 0 && errno != EINTR)
			return BL_ERR_IO;
	}
}

int fdio_read(int fd, void *buf, size_t len, int64_t deadline_ms, size_t *got_r)
{
	size_t got = 0;
	int rc = BL_OK;

	while (got < len) {
		ssize_t r;

		rc = wait_ready(fd, POLLIN, deadline_ms);
		if (rc)
			break;
		r = read(fd, (char *)buf + got, len - got);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0) {
			rc = BL_ERR_IO;
			break;
		}
		if (r == 0) {
			rc = BL_ERR_EOF;
			break;
		}
		got += (size_t)r;
	}
	if (got_r)
		*got_r = got;
	return rc;
}

int fdio_read_all(int fd, size_t max, char **buf_r, size_t *len_r)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int rc;

	for (;;) {
		size_t got = 0;

		/* Room for a byte and the NUL; max + 1 bytes mean "too long".
		 */
		if (cap - len < 2) {
			char *bigger;

			cap = cap ? cap * 2 : 4096;
			if (cap > max + 2)
				cap = max + 2;
			bigger = realloc(buf, cap);
			if (!bigger) {
				rc = BL_ERR_NOMEM;
				goto out;
			}
			buf = bigger;
		}
		rc = fdio_read(fd, buf + len, cap - 1 - len, -1, &got);
		len += got;
		if (len > max) {
			rc = BL_ERR_INVAL;
			goto out;
		}
		if (rc)
			break;
	}
	if (rc != BL_ERR_EOF)
		goto out;
	rc = BL_OK;
	buf[len] = '\0';
	*buf_r = buf;
	*len_r = len;
	buf = NULL;
out:
	free(buf);
	return rc;
}

int fdio_read_file(const char *path, size_t max, char **buf_r, size_t *len_r)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	rc = fdio_read_all(fd, max, buf_r, len_r);
	close(fd);
	return rc;
}

int fdio_write(int fd, const void *buf, size_t len, int64_t deadline_ms)
{
	size_t done = 0;

	while (done < len) {
		ssize_t r;
		int rc = wait_ready(fd, POLLOUT, deadline_ms);

		if (rc)
			return rc;
		r = write(fd, (const char *)buf + done, len - done);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r < 0)
			return BL_ERR_IO;
		done += (size_t)r;
	}
	return BL_OK;
}

void fdio_tcp_liveness(int fd)
{
	/* Idle: probes after 5 s, every 2 s, 3 unanswered end it. Sending:
	 * data unacknowledged for 15 s ends it. Best effort: a socket that
	 * refuses keeps the kernel's defaults. */
	int on = 1, idle = 5, intvl = 2, cnt = 3;
	unsigned int unacked_ms = 15000;

	(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	(void)setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &unacked_ms,
			 sizeof(unacked_ms));
}

bool fdio_readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 0) > 0;
}

int fdio_listen_tcp(const char *field, const char *spec, int *fd_r)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	const char *colon = strrchr(spec, ':');
	char host[64];
	int one = 1, fd;
	long port;
	char *end;

	if (!colon || (size_t)(colon - spec) >= sizeof(host)) {
		log_warnx("%s wants ADDRESS:PORT, got \"%s\"", field, spec);
		return BL_ERR_INVAL;
	}
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		log_warnx("%s wants ADDRESS:PORT, got \"%s\"", field, spec);
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

void fdio_peer_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&ss;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;

	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		ss.ss_family = AF_UNSPEC;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &in4->sin_addr, addr, sizeof(addr));
		snprintf(buf, size, "%s:%u", addr, ntohs(in4->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
		snprintf(buf, size, "[%s]:%u", addr, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, size, "local peer");
	}
}
