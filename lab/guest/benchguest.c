/*
 * blanket bench's L2 guest (docs/bench.md), as /init of a PV guest.
 *
 * Its kernel command line says what it is:
 *   bench=serve    a benchmark server (toolstack/bench/workload.h) on port
 *                  BENCHGUEST_PORT, for the other guest to measure its
 *                  network against; it prints "bench serving" every 2 s;
 *   bench=measure  the measured guest: it prints "bench waiting" every 2 s
 *                  until a line "go" comes on its console, then runs
 *                  bench_runs=N rounds of the workloads and prints each
 *                  figure as "bench result METRIC RUN VALUE" (METRIC a
 *                  toolstack/bench/bench.h id), a workload that failed as
 *                  "bench missing METRIC WHY", and at the end
 *                  "bench done".
 * Both bring eth0 up as net_addr=A.B.C.D/LEN with net_mtu=N. The measured
 * one takes bench_cpu=ITERATIONS, bench_disk=BYTES (on /dev/xvda),
 * bench_seconds=S (each network run and the random reads),
 * bench_echoes=N and bench_peer=A.B.C.D (the serving guest). A figure
 * missing from the command line leaves its workload out.
 *
 * Installed as /sbin/poweroff and /sbin/reboot too, as the other guests
 * are.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/guest/guest_init.h"
#include "lab/guest/guest_net.h"
#include "toolstack/bench/bench.h"
#include "toolstack/bench/workload.h"

#define BENCHGUEST_PORT 7401
#define PROG		"benchguest"
#define SAY_EVERY_MS	2000

static uint64_t arg_u64(const char *var)
{
	const char *v = getenv(var);

	return v ? strtoull(v, NULL, 10) : 0;
}

/* One connection after another until the guest is destroyed, while a
 * child says so every SAY_EVERY_MS: blanket bench may attach to the
 * console at any time and must see it. */
static void serve(void)
{
	struct bench_serve_stats st;
	char why[256];
	int fd;

	if (bench_listen("0.0.0.0", BENCHGUEST_PORT, &fd, NULL, why,
			 sizeof(why))) {
		printf("%s: %s\n", PROG, why);
		return;
	}
	if (fork() == 0) {
		close(fd);
		for (;;) {
			printf("bench serving\n");
			guest_sleep_ms(SAY_EVERY_MS);
		}
	}
	for (;;)
		if (bench_serve(fd, BENCH_NET_SECONDS_MAX, -1, &st, why,
				sizeof(why)))
			printf("%s: %s\n", PROG, why);
}

/* blkfront loaded and /dev/xvda there, within 60 s; 1, or 0 after saying
 * so (the disk's figures are then reported missing). */
static int wait_for_disk(void)
{
	guest_load_frontend(PROG, "xen-blkfront");
	for (int i = 0; i < 600; i++) {
		if (access("/dev/xvda", R_OK | W_OK) == 0)
			return 1;
		guest_sleep_ms(100);
	}
	printf("bench missing %s no /dev/xvda after 60 s\n",
	       bench_metric_info(BENCH_DISK_WRITE)->id);
	return 0;
}

/* "go" on the console; "bench waiting" until then. */
static void wait_for_go(void)
{
	char line[64];
	size_t n = 0;

	for (;;) {
		struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
		ssize_t r;

		printf("bench waiting\n");
		if (poll(&p, 1, SAY_EVERY_MS) <= 0)
			continue;
		r = read(STDIN_FILENO, line + n, sizeof(line) - 1 - n);
		if (r <= 0) {
			guest_sleep_ms(SAY_EVERY_MS);
			continue;
		}
		n += (size_t)r;
		line[n] = '\0';
		if (strstr(line, "go"))
			return;
		if (n == sizeof(line) - 1)
			n = 0;
	}
}

static void result(enum bench_metric m, unsigned run, int rc, double v,
		   const char *why)
{
	const char *id = bench_metric_info(m)->id;

	if (rc)
		printf("bench missing %s %s\n", id, why);
	else
		printf("bench result %s %u %.6g\n", id, run, v);
}

static void measure_once(unsigned run)
{
	uint64_t cpu = arg_u64("bench_cpu"), disk = arg_u64("bench_disk");
	uint64_t echoes = arg_u64("bench_echoes"), count;
	double seconds = (double)arg_u64("bench_seconds"), v = 0, pi;
	const char *peer = getenv("bench_peer");
	struct bench_disk_result d = {0};
	char why[256];
	unsigned lost;
	int rc;

	if (cpu) {
		rc = bench_cpu(cpu, &v, &pi, why, sizeof(why));
		result(BENCH_CPU, run, rc, v, why);
	}
	if (disk) {
		rc = bench_disk("/dev/xvda", disk, seconds, &d, why,
				sizeof(why));
		result(BENCH_DISK_WRITE, run, rc, d.write_kbs, why);
		result(BENCH_DISK_READ, run, rc, d.read_kbs, why);
		result(BENCH_DISK_IOPS, run, rc, d.iops, why);
	}
	if (!peer)
		return;
	rc = bench_net_throughput(peer, BENCHGUEST_PORT, seconds, &v, &count,
				  why, sizeof(why));
	result(BENCH_NET_THROUGHPUT, run, rc, v, why);
	rc = bench_net_rr(peer, BENCHGUEST_PORT, seconds, &v, &count, why,
			  sizeof(why));
	result(BENCH_NET_RR, run, rc, v, why);
	if (echoes) {
		rc = bench_net_rtt(peer, (unsigned)echoes, &v, &lost, why,
				   sizeof(why));
		result(BENCH_NET_RTT, run, rc, v, why);
	}
}

int main(int argc, char **argv)
{
	const char *role = getenv("bench"), *addr = getenv("net_addr");
	long mtu = (long)arg_u64("net_mtu");
	unsigned runs = (unsigned)arg_u64("bench_runs");

	guest_shutdown_if_asked(argc, argv);
	guest_console();
	if (addr && (!guest_net_wait_eth0(PROG) ||
		     guest_net_configure(PROG, addr, mtu)))
		addr = NULL;
	if (getenv("bench_disk") && !wait_for_disk())
		unsetenv("bench_disk");
	if (role && !strcmp(role, "serve") && addr) {
		serve();
	} else if (role && !strcmp(role, "measure")) {
		wait_for_go();
		for (unsigned run = 1; run <= runs; run++)
			measure_once(run);
		printf("bench done\n");
	} else {
		printf("%s: bench=%s net_addr=%s: want bench=serve with an "
		       "address, or bench=measure\n",
		       PROG, role ? role : "", addr ? addr : "(none)");
	}
	for (;;)
		guest_sleep_ms(60000);
}
