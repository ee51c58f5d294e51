/*
 * The lab's network guest.
 *
 * As /init of a PV guest: loads xen-netfront (/lib/modules/xen-netfront.ko),
 * waits for eth0, gives it the address net_addr=A.B.C.D/LEN from the
 * kernel command line, and answers every UDP datagram sent to its port 7
 * with the same bytes (echo). Printed on the console:
 *     net up <address>/<len> mtu <mtu>
 * With net_peer=A.B.C.D it also sends a numbered datagram of net_size=N
 * bytes (8 to 8192, default 8) to that peer's port 7 every net_ms=N
 * milliseconds (default 10) and counts the echoes that come back whole:
 *     net sent <S> echoed <E> gap-ms <G>
 * once a second, G being the longest time so far between two echoes
 * (from the first echo on). A datagram larger than the link's MTU goes in
 * IP fragments.
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
#include <time.h>
#include <unistd.h>

#include "lab/guest/guest_init.h"

#define ECHO_PORT 7
#define SIZE_MAX_ 8192

static int64_t now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* netfront loaded and eth0 there; false after 60 s. */
static int wait_for_eth0(void)
{
	guest_load_frontend("netecho", "xen-netfront");
	for (int i = 0; i < 600; i++) {
		if (if_nametoindex("eth0"))
			return 1;
		guest_sleep_ms(100);
	}
	printf("netecho: no eth0 after 60 s\n");
	return 0;
}

static int set_addr(int s, const char *name, unsigned long req,
		    struct in_addr a)
{
	struct ifreq ifr;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = a};

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return ioctl(s, req, &ifr);
}

static int link_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return ioctl(s, SIOCSIFFLAGS, &ifr);
}

static int mtu_of(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	return ioctl(s, SIOCGIFMTU, &ifr) < 0 ? -1 : ifr.ifr_mtu;
}

/* eth0 (and lo) up with spec, "A.B.C.D/LEN". */
static int configure(const char *spec)
{
	char addr[32];
	const char *slash = strchr(spec, '/');
	long len = slash ? strtol(slash + 1, NULL, 10) : -1;
	struct in_addr a, mask;
	int s, rc;

	if (!slash || (size_t)(slash - spec) >= sizeof(addr) || len < 1 ||
	    len > 32) {
		printf("netecho: net_addr \"%s\": not A.B.C.D/LEN\n", spec);
		return -1;
	}
	memcpy(addr, spec, (size_t)(slash - spec));
	addr[slash - spec] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1) {
		printf("netecho: net_addr \"%s\": not A.B.C.D/LEN\n", spec);
		return -1;
	}
	mask.s_addr = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = s < 0 || link_up(s, "lo") < 0 ||
		     set_addr(s, "eth0", SIOCSIFADDR, a) < 0 ||
		     set_addr(s, "eth0", SIOCSIFNETMASK, mask) < 0 ||
		     link_up(s, "eth0") < 0
		 ? -1
		 : 0;
	if (rc)
		printf("netecho: configuring eth0: %s\n", strerror(errno));
	else
		printf("net up %s mtu %d\n", spec, mtu_of(s, "eth0"));
	if (s >= 0)
		close(s);
	return rc;
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

int main(int argc, char **argv)
{
	const char *addr = getenv("net_addr"), *peer = getenv("net_peer");
	const char *ms = getenv("net_ms"), *sz = getenv("net_size");
	long every_ms = ms ? strtol(ms, NULL, 10) : 10;
	long size = sz ? strtol(sz, NULL, 10) : 8;
	struct in_addr p;

	guest_shutdown_if_asked(argc, argv);
	guest_console();
	if (every_ms < 1 || every_ms > 10000)
		every_ms = 10;
	if (size < 8 || size > SIZE_MAX_)
		size = 8;
	if (peer && inet_pton(AF_INET, peer, &p) != 1) {
		printf("netecho: net_peer \"%s\": not an IPv4 address\n", peer);
		peer = NULL;
	}
	if (addr && wait_for_eth0() && configure(addr) == 0)
		run(peer ? &p : NULL, every_ms, (size_t)size);
	for (;;)
		pause();
}
