/* blanket bench's L0: the workloads on this machine, the one the node runs
 * on when the user runs blanket bench there (docs/bench.md). Its network
 * figures are against a benchmark server of its own on the loopback: one
 * machine has no peer at its own layer. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/bench/workload.h"
#include "toolstack/blanket/bench_layers.h"

#define LOOPBACK "127.0.0.1"

/* A server on the loopback in a child, until *stop_w is closed. */
static int start_server(pid_t *pid_r, int *stop_w, uint16_t *port_r, char *why,
			size_t whylen)
{
	int fd = -1, stop[2] = {-1, -1}, rc;
	struct bench_serve_stats st;
	pid_t pid;

	rc = bench_listen(LOOPBACK, 0, &fd, port_r, why, whylen);
	if (rc)
		return rc;
	if (pipe2(stop, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(why, whylen, "cannot start a server: %s",
			 strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	if (pid == 0) {
		close(stop[1]);
		_exit(bench_serve(fd, BENCH_NET_SECONDS_MAX, stop[0], &st, why,
				  whylen)
			  ? 1
			  : 0);
	}
	*pid_r = pid;
	*stop_w = stop[1];
	stop[1] = -1;
out:
	close(fd);
	if (stop[0] >= 0)
		close(stop[0]);
	if (stop[1] >= 0)
		close(stop[1]);
	return rc;
}

void bench_local(const struct bench_plan *plan, struct bench_series *s)
{
	char why[BL_ERRMSG_MAX], srv_why[BL_ERRMSG_MAX], path[4096];
	struct bench_disk_result d;
	struct bench_tally t;
	int rc, srv_rc, stop_w = -1;
	uint64_t count;
	unsigned lost;
	uint16_t port = 0;
	double v, pi;
	pid_t pid = -1;

	bench_tally_init(&t, "L0 this machine", s);
	snprintf(path, sizeof(path), "%s/.blanket-bench-%d", plan->scratch,
		 (int)getpid());
	srv_rc = start_server(&pid, &stop_w, &port, srv_why, sizeof(srv_why));
	for (unsigned run = 1; run <= plan->runs; run++) {
		rc = bench_cpu(plan->cpu_iterations, &v, &pi, why, sizeof(why));
		bench_tally_add(&t, plan, BENCH_CPU, run, rc, v, why);
		rc = bench_disk(path, plan->disk_bytes, plan->seconds, &d, why,
				sizeof(why));
		bench_tally_add(&t, plan, BENCH_DISK_WRITE, run, rc,
				d.write_kbs, why);
		bench_tally_add(&t, plan, BENCH_DISK_READ, run, rc, d.read_kbs,
				why);
		bench_tally_add(&t, plan, BENCH_DISK_IOPS, run, rc, d.iops,
				why);
		rc = srv_rc
			 ? srv_rc
			 : bench_net_throughput(LOOPBACK, port, plan->seconds,
						&v, &count, why, sizeof(why));
		bench_tally_add(&t, plan, BENCH_NET_THROUGHPUT, run, rc, v,
				srv_rc ? srv_why : why);
		rc = srv_rc ? srv_rc
			    : bench_net_rr(LOOPBACK, port, plan->seconds, &v,
					   &count, why, sizeof(why));
		bench_tally_add(&t, plan, BENCH_NET_RR, run, rc, v,
				srv_rc ? srv_why : why);
		rc = bench_net_rtt(LOOPBACK, plan->echoes, &v, &lost, why,
				   sizeof(why));
		bench_tally_add(&t, plan, BENCH_NET_RTT, run, rc, v, why);
	}
	if (stop_w >= 0)
		close(stop_w);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	bench_tally_end(&t);
}
