/* blanket bench's workloads: pi, the disk's three figures on a scratch
 * file, the benchmark server and its clients on 127.0.0.1 (the server in a
 * child process), and ICMP echo when this process may send it. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/bench/workload.h"
#include "toolstack/common/path.h"

static char dir[SCRATCH_DIR_MAX];
static char why[BL_ERRMSG_MAX];

static int setup(void)
{
	return scratch_dir_make(dir, "bench-workload") ? 1 : 0;
}

static int teardown(void)
{
	return path_remove_tree(dir) == BL_OK ? 0 : 1;
}

static double elapsed_since(int64_t start)
{
	return (double)(bench__now_ns() - start) / 1e9;
}

/* rc is want, and why says contains. */
static void expect_fail(int rc, int want, const char *contains)
{
	CU_ASSERT_EQUAL(rc, want);
	if (!strstr(why, contains)) {
		fprintf(stderr, "\nwhy \"%s\" lacks \"%s\"\n", why, contains);
		CU_FAIL("unclear message");
	}
}

static void test_cpu(void)
{
	double seconds = 0, pi = 0;

	CU_ASSERT_EQUAL(
	    bench_cpu(BENCH_CPU_ITERATIONS, &seconds, &pi, why, sizeof(why)),
	    BL_OK);
	CU_ASSERT(fabs(pi - M_PI) < 1e-6);
	CU_ASSERT(seconds > 0);
	/* Fewer terms: within the series' bound, 4 / (2n + 1). */
	CU_ASSERT_EQUAL(bench_cpu(1000, &seconds, &pi, why, sizeof(why)),
			BL_OK);
	CU_ASSERT(fabs(pi - M_PI) < 4.0 / 2001);
	CU_ASSERT(fabs(pi - M_PI) > 1e-6);
	CU_ASSERT_EQUAL(bench_cpu(1, &seconds, &pi, why, sizeof(why)), BL_OK);
	CU_ASSERT_DOUBLE_EQUAL(pi, 4.0, 1e-12);
	expect_fail(bench_cpu(0, &seconds, &pi, why, sizeof(why)), BL_ERR_INVAL,
		    "0 iterations");
}

/* The file is what bench_disk_byte() says, size bytes of it. */
static bool holds_pattern(const char *path, uint64_t size)
{
	static uint8_t buf[65536];
	uint64_t off = 0;
	bool ok = true;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return false;
	while (ok && (r = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			ok &= buf[i] == bench_disk_byte(off + (uint64_t)i);
		off += (uint64_t)r;
	}
	close(fd);
	return ok && off == size;
}

static void test_disk_steps(void)
{
	/* Three chunks, a block and a short block: every kind of end. */
	const uint64_t bytes = 3 * BENCH_DISK_CHUNK + BENCH_DISK_BLOCK + 5;
	const char *path = scratch_path(dir, "steps.dat");
	double wkbs = 0, rkbs = 0, iops = 0;
	bool direct = false;
	struct stat st;
	int fd;

	CU_ASSERT_EQUAL_FATAL(
	    bench_disk_write(path, bytes, &wkbs, why, sizeof(why)), BL_OK);
	CU_ASSERT(wkbs > 0);
	CU_ASSERT(stat(path, &st) == 0 && (uint64_t)st.st_size == bytes);
	CU_ASSERT(holds_pattern(path, bytes));
	/* Every block differs: its offset opens it. */
	CU_ASSERT_EQUAL(bench_disk_byte(BENCH_DISK_BLOCK + 1), 0x10);
	CU_ASSERT_EQUAL(bench_disk_byte(BENCH_DISK_CHUNK + 2), 0x10);

	CU_ASSERT_EQUAL(bench_disk_read(path, 0, &rkbs, why, sizeof(why)),
			BL_OK);
	CU_ASSERT(rkbs > 0);
	CU_ASSERT_EQUAL(
	    bench_disk_iops(path, 0, 0.2, &iops, &direct, why, sizeof(why)),
	    BL_OK);
	CU_ASSERT(iops > 0);
	printf("\n  disk on %s: write %.0f KB/s, read %.0f KB/s, %.0f IOPS "
	       "(%s) ",
	       dir, wkbs, rkbs, iops,
	       direct ? "O_DIRECT" : "page cache dropped");

	/* The first bytes only (a device's), and no more than there are. */
	CU_ASSERT_EQUAL(
	    bench_disk_read(path, BENCH_DISK_CHUNK, &rkbs, why, sizeof(why)),
	    BL_OK);
	CU_ASSERT_EQUAL(bench_disk_iops(path, 2 * BENCH_DISK_BLOCK, 0.02, &iops,
					&direct, why, sizeof(why)),
			BL_OK);
	expect_fail(bench_disk_read(path, bytes + 1, &rkbs, why, sizeof(why)),
		    BL_ERR_INVAL, "want 3149830 or more");

	/* A block that does not hold what was written is an error. */
	fd = open(path, O_WRONLY);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(pwrite(fd, "garbage!", 8, 2 * BENCH_DISK_BLOCK), 8);
	close(fd);
	expect_fail(bench_disk_read(path, 0, &rkbs, why, sizeof(why)),
		    BL_ERR_IO, "block at 8192 does not hold");
	CU_ASSERT_EQUAL(unlink(path), 0);
}

static void test_disk_whole(void)
{
	const char *path = scratch_path(dir, "whole.dat");
	struct bench_disk_result res = {0};

	CU_ASSERT_EQUAL(
	    bench_disk(path, 2 * BENCH_DISK_CHUNK, 0.1, &res, why, sizeof(why)),
	    BL_OK);
	CU_ASSERT(res.write_kbs > 0 && res.read_kbs > 0 && res.iops > 0);
	CU_ASSERT(access(path, F_OK) < 0 && errno == ENOENT);
}

static void test_disk_refused(void)
{
	const char *path = scratch_path(dir, "refused.dat");
	const char *lost = scratch_path(dir, "no-such-dir/x.dat");
	double kbs, iops;
	bool direct;

	expect_fail(bench_disk_write(path, 100, &kbs, why, sizeof(why)),
		    BL_ERR_INVAL, "100 bytes");
	CU_ASSERT(access(path, F_OK) < 0);
	expect_fail(
	    bench_disk_write(lost, BENCH_DISK_CHUNK, &kbs, why, sizeof(why)),
	    BL_ERR_IO, "no-such-dir/x.dat: No such file");
	expect_fail(bench_disk_read(path, 0, &kbs, why, sizeof(why)), BL_ERR_IO,
		    "refused.dat");
	expect_fail(
	    bench_disk_iops(path, 0, -1, &iops, &direct, why, sizeof(why)),
	    BL_ERR_INVAL, "seconds");
	/* Neither a FIFO (nobody waits on it) nor a symbolic link (nor its
	 * target truncated). */
	CU_ASSERT_EQUAL(mkfifo(path, 0600), 0);
	CU_ASSERT_NOT_EQUAL(
	    bench_disk_write(path, BENCH_DISK_CHUNK, &kbs, why, sizeof(why)),
	    BL_OK);
	expect_fail(bench_disk_read(path, 0, &kbs, why, sizeof(why)),
		    BL_ERR_INVAL, "not a regular file or a block device");
	CU_ASSERT_EQUAL(unlink(path), 0);
	CU_ASSERT_EQUAL(symlink("/etc/hostname", path), 0);
	CU_ASSERT_NOT_EQUAL(
	    bench_disk_write(path, BENCH_DISK_CHUNK, &kbs, why, sizeof(why)),
	    BL_OK);
	CU_ASSERT_EQUAL(unlink(path), 0);
}

static void test_checksum(void)
{
	/* RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to 0xddf2. */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03,
				    0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t odd[3] = {0x12, 0x34, 0x56};
	uint8_t pkt[10];

	CU_ASSERT_EQUAL(ntohs(bench_icmp_checksum(b, sizeof(b))), 0x220d);
	CU_ASSERT_EQUAL(ntohs(bench_icmp_checksum(odd, sizeof(odd))),
			(uint16_t) ~(0x1234 + 0x5600));
	/* A packet with its checksum in sums to nothing. */
	memcpy(pkt, b, sizeof(b));
	pkt[8] = pkt[9] = 0;
	memcpy(pkt + 8, &(uint16_t){bench_icmp_checksum(pkt, 10)}, 2);
	CU_ASSERT_EQUAL(bench_icmp_checksum(pkt, 10), 0);
}

/* The benchmark server in a child: its port, the stop pipe's write end
 * (closing it ends the server) and the pipe its statistics come back on. */
struct server {
	pid_t pid;
	uint16_t port;
	int stop, stats;
};

static int server_start(struct server *s, int listen_fd)
{
	int stop[2], stats[2];

	if (pipe(stop) < 0 || pipe(stats) < 0)
		return -1;
	s->pid = fork();
	if (s->pid == 0) {
		struct bench_serve_stats st = {0};
		int rc;

		close(stop[1]);
		close(stats[0]);
		rc = bench_serve(listen_fd, 20, stop[0], &st, why, sizeof(why));
		if (write(stats[1], &st, sizeof(st)) != sizeof(st))
			_exit(2);
		_exit(rc ? 1 : 0);
	}
	close(stop[0]);
	close(stats[1]);
	s->stop = stop[1];
	s->stats = stats[0];
	return s->pid < 0 ? -1 : 0;
}

/* Ends the server: whether it stopped well, and what it served. */
static bool server_stop(struct server *s, struct bench_serve_stats *st)
{
	int status = -1;
	bool ok;

	close(s->stop);
	ok = read(s->stats, st, sizeof(*st)) == sizeof(*st);
	close(s->stats);
	ok &= waitpid(s->pid, &status, 0) == s->pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0;
	return ok;
}

static void test_net(void)
{
	struct bench_serve_stats st = {0};
	struct sockaddr_in sa = {.sin_family = AF_INET};
	struct server srv = {.pid = -1, .stop = -1, .stats = -1};
	uint64_t bytes = 0, count = 0;
	double mbits = 0, per10s = 0;
	int64_t start;
	int fd = -1, c;
	uint16_t port = 0;
	char buf[16];

	CU_ASSERT_EQUAL_FATAL(
	    bench_listen("127.0.0.1", 0, &fd, &port, why, sizeof(why)), BL_OK);
	CU_ASSERT(port > 0);
	CU_ASSERT_EQUAL_FATAL(server_start(&srv, fd), 0);
	close(fd);

	CU_ASSERT_EQUAL(bench_net_throughput("127.0.0.1", port, 0.3, &mbits,
					     &bytes, why, sizeof(why)),
			BL_OK);
	CU_ASSERT(mbits > 0 && bytes > 0);
	CU_ASSERT_EQUAL(bench_net_rr("127.0.0.1", port, 0.3, &per10s, &count,
				     why, sizeof(why)),
			BL_OK);
	CU_ASSERT(per10s > 0 && count > 0);
	printf("\n  loopback: %.0f Mbit/s, %.0f transactions per 10 s ", mbits,
	       per10s);

	/* A first byte that is no mode: the server drops it and goes on. */
	c = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CU_ASSERT_EQUAL(send(c, "X", 1, 0), 1);
	CU_ASSERT_EQUAL(recv(c, buf, sizeof(buf), 0), 0);
	close(c);
	CU_ASSERT_EQUAL(bench_net_rr("127.0.0.1", port, 0.05, &per10s, &count,
				     why, sizeof(why)),
			BL_OK);

	CU_ASSERT_FATAL(server_stop(&srv, &st));
	CU_ASSERT_EQUAL(st.connections, 4);
	CU_ASSERT_EQUAL(st.refused, 1);
	CU_ASSERT_EQUAL(st.streams, 1);
	/* What the server counted is what the client sent. */
	CU_ASSERT_EQUAL(st.stream_bytes, bytes);
	CU_ASSERT(st.rr_transactions >= count);

	/* Once the server is gone: a clear refusal, at once. */
	start = bench__now_ns();
	expect_fail(bench_net_throughput("127.0.0.1", port, 0.3, &mbits, &bytes,
					 why, sizeof(why)),
		    BL_ERR_IO, "Connection refused (no bench server there)");
	expect_fail(bench_net_rr("127.0.0.1", port, 0.3, &per10s, &count, why,
				 sizeof(why)),
		    BL_ERR_IO, "Connection refused");
	CU_ASSERT(elapsed_since(start) < 1);
}

static void test_net_refused(void)
{
	static const char *const bad[] = {"localhost",	"127.1", "::1",
					  "10.0.0.256", "",	 " 10.0.0.1"};
	double v;
	uint64_t n;
	unsigned lost;
	int fd;
	uint16_t port;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		expect_fail(bench_net_throughput(bad[i], 5001, 1, &v, &n, why,
						 sizeof(why)),
			    BL_ERR_INVAL, "not a dotted IPv4 address");
		expect_fail(
		    bench_net_rr(bad[i], 5001, 1, &v, &n, why, sizeof(why)),
		    BL_ERR_INVAL, "not a dotted IPv4 address");
		expect_fail(
		    bench_net_rtt(bad[i], 1, &v, &lost, why, sizeof(why)),
		    BL_ERR_INVAL, "not a dotted IPv4 address");
		expect_fail(
		    bench_listen(bad[i], 0, &fd, &port, why, sizeof(why)),
		    BL_ERR_INVAL, "not a dotted IPv4 address");
	}
	expect_fail(
	    bench_net_throughput(NULL, 5001, 1, &v, &n, why, sizeof(why)),
	    BL_ERR_INVAL, "not a dotted IPv4 address");
	expect_fail(bench_net_throughput("127.0.0.1", 5001, 0, &v, &n, why,
					 sizeof(why)),
		    BL_ERR_INVAL, "0 seconds");
	expect_fail(bench_net_rr("127.0.0.1", 0, 1, &v, &n, why, sizeof(why)),
		    BL_ERR_INVAL, "port 0");
	expect_fail(bench_net_rtt("127.0.0.1", 0, &v, &lost, why, sizeof(why)),
		    BL_ERR_INVAL, "0 echoes");
	expect_fail(bench_net_rtt("127.0.0.1", BENCH_PING_MAX + 1, &v, &lost,
				  why, sizeof(why)),
		    BL_ERR_INVAL, "echoes");
}

/* A peer that accepts no connection and answers nothing (a listening
 * socket nobody serves): every client gives up in bounded time. */
static void test_net_dead_peer(void)
{
	struct bench_serve_stats st;
	int64_t start;
	double v;
	uint64_t n;
	int fd;
	uint16_t port;

	CU_ASSERT_EQUAL_FATAL(
	    bench_listen("127.0.0.1", 0, &fd, &port, why, sizeof(why)), BL_OK);
	start = bench__now_ns();
	expect_fail(
	    bench_net_rr("127.0.0.1", port, 0.2, &v, &n, why, sizeof(why)),
	    BL_ERR_TIMEOUT, "no request answered");
	CU_ASSERT(elapsed_since(start) < 1);
	/* The stream fills the kernel's buffers, then waits for a count
	 * that never comes: BENCH_NET_GRACE_MS of no progress. */
	start = bench__now_ns();
	expect_fail(bench_net_throughput("127.0.0.1", port, 0.1, &v, &n, why,
					 sizeof(why)),
		    BL_ERR_TIMEOUT, "no count from the server");
	CU_ASSERT(elapsed_since(start) < 0.1 + BENCH_NET_GRACE_MS / 1000.0 + 1);
	close(fd);
	/* A server nobody comes to returns at its time. */
	CU_ASSERT_EQUAL_FATAL(
	    bench_listen("127.0.0.1", 0, &fd, &port, why, sizeof(why)), BL_OK);
	start = bench__now_ns();
	CU_ASSERT_EQUAL(bench_serve(fd, 0.1, -1, &st, why, sizeof(why)), BL_OK);
	CU_ASSERT(elapsed_since(start) >= 0.1 && elapsed_since(start) < 1);
	CU_ASSERT_EQUAL(st.connections, 0);
	close(fd);
}

static void test_rtt(void)
{
	struct bench_ping_result res;
	struct in_addr nowhere;
	double ms = 0;
	unsigned lost = 99;
	int64_t start;
	int rc;

	rc = bench_net_rtt("127.0.0.1", 3, &ms, &lost, why, sizeof(why));
	if (rc == BL_ERR_DENIED) {
		printf("\n  skipped: %s ", why);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, BL_OK);
	CU_ASSERT(ms > 0 && ms < BENCH_PING_TIMEOUT_MS);
	CU_ASSERT_EQUAL(lost, 0);

	CU_ASSERT_EQUAL_FATAL(bench_ping((struct in_addr){htonl(0x7f000001)}, 4,
					 20, 500, &res, why, sizeof(why)),
			      BL_OK);
	CU_ASSERT_EQUAL(res.sent, 4);
	CU_ASSERT_EQUAL(res.replied, 4);
	CU_ASSERT(res.min_us <= res.avg_us && res.avg_us <= res.max_us);
	printf("\n  ICMP echo on loopback (%s socket): %.3f ms ",
	       res.raw ? "raw" : "datagram", ms);

	/* TEST-NET-1: nobody should answer; lost echoes, in bounded time.
	 * (A sandbox's network may answer every echo itself.) */
	CU_ASSERT_EQUAL(inet_pton(AF_INET, "192.0.2.1", &nowhere), 1);
	start = bench__now_ns();
	CU_ASSERT_EQUAL(bench_ping(nowhere, 2, 50, 200, &res, why, sizeof(why)),
			BL_OK);
	CU_ASSERT(elapsed_since(start) < 1);
	CU_ASSERT_EQUAL(res.sent, 2);
	CU_ASSERT(res.replied <= res.sent);
	if (res.replied)
		printf("\n  192.0.2.1 answers here ");
	else
		CU_ASSERT_EQUAL(res.min_us + res.avg_us + res.max_us, 0);

	/* The broadcast address, without SO_BROADCAST: the kernel refuses
	 * every echo, each one lost. */
	CU_ASSERT_EQUAL(inet_pton(AF_INET, "255.255.255.255", &nowhere), 1);
	start = bench__now_ns();
	CU_ASSERT_EQUAL(bench_ping(nowhere, 3, 20, 200, &res, why, sizeof(why)),
			BL_OK);
	CU_ASSERT(elapsed_since(start) < 1);
	CU_ASSERT_EQUAL(res.sent, 3);
	CU_ASSERT_EQUAL(res.replied, 0);
	CU_ASSERT_EQUAL(res.send_errors, 3);
	CU_ASSERT_EQUAL(res.min_us + res.avg_us + res.max_us, 0);
	expect_fail(
	    bench_net_rtt("255.255.255.255", 2, &ms, &lost, why, sizeof(why)),
	    BL_ERR_TIMEOUT, "none of 2 ICMP echoes answered");
}

void suite_bench_workload(void)
{
	CU_pSuite s = CU_add_suite("bench workloads", setup, teardown);

	CU_add_test(s, "pi", test_cpu);
	CU_add_test(s, "disk, step by step", test_disk_steps);
	CU_add_test(s, "disk, the whole workload", test_disk_whole);
	CU_add_test(s, "disk, refused", test_disk_refused);
	CU_add_test(s, "ICMP checksum", test_checksum);
	CU_add_test(s, "network server and clients", test_net);
	CU_add_test(s, "network, refused", test_net_refused);
	CU_add_test(s, "network, a dead peer", test_net_dead_peer);
	CU_add_test(s, "ICMP echo", test_rtt);
}
