/* blanket bench's L2: a benchmark guest (lab/guest/benchguest.c) on node
 * i, measured against a serving one on peer p, both on the nodes' guest
 * bridge (xenbr0: the cluster overlay between nodes) with link-local
 * addresses, so that they take none of the cluster's. The measured guest
 * waits for "go" on its console, then prints its figures there, which we
 * read over the node RPC's console session; both guests are destroyed at
 * the end, whatever happened. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/bench/guest_line.h"
#include "toolstack/blanket/bench_layers.h"
#include "toolstack/common/fdio.h"

#define MEASURED   "blanket-bench-l2"
#define SERVING	   "blanket-bench-peer"
#define GUEST_MTU  1390	  /* the overlay's on a 1500-byte link */
#define BOOT_MS	   300000 /* a guest under emulation boots in ~30 s */
#define SILENCE_MS 300000 /* the longest a workload may print nothing */

/* A guest's console, line by line. */
struct console {
	struct client_conn conn;
	uint32_t id; /* the guest-console request's */
	char buf[4096];
	size_t len;
	bool open;
};

/* The xl.cfg(5) text of a benchmark guest. */
static void guest_config(char *cfg, size_t size, const char *name,
			 const struct bench_plan *plan, const char *mac,
			 const char *disk, const char *extra)
{
	int n = snprintf(cfg, size,
			 "name = \"%s\"\n"
			 "type = \"pv\"\n"
			 "kernel = \"%s/vmlinuz\"\n"
			 "ramdisk = \"%s/benchguest.cpio.gz\"\n"
			 "extra = \"console=hvc0 quiet %s\"\n"
			 "memory = 128\n"
			 "vcpus = 1\n"
			 "on_crash = \"destroy\"\n"
			 "vif = [ 'mac=%s,bridge=xenbr0' ]\n",
			 name, plan->images, plan->images, extra, mac);

	if (disk && n > 0 && (size_t)n < size)
		snprintf(cfg + n, size - (size_t)n,
			 "disk = [ 'format=raw, vdev=xvda, access=rw, "
			 "target=%s' ]\n",
			 disk);
}

static int create(struct guest_target *t, int i, const char *cfg, char *why,
		  size_t whylen)
{
	struct client_conn conn;
	struct rpc_msg req, reply;
	int rc;

	rc = guest_target_connect(t, i, &conn, why, whylen);
	if (rc)
		return rc;
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_GUEST_CREATE;
	req.source = strdup("blanket-bench");
	req.config = strdup(cfg);
	req.config_len = (uint32_t)strlen(cfg);
	rc = req.source && req.config
		 ? client_call(&conn, &req, &reply, why, whylen)
		 : BL_ERR_NOMEM;
	rpc_msg_dispose(&req);
	rpc_msg_dispose(&reply);
	client_close(&conn);
	return rc;
}

static void destroy(struct guest_target *t, int i, const char *name)
{
	struct rpc_msg req, reply;

	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_GUEST_DESTROY;
	snprintf(req.name, sizeof(req.name), "%s", name);
	if (guest_target_call(t, i, &req, &reply, false))
		fprintf(stderr, "blanket: bench: destroy %s on %s by hand\n",
			name, t->c.node[i].name);
	rpc_msg_dispose(&reply);
}

static int console_open(struct guest_target *t, int i, const char *name,
			struct console *c, char *why, size_t whylen)
{
	struct rpc_msg req, reply;
	int rc;

	memset(c, 0, sizeof(*c));
	rc = guest_target_connect(t, i, &c->conn, why, whylen);
	if (rc)
		return rc;
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_GUEST_CONSOLE;
	snprintf(req.name, sizeof(req.name), "%s", name);
	rc = client_call(&c->conn, &req, &reply, why, whylen);
	c->id = req.id;
	rpc_msg_dispose(&reply);
	if (rc)
		client_close(&c->conn);
	c->open = !rc;
	return rc;
}

static void console_close(struct console *c)
{
	if (c->open)
		client_close(&c->conn); /* the node ends the session */
	c->open = false;
}

/* The next whole line the guest printed, without its end, by deadline. */
static int console_line(struct console *c, char *line, size_t size,
			int64_t deadline_ms, char *why, size_t whylen)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct rpc_msg m;
		size_t n;
		int rc;

		if (nl || c->len == sizeof(c->buf)) {
			n = nl ? (size_t)(nl - c->buf) : c->len;
			snprintf(line, size, "%.*s", (int)n, c->buf);
			line[strcspn(line, "\r")] = '\0';
			n += nl ? 1 : 0;
			memmove(c->buf, c->buf + n, c->len - n);
			c->len -= n;
			return BL_OK;
		}
		c->conn.s.deadline_ms = deadline_ms;
		rpc_msg_init(&m);
		rc = rpc_recv(&c->conn.s, &m, why, whylen);
		if (!rc && m.type == RPC_CONSOLE_DATA) {
			n = m.data_len < sizeof(c->buf) - c->len
				? m.data_len
				: sizeof(c->buf) - c->len;
			memcpy(c->buf + c->len, m.data, n);
			c->len += n;
		} else if (!rc) {
			snprintf(why, whylen, "node %s: the console ended: %s",
				 c->conn.node,
				 m.type == RPC_ERROR ? m.message
						     : rpc_type_name(m.type));
			rc = BL_ERR_EOF;
		} else if (rc == BL_ERR_TIMEOUT) {
			snprintf(why, whylen,
				 "node %s: the guest said nothing "
				 "in time",
				 c->conn.node);
		}
		rpc_msg_dispose(&m);
		if (rc)
			return rc;
	}
}

static int console_send(struct console *c, const char *text)
{
	struct rpc_msg m;
	int rc;

	rpc_msg_init(&m);
	m.type = RPC_CONSOLE_DATA;
	m.id = c->id;
	m.data = (uint8_t *)text;
	m.data_len = (uint32_t)strlen(text);
	rc = rpc_send(&c->conn.s, &m);
	m.data = NULL; /* borrowed */
	rpc_msg_dispose(&m);
	return rc;
}

/* Lines until one of kind want; the guest's own complaint
 * ("benchguest: ...") fails it. */
static int console_wait(struct console *c, enum bench_line_kind want,
			int64_t ms, char *why, size_t whylen)
{
	int64_t deadline = fdio_now_ms() + ms;
	struct bench_line l;
	char line[512];
	int rc;

	while (!(
	    rc = console_line(c, line, sizeof(line), deadline, why, whylen))) {
		bench_line_parse(line, &l);
		if (l.kind == want)
			return BL_OK;
		if (l.kind == BENCH_LINE_COMPLAINT) {
			snprintf(why, whylen, "%s", l.why);
			return BL_ERR_FAIL;
		}
	}
	return rc;
}

/* The measured guest's figures, from "go" to "bench done". */
static int measure(struct console *c, struct bench_tally *tl,
		   const struct bench_plan *plan, char *why, size_t whylen)
{
	struct bench_line l;
	char line[512];
	int rc;

	rc = console_wait(c, BENCH_LINE_WAITING, BOOT_MS, why, whylen);
	if (!rc)
		rc = console_send(c, "go\n");
	while (!rc) {
		rc = console_line(c, line, sizeof(line),
				  fdio_now_ms() + SILENCE_MS, why, whylen);
		bench_line_parse(rc ? "" : line, &l);
		if (l.kind == BENCH_LINE_DONE)
			break;
		if (l.kind == BENCH_LINE_RESULT)
			bench_tally_add(tl, plan, l.metric, l.run, BL_OK,
					l.value, "");
		else if (l.kind == BENCH_LINE_MISSING)
			bench_tally_add(tl, plan, l.metric, 0, BL_ERR_FAIL, 0,
					l.why);
	}
	return rc;
}

/* The serving guest on peer p, up and listening: BL_OK, or why not. */
static int start_serving(struct guest_target *t, int p, unsigned net,
			 const struct bench_plan *plan, bool *created_r,
			 char *why, size_t whylen)
{
	char cfg[2048], extra[256], mac[32];
	struct console c;
	int rc;

	snprintf(mac, sizeof(mac), "00:16:3e:b7:%02x:01", net);
	snprintf(extra, sizeof(extra),
		 "bench=serve net_addr=169.254.%u.1/16 net_mtu=%d", net,
		 GUEST_MTU);
	guest_config(cfg, sizeof(cfg), SERVING, plan, mac, NULL, extra);
	rc = create(t, p, cfg, why, whylen);
	*created_r = !rc;
	if (rc)
		return rc;
	rc = console_open(t, p, SERVING, &c, why, whylen);
	if (!rc)
		rc = console_wait(&c, BENCH_LINE_SERVING, BOOT_MS, why, whylen);
	console_close(&c);
	return rc;
}

/* The measured guest's configuration; with_peer: its network figures
 * against the serving guest. */
static void measured_config(char *cfg, size_t size, unsigned net,
			    const struct bench_plan *plan, bool with_peer)
{
	char extra[512], mac[32];
	int n;

	snprintf(mac, sizeof(mac), "00:16:3e:b7:%02x:02", net);
	n = snprintf(extra, sizeof(extra),
		     "bench=measure net_addr=169.254.%u.2/16 net_mtu=%d "
		     "bench_runs=%u bench_cpu=%llu bench_disk=%llu "
		     "bench_seconds=%u bench_echoes=%u",
		     net, GUEST_MTU, plan->runs,
		     (unsigned long long)plan->cpu_iterations,
		     (unsigned long long)plan->disk_bytes, plan->seconds,
		     plan->echoes);
	if (with_peer && n > 0 && (size_t)n < sizeof(extra))
		snprintf(extra + n, sizeof(extra) - (size_t)n,
			 " bench_peer=169.254.%u.1", net);
	guest_config(cfg, size, MEASURED, plan, mac, plan->disk_image, extra);
}

void bench_guest(struct guest_target *t, int i, int p,
		 const struct bench_plan *plan, struct bench_series *s)
{
	char layer[96], why[BL_ERRMSG_MAX] = "", cfg[2048];
	bool measured = false, serving = false, with_peer = false;
	struct console c = {.open = false};
	struct bench_tally tl;
	unsigned net;
	int rc;

	snprintf(layer, sizeof(layer), "L2 %s", t->c.node[i].name);
	bench_tally_init(&tl, layer, s);
	/* The two guests' addresses, 169.254.N.1 and .2, N random: two
	 * benches at once on one overlay would rarely meet. */
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	net = 1 + (unsigned)rand() % 254;
	if (p < 0) {
		snprintf(why, sizeof(why),
			 "no peer node: the cluster file has no other node");
	} else {
		fprintf(stderr, "bench: %s: a serving guest on %s\n", layer,
			t->c.node[p].name);
		with_peer =
		    !start_serving(t, p, net, plan, &serving, why, sizeof(why));
	}
	for (int m = BENCH_NET_THROUGHPUT; !with_peer && m <= BENCH_NET_RTT;
	     m++)
		bench_tally_add(&tl, plan, (enum bench_metric)m, 0, BL_ERR_FAIL,
				0, why);
	measured_config(cfg, sizeof(cfg), net, plan, with_peer);
	fprintf(stderr, "bench: %s: the measured guest\n", layer);
	rc = create(t, i, cfg, why, sizeof(why));
	measured = !rc;
	if (!rc)
		rc = console_open(t, i, MEASURED, &c, why, sizeof(why));
	if (!rc)
		rc = measure(&c, &tl, plan, why, sizeof(why));
	console_close(&c);
	if (rc)
		for (int m = 0; m < BENCH_METRICS; m++)
			bench_tally_add(&tl, plan, (enum bench_metric)m, 0, rc,
					0, why);
	if (measured)
		destroy(t, i, MEASURED);
	if (serving)
		destroy(t, p, SERVING);
	bench_tally_end(&tl);
}
