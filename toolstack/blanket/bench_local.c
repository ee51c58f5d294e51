/* blanket bench's L0: the workloads on this machine, the one the node runs
 * on when the user runs blanket bench there (docs/bench.md). Its network
 * figures are against a benchmark server of its own on the loopback: one
 * machine has no peer at its own layer. */
#include <stdio.h>
#include <unistd.h>

#include "toolstack/bench/server.h"
#include "toolstack/bench/workload.h"
#include "toolstack/blanket/bench_layers.h"

#define LOOPBACK "127.0.0.1"

void bench_local(const struct bench_plan *plan, struct bench_series *s)
{
	char why[BL_ERRMSG_MAX], srv_why[BL_ERRMSG_MAX], path[4096];
	struct bench_disk_result d = {0};
	struct bench_tally t;
	struct bench_server srv;
	int rc, srv_rc;
	uint64_t count;
	unsigned lost;
	uint16_t port = 0;
	double v = 0, pi;

	bench_tally_init(&t, "L0 this machine", s);
	snprintf(path, sizeof(path), "%s/.blanket-bench-%d", plan->scratch,
		 (int)getpid());
	bench_server_init(&srv);
	srv_rc = bench_server_start(&srv, LOOPBACK, BENCH_NET_SECONDS_MAX, -1,
				    &port, srv_why, sizeof(srv_why));
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
	bench_server_stop(&srv);
	bench_tally_end(&t);
}
