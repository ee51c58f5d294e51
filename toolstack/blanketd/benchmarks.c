/* blanket bench's L1: the workloads of toolstack/bench/workload.h, run in
 * the session's own process (one per connection), and the benchmark
 * server a peer measures its network against, in a child of it
 * (toolstack/bench/server.h). */
#include "toolstack/blanketd/benchmarks.h"

#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "toolstack/bench/workload.h"
#include "toolstack/hv/hv_policy.h"

static int refuse_off(const struct server_opts *o, char *err, size_t errlen)
{
	snprintf(err, errlen,
		 "node %s serves no benchmarks (blanketd --no-bench)",
		 o->node_name);
	return BL_ERR_DENIED;
}

/* The disk workload's file: in the first images folder, named for this
 * process so that two sessions never share one. */
static int disk_file(const struct server_opts *o, char *path, size_t size,
		     char *err, size_t errlen)
{
	const char *dir = o->policy && o->policy->n_images
			      ? o->policy->images[0]
			      : POLICY_DEFAULT_IMAGES;

	if ((size_t)snprintf(path, size, "%s/.blanket-bench-%d", dir,
			     (int)getpid()) >= size) {
		snprintf(err, errlen, "images folder %s: name too long", dir);
		return BL_ERR_INVAL;
	}
	return BL_OK;
}

int benchmarks_run(const struct server_opts *o, const struct rpc_msg *req,
		   struct rpc_msg *reply, char *err, size_t errlen)
{
	struct bench_disk_result disk = {0};
	char path[PATH_MAX];
	double *v = reply->bench_values, pi;
	uint64_t count;
	unsigned lost;
	int rc;

	if (!o->bench)
		return refuse_off(o, err, errlen);
	switch (req->workload) {
	case RPC_BENCH_CPU:
		rc = bench_cpu(req->amount, &v[0], &pi, err, errlen);
		reply->n_bench_values = 1;
		break;
	case RPC_BENCH_DISK:
		rc = disk_file(o, path, sizeof(path), err, errlen);
		if (!rc)
			rc = bench_disk(path, req->amount, req->seconds, &disk,
					err, errlen);
		v[0] = disk.write_kbs;
		v[1] = disk.read_kbs;
		v[2] = disk.iops;
		reply->n_bench_values = 3;
		break;
	case RPC_BENCH_NET_THROUGHPUT:
		rc = bench_net_throughput(req->host, (uint16_t)req->port,
					  req->seconds, &v[0], &count, err,
					  errlen);
		reply->n_bench_values = 1;
		break;
	case RPC_BENCH_NET_RR:
		rc = bench_net_rr(req->host, (uint16_t)req->port, req->seconds,
				  &v[0], &count, err, errlen);
		reply->n_bench_values = 1;
		break;
	case RPC_BENCH_NET_RTT:
		rc = bench_net_rtt(req->host, (unsigned)req->amount, &v[0],
				   &lost, err, errlen);
		reply->n_bench_values = 1;
		break;
	default: /* the codec admits no other */
		snprintf(err, errlen, "unknown workload %u", req->workload);
		rc = BL_ERR_INVAL;
	}
	if (rc)
		reply->n_bench_values = 0;
	return rc;
}

int benchmarks_serve(const struct server_opts *o, struct bench_server *b,
		     int session_fd, const struct rpc_msg *req,
		     struct rpc_msg *reply, char *err, size_t errlen)
{
	uint16_t port;
	int rc;

	if (!o->bench)
		return refuse_off(o, err, errlen);
	bench_server_stop(b);
	rc = bench_server_start(b, NULL, req->seconds, session_fd, &port, err,
				errlen);
	if (!rc)
		reply->port = port;
	return rc;
}
