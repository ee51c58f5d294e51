/*
 * The lab's network guest.
 *
 * As /init of a PV guest: loads xen-netfront (/lib/modules/xen-netfront.ko),
 * waits for eth0, gives it the address net_addr=A.B.C.D/LEN from the
 * kernel command line (and the MTU net_mtu=N: the overlay's is the link's
 * less 110, docs/network.md), or with net_addr=dhcp asks its node's DHCP
 * service for both (busybox udhcpc at /usr/bin/busybox, with this program
 * as its script), and answers every UDP datagram sent to its port 7 with
 * the same bytes (echo). Printed on the console:
 *     net up <address>/<len> mtu <mtu>
 * With net_peer=A.B.C.D it also sends a numbered datagram of net_size=N
 * bytes (8 to 8192, default 8) to that peer's port 7 every net_ms=N
 * milliseconds (default 10) and counts the echoes that come back whole:
 *     net sent <S> echoed <E> gap-ms <G>
 * once a second, G being the longest time so far between two echoes
 * (from the first echo on). A datagram larger than the link's MTU goes in
 * IP fragments.
 *
 * It also echoes TCP on port 7, one connection at a time. With
 * net_tcp=A.B.C.D it streams net_tcp_kib=N KiB (default 4096) through that
 * peer's TCP echo, checks every byte that comes back, and prints
 *     tcp sent <bytes> echoed <bytes> ok|BAD in <ms> ms
 * and with net_ping=A.B.C.D it sends 20 ICMP echo requests (56 bytes of
 * data, as ping(8)), 100 ms apart:
 *     ping sent 20 replied <R> rtt-us min <a> avg <b> max <c>
 * With /usr/bin/iperf3 in its initramfs it runs `iperf3 -s`, and with
 * net_iperf=A.B.C.D `iperf3 -c A.B.C.D -t 10 -f m` (again every 5 s until
 * it succeeds, for two minutes), printing its lines as "iperf <line>".
 *
 * Installed as /sbin/poweroff and /sbin/reboot too, as the other guests
 * are.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lab/guest/guest_init.h"
#include "lab/guest/guest_net.h"
#include "toolstack/bench/workload.h"

#define ECHO_PORT 7
#define SIZE_MAX_ 8192

static int64_t now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int64_t now_ms(void)
{
	return now_us() / 1000;
}

static int write_all(int fd, const unsigned char *b, size_t len)
{
	while (len) {
		ssize_t w = write(fd, b, len);

		if (w <= 0)
			return -1;
		b += w;
		len -= (size_t)w;
	}
	return 0;
}

/* As udhcpc's script: "deconfig" brings eth0 up with no address; "bound"
 * and "renew" give it the lease's address ($ip/$mask) and the MTU the
 * server sent ($mtu, option 26). The exit status. */
static int dhcp_event(const char *event)
{
	const char *ip = getenv("ip"), *mask = getenv("mask");
	const char *mtu = getenv("mtu");
	char spec[40];
	int s, rc;

	if (!strcmp(event, "deconfig")) {
		s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		rc = s < 0 || guest_net_link_up(s, "eth0") < 0;
		if (s >= 0)
			close(s);
		return rc;
	}
	if (strcmp(event, "bound") && strcmp(event, "renew"))
		return 0;
	if (!ip || !mask) {
		printf("netecho: udhcpc's %s carries no ip or mask\n", event);
		return 1;
	}
	snprintf(spec, sizeof(spec), "%s/%s", ip, mask);
	return guest_net_configure("netecho", spec,
				   mtu ? strtol(mtu, NULL, 10) : 0)
		   ? 1
		   : 0;
}

/* eth0's address and MTU from its node's DHCP service: busybox udhcpc,
 * with this program as its script, a discover a second for a minute. */
static int configure_dhcp(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/usr/bin/busybox", "udhcpc", "-i", "eth0", "-f", "-q",
		      "-n", "-t", "60", "-T", "1", "-O", "mtu", "-s", "/init",
		      (char *)NULL);
		printf("netecho: /usr/bin/busybox: %s\n", strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		printf("netecho: no DHCP lease\n");
		return -1;
	}
	return 0;
}

struct counts {
	uint64_t sent, echoed;
	int64_t last_echo, gap; /* -1: no echo yet */
};

/* Datagram seq of size bytes: the number, then bytes made from it. */
static void make_datagram(unsigned char *d, size_t size, uint64_t seq)
{
	memcpy(d, &seq, sizeof(seq));
	for (size_t i = sizeof(seq); i < size; i++)
		d[i] = (unsigned char)(seq * 7 + i);
}

/* An echo that came back whole: the size sent, the bytes of its number. */
static int echo_whole(const unsigned char *d, ssize_t len, size_t size)
{
	static unsigned char want[SIZE_MAX_];
	uint64_t seq;

	if (len != (ssize_t)size)
		return 0;
	memcpy(&seq, d, sizeof(seq));
	make_datagram(want, size, seq);
	return memcmp(d, want, size) == 0;
}

/* Serve echoes, and with a peer send to it every every_ms, size bytes. */
static void run(const struct in_addr *peer, long every_ms, size_t size)
{
	static unsigned char out[SIZE_MAX_], buf[SIZE_MAX_ + 1];
	struct sockaddr_in me = {.sin_family = AF_INET,
				 .sin_port = htons(ECHO_PORT)};
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(ECHO_PORT)};
	struct counts c = {0, 0, -1, 0};
	int64_t next_send = now_ms(), next_report = now_ms() + 1000;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	/* the client's own socket: echoes come back to it */
	int cs = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0 || cs < 0 ||
	    bind(s, (struct sockaddr *)&me, sizeof(me)) < 0) {
		printf("netecho: socket: %s\n", strerror(errno));
		return;
	}
	if (peer)
		to.sin_addr = *peer;
	for (;;) {
		struct pollfd p[2] = {{.fd = s, .events = POLLIN},
				      {.fd = cs, .events = POLLIN}};
		int64_t now = now_ms(), wait = 1000;
		struct sockaddr_in from;
		socklen_t fl = sizeof(from);
		ssize_t r;

		if (peer && now >= next_send) {
			make_datagram(out, size, c.sent++);
			if (sendto(cs, out, size, 0, (struct sockaddr *)&to,
				   sizeof(to)) < 0 &&
			    errno != ENETUNREACH && errno != EHOSTUNREACH)
				printf("netecho: send: %s\n", strerror(errno));
			next_send += every_ms;
			if (next_send < now)
				next_send = now + every_ms;
		}
		if (peer && now >= next_report) {
			printf("net sent %llu echoed %llu gap-ms %lld\n",
			       (unsigned long long)c.sent,
			       (unsigned long long)c.echoed, (long long)c.gap);
			next_report += 1000;
		}
		if (peer)
			wait = next_send - now < next_report - now
				   ? next_send - now
				   : next_report - now;
		if (poll(p, 2, wait < 0 ? 0 : (int)wait) <= 0)
			continue;
		if (p[0].revents) {
			r = recvfrom(s, buf, sizeof(buf), 0,
				     (struct sockaddr *)&from, &fl);
			if (r >= 0)
				sendto(s, buf, (size_t)r, 0,
				       (struct sockaddr *)&from, fl);
		}
		if (p[1].revents &&
		    echo_whole(buf, recv(cs, buf, sizeof(buf), 0), size)) {
			now = now_ms();
			if (c.last_echo >= 0 && now - c.last_echo > c.gap)
				c.gap = now - c.last_echo;
			c.last_echo = now;
			c.echoed++;
		}
	}
}

/* The TCP echo: a connection at a time, every byte back. */
static void tcp_echo_server(void)
{
	struct sockaddr_in me = {.sin_family = AF_INET,
				 .sin_port = htons(ECHO_PORT)};
	static unsigned char buf[65536];
	int one = 1, s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    listen(s, 4) < 0) {
		printf("netecho: tcp: %s\n", strerror(errno));
		return;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);
		ssize_t r;

		while (c >= 0 && (r = read(c, buf, sizeof(buf))) > 0)
			if (write_all(c, buf, (size_t)r))
				break;
		if (c >= 0)
			close(c);
	}
}

/* Byte i of the TCP stream. */
static unsigned char stream_byte(uint64_t i)
{
	return (unsigned char)(i * 13 + (i >> 12));
}

/* Stream kib KiB through peer's TCP echo, checking what comes back. */
static void tcp_client(const struct in_addr *peer, long kib)
{
	struct sockaddr_in to = {.sin_family = AF_INET,
				 .sin_port = htons(ECHO_PORT),
				 .sin_addr = *peer};
	static unsigned char out[16384], in[16384];
	uint64_t total = (uint64_t)kib * 1024, sent = 0, got = 0;
	int64_t start = now_ms(), give_up = start + 120000;
	int s = -1, ok = 1;

	/* The peer's server may not be up yet: try for two minutes. */
	while (now_ms() < give_up) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (connect(s, (struct sockaddr *)&to, sizeof(to)) == 0)
			break;
		close(s);
		s = -1;
		guest_sleep_ms(500);
	}
	if (s < 0) {
		printf("tcp failed: no connection to the peer\n");
		return;
	}
	start = now_ms();
	while (got < total) {
		struct pollfd p = {.fd = s, .events = POLLIN};
		ssize_t r;

		if (sent < total && sent - got < sizeof(out) * 4)
			p.events |= POLLOUT;
		if (poll(&p, 1, 30000) <= 0)
			break;
		if (p.revents & POLLOUT) {
			size_t n = total - sent < sizeof(out) ? total - sent
							      : sizeof(out);

			for (size_t i = 0; i < n; i++)
				out[i] = stream_byte(sent + i);
			r = write(s, out, n);
			if (r > 0)
				sent += (uint64_t)r;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			r = read(s, in, sizeof(in));
			if (r <= 0)
				break;
			for (ssize_t i = 0; i < r; i++)
				ok &= in[i] == stream_byte(got + (uint64_t)i);
			got += (uint64_t)r;
		}
	}
	close(s);
	printf("tcp sent %llu echoed %llu %s in %lld ms\n",
	       (unsigned long long)sent, (unsigned long long)got,
	       ok && got == total ? "ok" : "BAD",
	       (long long)(now_ms() - start));
}

#define IPERF "/usr/bin/iperf3"

/* iperf3 -s, when the initramfs has it. */
static void iperf_server(const struct in_addr *a, long unused)
{
	(void)a;
	(void)unused;
	if (access(IPERF, X_OK) == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execl(IPERF, "iperf3", "-s", (char *)NULL);
	}
}

/* One iperf3 client run, its lines printed; its exit status. */
static int iperf_once(const char *peer)
{
	char line[512];
	int p[2], status = -1;
	pid_t pid;
	FILE *out;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		execl(IPERF, "iperf3", "-c", peer, "-t", "10", "-f", "m",
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	out = fdopen(p[0], "r");
	while (out && fgets(line, sizeof(line), out))
		printf("iperf %s", line);
	if (out)
		fclose(out);
	waitpid(pid, &status, 0);
	fflush(stdout);
	return status;
}

static void iperf_client(const struct in_addr *a, long unused)
{
	char peer[INET_ADDRSTRLEN];
	int64_t give_up = now_ms() + 120000;

	(void)unused;
	inet_ntop(AF_INET, a, peer, sizeof(peer));
	if (access(IPERF, X_OK) != 0) {
		printf("iperf failed: no %s in this guest\n", IPERF);
		return;
	}
	while (iperf_once(peer) != 0 && now_ms() < give_up)
		guest_sleep_ms(5000);
}

/* fn(arg) in a process of its own: the echoes go on meanwhile. */
static void spawn(void (*fn)(const struct in_addr *, long),
		  const struct in_addr *a, long arg)
{
	if (fork() == 0) {
		fn(a, arg);
		_exit(0);
	}
}

/* 20 ICMP echo requests to a, 100 ms apart, with blanket bench's echo
 * (a reply later than a second is lost); the replies' round trips. */
static void ping_one(const struct in_addr *a, long unused)
{
	struct bench_ping_result res;
	char why[BL_ERRMSG_MAX];

	(void)unused;
	if (bench_ping(*a, 20, BENCH_PING_INTERVAL_MS, BENCH_PING_TIMEOUT_MS,
		       &res, why, sizeof(why))) {
		printf("ping failed: %s\n", why);
		return;
	}
	printf("ping sent %u replied %u rtt-us min %lld avg %lld max %lld\n",
	       res.sent, res.replied, (long long)res.min_us,
	       (long long)res.avg_us, (long long)res.max_us);
}

static void tcp_server_one(const struct in_addr *a, long unused)
{
	(void)a;
	(void)unused;
	tcp_echo_server();
}

/* An address from the command line's variable, or NULL (said why). */
static const struct in_addr *addr_of(const char *var, struct in_addr *a)
{
	const char *v = getenv(var);

	if (!v)
		return NULL;
	if (inet_pton(AF_INET, v, a) != 1) {
		printf("netecho: %s \"%s\": not an IPv4 address\n", var, v);
		return NULL;
	}
	return a;
}

int main(int argc, char **argv)
{
	const char *addr = getenv("net_addr"), *ms = getenv("net_ms");
	const char *sz = getenv("net_size"), *kib = getenv("net_tcp_kib");
	long every_ms = ms ? strtol(ms, NULL, 10) : 10;
	long size = sz ? strtol(sz, NULL, 10) : 8;
	long tcp_kib = kib ? strtol(kib, NULL, 10) : 4096;
	long mtu = getenv("net_mtu") ? strtol(getenv("net_mtu"), NULL, 10) : 0;
	struct in_addr p, t, q, i;
	const struct in_addr *peer, *tcp, *pinged, *iperfed;

	guest_shutdown_if_asked(argc, argv);
	if (getpid() != 1 && argc == 2)
		return dhcp_event(argv[1]);
	guest_console();
	if (every_ms < 1 || every_ms > 10000)
		every_ms = 10;
	if (size < 8 || size > SIZE_MAX_)
		size = 8;
	if (tcp_kib < 1 || tcp_kib > 1048576)
		tcp_kib = 4096;
	if (mtu && (mtu < 576 || mtu > 65535)) {
		printf("netecho: net_mtu %ld: want 576 to 65535\n", mtu);
		mtu = 0;
	}
	peer = addr_of("net_peer", &p);
	tcp = addr_of("net_tcp", &t);
	pinged = addr_of("net_ping", &q);
	iperfed = addr_of("net_iperf", &i);
	if (addr && guest_net_wait_eth0("netecho") &&
	    (strcmp(addr, "dhcp") ? guest_net_configure("netecho", addr, mtu)
				  : configure_dhcp()) == 0) {
		fflush(stdout);
		spawn(tcp_server_one, NULL, 0);
		spawn(iperf_server, NULL, 0);
		if (iperfed)
			spawn(iperf_client, iperfed, 0);
		if (tcp)
			spawn(tcp_client, tcp, tcp_kib);
		if (pinged)
			spawn(ping_one, pinged, 0);
		run(peer, every_ms, (size_t)size);
	}
	for (;;)
		pause();
}
