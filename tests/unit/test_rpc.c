/* The node RPC codec (toolstack/rpc): every message round trip over a
 * socketpair stream, header negotiation, and the spec's rejects.
 *
 * The frames of the sample messages are golden files, kept forever in
 * tests/fuzz/corpus/rpc/ where they also seed the fuzzer. A wire format
 * change fails here; to rewrite the files on purpose, run the tests with
 * BL_GOLDEN_UPDATE=1. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/rpc/rpc_buf.h"
#include "tests/unit/golden_bytes.h"
#include "tests/unit/suites.h"

#define CORPUS_DIR "tests/fuzz/corpus/rpc/"

/* a: the client's end, b: the server's; a test that hangs fails instead. */
static void pair_open(struct bl_stream *a, struct bl_stream *b)
{
	int sv[2];

	CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	stream_fd_init(a, sv[0]);
	stream_fd_init(b, sv[1]);
	a->deadline_ms = b->deadline_ms = fdio_now_ms() + 5000;
}

static void pair_close(struct bl_stream *a, struct bl_stream *b)
{
	stream_close(a);
	stream_close(b);
}

/* What is waiting on s's socket, without blocking. */
static size_t drain(struct bl_stream *s, uint8_t *buf, size_t size)
{
	ssize_t r = recv(s->fd, buf, size, MSG_DONTWAIT);

	return r > 0 ? (size_t)r : 0;
}

static const struct bl_id sample_id = {
    {0xb1, 0xa7, 0x2e, 0x70, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

static const struct hv_guest guest_web = {.name = "web",
					  .domid = 12,
					  .state = HV_STATE_RUNNING,
					  .mem_kib = 262144,
					  .vcpus = 1,
					  .cpu_time_ns = 3000000000u,
					  .generation = 3};
/* An unresolved copy: its migration, and the node it went to. */
static const struct hv_guest guest_db = {.name = "db",
					 .domid = 13,
					 .state = HV_STATE_UNRESOLVED,
					 .mem_kib = 1048576,
					 .vcpus = 4,
					 .generation = 1,
					 .migration = sample_id,
					 .handed_to = "node2"};

/* The sample messages: the loop sets type, request and id (the sample's
 * place in the table, from 1); a builder fills in the rest. */
static void build_name(struct rpc_msg *m)
{
	strcpy(m->name, "web");
}

static void build_create(struct rpc_msg *m)
{
	static const char cfg[] = "name = \"web\"\nmemory = 256\n";

	m->source = strdup("/etc/xen/web.cfg");
	m->config = strdup(cfg);
	m->config_len = sizeof(cfg) - 1;
}

static void build_shutdown(struct rpc_msg *m)
{
	strcpy(m->name, "web");
	m->timeout_s = 30;
	m->flags = RPC_SHUTDOWN_FORCE | RPC_SHUTDOWN_WAIT;
}

static void build_console_data(struct rpc_msg *m)
{
	/* Console bytes may hold NULs and escapes. */
	static const uint8_t out[] = "\0\x1b[0mlogin: ";

	m->data = malloc(sizeof(out) - 1);
	memcpy(m->data, out, sizeof(out) - 1);
	m->data_len = sizeof(out) - 1;
}

static void build_ok_node(struct rpc_msg *m)
{
	strcpy(m->node, "node1");
	strcpy(m->l0, "QEMU, virtio");
	strcpy(m->node_info.xen_version, "4.17.5-blanket");
	strcpy(m->node_info.virt_caps, "pv shadow gnttab-v1 gnttab-v2");
	m->node_info.total_kib = 4194304;
	m->node_info.free_kib = 3145728;
	m->node_info.nr_cpus = 2;
	/* version 5: its end of the overlay */
	strcpy(m->overlay.key, "HIgo9xNzJMWLKASShiTqIybxZ0U3wGLiUeJ1PKf8ykw=");
	strcpy(m->overlay.addr, "10.200.0.1");
	m->overlay.port = 51820;
}

static void build_ok_list(struct rpc_msg *m)
{
	m->guests = calloc(2, sizeof(*m->guests));
	m->guests[0] = guest_web;
	m->guests[1] = guest_db;
	m->n_guests = 2;
}

/* guest-info's answer: the record, its disks (version 3) and its vifs
 * (version 4; their addresses, version 6). */
static void build_ok_guest(struct rpc_msg *m)
{
	m->guest = guest_web;
	m->disks = calloc(2, sizeof(*m->disks));
	m->n_disks = 2;
	strcpy(m->disks[0].disk.vdev, "xvda");
	m->disks[0].disk.devid = 51712;
	strcpy(m->disks[0].disk.path, "/var/lib/blanket/images/web.img");
	strcpy(m->disks[0].backend, "blanket-blk");
	strcpy(m->disks[0].state, "Connected");
	strcpy(m->disks[1].disk.vdev, "xvdb");
	m->disks[1].disk.devid = 51728;
	strcpy(m->disks[1].disk.path, "/var/lib/blanket/images/base.img");
	m->disks[1].disk.readonly = true;
	m->vifs = calloc(2, sizeof(*m->vifs));
	m->n_vifs = 2;
	strcpy(m->vifs[0].mac, "00:16:3e:00:00:0a");
	strcpy(m->vifs[0].bridge, "xenbr0");
	strcpy(m->vifs[0].ifname, "vif3.0");
	strcpy(m->vifs[0].ip, "10.98.0.10");
	strcpy(m->vifs[0].state, "Connected");
	m->vifs[1].devid = 1;
	strcpy(m->vifs[1].ifname, "web1");
}

static void build_migrate(struct rpc_msg *m)
{
	strcpy(m->name, "web");
	strcpy(m->node, "node2");
	strcpy(m->host, "10.99.0.2");
	m->port = 7400;
	m->flags = RPC_MIGRATE_NO_COMPRESS;
	m->bandwidth = 50u << 20;
	m->delta_cache_mib = 64;
}

static void build_migrate_stats(struct rpc_msg *m)
{
	strcpy(m->migrate.phase, "done");
	m->migrate.migration = sample_id;
	m->migrate.generation = 4;
	m->migrate.elapsed_ms = 9773;
	m->migrate.downtime_ms = 680;
	m->migrate.raw_bytes = 135759976;
	m->migrate.wire_bytes = 15508952;
	m->migrate.disk_bytes = 68157440;
	m->migrate.disk_wire_bytes = 67176792;
	m->migrate.disk_writes_held = 175;
	m->migrate.last_round_ms = 212;
	m->migrate.restore_ms = 391;
	m->migrate.start_ms = 77;
	m->migrate.rounds = 6;
	memcpy(m->migrate.round_pages,
	       (uint64_t[]){32768, 8192, 8190, 6001, 2210, 388},
	       6 * sizeof(uint64_t));
	m->migrate.throttle_round = 3;
	m->migrate.throttle_pct = 90;
	m->migrate.throttle_cap = 2;
	m->migrate.guest_cpu_pct = 18;
	m->migrate.delta_pages = 1033;
	m->migrate.delta_hits = 812;
	m->migrate.delta_misses = 150;
	m->migrate.delta_overflows = 71;
	m->migrate.delta_saved_bytes = 3250586;
}

static void build_receive(struct rpc_msg *m)
{
	static const char json[] = "{\"c_info\": {\"name\": \"web\"}}";

	strcpy(m->name, "web");
	m->config = strdup(json);
	m->config_len = sizeof(json) - 1;
	m->migration = sample_id;
	m->generation = 3;
}

static void build_migration(struct rpc_msg *m)
{
	m->migration = sample_id;
}

static void build_ok_receive(struct rpc_msg *m)
{
	m->instance = sample_id;
	m->instance.b[0] = 0x1e;
}

static void build_ok_status(struct rpc_msg *m)
{
	m->status = RPC_MIGRATION_ACCEPTED;
	strcpy(m->name, "web");
	m->generation = 4;
	build_ok_receive(m);
}

static void build_resolve(struct rpc_msg *m)
{
	strcpy(m->name, "web");
	m->flags = RPC_RESOLVE_RESUME_HERE;
}

static void build_ok_resolve(struct rpc_msg *m)
{
	strcpy(m->message, "node2 never started \"web\": it runs on here");
}

static void build_error(struct rpc_msg *m)
{
	m->code = BL_ERR_NOTFOUND;
	strcpy(m->message, "no guest named web");
}

static void build_bench_run(struct rpc_msg *m)
{
	m->workload = RPC_BENCH_NET_THROUGHPUT;
	m->seconds = 10;
	strcpy(m->host, "10.99.0.2");
	m->port = 7402;
}

static void build_ok_bench_run(struct rpc_msg *m)
{
	m->n_bench_values = 3;
	m->bench_values[0] = 81234.5;
	m->bench_values[1] = 120000.25;
	m->bench_values[2] = 2932;
}

static void build_bench_serve(struct rpc_msg *m)
{
	m->seconds = 120;
}

static void build_ok_bench_serve(struct rpc_msg *m)
{
	m->port = 41234;
}

#define V3 (1u << 3)
#define V4 (1u << 4)
#define V6 (1u << 6)
#define V7 (1u << 7)
#define V9 (1u << 9)

static const struct sample {
	const char *file;
	uint32_t type;
	uint32_t request; /* for ok */
	void (*build)(struct rpc_msg *m);
	uint16_t changed; /* the versions its body changed in: bit v */
} samples[] = {
    {"node-info", RPC_NODE_INFO, 0, NULL, 0},
    {"guest-list", RPC_GUEST_LIST, 0, NULL, 0},
    {"guest-info", RPC_GUEST_INFO, 0, build_name, 0},
    {"guest-create", RPC_GUEST_CREATE, 0, build_create, 0},
    {"guest-destroy", RPC_GUEST_DESTROY, 0, build_name, 0},
    {"guest-shutdown", RPC_GUEST_SHUTDOWN, 0, build_shutdown, 0},
    {"guest-reboot", RPC_GUEST_REBOOT, 0, build_name, 0},
    {"guest-pause", RPC_GUEST_PAUSE, 0, build_name, 0},
    {"guest-unpause", RPC_GUEST_UNPAUSE, 0, build_name, 0},
    {"guest-console", RPC_GUEST_CONSOLE, 0, build_name, 0},
    {"console-data", RPC_CONSOLE_DATA, 0, build_console_data, 0},
    {"console-detach", RPC_CONSOLE_DETACH, 0, NULL, 0},
    {"ok-node-info", RPC_OK, RPC_NODE_INFO, build_ok_node, 1u << 5},
    {"ok-guest-list", RPC_OK, RPC_GUEST_LIST, build_ok_list, 0},
    {"ok-guest-info", RPC_OK, RPC_GUEST_INFO, build_ok_guest, V3 | V4 | V6},
    {"ok-guest-create", RPC_OK, RPC_GUEST_CREATE, build_ok_guest, V3 | V4 | V6},
    {"ok-guest-destroy", RPC_OK, RPC_GUEST_DESTROY, NULL, 0},
    {"error", RPC_ERROR, 0, build_error, 0},
    {"guest-migrate", RPC_GUEST_MIGRATE, 0, build_migrate, V9},
    {"migrate-progress", RPC_MIGRATE_PROGRESS, 0, build_migrate_stats,
     V3 | V4 | V6 | V7 | V9},
    {"migrate-receive", RPC_MIGRATE_RECEIVE, 0, build_receive, 0},
    {"ok-guest-migrate", RPC_OK, RPC_GUEST_MIGRATE, build_migrate_stats,
     V3 | V4 | V6 | V7 | V9},
    {"migrate-cancel", RPC_MIGRATE_CANCEL, 0, NULL, 0},
    {"ok-migrate-receive", RPC_OK, RPC_MIGRATE_RECEIVE, build_ok_receive, 0},
    {"migrate-status", RPC_MIGRATE_STATUS, 0, build_migration, 0},
    {"ok-migrate-status", RPC_OK, RPC_MIGRATE_STATUS, build_ok_status, 0},
    {"migrate-settled", RPC_MIGRATE_SETTLED, 0, build_migration, 0},
    {"migrate-resolve", RPC_MIGRATE_RESOLVE, 0, build_resolve, 0},
    {"ok-migrate-resolve", RPC_OK, RPC_MIGRATE_RESOLVE, build_ok_resolve, 0},
    {"name-hold", RPC_NAME_HOLD, 0, build_name, 0},
    {"bench-run", RPC_BENCH_RUN, 0, build_bench_run, 0},
    {"ok-bench-run", RPC_OK, RPC_BENCH_RUN, build_ok_bench_run, 0},
    {"bench-serve", RPC_BENCH_SERVE, 0, build_bench_serve, 0},
    {"ok-bench-serve", RPC_OK, RPC_BENCH_SERVE, build_ok_bench_serve, 0},
};

static const size_t n_samples = sizeof(samples) / sizeof(samples[0]);

static void sample_build(size_t i, struct rpc_msg *m)
{
	rpc_msg_init(m);
	m->type = samples[i].type;
	m->request = samples[i].request;
	m->id = (uint32_t)i + 1;
	if (samples[i].build)
		samples[i].build(m);
}

static void assert_guest_equal(const struct hv_guest *x,
			       const struct hv_guest *y)
{
	CU_ASSERT_STRING_EQUAL(x->name, y->name);
	CU_ASSERT_EQUAL(x->domid, y->domid);
	CU_ASSERT_EQUAL(x->state, y->state);
	CU_ASSERT_EQUAL(x->mem_kib, y->mem_kib);
	CU_ASSERT_EQUAL(x->vcpus, y->vcpus);
	CU_ASSERT_EQUAL(x->cpu_time_ns, y->cpu_time_ns);
	CU_ASSERT_EQUAL(x->generation, y->generation);
	CU_ASSERT(bl_id_equal(&x->migration, &y->migration));
	CU_ASSERT_STRING_EQUAL(x->handed_to, y->handed_to);
}

/* Field by field: comparing re-encodings would miss a field that the
 * encoder and decoder both drop. */
static void assert_disks_equal(const struct rpc_msg *x, const struct rpc_msg *y)
{
	CU_ASSERT_EQUAL_FATAL(x->n_disks, y->n_disks);
	for (uint32_t i = 0; i < x->n_disks; i++) {
		const struct hv_disk_state *a = &x->disks[i], *b = &y->disks[i];

		CU_ASSERT_STRING_EQUAL(a->disk.vdev, b->disk.vdev);
		CU_ASSERT_EQUAL(a->disk.devid, b->disk.devid);
		CU_ASSERT_STRING_EQUAL(a->disk.path, b->disk.path);
		CU_ASSERT_EQUAL(a->disk.readonly, b->disk.readonly);
		CU_ASSERT_STRING_EQUAL(a->backend, b->backend);
		CU_ASSERT_STRING_EQUAL(a->state, b->state);
	}
}

static void assert_vifs_equal(const struct rpc_msg *x, const struct rpc_msg *y)
{
	CU_ASSERT_EQUAL_FATAL(x->n_vifs, y->n_vifs);
	for (uint32_t i = 0; i < x->n_vifs; i++) {
		const struct hv_vif_state *a = &x->vifs[i], *b = &y->vifs[i];

		CU_ASSERT_EQUAL(a->devid, b->devid);
		CU_ASSERT_STRING_EQUAL(a->mac, b->mac);
		CU_ASSERT_STRING_EQUAL(a->bridge, b->bridge);
		CU_ASSERT_STRING_EQUAL(a->ifname, b->ifname);
		CU_ASSERT_STRING_EQUAL(a->ip, b->ip);
		CU_ASSERT_STRING_EQUAL(a->state, b->state);
	}
}

static void assert_msg_equal(const struct rpc_msg *x, const struct rpc_msg *y)
{
	CU_ASSERT_EQUAL(x->type, y->type);
	CU_ASSERT_EQUAL(x->id, y->id);
	CU_ASSERT_STRING_EQUAL(x->name, y->name);
	CU_ASSERT_STRING_EQUAL(x->source ? x->source : "",
			       y->source ? y->source : "");
	CU_ASSERT_EQUAL_FATAL(x->config_len, y->config_len);
	if (x->config_len)
		CU_ASSERT_EQUAL(memcmp(x->config, y->config, x->config_len), 0);
	CU_ASSERT_EQUAL(x->timeout_s, y->timeout_s);
	CU_ASSERT_EQUAL(x->flags, y->flags);
	CU_ASSERT_EQUAL_FATAL(x->data_len, y->data_len);
	if (x->data_len)
		CU_ASSERT_EQUAL(memcmp(x->data, y->data, x->data_len), 0);
	CU_ASSERT_EQUAL(x->request, y->request);
	CU_ASSERT_STRING_EQUAL(x->node, y->node);
	CU_ASSERT_STRING_EQUAL(x->l0, y->l0);
	CU_ASSERT_STRING_EQUAL(x->node_info.xen_version,
			       y->node_info.xen_version);
	CU_ASSERT_STRING_EQUAL(x->node_info.virt_caps, y->node_info.virt_caps);
	CU_ASSERT_EQUAL(x->node_info.total_kib, y->node_info.total_kib);
	CU_ASSERT_EQUAL(x->node_info.free_kib, y->node_info.free_kib);
	CU_ASSERT_EQUAL(x->node_info.nr_cpus, y->node_info.nr_cpus);
	assert_guest_equal(&x->guest, &y->guest);
	CU_ASSERT_EQUAL_FATAL(x->n_guests, y->n_guests);
	for (uint32_t i = 0; i < x->n_guests; i++)
		assert_guest_equal(&x->guests[i], &y->guests[i]);
	CU_ASSERT_EQUAL(x->code, y->code);
	CU_ASSERT_STRING_EQUAL(x->message, y->message);
	CU_ASSERT_STRING_EQUAL(x->host, y->host);
	CU_ASSERT_EQUAL(x->port, y->port);
	CU_ASSERT_STRING_EQUAL(x->migrate.phase, y->migrate.phase);
	CU_ASSERT_EQUAL(x->migrate.elapsed_ms, y->migrate.elapsed_ms);
	CU_ASSERT_EQUAL(x->migrate.downtime_ms, y->migrate.downtime_ms);
	CU_ASSERT_EQUAL(x->migrate.raw_bytes, y->migrate.raw_bytes);
	CU_ASSERT_EQUAL(x->migrate.wire_bytes, y->migrate.wire_bytes);
	CU_ASSERT_EQUAL(x->migrate.disk_bytes, y->migrate.disk_bytes);
	CU_ASSERT_EQUAL(x->migrate.disk_wire_bytes, y->migrate.disk_wire_bytes);
	CU_ASSERT_EQUAL(x->migrate.disk_writes_held,
			y->migrate.disk_writes_held);
	CU_ASSERT_EQUAL(x->migrate.last_round_ms, y->migrate.last_round_ms);
	CU_ASSERT_EQUAL(x->migrate.restore_ms, y->migrate.restore_ms);
	CU_ASSERT_EQUAL(x->migrate.start_ms, y->migrate.start_ms);
	CU_ASSERT_EQUAL_FATAL(x->migrate.rounds, y->migrate.rounds);
	for (uint32_t i = 0; i < x->migrate.rounds; i++)
		CU_ASSERT_EQUAL(x->migrate.round_pages[i],
				y->migrate.round_pages[i]);
	CU_ASSERT_EQUAL(x->migrate.throttle_round, y->migrate.throttle_round);
	CU_ASSERT_EQUAL(x->migrate.throttle_pct, y->migrate.throttle_pct);
	CU_ASSERT_EQUAL(x->migrate.throttle_cap, y->migrate.throttle_cap);
	CU_ASSERT_EQUAL(x->migrate.guest_cpu_pct, y->migrate.guest_cpu_pct);
	CU_ASSERT_EQUAL(x->migrate.delta_pages, y->migrate.delta_pages);
	CU_ASSERT_EQUAL(x->migrate.delta_hits, y->migrate.delta_hits);
	CU_ASSERT_EQUAL(x->migrate.delta_misses, y->migrate.delta_misses);
	CU_ASSERT_EQUAL(x->migrate.delta_overflows, y->migrate.delta_overflows);
	CU_ASSERT_EQUAL(x->migrate.delta_saved_bytes,
			y->migrate.delta_saved_bytes);
	CU_ASSERT_EQUAL(x->bandwidth, y->bandwidth);
	CU_ASSERT_EQUAL(x->delta_cache_mib, y->delta_cache_mib);
	assert_disks_equal(x, y);
	assert_vifs_equal(x, y);
	CU_ASSERT(bl_id_equal(&x->migrate.migration, &y->migrate.migration));
	CU_ASSERT_EQUAL(x->migrate.generation, y->migrate.generation);
	CU_ASSERT(bl_id_equal(&x->migration, &y->migration));
	CU_ASSERT_EQUAL(x->generation, y->generation);
	CU_ASSERT(bl_id_equal(&x->instance, &y->instance));
	CU_ASSERT_EQUAL(x->status, y->status);
	CU_ASSERT_EQUAL(x->workload, y->workload);
	CU_ASSERT_EQUAL(x->amount, y->amount);
	CU_ASSERT_EQUAL(x->seconds, y->seconds);
	CU_ASSERT_EQUAL_FATAL(x->n_bench_values, y->n_bench_values);
	for (uint32_t i = 0; i < x->n_bench_values; i++)
		CU_ASSERT_EQUAL(x->bench_values[i], y->bench_values[i]);
}

static void test_round_trip(void)
{
	struct bl_stream a, b;
	struct rpc_msg sent, got;
	char err[BL_ERRMSG_MAX];

	pair_open(&a, &b);
	for (size_t i = 0; i < n_samples; i++) {
		sample_build(i, &sent);
		CU_ASSERT_EQUAL(rpc_send(&a, &sent), BL_OK);
		CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &got, err, sizeof(err)),
				      BL_OK);
		assert_msg_equal(&sent, &got);
		rpc_msg_dispose(&sent);
		rpc_msg_dispose(&got);
		rpc_msg_dispose(&got); /* idempotent */
	}
	/* An empty list, and an empty config, go through too. */
	rpc_msg_init(&sent);
	sent.type = RPC_OK;
	sent.request = RPC_GUEST_LIST;
	CU_ASSERT_EQUAL(rpc_send(&b, &sent), BL_OK);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&a, &got, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(got.n_guests, 0);
	CU_ASSERT_PTR_NULL(got.guests);
	rpc_msg_dispose(&got);
	sent.type = RPC_GUEST_CREATE;
	sent.source = strdup("x.cfg");
	CU_ASSERT_EQUAL(rpc_send(&a, &sent), BL_OK);
	rpc_msg_dispose(&sent);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &got, err, sizeof(err)), BL_OK);
	CU_ASSERT_STRING_EQUAL(got.source, "x.cfg");
	CU_ASSERT_STRING_EQUAL(got.config, "");
	CU_ASSERT_EQUAL(got.config_len, 0);
	rpc_msg_dispose(&got);
	pair_close(&a, &b);
}

/* The golden file name in CORPUS_DIR. */
static void check_golden(const char *name, const uint8_t *bytes, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), CORPUS_DIR "%s", name);
	golden_bytes_check(path, bytes, len);
}

/* guest-migrate's no-throttle flag is version 7's: an older peer would
 * not know it. */
static void test_migrate_flags_version(void)
{
	struct bl_stream a, b;
	struct rpc_msg m, got;
	char err[BL_ERRMSG_MAX];

	pair_open(&a, &b);
	rpc_msg_init(&m);
	m.type = RPC_GUEST_MIGRATE;
	build_migrate(&m);
	m.flags = RPC_MIGRATE_NO_THROTTLE;
	m.delta_cache_mib = 0; /* version 9's */
	a.version = 6;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_ERR_INVAL);
	a.version = 7;
	b.version = 7;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_OK);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &got, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(got.flags, RPC_MIGRATE_NO_THROTTLE);
	rpc_msg_dispose(&got);
	rpc_msg_dispose(&m);
	pair_close(&a, &b);
}

/* guest-migrate's delta cache is version 9's: a nonzero one cannot be
 * encoded for an older peer, nor one over the limit for any; an older
 * peer's record carries no delta figures. */
static void test_migrate_delta_version(void)
{
	struct bl_stream a, b;
	struct rpc_msg m, got;
	char err[BL_ERRMSG_MAX];

	pair_open(&a, &b);
	rpc_msg_init(&m);
	m.type = RPC_GUEST_MIGRATE;
	build_migrate(&m);
	a.version = 8;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_ERR_INVAL);
	m.delta_cache_mib = 0;
	b.version = 8;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_OK);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &got, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(got.delta_cache_mib, 0);
	CU_ASSERT_EQUAL(got.bandwidth, 50u << 20);
	rpc_msg_dispose(&got);
	a.version = 9;
	b.version = 9;
	m.delta_cache_mib = RPC_DELTA_CACHE_MAX_MIB + 1;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_ERR_INVAL);
	m.delta_cache_mib = RPC_DELTA_CACHE_MAX_MIB;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_OK);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &got, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(got.delta_cache_mib, RPC_DELTA_CACHE_MAX_MIB);
	rpc_msg_dispose(&got);
	rpc_msg_dispose(&m);

	rpc_msg_init(&m);
	m.type = RPC_MIGRATE_PROGRESS;
	build_migrate_stats(&m);
	a.version = 8;
	b.version = 8;
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_OK);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &got, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(got.migrate.guest_cpu_pct, 18);
	CU_ASSERT_EQUAL(got.migrate.delta_pages, 0);
	CU_ASSERT_EQUAL(got.migrate.delta_hits, 0);
	CU_ASSERT_EQUAL(got.migrate.delta_saved_bytes, 0);
	rpc_msg_dispose(&got);
	rpc_msg_dispose(&m);
	pair_close(&a, &b);
}

static void test_golden_frames(void)
{
	uint8_t buf[4096];
	char name[128];
	struct bl_stream a, b;
	struct rpc_msg m;
	size_t n;

	pair_open(&a, &b);
	/* Version 2's frames (its fields only: the files are version 2's,
	 * kept as they were), and each later version's where they differ. */
	for (uint32_t v = 2; v <= RPC_VERSION; v++) {
		a.version = v;
		for (size_t i = 0; i < n_samples; i++) {
			sample_build(i, &m);
			/* (none before version 9: test_migrate_delta_version)
			 */
			if (v < 9)
				m.delta_cache_mib = 0;
			CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_OK);
			n = drain(&b, buf, sizeof(buf));
			CU_ASSERT_EQUAL(n % 8, 0);
			if (v == 2)
				snprintf(name, sizeof(name), "%s",
					 samples[i].file);
			else
				snprintf(name, sizeof(name), "v%u-%s", v,
					 samples[i].file);
			if (v == 2 || samples[i].changed & (1u << v))
				check_golden(name, buf, n);
			rpc_msg_dispose(&m);
		}
	}
	a.version = 0;
	/* A connection's start, client side: a header and a request. */
	rpc_header_encode(buf, RPC_VERSION, RPC_MIN_VERSION);
	sample_build(1, &m); /* guest-list */
	CU_ASSERT_EQUAL(rpc_send(&a, &m), BL_OK);
	n = drain(&b, buf + RPC_HEADER_LEN, sizeof(buf) - RPC_HEADER_LEN);
	check_golden("hello-guest-list", buf, RPC_HEADER_LEN + n);
	/* A refusal, server side. */
	rpc_header_encode(buf, 0, RPC_MIN_VERSION);
	CU_ASSERT_EQUAL(rpc_send_error(&b, 0, BL_ERR_VERSION,
				       "no common version: client speaks 2 to "
				       "2, server 1 to 1"),
			BL_OK);
	n = drain(&a, buf + RPC_HEADER_LEN, sizeof(buf) - RPC_HEADER_LEN);
	check_golden("hello-refused", buf, RPC_HEADER_LEN + n);
	pair_close(&a, &b);
}

static void test_names(void)
{
	CU_ASSERT_STRING_EQUAL(rpc_type_name(RPC_GUEST_INFO), "guest-info");
	CU_ASSERT_STRING_EQUAL(rpc_type_name(RPC_ERROR), "error");
	CU_ASSERT_STRING_EQUAL(rpc_type_name(0), "unknown");
	CU_ASSERT_STRING_EQUAL(rpc_type_name(42), "unknown");
	CU_ASSERT_STRING_EQUAL(rpc_type_name(RPC_OPTIONAL | RPC_GUEST_INFO),
			       "unknown");
	CU_ASSERT_TRUE(rpc_type_is_request(RPC_NODE_INFO));
	CU_ASSERT_TRUE(rpc_type_is_request(RPC_GUEST_CONSOLE));
	CU_ASSERT_FALSE(rpc_type_is_request(RPC_CONSOLE_DATA));
	CU_ASSERT_FALSE(rpc_type_is_request(RPC_OK));
	CU_ASSERT_FALSE(rpc_type_is_request(0));
}

/* The reader and writer on their own: the first failure sticks. */
static void test_buffers(void)
{
	static const uint8_t bytes[] = {0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 9};
	struct rpc__rd rd;
	struct rpc__wr wr;
	uint8_t *buf = NULL;
	uint32_t u32, len;
	uint64_t u64;
	char s[8];

	rpc__rd_init(&rd, bytes, 7);
	rpc__get_u64(&rd, "big", &u64);
	CU_ASSERT_EQUAL(rd.rc, BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(rd.field, "big");
	CU_ASSERT_STRING_EQUAL(rd.why, "truncated");
	rpc__get_u32(&rd, "next", &u32);
	CU_ASSERT_EQUAL(u32, 0);
	CU_ASSERT_STRING_EQUAL(rd.field, "big");

	/* A 4 GiB length is "too long", refused before it is looked at. */
	rpc__rd_init(&rd, bytes + 4, 5);
	rpc__get_str(&rd, "s", s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(rd.why, "too long");
	CU_ASSERT_STRING_EQUAL(s, "");
	rpc__rd_init(&rd, bytes, sizeof(bytes));
	rpc__get_u32(&rd, "n", &u32);
	CU_ASSERT_EQUAL(u32, 1);
	CU_ASSERT_EQUAL(rpc__rd_end(&rd), BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(rd.why, "trailing bytes");

	rpc__wr_init(&wr, 6);
	rpc__put_u32(&wr, 0x01020304);
	CU_ASSERT_EQUAL(rpc__wr_take(&wr, &buf, &len), BL_OK);
	CU_ASSERT_EQUAL(len, 4);
	CU_ASSERT_EQUAL(buf[0], 1);
	CU_ASSERT_EQUAL(buf[3], 4);
	free(buf);
	buf = NULL;
	rpc__wr_init(&wr, 6);
	rpc__put_u32(&wr, 1);
	rpc__put_u32(&wr, 2); /* over max */
	CU_ASSERT_EQUAL(rpc__wr_take(&wr, &buf, &len), BL_ERR_INVAL);
	CU_ASSERT_PTR_NULL(buf);
	rpc__wr_init(&wr, 64);
	rpc__put_str(&wr, "a\0b", 3, 8);
	CU_ASSERT_EQUAL(rpc__wr_take(&wr, &buf, &len), BL_ERR_INVAL);
	rpc__wr_init(&wr, 64);
	rpc__put_str(&wr, "abc", 3, 2);
	CU_ASSERT_EQUAL(rpc__wr_take(&wr, &buf, &len), BL_ERR_INVAL);
}

/* Values the spec does not allow are refused before anything is sent. */
static void test_encode_rejects(void)
{
	struct rpc_msg m;
	uint8_t *body = NULL;
	uint32_t len;

	rpc_msg_init(&m);
	m.type = RPC_GUEST_INFO;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	memset(m.name, 'x', sizeof(m.name)); /* no NUL: too long */
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	strcpy(m.name, "web");
	m.type = 42;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.type = RPC_GUEST_SHUTDOWN;
	m.flags = 4;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.flags = 0;
	m.timeout_s = RPC_TIMEOUT_MAX + 1;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.type = RPC_ERROR;
	strcpy(m.message, "x");
	m.code = 0;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.type = RPC_OK;
	m.request = RPC_OK;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.request = RPC_GUEST_INFO;
	m.guest = guest_web;
	m.guest.state = (enum hv_guest_state)(HV_STATE_UNRESOLVED + 1);
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.type = RPC_OK; /* a figure JSON could not carry */
	m.request = RPC_BENCH_RUN;
	m.n_bench_values = 1;
	m.bench_values[0] = NAN;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.n_bench_values = 0;
	m.type = RPC_BENCH_RUN; /* a network workload needs a host */
	m.workload = RPC_BENCH_NET_RR;
	m.seconds = 5;
	m.port = 7;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	m.workload = 0;
	m.type = RPC_GUEST_CREATE; /* no source */
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	CU_ASSERT_PTR_NULL(body);

	/* More guests than fit in a body. */
	m.type = RPC_OK;
	m.request = RPC_GUEST_LIST;
	m.n_guests = RPC_MAX_BODY / 33 + 1;
	m.guests = calloc(m.n_guests, sizeof(*m.guests));
	CU_ASSERT_PTR_NOT_NULL_FATAL(m.guests);
	for (uint32_t i = 0; i < m.n_guests; i++)
		m.guests[i] = guest_db;
	CU_ASSERT_EQUAL(rpc_msg_encode(&m, 0, &body, &len), BL_ERR_INVAL);
	rpc_msg_dispose(&m);
}

/* A body from a format: 'i' a u32, 'l' a u64, 's' a string, 'b' bytes
 * and their length. No limits: the point is to break them. */
static void put_fmt(struct rpc__wr *wr, const char *fmt, va_list ap)
{
	const char *p;

	for (; *fmt; fmt++) {
		switch (*fmt) {
		case 'i':
			rpc__put_u32(wr, va_arg(ap, uint32_t));
			break;
		case 'l':
			rpc__put_u64(wr, va_arg(ap, uint64_t));
			break;
		case 's':
			p = va_arg(ap, const char *);
			rpc__put_bytes(wr, p, strlen(p), RPC_MAX_BODY);
			break;
		case 'b':
			p = va_arg(ap, const char *);
			rpc__put_bytes(wr, p, va_arg(ap, uint32_t),
				       RPC_MAX_BODY);
			break;
		default:
			CU_FAIL_FATAL("bad put_fmt format");
		}
	}
}

/* One malformed body through the stream: the error and the id to echo. */
static void expect_reject(uint32_t type, uint32_t id, const char *why,
			  const char *fmt, ...)
{
	char err[BL_ERRMSG_MAX] = "";
	struct bl_stream a, b;
	struct rpc__wr wr;
	uint8_t *body = NULL;
	struct rpc_msg m;
	uint32_t len = 0;
	va_list ap;

	rpc__wr_init(&wr, RPC_MAX_BODY);
	va_start(ap, fmt);
	put_fmt(&wr, fmt, ap);
	va_end(ap);
	CU_ASSERT_EQUAL_FATAL(rpc__wr_take(&wr, &body, &len), BL_OK);
	pair_open(&a, &b);
	CU_ASSERT_EQUAL(rpc_send_frame(&a, type, body, len), BL_OK);
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(err, why);
	CU_ASSERT_EQUAL(m.type, type);
	CU_ASSERT_EQUAL(m.id, id);
	CU_ASSERT_PTR_NULL(m.guests);
	CU_ASSERT_PTR_NULL(m.source);
	CU_ASSERT_PTR_NULL(m.config);
	pair_close(&a, &b);
	free(body);
}

static void test_body_rejects(void)
{
	static const char zeros[16];
	const uint64_t z = 0;
	char name_64[65];

	memset(name_64, 'x', 64);
	name_64[64] = '\0';
	expect_reject(RPC_GUEST_INFO, 7, "guest-info: body: trailing bytes",
		      "isi", 7, "web", 0);
	expect_reject(RPC_GUEST_INFO, 7, "guest-info: name: too long", "is", 7,
		      name_64);
	expect_reject(RPC_GUEST_DESTROY, 7, "guest-destroy: name: contains NUL",
		      "ib", 7, "w\0b", 3);
	expect_reject(RPC_GUEST_PAUSE, 7, "guest-pause: name: empty", "is", 7,
		      "");
	expect_reject(RPC_GUEST_REBOOT, 7, "guest-reboot: name: truncated",
		      "iib", 7, 9, "we", 2);
	expect_reject(RPC_NODE_INFO, 0, "node-info: id: truncated", "");
	expect_reject(RPC_OK, 3, "ok: state: unknown value", "iisiilil", 3,
		      RPC_GUEST_INFO, "w", 12, 8, z, 1, z);
	expect_reject(RPC_OK, 3, "ok: migration: not 16 bytes", "iisiilillss",
		      3, RPC_GUEST_INFO, "w", 12, 0, z, 1, z, z, "x", "");
	/* Found by fuzz_rpc: an all-zero ID did not encode back. */
	expect_reject(RPC_MIGRATE_STATUS, 5,
		      "migrate-status: migration: all zero", "ib", 5, zeros,
		      16);
	expect_reject(RPC_OK, 3, "ok: request: unknown value", "ii", 3, RPC_OK);
	expect_reject(RPC_OK, 1, "ok: node: empty", "iisssllil", 1,
		      RPC_NODE_INFO, "", "4.17", "pv", z, z, 1);
	expect_reject(RPC_GUEST_SHUTDOWN, 6,
		      "guest-shutdown: flags: unknown flags", "isii", 6, "w", 0,
		      4);
	expect_reject(RPC_GUEST_SHUTDOWN, 6,
		      "guest-shutdown: timeout_s: out of range", "isii", 6, "w",
		      RPC_TIMEOUT_MAX + 1, 0);
	expect_reject(RPC_GUEST_CREATE, 4, "guest-create: source: empty", "iss",
		      4, "", "name = 'x'");
	expect_reject(RPC_ERROR, 3, "error: code: out of range", "iis", 3, 0,
		      "x");
	expect_reject(RPC_ERROR, 3, "error: code: out of range", "iis", 3,
		      0x80000000u, "x");
	expect_reject(RPC_ERROR, 3, "error: message: empty", "iis", 3, 9, "");
	/* Three guests announced, room for one: refused before allocating. */
	expect_reject(RPC_OK, 2, "ok: count: too large", "iiisiilil", 2,
		      RPC_GUEST_LIST, 3, "w", 12, 0, z, 1, z);
	/* Two announced and room for two, but the second is cut. */
	expect_reject(RPC_OK, 2, "ok: cpu_time_ns: truncated",
		      "iiisiilillissiili", 2, RPC_GUEST_LIST, 2, "w", 12, 0, z,
		      1, z, z, 0, "", "vvvvvvvvvvvvvvvvvvvvvvvvv", 13, 0, z, 1);
	expect_reject(RPC_BENCH_RUN, 8, "bench-run: workload: out of range",
		      "iilisi", 8, 6, z, 0, "", 0);
	expect_reject(RPC_BENCH_RUN, 8, "bench-run: amount: out of range",
		      "iilisi", 8, RPC_BENCH_CPU, RPC_BENCH_CPU_MAX + 1, 0, "",
		      0);
	expect_reject(RPC_BENCH_RUN, 8, "bench-run: seconds: out of range",
		      "iilisi", 8, RPC_BENCH_DISK, (uint64_t)1 << 20, 0, "", 0);
	expect_reject(RPC_BENCH_RUN, 8,
		      "bench-run: host: not a dotted IPv4 address", "iilisi", 8,
		      RPC_BENCH_NET_RTT, (uint64_t)5, 0, "node2.example", 0);
	expect_reject(RPC_BENCH_RUN, 8, "bench-run: port: out of range",
		      "iilisi", 8, RPC_BENCH_NET_RR, z, 10, "10.99.0.2", 0);
	expect_reject(RPC_BENCH_SERVE, 8, "bench-serve: seconds: out of range",
		      "ii", 8, RPC_BENCH_SECONDS_MAX + 1);
	expect_reject(RPC_OK, 8, "ok: n_values: out of range", "iii", 8,
		      RPC_BENCH_RUN, RPC_BENCH_VALUES_MAX + 1);
	expect_reject(RPC_OK, 8, "ok: value: not finite", "iiil", 8,
		      RPC_BENCH_RUN, 1, (uint64_t)0x7ff8000000000000ull);
	expect_reject(RPC_GUEST_MIGRATE, 9,
		      "guest-migrate: delta_cache_mib: out of range",
		      "isssiili", 9, "web", "node2", "10.99.0.2", 7400, 0, z,
		      RPC_DELTA_CACHE_MAX_MIB + 1);
	expect_reject(42, 7, "unknown message type 42", "is", 7, "web");
	expect_reject(0, 0, "unknown message type 0", "");
}

/* Writes raw bytes to a stream's socket. */
static void put_raw(struct bl_stream *s, const void *p, size_t len)
{
	CU_ASSERT_EQUAL(write(s->fd, p, len), (ssize_t)len);
}

static void frame_header(uint8_t hdr[8], uint32_t type, uint32_t len)
{
	frame_store32(hdr, type);
	frame_store32(hdr + 4, len);
}

static void test_frame_rejects(void)
{
	static const uint8_t detach[] = {0, 0, 0, 10};
	char err[BL_ERRMSG_MAX] = "";
	struct bl_stream a, b;
	struct rpc_msg m;
	uint8_t hdr[8];

	pair_open(&a, &b);
	/* Oversized: refused from the header alone, so no body is awaited. */
	frame_header(hdr, RPC_CONSOLE_DATA, 0xffffffffu);
	put_raw(&a, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(
	    err, "message length 4294967295 over the limit of 1048576 bytes");
	frame_header(hdr, RPC_OPTIONAL | 5, RPC_MAX_BODY + 1);
	put_raw(&a, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_PROTO);

	/* Unknown optional frames are skipped, known ones are not. */
	CU_ASSERT_EQUAL(rpc_send_frame(&a, RPC_OPTIONAL | 42, "skip", 4),
			BL_OK);
	CU_ASSERT_EQUAL(rpc_send_frame(&a, RPC_OPTIONAL, NULL, 0), BL_OK);
	CU_ASSERT_EQUAL(rpc_send_frame(&a, RPC_CONSOLE_DETACH, detach, 4),
			BL_OK);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&b, &m, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(m.type, RPC_CONSOLE_DETACH);
	CU_ASSERT_EQUAL(m.id, 10);

	/* Nonzero padding, in a known frame and in a skipped one. */
	frame_header(hdr, RPC_CONSOLE_DETACH, 4);
	put_raw(&a, hdr, sizeof(hdr));
	put_raw(&a, "\0\0\0\1\0\0\0\1", 8);
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(err, "console-detach: padding: not zero");
	frame_header(hdr, RPC_OPTIONAL | 7, 1);
	put_raw(&a, hdr, sizeof(hdr));
	put_raw(&a, "x\0\0\0\0\0\0y", 8);
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_PROTO);

	/* Truncated: a body shorter than its length, then EOF. */
	frame_header(hdr, RPC_GUEST_INFO, 100);
	put_raw(&a, hdr, sizeof(hdr));
	put_raw(&a, "short", 5);
	stream_close(&a);
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_EOF);
	CU_ASSERT_EQUAL(m.type, 0);
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_EOF);
	pair_close(&a, &b);
}

/* Frames of the largest size: a writer process, as a socket holds less. */
static void test_frame_limits(void)
{
	static const uint8_t list[] = {0, 0, 0, 2};
	char err[BL_ERRMSG_MAX] = "";
	struct bl_stream a, b;
	uint8_t *big = calloc(1, RPC_MAX_BODY);
	struct rpc_msg m;
	int status;
	pid_t pid;

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	pair_open(&a, &b);
	pid = fork();
	CU_ASSERT_NOT_EQUAL_FATAL(pid, -1);
	if (pid == 0) {
		int rc;

		/* console-data, id 9, data one byte over its limit */
		frame_store32(big, 9);
		frame_store32(big + 4, RPC_CONSOLE_MAX + 1);
		rc = rpc_send_frame(&a, RPC_OPTIONAL | 99, big, RPC_MAX_BODY);
		if (!rc)
			rc = rpc_send_frame(&a, RPC_CONSOLE_DATA, big,
					    8 + RPC_CONSOLE_MAX + 1);
		if (!rc)
			rc = rpc_send_frame(&a, RPC_GUEST_LIST, list, 4);
		free(big);
		_exit(rc ? 1 : 0);
	}
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(err, "console-data: data: too long");
	CU_ASSERT_EQUAL(m.id, 9);
	CU_ASSERT_EQUAL(rpc_recv(&b, &m, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(m.type, RPC_GUEST_LIST);
	CU_ASSERT_EQUAL(m.id, 2);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CU_ASSERT_EQUAL(rpc_send_frame(&a, RPC_OPTIONAL, big, RPC_MAX_BODY + 1),
			BL_ERR_INVAL);
	free(big);
	pair_close(&a, &b);
}

static void test_version_pick(void)
{
	uint32_t v = 0;

	CU_ASSERT_EQUAL(rpc_version_pick(1, 1, 1, 1, &v), BL_OK);
	CU_ASSERT_EQUAL(v, 1);
	/* A version 2 server with a version 1 client (N-1), and back. */
	CU_ASSERT_EQUAL(rpc_version_pick(1, 2, 1, 1, &v), BL_OK);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(rpc_version_pick(1, 1, 1, 2, &v), BL_OK);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(rpc_version_pick(1, 2, 2, 3, &v), BL_OK);
	CU_ASSERT_EQUAL(v, 2);
	/* Too new, too old. */
	CU_ASSERT_EQUAL(rpc_version_pick(1, 1, 2, 3, &v), BL_ERR_VERSION);
	CU_ASSERT_EQUAL(rpc_version_pick(3, 4, 1, 2, &v), BL_ERR_VERSION);
}

static void test_hello(void)
{
	char err[BL_ERRMSG_MAX] = "";
	uint8_t hdr[RPC_HEADER_LEN];
	uint32_t v = 0, min = 0;
	struct bl_stream a, b;

	/* Server side: the client's header is already waiting. */
	pair_open(&a, &b);
	rpc_header_encode(hdr, RPC_VERSION, RPC_MIN_VERSION);
	put_raw(&a, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(rpc_server_hello(&b, &v, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(v, RPC_VERSION);
	CU_ASSERT_EQUAL(drain(&a, hdr, sizeof(hdr)), RPC_HEADER_LEN);
	CU_ASSERT_EQUAL(memcmp(hdr, "BLANKRPC", 8), 0);
	CU_ASSERT_EQUAL(rpc_header_decode(hdr, &v, &min), BL_OK);
	CU_ASSERT_EQUAL(v, RPC_VERSION);
	CU_ASSERT_EQUAL(min, RPC_MIN_VERSION);
	pair_close(&a, &b);

	/* Client side: the server's answer is already waiting. */
	pair_open(&a, &b);
	rpc_header_encode(hdr, RPC_VERSION, RPC_MIN_VERSION);
	put_raw(&b, hdr, sizeof(hdr));
	v = 0;
	CU_ASSERT_EQUAL(rpc_client_hello(&a, &v, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(v, RPC_VERSION);
	CU_ASSERT_EQUAL(drain(&b, hdr, sizeof(hdr)), RPC_HEADER_LEN);
	CU_ASSERT_EQUAL(rpc_header_decode(hdr, &v, &min), BL_OK);
	CU_ASSERT_EQUAL(v, RPC_VERSION);
	CU_ASSERT_EQUAL(min, RPC_MIN_VERSION);
	pair_close(&a, &b);
}

/* The server refuses a client header; returns what the client reads. */
static void expect_refusal(const uint8_t hdr[RPC_HEADER_LEN], int rc,
			   const char *why)
{
	char err[BL_ERRMSG_MAX] = "";
	uint8_t reply[RPC_HEADER_LEN];
	struct bl_stream a, b;
	uint32_t v = 0, min = 0;
	struct rpc_msg m;

	pair_open(&a, &b);
	put_raw(&a, hdr, RPC_HEADER_LEN);
	CU_ASSERT_EQUAL(rpc_server_hello(&b, &v, err, sizeof(err)), rc);
	CU_ASSERT_STRING_EQUAL(err, why);
	CU_ASSERT_EQUAL(stream_read(&a, reply, sizeof(reply)), BL_OK);
	CU_ASSERT_EQUAL(rpc_header_decode(reply, &v, &min), BL_OK);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(min, RPC_MIN_VERSION);
	CU_ASSERT_EQUAL_FATAL(rpc_recv(&a, &m, err, sizeof(err)), BL_OK);
	CU_ASSERT_EQUAL(m.type, RPC_ERROR);
	CU_ASSERT_EQUAL(m.id, 0);
	CU_ASSERT_EQUAL(m.code, rc);
	CU_ASSERT_STRING_EQUAL(m.message, why);
	pair_close(&a, &b);
}

static void test_hello_refusals(void)
{
	char err[BL_ERRMSG_MAX] = "";
	uint8_t hdr[RPC_HEADER_LEN];
	struct bl_stream a, b;
	uint32_t v = 0;

	rpc_header_encode(hdr, RPC_VERSION + 2, RPC_VERSION + 1);
	expect_refusal(hdr, BL_ERR_VERSION,
		       "no common version: client speaks 10 to 11, server 2 "
		       "to 9");
	/* Version 1 has no migration identities: refused. */
	rpc_header_encode(hdr, 1, 1);
	expect_refusal(hdr, BL_ERR_VERSION,
		       "no common version: client speaks 1 to 1, server 2 to "
		       "9");
	rpc_header_encode(hdr, RPC_VERSION, RPC_VERSION + 1);
	expect_refusal(hdr, BL_ERR_PROTO, "bad version range 10 to 9");
	rpc_header_encode(hdr, 0, 0);
	expect_refusal(hdr, BL_ERR_PROTO, "bad version range 0 to 0");
	rpc_header_encode(hdr, RPC_VERSION, RPC_MIN_VERSION);
	hdr[7] = 'X';
	expect_refusal(hdr, BL_ERR_PROTO, "bad magic");

	/* The client reads a refusal and reports the server's reason. */
	pair_open(&a, &b);
	rpc_header_encode(hdr, 0, RPC_MIN_VERSION);
	put_raw(&b, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(rpc_send_error(&b, 0, BL_ERR_VERSION, NULL), BL_OK);
	CU_ASSERT_EQUAL(rpc_client_hello(&a, &v, err, sizeof(err)),
			BL_ERR_VERSION);
	CU_ASSERT_STRING_EQUAL(err, bl_strerror(BL_ERR_VERSION));
	pair_close(&a, &b);

	/* A server choosing a version the client did not offer. */
	pair_open(&a, &b);
	rpc_header_encode(hdr, RPC_VERSION + 1, RPC_MIN_VERSION);
	put_raw(&b, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(rpc_client_hello(&a, &v, err, sizeof(err)),
			BL_ERR_PROTO);
	memcpy(hdr, "HTTP/1.1", 8);
	put_raw(&b, hdr, sizeof(hdr));
	CU_ASSERT_EQUAL(rpc_client_hello(&a, &v, err, sizeof(err)),
			BL_ERR_PROTO);
	CU_ASSERT_STRING_EQUAL(err, "bad magic");
	/* A header cut short (shut, not closed: the client writes first). */
	put_raw(&b, hdr, 5);
	CU_ASSERT_EQUAL(shutdown(b.fd, SHUT_WR), 0);
	CU_ASSERT_EQUAL(rpc_client_hello(&a, &v, err, sizeof(err)), BL_ERR_EOF);
	pair_close(&a, &b);
}

void suite_rpc(void)
{
	CU_pSuite s = CU_add_suite("node rpc codec", NULL, NULL);

	CU_add_test(s, "type names", test_names);
	CU_add_test(s, "body buffers", test_buffers);
	CU_add_test(s, "round trip of every message", test_round_trip);
	CU_add_test(s, "golden frames", test_golden_frames);
	CU_add_test(s, "guest-migrate's delta cache by version",
		    test_migrate_delta_version);
	CU_add_test(s, "guest-migrate's flags by version",
		    test_migrate_flags_version);
	CU_add_test(s, "encode rejects", test_encode_rejects);
	CU_add_test(s, "body rejects", test_body_rejects);
	CU_add_test(s, "frame rejects", test_frame_rejects);
	CU_add_test(s, "frame limits", test_frame_limits);
	CU_add_test(s, "version pick", test_version_pick);
	CU_add_test(s, "hello", test_hello);
	CU_add_test(s, "hello refusals", test_hello_refusals);
}
