/* blanket bench's L1: the workloads in node i's dom0, each a bench-run
 * request to its blanketd (docs/specs/rpc.md), the network against the
 * server peer p's blanketd runs for us (bench-serve) on the address the
 * node reaches it at. */
#include <stdio.h>
#include <string.h>

#include "toolstack/blanket/bench_layers.h"
#include "toolstack/common/prefix.h"

/* How long the peer's server runs: every network run of the plan, with
 * room to spare; it stops sooner when we hang up. */
static uint32_t serve_seconds(const struct bench_plan *plan)
{
	uint64_t s = (uint64_t)plan->runs * (2u * plan->seconds + 30u);

	return s > RPC_BENCH_SECONDS_MAX ? RPC_BENCH_SECONDS_MAX : (uint32_t)s;
}

static bool loopback(const char *host)
{
	return !strncmp(host, "127.", 4) || !strcmp(host, "localhost");
}

/* Where node i's dom0 reaches peer p's: its migration address when that
 * is an IPv4 address (on the loopback only if node i is there too: both
 * on this machine), else its end of the cluster overlay. Empty, with why,
 * when neither. */
static void peer_address(struct guest_target *t, int i, int p, char *addr,
			 size_t size, char *why, size_t whylen)
{
	const struct cluster_node *n = &t->c.node[p];
	const char *host = n->peer_host[0] ? n->peer_host : n->host;
	struct rpc_msg req, reply;

	addr[0] = '\0';
	if (ipv4_addr_valid(host) &&
	    (!loopback(host) || loopback(t->c.node[i].host))) {
		snprintf(addr, size, "%s", host);
		return;
	}
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_NODE_INFO;
	if (guest_target_call(t, p, &req, &reply, false) == BL_OK &&
	    reply.overlay.addr[0])
		snprintf(addr, size, "%s", reply.overlay.addr);
	else
		snprintf(why, whylen,
			 "no address of %s that its peers reach: %s is on "
			 "the loopback and it runs no overlay",
			 n->name, host);
	rpc_msg_dispose(&reply);
}

/* One bench-run; its figures in reply. */
static int run_one(struct client_conn *conn, uint32_t workload, uint64_t amount,
		   uint32_t seconds, const char *host, uint32_t port,
		   struct rpc_msg *reply, char *why, size_t whylen)
{
	struct rpc_msg req;
	int rc;

	rpc_msg_init(&req);
	req.type = RPC_BENCH_RUN;
	req.workload = workload;
	req.amount = amount;
	req.seconds = seconds;
	snprintf(req.host, sizeof(req.host), "%s", host ? host : "");
	req.port = port;
	rpc_msg_dispose(reply);
	rc = client_call(conn, &req, reply, why, whylen);
	if (!rc && reply->n_bench_values < 1) {
		snprintf(why, whylen, "node %s: no figure in its reply",
			 conn->node);
		rc = BL_ERR_PROTO;
	}
	rpc_msg_dispose(&req);
	return rc;
}

void bench_dom0(struct guest_target *t, int i, int p,
		const struct bench_plan *plan, struct bench_series *s)
{
	char layer[96], why[BL_ERRMSG_MAX], conn_why[BL_ERRMSG_MAX] = "";
	char net_why[BL_ERRMSG_MAX] = "", addr[RPC_HOST_MAX] = "";
	struct client_conn conn, peer;
	struct rpc_msg req, reply;
	bool have_peer = false;
	struct bench_tally tl;
	uint32_t port = 0;
	int conn_rc, rc;

	snprintf(layer, sizeof(layer), "L1 %s", t->c.node[i].name);
	bench_tally_init(&tl, layer, s);
	conn_rc = guest_target_connect(t, i, &conn, conn_why, sizeof(conn_why));
	if (p < 0)
		snprintf(net_why, sizeof(net_why),
			 "no peer node: the cluster file has no other node");
	else
		peer_address(t, i, p, addr, sizeof(addr), net_why,
			     sizeof(net_why));
	if (addr[0] &&
	    !guest_target_connect(t, p, &peer, net_why, sizeof(net_why))) {
		have_peer = true;
		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_BENCH_SERVE;
		req.seconds = serve_seconds(plan);
		if (!client_call(&peer, &req, &reply, net_why, sizeof(net_why)))
			port = reply.port;
		rpc_msg_dispose(&reply);
	}
	for (unsigned run = 1; run <= plan->runs; run++) {
		struct rpc_msg r;
		double *v = r.bench_values;

		rpc_msg_init(&r);
		if (conn_rc) {
			for (int m = 0; m < BENCH_METRICS; m++)
				bench_tally_add(&tl, plan, (enum bench_metric)m,
						run, conn_rc, 0, conn_why);
			continue;
		}
		rc = run_one(&conn, RPC_BENCH_CPU, plan->cpu_iterations, 0,
			     NULL, 0, &r, why, sizeof(why));
		bench_tally_add(&tl, plan, BENCH_CPU, run, rc, v[0], why);
		rc = run_one(&conn, RPC_BENCH_DISK, plan->disk_bytes,
			     plan->seconds, NULL, 0, &r, why, sizeof(why));
		if (!rc && r.n_bench_values < 3) {
			snprintf(why, sizeof(why), "node %s: %u disk figures",
				 conn.node, r.n_bench_values);
			rc = BL_ERR_PROTO;
		}
		bench_tally_add(&tl, plan, BENCH_DISK_WRITE, run, rc, v[0],
				why);
		bench_tally_add(&tl, plan, BENCH_DISK_READ, run, rc, v[1], why);
		bench_tally_add(&tl, plan, BENCH_DISK_IOPS, run, rc, v[2], why);
		rc = port ? run_one(&conn, RPC_BENCH_NET_THROUGHPUT, 0,
				    plan->seconds, addr, port, &r, why,
				    sizeof(why))
			  : BL_ERR_FAIL;
		bench_tally_add(&tl, plan, BENCH_NET_THROUGHPUT, run, rc, v[0],
				port ? why : net_why);
		rc = port ? run_one(&conn, RPC_BENCH_NET_RR, 0, plan->seconds,
				    addr, port, &r, why, sizeof(why))
			  : BL_ERR_FAIL;
		bench_tally_add(&tl, plan, BENCH_NET_RR, run, rc, v[0],
				port ? why : net_why);
		rc = addr[0] ? run_one(&conn, RPC_BENCH_NET_RTT, plan->echoes,
				       0, addr, 0, &r, why, sizeof(why))
			     : BL_ERR_FAIL;
		bench_tally_add(&tl, plan, BENCH_NET_RTT, run, rc, v[0],
				addr[0] ? why : net_why);
	}
	if (have_peer)
		client_close(&peer);
	if (!conn_rc)
		client_close(&conn);
	bench_tally_end(&tl);
}
