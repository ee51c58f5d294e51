/*
 * blanket-lab-stamp: timing from outside the guests, for the lab's
 * benchmarks (docs/bench/). Runs in a node's dom0.
 *
 *   follow FILE         print each line appended to FILE (a guest's console
 *                       log, which xenconsoled writes as the guest prints) as
 *                       "SECONDS.MILLIS LINE", stamped with this node's
 *                       CLOCK_REALTIME as it arrives (inotify wakes it: no
 *                       polling load on the node), the lines after the end
 *                       FILE has when it starts, or all of them if it
 *                       appears later; runs until killed
 *   serve ADDR PORT     answer each UDP datagram with this node's
 *                       CLOCK_REALTIME (8 bytes, nanoseconds, big-endian)
 *   offset ADDR PORT    ask a `serve` PROBES times and print
 *                       "OFFSET_MS ERROR_MS": the other node's clock minus
 *                       this one's, from the exchange with the shortest
 *                       round trip, and half that round trip, which bounds
 *                       the error (NTP's reasoning)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/common/frame.h"

#define WAIT_MS	      2 /* for FILE to appear */
#define PROBES	      50
#define PROBE_WAIT_MS 500

static int64_t realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static void nap(void)
{
	struct timespec t = {0, WAIT_MS * 1000000L};

	nanosleep(&t, NULL);
}

static int follow(const char *path)
{
	char buf[4096], line[4096], ev[4096];
	size_t used = 0;
	int fd, in;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && lseek(fd, 0, SEEK_END) < 0)
		return 1;
	while (fd < 0) {
		nap();
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	in = inotify_init1(IN_CLOEXEC);
	if (in < 0 || inotify_add_watch(in, path, IN_MODIFY) < 0)
		return 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		int64_t now = realtime_ns();

		if (r < 0 && errno != EINTR)
			return 1;
		if (r <= 0) {
			/* Nothing new: sleep until the file is written. */
			if (read(in, ev, sizeof(ev)) < 0 && errno != EINTR)
				return 1;
			continue;
		}
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != '\n' && used < sizeof(line) - 1) {
				line[used++] = buf[i];
				continue;
			}
			line[used] = '\0';
			printf("%lld.%03lld %s\n",
			       (long long)(now / 1000000000),
			       (long long)(now / 1000000 % 1000), line);
			used = 0;
		}
	}
}

static int udp_socket(const char *addr, const char *port,
		      struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
		fprintf(stderr, "blanket-lab-stamp: bad address %s\n", addr);
		return -1;
	}
	return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

static int serve(const char *addr, const char *port)
{
	struct sockaddr_in sa, peer;
	int fd = udp_socket(addr, port, &sa);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("blanket-lab-stamp: serve");
		return 1;
	}
	for (;;) {
		socklen_t len = sizeof(peer);
		uint8_t buf[8];

		if (recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			     &len) < 0)
			continue;
		frame_store64(buf, (uint64_t)realtime_ns());
		if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
			   len) < 0)
			continue;
	}
}

static int offset(const char *addr, const char *port)
{
	struct sockaddr_in sa;
	int64_t best_rtt = -1, best_offset = 0;
	int fd = udp_socket(addr, port, &sa);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("blanket-lab-stamp: offset");
		return 1;
	}
	for (int i = 0; i < PROBES; i++) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		uint8_t buf[8] = {0};
		int64_t t0 = realtime_ns(), t1, remote;

		if (send(fd, buf, sizeof(buf), 0) < 0 ||
		    poll(&p, 1, PROBE_WAIT_MS) <= 0 ||
		    recv(fd, buf, sizeof(buf), 0) != sizeof(buf))
			continue;
		t1 = realtime_ns();
		remote = (int64_t)frame_load64(buf);
		if (best_rtt < 0 || t1 - t0 < best_rtt) {
			best_rtt = t1 - t0;
			best_offset = remote - (t0 + t1) / 2;
		}
	}
	if (best_rtt < 0) {
		fprintf(stderr, "blanket-lab-stamp: %s:%s never answered\n",
			addr, port);
		return 1;
	}
	printf("%.3f %.3f\n", (double)best_offset / 1e6,
	       (double)best_rtt / 2e6);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "follow"))
		return follow(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "offset"))
		return offset(argv[2], argv[3]);
	fprintf(stderr, "usage: blanket-lab-stamp follow FILE | serve ADDR "
			"PORT | offset ADDR PORT\n");
	return 2;
}
