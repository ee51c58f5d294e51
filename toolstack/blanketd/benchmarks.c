/* blanket bench's L1: the workloads of toolstack/bench/workload.h, run in
 * the session's own process (one per connection), and the benchmark
 * server a peer measures its network against, in a child of it. */
#include "toolstack/blanketd/benchmarks.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/bench/workload.h"
#include "toolstack/common/log.h"
#include "toolstack/hv/hv_policy.h"

void benchmarks_server_init(struct bench_server *b)
{
	b->pid = -1;
	b->stop_w = -1;
}

void benchmarks_server_stop(struct bench_server *b)
{
	if (b->stop_w >= 0)
		close(b->stop_w);
	if (b->pid > 0 && waitpid(b->pid, NULL, 0) < 0)
		log_warn("benchmark server %d", (int)b->pid);
	benchmarks_server_init(b);
}

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
	struct bench_disk_result disk;
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

/* The server's process: nothing of the session but the listening socket
 * and the pipe whose end stops it. */
static void serve_child(int listen_fd, int stop_r, int session_fd,
			double seconds)
{
	struct bench_serve_stats st;
	char why[BL_ERRMSG_MAX];

	close(session_fd);
	if (bench_serve(listen_fd, seconds, stop_r, &st, why, sizeof(why)))
		log_warnx("benchmark server: %s", why);
	_exit(0);
}

int benchmarks_serve(const struct server_opts *o, struct bench_server *b,
		     int session_fd, const struct rpc_msg *req,
		     struct rpc_msg *reply, char *err, size_t errlen)
{
	int fd = -1, stop[2] = {-1, -1}, rc;
	uint16_t port;
	pid_t pid;

	if (!o->bench)
		return refuse_off(o, err, errlen);
	benchmarks_server_stop(b);
	rc = bench_listen("0.0.0.0", 0, &fd, &port, err, errlen);
	if (rc)
		goto out;
	if (pipe2(stop, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "cannot make a pipe: %s",
			 strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "cannot fork: %s", strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	if (pid == 0) {
		close(stop[1]);
		serve_child(fd, stop[0], session_fd, req->seconds);
	}
	b->pid = pid;
	b->stop_w = stop[1];
	stop[1] = -1;
	reply->port = port;
out:
	if (fd >= 0)
		close(fd);
	if (stop[0] >= 0)
		close(stop[0]);
	if (stop[1] >= 0)
		close(stop[1]);
	return rc;
}
