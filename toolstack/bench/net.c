/* blanket bench's network workloads: a TCP stream and TCP request/response
 * against the benchmark server (workload.h has its protocol), and ICMP
 * echo, which needs no server.
 *
 * Entry points: bench_listen and bench_serve (the server's side),
 * bench_net_throughput and bench_net_rr (the client's), bench_ping and
 * bench_net_rtt.
 *
 * Nomenclature: an "end" is a CLOCK_MONOTONIC time in ns (bench__now_ns);
 * every wait is a poll() that stops at one. Sockets are non-blocking and
 * sent to with MSG_NOSIGNAL: a peer that goes away is an error to report,
 * never a SIGPIPE or a hang. */
#include "toolstack/bench/workload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUF_SIZE (128 * 1024)
#define MS	 1000000LL /* ns */

/* What the waits below return besides a count or revents. */
enum {
	W_ERROR = -1,	/* errno says */
	W_STOPPED = -2, /* the caller's stop_fd fired */
	W_TIMEOUT = -3, /* the end passed */
};

/* poll()'s timeout for end: rounded up, so that a poll that times out
 * has reached it. */
static int ms_until(int64_t end)
{
	int64_t left = end - bench__now_ns();

	if (left <= 0)
		return 0;
	left = (left + MS - 1) / MS;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/* Waits for events on fd until end, or until stop_fd (-1: none) is
 * readable or hangs up: fd's revents, or W_TIMEOUT, W_STOPPED, W_ERROR. */
static int wait_for(int fd, short events, int stop_fd, int64_t end)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = events},
				      {.fd = stop_fd, .events = POLLIN}};
		int r = poll(p, stop_fd >= 0 ? 2 : 1, ms_until(end));

		if (r < 0 && errno != EINTR)
			return W_ERROR;
		if (r > 0 && p[1].revents && stop_fd >= 0)
			return W_STOPPED;
		if (r > 0 && p[0].revents)
			return p[0].revents;
		if (bench__now_ns() >= end)
			return W_TIMEOUT;
	}
}

/* Up to len bytes from fd, waiting until end at most: the count, 0 at
 * the end of the stream, or W_TIMEOUT, W_STOPPED, W_ERROR. */
static ssize_t recv_until(int fd, void *b, size_t len, int stop_fd, int64_t end)
{
	for (;;) {
		int w = wait_for(fd, POLLIN, stop_fd, end);
		ssize_t r;

		if (w < 0)
			return w;
		r = recv(fd, b, len, MSG_DONTWAIT);
		if (r >= 0 ||
		    (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return r < 0 ? W_ERROR : r;
	}
}

/* All of b to fd by end: 0, or W_TIMEOUT, W_STOPPED, W_ERROR. */
static int send_until(int fd, const void *b, size_t len, int stop_fd,
		      int64_t end)
{
	const uint8_t *p = b;

	while (len) {
		int w = wait_for(fd, POLLOUT, stop_fd, end);
		ssize_t r;

		if (w < 0)
			return w;
		r = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			continue;
		if (r < 0)
			return W_ERROR;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int64_t min_end(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int parse_host(const char *host, struct in_addr *a, char *why,
		      size_t whylen)
{
	if (host && inet_pton(AF_INET, host, a) == 1)
		return BL_OK;
	bench__say(why, whylen,
		   "host \"%.64s\": not a dotted IPv4 address "
		   "(names are not resolved)",
		   host ? host : "");
	return BL_ERR_INVAL;
}

/* seconds of a client's run: 10 ms to BENCH_NET_SECONDS_MAX. */
static int64_t run_span(double seconds, const char *what, char *why,
			size_t whylen)
{
	int64_t span = bench__seconds_ns(seconds, BENCH_NET_SECONDS_MAX);

	if (span < 10 * MS) {
		bench__say(why, whylen, "%s: %g seconds: want 0.01 to %g", what,
			   seconds, BENCH_NET_SECONDS_MAX);
		return -1;
	}
	return span;
}

int bench_listen(const char *addr, uint16_t port, int *fd_r, uint16_t *port_r,
		 char *why, size_t whylen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	socklen_t sl = sizeof(sa);
	int fd = -1, one = 1, rc;

	if (addr) {
		rc = parse_host(addr, &sa.sin_addr, why, whylen);
		if (rc)
			goto out;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		bench__say(why, whylen, "bench server: socket: %s",
			   strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	/* A server run right after the last one binds its port again,
	 * whatever the last one's connections left in TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) < 0) {
		bench__say(why, whylen, "bench server on %s port %u: %s",
			   addr ? addr : "every address", port,
			   strerror(errno));
		rc = errno == EADDRINUSE ? BL_ERR_BUSY : BL_ERR_IO;
		goto out;
	}
	*fd_r = fd;
	if (port_r)
		*port_r = ntohs(sa.sin_port);
	fd = -1;
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Serves the accepted connection c until it ends, it is idle for
 * BENCH_NET_IDLE_MS, or end: W_STOPPED when stop_fd fired, else 0. */
static int serve_one(int c, uint8_t *buf, int stop_fd, int64_t end,
		     struct bench_serve_stats *st)
{
	uint64_t count = 0;
	uint8_t mode, be[8];
	ssize_t r;
	int one = 1;

	/* A stream's answer and every response leave at once; should the
	 * kernel refuse, they leave a little later, which only slows them. */
	(void)setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = recv_until(c, &mode, 1, stop_fd,
		       min_end(end, bench__now_ns() + BENCH_NET_IDLE_MS * MS));
	if (r == W_STOPPED)
		return W_STOPPED;
	if (r <= 0 || (mode != 'S' && mode != 'R')) {
		st->refused++;
		return 0;
	}
	for (;;) {
		ssize_t n = recv_until(
		    c, buf, BUF_SIZE, stop_fd,
		    min_end(end, bench__now_ns() + BENCH_NET_IDLE_MS * MS));

		if (n == W_STOPPED)
			return W_STOPPED;
		if (n == 0)
			break;
		if (n < 0) {
			/* Silent, or gone: a stream gets no count. */
			if (mode == 'S')
				st->refused++;
			return 0;
		}
		if (mode == 'S') {
			count += (uint64_t)n;
			continue;
		}
		/* Each byte a request: as many answers, at once. */
		r = send_until(
		    c, buf, (size_t)n, stop_fd,
		    min_end(end, bench__now_ns() + BENCH_NET_IDLE_MS * MS));
		if (r == W_STOPPED)
			return W_STOPPED;
		if (r < 0)
			return 0;
		st->rr_transactions += (uint64_t)n;
	}
	if (mode == 'S') {
		for (size_t i = 0; i < 8; i++)
			be[i] = (uint8_t)(count >> (56 - 8 * i));
		r = send_until(
		    c, be, sizeof(be), stop_fd,
		    min_end(end, bench__now_ns() + BENCH_NET_IDLE_MS * MS));
		if (r == W_STOPPED)
			return W_STOPPED;
		if (r == 0) {
			st->streams++;
			st->stream_bytes += count;
		}
	}
	return 0;
}

int bench_serve(int listen_fd, double seconds, int stop_fd,
		struct bench_serve_stats *stats_r, char *why, size_t whylen)
{
	int64_t span = bench__seconds_ns(seconds, BENCH_NET_SECONDS_MAX), end;
	struct bench_serve_stats st = {0};
	uint8_t *buf = NULL;
	int c = -1, rc;

	if (span < 0 || listen_fd < 0) {
		bench__say(why, whylen,
			   "bench server: %g seconds on descriptor %d: want 0 "
			   "to %g on a listening socket",
			   seconds, listen_fd, BENCH_NET_SECONDS_MAX);
		return BL_ERR_INVAL;
	}
	buf = malloc(BUF_SIZE);
	if (!buf) {
		bench__say(why, whylen, "bench server: no memory");
		rc = BL_ERR_NOMEM;
		goto out;
	}
	end = bench__now_ns() + span;
	for (;;) {
		int w = wait_for(listen_fd, POLLIN, stop_fd, end);

		if (w == W_TIMEOUT || w == W_STOPPED)
			break;
		if (w == W_ERROR) {
			bench__say(why, whylen, "bench server: poll: %s",
				   strerror(errno));
			rc = BL_ERR_IO;
			goto out;
		}
		c = accept4(listen_fd, NULL, NULL,
			    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c < 0) {
			/* The client's trouble, not the server's. */
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO || errno == ENETDOWN ||
			    errno == ENETUNREACH || errno == EHOSTUNREACH)
				continue;
			bench__say(why, whylen, "bench server: accept: %s",
				   strerror(errno));
			rc = BL_ERR_IO;
			goto out;
		}
		st.connections++;
		w = serve_one(c, buf, stop_fd, end + BENCH_NET_GRACE_MS * MS,
			      &st);
		close(c);
		c = -1;
		if (w == W_STOPPED)
			break;
	}
	*stats_r = st;
	rc = BL_OK;
out:
	if (c >= 0)
		close(c);
	free(buf);
	return rc;
}

/* A connection to host:port's server within BENCH_NET_CONNECT_MS: *fd_r,
 * non-blocking. */
static int connect_to(const char *host, uint16_t port, int *fd_r, char *why,
		      size_t whylen)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(port)};
	socklen_t el = sizeof(int);
	int fd = -1, err = 0, w, rc;

	rc = parse_host(host, &sa.sin_addr, why, whylen);
	if (rc)
		goto out;
	if (!port) {
		bench__say(why, whylen, "%s: port 0", host);
		rc = BL_ERR_INVAL;
		goto out;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		bench__say(why, whylen, "socket: %s", strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno != EINPROGRESS) {
			err = errno;
		} else {
			w = wait_for(fd, POLLOUT, -1,
				     bench__now_ns() +
					 BENCH_NET_CONNECT_MS * MS);
			if (w == W_TIMEOUT) {
				bench__say(why, whylen,
					   "%s port %u: no connection in %d s",
					   host, port,
					   BENCH_NET_CONNECT_MS / 1000);
				rc = BL_ERR_TIMEOUT;
				goto out;
			}
			if (w < 0 ||
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
				err = errno;
		}
	}
	if (err) {
		bench__say(
		    why, whylen, "%s port %u: %s%s", host, port, strerror(err),
		    err == ECONNREFUSED ? " (no bench server there)" : "");
		rc = BL_ERR_IO;
		goto out;
	}
	*fd_r = fd;
	fd = -1;
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* The reason a client's send or receive failed, for why. */
static int client_fail(int w, const char *host, uint16_t port,
		       const char *doing, char *why, size_t whylen)
{
	if (w == W_TIMEOUT) {
		bench__say(why, whylen, "%s port %u: %s: no progress in %d s",
			   host, port, doing, BENCH_NET_IDLE_MS / 1000);
		return BL_ERR_TIMEOUT;
	}
	if (w == 0 || errno == EPIPE || errno == ECONNRESET) {
		bench__say(why, whylen,
			   "%s port %u: %s: the server closed the connection",
			   host, port, doing);
		return BL_ERR_EOF;
	}
	bench__say(why, whylen, "%s port %u: %s: %s", host, port, doing,
		   strerror(errno));
	return BL_ERR_IO;
}

/* The server's count, once the stream is shut down. The stream's tail may
 * still be in flight: while the bytes not yet acknowledged (SIOCOUTQ)
 * go down the wait goes on, up to as long again as the stream ran; a
 * server that makes no progress for BENCH_NET_GRACE_MS is given up. */
static int await_count(int fd, int64_t span, uint64_t *count_r,
		       const char *host, uint16_t port, char *why,
		       size_t whylen)
{
	int64_t now = bench__now_ns(), shut = now;
	int64_t stalled = now + BENCH_NET_GRACE_MS * MS;
	int64_t last = now + span + BENCH_NET_GRACE_MS * MS;
	int outq, least = INT_MAX;
	uint8_t be[8];
	size_t got = 0;

	if (ioctl(fd, SIOCOUTQ, &outq) == 0)
		least = outq;
	while (got < sizeof(be)) {
		ssize_t r = recv_until(fd, be + got, sizeof(be) - got, -1,
				       min_end(now + 1000 * MS, stalled));

		now = bench__now_ns();
		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		if (r != W_TIMEOUT)
			return client_fail((int)r, host, port,
					   "waiting for the count", why,
					   whylen);
		if (now >= stalled || now >= last) {
			bench__say(why, whylen,
				   "%s port %u: no count from the server "
				   "%.1f s after the stream",
				   host, port, (double)(now - shut) / 1e9);
			return BL_ERR_TIMEOUT;
		}
		if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq < least) {
			least = outq;
			stalled = now + BENCH_NET_GRACE_MS * MS;
		}
	}
	*count_r = 0;
	for (size_t i = 0; i < sizeof(be); i++)
		*count_r = *count_r << 8 | be[i];
	return BL_OK;
}

int bench_net_throughput(const char *host, uint16_t port, double seconds,
			 double *mbits_r, uint64_t *bytes_r, char *why,
			 size_t whylen)
{
	int64_t span = run_span(seconds, "throughput", why, whylen);
	int64_t start, end;
	uint64_t sent = 0, counted = 0;
	uint8_t *buf = NULL;
	int fd = -1, w, rc;

	if (span < 0)
		return BL_ERR_INVAL;
	rc = connect_to(host, port, &fd, why, whylen);
	if (rc)
		goto out;
	/* Zeros: TCP does not compress, and the server looks at none. */
	buf = calloc(1, BUF_SIZE);
	if (!buf) {
		bench__say(why, whylen, "throughput: no memory");
		rc = BL_ERR_NOMEM;
		goto out;
	}
	start = bench__now_ns();
	end = start + span;
	w = send_until(fd, "S", 1, -1, start + BENCH_NET_IDLE_MS * MS);
	if (w < 0) {
		rc = client_fail(w, host, port, "stream", why, whylen);
		goto out;
	}
	while (bench__now_ns() < end) {
		ssize_t r;

		w = wait_for(fd, POLLOUT, -1, end);
		if (w == W_TIMEOUT)
			break;
		if (w < 0) {
			rc = client_fail(w, host, port, "stream", why, whylen);
			goto out;
		}
		r = send(fd, buf, BUF_SIZE, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR) {
			rc = client_fail(W_ERROR, host, port, "stream", why,
					 whylen);
			goto out;
		}
		if (r > 0)
			sent += (uint64_t)r;
	}
	if (shutdown(fd, SHUT_WR) < 0) {
		rc = client_fail(W_ERROR, host, port, "ending the stream", why,
				 whylen);
		goto out;
	}
	rc = await_count(fd, span, &counted, host, port, why, whylen);
	if (rc)
		goto out;
	if (counted != sent) {
		bench__say(why, whylen,
			   "%s port %u: the server counted %llu bytes of the "
			   "%llu sent",
			   host, port, (unsigned long long)counted,
			   (unsigned long long)sent);
		rc = BL_ERR_PROTO;
		goto out;
	}
	*mbits_r = (double)counted * 8 / 1e6 /
		   ((double)(bench__now_ns() - start) / 1e9);
	*bytes_r = counted;
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return rc;
}

int bench_net_rr(const char *host, uint16_t port, double seconds,
		 double *per10s_r, uint64_t *count_r, char *why, size_t whylen)
{
	int64_t span = run_span(seconds, "request/response", why, whylen);
	int64_t start, end, now;
	uint64_t count = 0;
	uint8_t req = 'r', resp;
	int fd = -1, one = 1, rc;
	ssize_t r;

	if (span < 0)
		return BL_ERR_INVAL;
	rc = connect_to(host, port, &fd, why, whylen);
	if (rc)
		goto out;
	/* netperf's TCP_RR: a request must not wait for Nagle. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) {
		rc = client_fail(W_ERROR, host, port, "TCP_NODELAY", why,
				 whylen);
		goto out;
	}
	start = now = bench__now_ns();
	end = start + span;
	r = send_until(fd, "R", 1, -1, start + BENCH_NET_IDLE_MS * MS);
	while (r == 0 && now < end) {
		int64_t until = min_end(end, now + BENCH_NET_IDLE_MS * MS);

		r = send_until(fd, &req, 1, -1, until);
		if (r == 0)
			r = recv_until(fd, &resp, 1, -1, until);
		now = bench__now_ns();
		if (r > 0) {
			count++;
			r = 0;
		} else if (r == 0) {
			r = W_ERROR;
			errno = EPIPE; /* the server closed the connection */
		} else if (r == W_TIMEOUT && now >= end) {
			/* in flight at the deadline: not counted */
			r = 0;
		}
	}
	if (r < 0) {
		rc = client_fail((int)r, host, port, "request/response", why,
				 whylen);
		goto out;
	}
	if (!count) {
		bench__say(why, whylen, "%s port %u: no request answered", host,
			   port);
		rc = BL_ERR_TIMEOUT;
		goto out;
	}
	*per10s_r = (double)count * 10 / ((double)(now - start) / 1e9);
	*count_r = count;
	rc = BL_OK;
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

uint16_t bench_icmp_checksum(const void *d, size_t len)
{
	const uint8_t *b = d;
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		sum += (uint32_t)(b[len - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* An echo request or reply as ping(8) sends it: 56 bytes of data. */
struct echo {
	struct icmphdr h;
	uint8_t data[56];
};

/* Echo seq's data: what its reply must carry back. */
static void echo_data(uint8_t *data, uint16_t seq)
{
	for (size_t i = 0; i < sizeof(((struct echo *)0)->data); i++)
		data[i] = (uint8_t)(seq * 7 + i);
}

/* A raw ICMP socket if we may, else a datagram one: *fd_r, *raw_r. */
static int open_icmp(int *fd_r, bool *raw_r, char *why, size_t whylen)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);

	if (fd >= 0) {
		*fd_r = fd;
		*raw_r = true;
		return BL_OK;
	}
	if (errno != EPERM && errno != EACCES) {
		bench__say(why, whylen, "ICMP socket: %s", strerror(errno));
		return BL_ERR_IO;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd >= 0) {
		*fd_r = fd;
		*raw_r = false;
		return BL_OK;
	}
	if (errno == EPERM || errno == EACCES) {
		bench__say(why, whylen,
			   "ICMP echo: no raw socket (root or CAP_NET_RAW) "
			   "and group %u is not in net.ipv4.ping_group_range",
			   (unsigned)getgid());
		return BL_ERR_DENIED;
	}
	bench__say(why, whylen, "ICMP datagram socket: %s", strerror(errno));
	return BL_ERR_IO;
}

/* One ping's state: what was sent when, and what came back. */
struct pinger {
	int fd;
	bool raw;
	uint16_t id; /* a raw socket's; the kernel sets a datagram one's */
	struct in_addr to;
	unsigned count, next;
	int64_t timeout;
	int64_t sent[BENCH_PING_MAX];
	uint8_t done[(BENCH_PING_MAX + 7) / 8]; /* answered, or not sent */
	unsigned settled;
	int64_t sum, min, max; /* ns */
	struct bench_ping_result *res;
};

static void send_echo(struct pinger *p)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = p->to};
	struct echo req = {.h.type = ICMP_ECHO};
	uint16_t seq = (uint16_t)p->next++;

	req.h.un.echo.id = htons(p->id);
	req.h.un.echo.sequence = htons(seq);
	echo_data(req.data, seq);
	req.h.checksum = bench_icmp_checksum(&req, sizeof(req));
	p->sent[seq] = bench__now_ns();
	p->res->sent++;
	/* Unreachable, filtered, no buffer: the echo is lost, as ping's. */
	if (sendto(p->fd, &req, sizeof(req), 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		p->res->send_errors++;
		p->done[seq / 8] |= (uint8_t)(1u << (seq % 8));
		p->settled++;
	}
}

/* Every reply waiting on the socket. A raw socket gets every ICMP
 * message to this machine, IP header first: only ours count. */
static void take_replies(struct pinger *p)
{
	uint8_t buf[512], want[sizeof(((struct echo *)0)->data)];

	for (;;) {
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(p->fd, buf, sizeof(buf), MSG_DONTWAIT,
				       (struct sockaddr *)&from, &fl);
		int64_t now = bench__now_ns(), rtt;
		const uint8_t *icmp = buf;
		struct echo rep;
		uint16_t seq;

		if (len < 0)
			return;
		if (p->raw) {
			size_t ihl = len > 0 ? (size_t)(buf[0] & 0xf) * 4 : 0;

			if (ihl < 20 || (size_t)len < ihl)
				continue;
			icmp += ihl;
			len -= (ssize_t)ihl;
		}
		if ((size_t)len < sizeof(rep) ||
		    from.sin_addr.s_addr != p->to.s_addr)
			continue;
		memcpy(&rep, icmp, sizeof(rep));
		seq = ntohs(rep.h.un.echo.sequence);
		if (rep.h.type != ICMP_ECHOREPLY ||
		    (p->raw && ntohs(rep.h.un.echo.id) != p->id) ||
		    seq >= p->next || (p->done[seq / 8] & (1u << (seq % 8))))
			continue;
		echo_data(want, seq);
		rtt = now - p->sent[seq];
		if (memcmp(rep.data, want, sizeof(want)) || rtt > p->timeout)
			continue;
		p->done[seq / 8] |= (uint8_t)(1u << (seq % 8));
		p->settled++;
		p->res->replied++;
		p->sum += rtt;
		p->min = p->res->replied == 1 || rtt < p->min ? rtt : p->min;
		p->max = rtt > p->max ? rtt : p->max;
	}
}

int bench_ping(struct in_addr to, unsigned count, unsigned interval_ms,
	       unsigned timeout_ms, struct bench_ping_result *res_r, char *why,
	       size_t whylen)
{
	/* A raw socket sees every process' echo replies: the id tells
	 * ours, different for each call of one process too. */
	static unsigned calls;
	struct bench_ping_result res = {0};
	struct pinger *p = NULL;
	int64_t start, interval = (int64_t)interval_ms * MS;
	int rc;

	if (count < 1 || count > BENCH_PING_MAX || interval_ms > 60000 ||
	    timeout_ms < 1 || timeout_ms > 60000) {
		bench__say(why, whylen,
			   "ICMP echo: %u echoes %u ms apart, %u ms each: "
			   "want 1 to %d, 0 to 60000 ms, 1 to 60000 ms",
			   count, interval_ms, timeout_ms, BENCH_PING_MAX);
		return BL_ERR_INVAL;
	}
	/* Some 8 KiB: off the stack of a daemon's thread. */
	p = calloc(1, sizeof(*p));
	if (!p) {
		bench__say(why, whylen, "ICMP echo: no memory");
		return BL_ERR_NOMEM;
	}
	p->fd = -1;
	rc = open_icmp(&p->fd, &p->raw, why, whylen);
	if (rc)
		goto out;
	p->id = (uint16_t)(getpid() + 7919 * calls++);
	p->to = to;
	p->count = count;
	p->timeout = (int64_t)timeout_ms * MS;
	p->res = &res;
	start = bench__now_ns();
	for (;;) {
		int64_t now = bench__now_ns(), wake;
		int w;

		if (p->next < count &&
		    now >= start + (int64_t)p->next * interval) {
			send_echo(p);
			continue;
		}
		if (p->next == count &&
		    (p->settled == count ||
		     now >= p->sent[count - 1] + p->timeout))
			break;
		wake = p->next < count ? start + (int64_t)p->next * interval
				       : p->sent[count - 1] + p->timeout;
		w = wait_for(p->fd, POLLIN, -1, wake);
		if (w == W_ERROR) {
			bench__say(why, whylen, "ICMP echo: poll: %s",
				   strerror(errno));
			rc = BL_ERR_IO;
			goto out;
		}
		if (w > 0)
			take_replies(p);
	}
	res.raw = p->raw;
	if (res.replied) {
		res.min_us = p->min / 1000;
		res.max_us = p->max / 1000;
		res.avg_us = p->sum / 1000 / res.replied;
		res.mean_ms = (double)p->sum / res.replied / 1e6;
	}
	*res_r = res;
	rc = BL_OK;
out:
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	return rc;
}

int bench_net_rtt(const char *host, unsigned count, double *ms_r,
		  unsigned *lost_r, char *why, size_t whylen)
{
	struct bench_ping_result res;
	struct in_addr a;
	int rc;

	rc = parse_host(host, &a, why, whylen);
	if (rc)
		return rc;
	rc = bench_ping(a, count, BENCH_PING_INTERVAL_MS, BENCH_PING_TIMEOUT_MS,
			&res, why, whylen);
	if (rc)
		return rc;
	if (!res.replied) {
		bench__say(why, whylen, "%s: none of %u ICMP echoes answered",
			   host, count);
		return BL_ERR_TIMEOUT;
	}
	*ms_r = res.mean_ms;
	*lost_r = res.sent - res.replied;
	return BL_OK;
}
