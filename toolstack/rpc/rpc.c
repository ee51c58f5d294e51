/* The node RPC codec (docs/specs/rpc.md).
 *
 * Entry points: rpc_client_hello/rpc_server_hello once per connection, then
 * rpc_send/rpc_recv per message (rpc_send_frame/rpc_recv_frame below them).
 *
 * Nomenclature: a frame is {type, length, body, padding} on the wire; a
 * message is a frame's body decoded into a struct rpc_msg; a result is
 * what an OK carries for the request it answers.
 *
 * Bodies are encoded and decoded by two tables, msgs[] and results[]:
 * one entry per type, its fields in wire order. All byte-level checks are
 * in rpc_buf.c; this file checks values (states, flags, empty names). */
#include "toolstack/rpc/rpc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/rpc/rpc_buf.h"
#include "toolstack/common/array.h"
#include "toolstack/common/frame.h"
#include "toolstack/common/prefix.h"

/* The smallest guest record: a 1-byte name, the fixed fields, an empty
 * migration and an empty handed_to. */
#define GUEST_MIN_LEN (4 + 1 + 4 + 4 + 8 + 4 + 8 + 8 + 4 + 4)

static const uint8_t rpc_magic[8] = {'B', 'L', 'A', 'N', 'K', 'R', 'P', 'C'};

/* The spec's state table: the index is the wire value. */
static const enum hv_guest_state wire_states[] = {
    HV_STATE_RUNNING, HV_STATE_BLOCKED, HV_STATE_PAUSED,    HV_STATE_SHUTDOWN,
    HV_STATE_CRASHED, HV_STATE_DYING,	HV_STATE_SUSPENDED, HV_STATE_UNRESOLVED,
};

/* A NUL-terminated string from a char[size]; empty only if allowed. */
static void put_cstr(struct rpc__wr *wr, const char *s, size_t size,
		     bool may_be_empty)
{
	size_t len = s ? strnlen(s, size) : 0;

	if (!s || (!len && !may_be_empty)) {
		rpc__wr_fail(wr, BL_ERR_INVAL);
		return;
	}
	/* An unterminated array has len == size: too long. */
	rpc__put_str(wr, s, len, size - 1);
}

static void get_cstr(struct rpc__rd *rd, const char *field, char *buf,
		     size_t size, bool may_be_empty)
{
	rpc__get_str(rd, field, buf, size);
	if (!rd->rc && !buf[0] && !may_be_empty)
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "empty");
}

/* A migration's identity: exactly BL_ID_LEN bytes; or none (0 bytes, an
 * all-zero id) where may_be_none. */
static void put_id(struct rpc__wr *wr, const struct bl_id *id, bool may_be_none)
{
	bool none = bl_id_is_zero(id);

	if (none && !may_be_none)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_bytes(wr, id->b, none ? 0 : BL_ID_LEN, BL_ID_LEN);
}

static void get_id(struct rpc__rd *rd, const char *field, struct bl_id *id,
		   bool may_be_none)
{
	uint8_t *p = NULL;
	uint32_t len = 0;

	rpc__get_bytes(rd, field, BL_ID_LEN, &p, &len);
	if (!rd->rc && len == BL_ID_LEN)
		memcpy(id->b, p, BL_ID_LEN);
	else if (!rd->rc && (len || !may_be_none))
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "not 16 bytes");
	/* No ID is all zero: "none" is sent as no bytes (found by fuzz_rpc:
	 * zeros did not encode back to themselves). */
	if (!rd->rc && len == BL_ID_LEN && bl_id_is_zero(id))
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "all zero");
	free(p);
}

static void put_guest(struct rpc__wr *wr, const struct hv_guest *g)
{
	uint32_t state = 0;

	while (state < ARRAY_LEN(wire_states) && wire_states[state] != g->state)
		state++;
	if (state == ARRAY_LEN(wire_states))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	put_cstr(wr, g->name, sizeof(g->name), false);
	rpc__put_u32(wr, g->domid);
	rpc__put_u32(wr, state);
	rpc__put_u64(wr, g->mem_kib);
	rpc__put_u32(wr, g->vcpus);
	rpc__put_u64(wr, g->cpu_time_ns);
	rpc__put_u64(wr, g->generation);
	put_id(wr, &g->migration, true);
	put_cstr(wr, g->handed_to, sizeof(g->handed_to), true);
}

static void get_guest(struct rpc__rd *rd, struct hv_guest *g)
{
	uint32_t state;

	get_cstr(rd, "name", g->name, sizeof(g->name), false);
	rpc__get_u32(rd, "domid", &g->domid);
	rpc__get_u32(rd, "state", &state);
	if (state >= ARRAY_LEN(wire_states))
		rpc__rd_fail(rd, BL_ERR_PROTO, "state", "unknown value");
	else
		g->state = wire_states[state];
	rpc__get_u64(rd, "mem_kib", &g->mem_kib);
	rpc__get_u32(rd, "vcpus", &g->vcpus);
	rpc__get_u64(rd, "cpu_time_ns", &g->cpu_time_ns);
	rpc__get_u64(rd, "generation", &g->generation);
	get_id(rd, "migration", &g->migration, true);
	get_cstr(rd, "handed_to", g->handed_to, sizeof(g->handed_to), true);
}

/* OK results, by the request they answer. */

static void put_node_result(struct rpc__wr *wr, const struct rpc_msg *m)
{
	const struct hv_node_info *n = &m->node_info;

	put_cstr(wr, m->node, sizeof(m->node), false);
	put_cstr(wr, m->l0, sizeof(m->l0), true);
	put_cstr(wr, n->xen_version, sizeof(n->xen_version), true);
	put_cstr(wr, n->virt_caps, sizeof(n->virt_caps), true);
	rpc__put_u64(wr, n->total_kib);
	rpc__put_u64(wr, n->free_kib);
	rpc__put_u32(wr, n->nr_cpus);
	if (wr->version < 5)
		return;
	if (!rpc_overlay_valid(&m->overlay))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	put_cstr(wr, m->overlay.key, sizeof(m->overlay.key), true);
	put_cstr(wr, m->overlay.addr, sizeof(m->overlay.addr), true);
	rpc__put_u32(wr, m->overlay.port);
}

static void get_node_result(struct rpc__rd *rd, struct rpc_msg *m)
{
	struct hv_node_info *n = &m->node_info;

	get_cstr(rd, "node", m->node, sizeof(m->node), false);
	get_cstr(rd, "l0", m->l0, sizeof(m->l0), true);
	get_cstr(rd, "xen_version", n->xen_version, sizeof(n->xen_version),
		 true);
	get_cstr(rd, "virt_caps", n->virt_caps, sizeof(n->virt_caps), true);
	rpc__get_u64(rd, "total_kib", &n->total_kib);
	rpc__get_u64(rd, "free_kib", &n->free_kib);
	rpc__get_u32(rd, "nr_cpus", &n->nr_cpus);
	if (rd->version < 5)
		return;
	get_cstr(rd, "overlay_key", m->overlay.key, sizeof(m->overlay.key),
		 true);
	get_cstr(rd, "overlay_addr", m->overlay.addr, sizeof(m->overlay.addr),
		 true);
	rpc__get_u32(rd, "overlay_port", &m->overlay.port);
	if (!rd->rc && !rpc_overlay_valid(&m->overlay))
		rpc__rd_fail(rd, BL_ERR_PROTO, "overlay",
			     "not a WireGuard key, an IPv4 address and a port, "
			     "nor all empty");
}

static void put_list_result(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (m->n_guests && !m->guests)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->n_guests);
	for (uint32_t i = 0; i < m->n_guests && !wr->rc; i++)
		put_guest(wr, &m->guests[i]);
}

static void get_list_result(struct rpc__rd *rd, struct rpc_msg *m)
{
	uint32_t n;

	rpc__get_u32(rd, "count", &n);
	if (rd->rc || n == 0)
		return;
	/* Bounds the allocation by the bytes actually received. */
	if (n > rpc__rd_left(rd) / GUEST_MIN_LEN) {
		rpc__rd_fail(rd, BL_ERR_PROTO, "count", "too large");
		return;
	}
	m->guests = calloc(n, sizeof(*m->guests));
	if (!m->guests) {
		rpc__rd_fail(rd, BL_ERR_NOMEM, "count", "out of memory");
		return;
	}
	m->n_guests = n;
	for (uint32_t i = 0; i < n && !rd->rc; i++)
		get_guest(rd, &m->guests[i]);
}

/* A disk of a guest record (version 3). */
static void put_disk(struct rpc__wr *wr, const struct hv_disk_state *d)
{
	put_cstr(wr, d->disk.vdev, sizeof(d->disk.vdev), false);
	rpc__put_u32(wr, d->disk.devid);
	put_cstr(wr, d->disk.path, sizeof(d->disk.path), false);
	rpc__put_u32(wr, d->disk.readonly ? RPC_DISK_READONLY : 0);
	put_cstr(wr, d->backend, sizeof(d->backend), true);
	put_cstr(wr, d->state, sizeof(d->state), true);
}

static void get_disk(struct rpc__rd *rd, struct hv_disk_state *d)
{
	uint32_t flags;

	get_cstr(rd, "vdev", d->disk.vdev, sizeof(d->disk.vdev), false);
	rpc__get_u32(rd, "devid", &d->disk.devid);
	get_cstr(rd, "path", d->disk.path, sizeof(d->disk.path), false);
	rpc__get_u32(rd, "disk_flags", &flags);
	if (flags & ~RPC_DISK_READONLY)
		rpc__rd_fail(rd, BL_ERR_PROTO, "disk_flags", "unknown flags");
	d->disk.readonly = flags & RPC_DISK_READONLY;
	get_cstr(rd, "backend", d->backend, sizeof(d->backend), true);
	get_cstr(rd, "disk_state", d->state, sizeof(d->state), true);
}

/* Whether a vif's ip is none or one dotted IPv4 address. */
static bool vif_ip_valid(const char *ip)
{
	return !*ip || ipv4_addr_valid(ip);
}

/* A vif of a guest record (version 4; its ip, version 6). */
static void put_vif(struct rpc__wr *wr, const struct hv_vif_state *v)
{
	rpc__put_u32(wr, v->devid);
	put_cstr(wr, v->mac, sizeof(v->mac), true);
	put_cstr(wr, v->bridge, sizeof(v->bridge), true);
	put_cstr(wr, v->ifname, sizeof(v->ifname), true);
	put_cstr(wr, v->state, sizeof(v->state), true);
	if (wr->version < 6)
		return;
	if (!vif_ip_valid(v->ip))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	put_cstr(wr, v->ip, sizeof(v->ip), true);
}

static void get_vif(struct rpc__rd *rd, struct hv_vif_state *v)
{
	rpc__get_u32(rd, "vif_devid", &v->devid);
	get_cstr(rd, "mac", v->mac, sizeof(v->mac), true);
	get_cstr(rd, "bridge", v->bridge, sizeof(v->bridge), true);
	get_cstr(rd, "ifname", v->ifname, sizeof(v->ifname), true);
	get_cstr(rd, "vif_state", v->state, sizeof(v->state), true);
	if (rd->version < 6)
		return;
	get_cstr(rd, "vif_ip", v->ip, sizeof(v->ip), true);
	if (!rd->rc && !vif_ip_valid(v->ip))
		rpc__rd_fail(rd, BL_ERR_PROTO, "vif_ip", "not an IPv4 address");
}

/* A count (field, at most max) into *n_r; room for that many items of
 * size bytes, malloc'd (NULL for none), for the caller to read them in. */
static void *get_items(struct rpc__rd *rd, const char *field, uint32_t max,
		       size_t size, uint32_t *n_r)
{
	uint32_t n;
	void *items;

	rpc__get_u32(rd, field, &n);
	if (rd->rc || n == 0)
		return NULL;
	if (n > max) {
		rpc__rd_fail(rd, BL_ERR_PROTO, field, "out of range");
		return NULL;
	}
	items = calloc(n, size);
	if (!items) {
		rpc__rd_fail(rd, BL_ERR_NOMEM, field, "out of memory");
		return NULL;
	}
	*n_r = n;
	return items;
}

/* guest-info's and guest-create's: the guest record, then (version 3) its
 * disks, then (version 4) its vifs. */
static void put_guest_result(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_guest(wr, &m->guest);
	if (wr->version < 3)
		return;
	if (m->n_disks > HV_DISKS_MAX || (m->n_disks && !m->disks))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->n_disks);
	for (uint32_t i = 0; i < m->n_disks && !wr->rc; i++)
		put_disk(wr, &m->disks[i]);
	if (wr->version < 4)
		return;
	if (m->n_vifs > HV_VIFS_MAX || (m->n_vifs && !m->vifs))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->n_vifs);
	for (uint32_t i = 0; i < m->n_vifs && !wr->rc; i++)
		put_vif(wr, &m->vifs[i]);
}

static void get_guest_result(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_guest(rd, &m->guest);
	if (rd->version < 3)
		return;
	m->disks = get_items(rd, "disk_count", HV_DISKS_MAX, sizeof(*m->disks),
			     &m->n_disks);
	for (uint32_t i = 0; i < m->n_disks && !rd->rc; i++)
		get_disk(rd, &m->disks[i]);
	if (rd->version < 4 || rd->rc)
		return;
	m->vifs = get_items(rd, "vif_count", HV_VIFS_MAX, sizeof(*m->vifs),
			    &m->n_vifs);
	for (uint32_t i = 0; i < m->n_vifs && !rd->rc; i++)
		get_vif(rd, &m->vifs[i]);
}

struct result_desc {
	void (*put)(struct rpc__wr *wr, const struct rpc_msg *m);
	void (*get)(struct rpc__rd *rd, struct rpc_msg *m);
};

static void put_migrate_stats(struct rpc__wr *wr, const struct rpc_msg *m)
{
	const struct rpc_migrate_stats *st = &m->migrate;

	put_cstr(wr, st->phase, sizeof(st->phase), false);
	put_id(wr, &st->migration, false);
	rpc__put_u64(wr, st->generation);
	rpc__put_u64(wr, st->elapsed_ms);
	rpc__put_u64(wr, st->downtime_ms);
	rpc__put_u64(wr, st->raw_bytes);
	rpc__put_u64(wr, st->wire_bytes);
	if (wr->version < 3)
		return;
	rpc__put_u64(wr, st->disk_bytes);
	rpc__put_u64(wr, st->disk_wire_bytes);
	if (wr->version < 4)
		return;
	rpc__put_u64(wr, st->disk_writes_held);
	if (wr->version < 6)
		return;
	rpc__put_u64(wr, st->last_round_ms);
	rpc__put_u64(wr, st->restore_ms);
	rpc__put_u64(wr, st->start_ms);
	if (wr->version < 7)
		return;
	if (st->rounds > RPC_ROUNDS_MAX || st->throttle_pct > 100)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, st->rounds);
	for (uint32_t i = 0; i < st->rounds && i < RPC_ROUNDS_MAX; i++)
		rpc__put_u64(wr, st->round_pages[i]);
	rpc__put_u32(wr, st->throttle_round);
	rpc__put_u32(wr, st->throttle_pct);
	rpc__put_u32(wr, st->throttle_cap);
	rpc__put_u32(wr, st->guest_cpu_pct);
	if (wr->version < 9)
		return;
	rpc__put_u64(wr, st->delta_pages);
	rpc__put_u64(wr, st->delta_hits);
	rpc__put_u64(wr, st->delta_misses);
	rpc__put_u64(wr, st->delta_overflows);
	rpc__put_u64(wr, st->delta_saved_bytes);
}

static void get_migrate_stats(struct rpc__rd *rd, struct rpc_msg *m)
{
	struct rpc_migrate_stats *st = &m->migrate;

	get_cstr(rd, "phase", st->phase, sizeof(st->phase), false);
	get_id(rd, "migration", &st->migration, false);
	rpc__get_u64(rd, "generation", &st->generation);
	rpc__get_u64(rd, "elapsed_ms", &st->elapsed_ms);
	rpc__get_u64(rd, "downtime_ms", &st->downtime_ms);
	rpc__get_u64(rd, "raw_bytes", &st->raw_bytes);
	rpc__get_u64(rd, "wire_bytes", &st->wire_bytes);
	if (rd->version < 3)
		return;
	rpc__get_u64(rd, "disk_bytes", &st->disk_bytes);
	rpc__get_u64(rd, "disk_wire_bytes", &st->disk_wire_bytes);
	if (rd->version < 4)
		return;
	rpc__get_u64(rd, "disk_writes_held", &st->disk_writes_held);
	if (rd->version < 6)
		return;
	rpc__get_u64(rd, "last_round_ms", &st->last_round_ms);
	rpc__get_u64(rd, "restore_ms", &st->restore_ms);
	rpc__get_u64(rd, "start_ms", &st->start_ms);
	if (rd->version < 7)
		return;
	rpc__get_u32(rd, "rounds", &st->rounds);
	if (st->rounds > RPC_ROUNDS_MAX) {
		rpc__rd_fail(rd, BL_ERR_PROTO, "rounds", "out of range");
		st->rounds = 0;
	}
	for (uint32_t i = 0; i < st->rounds; i++)
		rpc__get_u64(rd, "round_pages", &st->round_pages[i]);
	rpc__get_u32(rd, "throttle_round", &st->throttle_round);
	rpc__get_u32(rd, "throttle_pct", &st->throttle_pct);
	if (st->throttle_pct > 100)
		rpc__rd_fail(rd, BL_ERR_PROTO, "throttle_pct", "out of range");
	rpc__get_u32(rd, "throttle_cap", &st->throttle_cap);
	rpc__get_u32(rd, "guest_cpu_pct", &st->guest_cpu_pct);
	if (rd->version < 9)
		return;
	rpc__get_u64(rd, "delta_pages", &st->delta_pages);
	rpc__get_u64(rd, "delta_hits", &st->delta_hits);
	rpc__get_u64(rd, "delta_misses", &st->delta_misses);
	rpc__get_u64(rd, "delta_overflows", &st->delta_overflows);
	rpc__get_u64(rd, "delta_saved_bytes", &st->delta_saved_bytes);
}

/* migrate-receive's: the destination's instance, which a source records
 * before go (docs/specs/migration-stream.md, "Resolving UNKNOWN"). */
static void put_instance(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_id(wr, &m->instance, false);
}

static void get_instance(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_id(rd, "instance", &m->instance, false);
}

static void put_status_result(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (m->status > RPC_MIGRATION_ACCEPTED)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->status);
	put_cstr(wr, m->name, sizeof(m->name), true);
	rpc__put_u64(wr, m->generation);
	put_id(wr, &m->instance, false);
}

static void get_status_result(struct rpc__rd *rd, struct rpc_msg *m)
{
	rpc__get_u32(rd, "status", &m->status);
	if (!rd->rc && m->status > RPC_MIGRATION_ACCEPTED)
		rpc__rd_fail(rd, BL_ERR_PROTO, "status", "unknown value");
	get_cstr(rd, "name", m->name, sizeof(m->name), true);
	rpc__get_u64(rd, "generation", &m->generation);
	get_id(rd, "instance", &m->instance, false);
}

static void put_outcome(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_cstr(wr, m->message, sizeof(m->message), false);
}

static void get_outcome(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_cstr(rd, "message", m->message, sizeof(m->message), false);
}

/* bench-run's result: its figures, each a finite IEEE 754 binary64 sent
 * as its bits. */
static void put_bench_values(struct rpc__wr *wr, const struct rpc_msg *m)
{
	uint64_t bits;

	if (m->n_bench_values > RPC_BENCH_VALUES_MAX)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->n_bench_values);
	for (uint32_t i = 0; i < m->n_bench_values && !wr->rc; i++) {
		if (!isfinite(m->bench_values[i]))
			rpc__wr_fail(wr, BL_ERR_INVAL);
		memcpy(&bits, &m->bench_values[i], sizeof(bits));
		rpc__put_u64(wr, bits);
	}
}

static void get_bench_values(struct rpc__rd *rd, struct rpc_msg *m)
{
	uint64_t bits;

	rpc__get_u32(rd, "n_values", &m->n_bench_values);
	if (m->n_bench_values > RPC_BENCH_VALUES_MAX) {
		m->n_bench_values = 0;
		rpc__rd_fail(rd, BL_ERR_PROTO, "n_values", "out of range");
		return;
	}
	for (uint32_t i = 0; i < m->n_bench_values && !rd->rc; i++) {
		rpc__get_u64(rd, "value", &bits);
		memcpy(&m->bench_values[i], &bits, sizeof(bits));
		if (!rd->rc && !isfinite(m->bench_values[i]))
			rpc__rd_fail(rd, BL_ERR_PROTO, "value", "not finite");
	}
}

/* bench-serve's result: the port it listens on. */
static void put_bench_port(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (m->port < 1 || m->port > 65535)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->port);
}

static void get_bench_port(struct rpc__rd *rd, struct rpc_msg *m)
{
	rpc__get_u32(rd, "port", &m->port);
	if (!rd->rc && (m->port < 1 || m->port > 65535))
		rpc__rd_fail(rd, BL_ERR_PROTO, "port", "out of range");
}

/* Requests missing here have an empty result. */
static const struct result_desc results[] = {
    [RPC_GUEST_MIGRATE] = {put_migrate_stats, get_migrate_stats},
    [RPC_NODE_INFO] = {put_node_result, get_node_result},
    [RPC_GUEST_LIST] = {put_list_result, get_list_result},
    [RPC_GUEST_INFO] = {put_guest_result, get_guest_result},
    [RPC_GUEST_CREATE] = {put_guest_result, get_guest_result},
    [RPC_MIGRATE_RECEIVE] = {put_instance, get_instance},
    [RPC_MIGRATE_STATUS] = {put_status_result, get_status_result},
    [RPC_MIGRATE_RESOLVE] = {put_outcome, get_outcome},
    [RPC_BENCH_RUN] = {put_bench_values, get_bench_values},
    [RPC_BENCH_SERVE] = {put_bench_port, get_bench_port},
};

static const struct result_desc *result_desc(uint32_t request)
{
	if (request < ARRAY_LEN(results) && results[request].put)
		return &results[request];
	return NULL;
}

/* Message bodies after the id. */

static void put_name(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_cstr(wr, m->name, sizeof(m->name), false);
}

static void get_name(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_cstr(rd, "name", m->name, sizeof(m->name), false);
}

static void put_create(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_cstr(wr, m->source, RPC_SOURCE_MAX, false);
	rpc__put_str(wr, m->config, m->config_len, RPC_CONFIG_MAX);
}

static void get_create(struct rpc__rd *rd, struct rpc_msg *m)
{
	uint32_t len;

	rpc__get_strdup(rd, "source", RPC_SOURCE_MAX - 1, &m->source, &len);
	if (!rd->rc && !len)
		rpc__rd_fail(rd, BL_ERR_PROTO, "source", "empty");
	rpc__get_strdup(rd, "config", RPC_CONFIG_MAX, &m->config,
			&m->config_len);
}

static const uint32_t shutdown_flags = RPC_SHUTDOWN_FORCE | RPC_SHUTDOWN_WAIT;

static void put_shutdown(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (m->timeout_s > RPC_TIMEOUT_MAX || (m->flags & ~shutdown_flags))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	put_name(wr, m);
	rpc__put_u32(wr, m->timeout_s);
	rpc__put_u32(wr, m->flags);
}

static void get_shutdown(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_name(rd, m);
	rpc__get_u32(rd, "timeout_s", &m->timeout_s);
	if (m->timeout_s > RPC_TIMEOUT_MAX)
		rpc__rd_fail(rd, BL_ERR_PROTO, "timeout_s", "out of range");
	rpc__get_u32(rd, "flags", &m->flags);
	if (m->flags & ~shutdown_flags)
		rpc__rd_fail(rd, BL_ERR_PROTO, "flags", "unknown flags");
}

/* guest-migrate's flags in a version. */
static uint32_t migrate_flags(uint32_t version)
{
	return RPC_MIGRATE_NO_COMPRESS |
	       (version >= 3 ? RPC_MIGRATE_KEEP_SOURCE : 0) |
	       (version >= 7 ? RPC_MIGRATE_NO_THROTTLE : 0);
}

/* A page-delta cache (version 9) cannot be encoded for an older peer:
 * the request fails rather than lose it, as a flag does. */
static void put_migrate(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (m->port == 0 || m->port > 65535 ||
	    (m->flags & ~migrate_flags(wr->version)) ||
	    m->delta_cache_mib > RPC_DELTA_CACHE_MAX_MIB ||
	    (m->delta_cache_mib && wr->version < 9))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	put_name(wr, m);
	put_cstr(wr, m->node, sizeof(m->node), false);
	put_cstr(wr, m->host, sizeof(m->host), false);
	rpc__put_u32(wr, m->port);
	rpc__put_u32(wr, m->flags);
	rpc__put_u64(wr, m->bandwidth);
	if (wr->version >= 9)
		rpc__put_u32(wr, m->delta_cache_mib);
}

static void get_migrate(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_name(rd, m);
	get_cstr(rd, "node", m->node, sizeof(m->node), false);
	get_cstr(rd, "host", m->host, sizeof(m->host), false);
	rpc__get_u32(rd, "port", &m->port);
	if (!rd->rc && (m->port == 0 || m->port > 65535))
		rpc__rd_fail(rd, BL_ERR_PROTO, "port", "out of range");
	rpc__get_u32(rd, "flags", &m->flags);
	if (m->flags & ~migrate_flags(rd->version))
		rpc__rd_fail(rd, BL_ERR_PROTO, "flags", "unknown flags");
	rpc__get_u64(rd, "bandwidth", &m->bandwidth);
	if (rd->version < 9)
		return;
	rpc__get_u32(rd, "delta_cache_mib", &m->delta_cache_mib);
	if (m->delta_cache_mib > RPC_DELTA_CACHE_MAX_MIB)
		rpc__rd_fail(rd, BL_ERR_PROTO, "delta_cache_mib",
			     "out of range");
}

/* migrate-receive: the guest's name, its libxl configuration (JSON), the
 * migration and the guest's generation at the source. */
static void put_receive(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_name(wr, m);
	rpc__put_str(wr, m->config, m->config_len, RPC_CONFIG_MAX);
	put_id(wr, &m->migration, false);
	rpc__put_u64(wr, m->generation);
}

static void get_receive(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_name(rd, m);
	rpc__get_strdup(rd, "config", RPC_CONFIG_MAX, &m->config,
			&m->config_len);
	get_id(rd, "migration", &m->migration, false);
	rpc__get_u64(rd, "generation", &m->generation);
}

/* migrate-status, migrate-settled: a migration. */
static void put_migration(struct rpc__wr *wr, const struct rpc_msg *m)
{
	put_id(wr, &m->migration, false);
}

static void get_migration(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_id(rd, "migration", &m->migration, false);
}

static const uint32_t resolve_flags =
    RPC_RESOLVE_RESUME_HERE | RPC_RESOLVE_DISCARD_HERE;

/* migrate-resolve: a guest, and at most one way to settle it by hand. */
static void put_resolve(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if ((m->flags & ~resolve_flags) || m->flags == resolve_flags)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	put_name(wr, m);
	rpc__put_u32(wr, m->flags);
}

static void get_resolve(struct rpc__rd *rd, struct rpc_msg *m)
{
	get_name(rd, m);
	rpc__get_u32(rd, "flags", &m->flags);
	if ((m->flags & ~resolve_flags) || m->flags == resolve_flags)
		rpc__rd_fail(rd, BL_ERR_PROTO, "flags", "unknown flags");
}

/* bench-run: what the spec allows each workload. Empty on success, else
 * the field at fault. */
static const char *bench_run_fault(const struct rpc_msg *m)
{
	bool net = m->workload == RPC_BENCH_NET_THROUGHPUT ||
		   m->workload == RPC_BENCH_NET_RR ||
		   m->workload == RPC_BENCH_NET_RTT;
	bool timed = m->workload == RPC_BENCH_DISK ||
		     m->workload == RPC_BENCH_NET_THROUGHPUT ||
		     m->workload == RPC_BENCH_NET_RR;
	bool with_port = timed && net;

	if (m->workload < RPC_BENCH_CPU || m->workload > RPC_BENCH_NET_RTT)
		return "workload";
	if (m->seconds > RPC_BENCH_SECONDS_MAX || (timed && !m->seconds))
		return "seconds";
	if (net && !ipv4_addr_valid(m->host))
		return "host";
	if (with_port ? m->port < 1 || m->port > 65535 : m->port != 0)
		return "port";
	if (m->workload == RPC_BENCH_CPU &&
	    (m->amount < 1 || m->amount > RPC_BENCH_CPU_MAX))
		return "amount";
	if (m->workload == RPC_BENCH_DISK &&
	    (m->amount < RPC_BENCH_DISK_MIN || m->amount > RPC_BENCH_DISK_MAX))
		return "amount";
	if (m->workload == RPC_BENCH_NET_RTT &&
	    (m->amount < 1 || m->amount > RPC_BENCH_ECHOES_MAX))
		return "amount";
	return "";
}

/* bench-run: workload, amount, seconds, host, port. */
static void put_bench_run(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (*bench_run_fault(m))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->workload);
	rpc__put_u64(wr, m->amount);
	rpc__put_u32(wr, m->seconds);
	put_cstr(wr, m->host, sizeof(m->host), true);
	rpc__put_u32(wr, m->port);
}

static void get_bench_run(struct rpc__rd *rd, struct rpc_msg *m)
{
	const char *fault;

	rpc__get_u32(rd, "workload", &m->workload);
	rpc__get_u64(rd, "amount", &m->amount);
	rpc__get_u32(rd, "seconds", &m->seconds);
	get_cstr(rd, "host", m->host, sizeof(m->host), true);
	rpc__get_u32(rd, "port", &m->port);
	if (!rd->rc && *(fault = bench_run_fault(m)))
		rpc__rd_fail(rd, BL_ERR_PROTO, fault,
			     strcmp(fault, "host")
				 ? "out of range"
				 : "not a dotted IPv4 address");
}

/* bench-serve: seconds. */
static void put_bench_serve(struct rpc__wr *wr, const struct rpc_msg *m)
{
	if (!m->seconds || m->seconds > RPC_BENCH_SECONDS_MAX)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->seconds);
}

static void get_bench_serve(struct rpc__rd *rd, struct rpc_msg *m)
{
	rpc__get_u32(rd, "seconds", &m->seconds);
	if (!rd->rc && (!m->seconds || m->seconds > RPC_BENCH_SECONDS_MAX))
		rpc__rd_fail(rd, BL_ERR_PROTO, "seconds", "out of range");
}

static void put_console_data(struct rpc__wr *wr, const struct rpc_msg *m)
{
	rpc__put_bytes(wr, m->data, m->data_len, RPC_CONSOLE_MAX);
}

static void get_console_data(struct rpc__rd *rd, struct rpc_msg *m)
{
	rpc__get_bytes(rd, "data", RPC_CONSOLE_MAX, &m->data, &m->data_len);
}

static void put_ok(struct rpc__wr *wr, const struct rpc_msg *m)
{
	const struct result_desc *r = result_desc(m->request);

	if (!rpc_type_is_request(m->request))
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, m->request);
	if (r)
		r->put(wr, m);
}

static void get_ok(struct rpc__rd *rd, struct rpc_msg *m)
{
	const struct result_desc *r;

	rpc__get_u32(rd, "request", &m->request);
	if (rd->rc)
		return;
	if (!rpc_type_is_request(m->request)) {
		rpc__rd_fail(rd, BL_ERR_PROTO, "request", "unknown value");
		return;
	}
	r = result_desc(m->request);
	if (r)
		r->get(rd, m);
}

static void put_error(struct rpc__wr *wr, const struct rpc_msg *m)
{
	/* -INT32_MAX at most: -INT32_MIN does not fit the wire's range. */
	if (m->code >= 0 || m->code < -INT32_MAX)
		rpc__wr_fail(wr, BL_ERR_INVAL);
	rpc__put_u32(wr, (uint32_t)(-(int64_t)m->code));
	put_cstr(wr, m->message, sizeof(m->message), false);
}

static void get_error(struct rpc__rd *rd, struct rpc_msg *m)
{
	uint32_t code;

	rpc__get_u32(rd, "code", &code);
	if (!rd->rc && (code == 0 || code > INT32_MAX))
		rpc__rd_fail(rd, BL_ERR_PROTO, "code", "out of range");
	else
		m->code = -(int)code;
	get_cstr(rd, "message", m->message, sizeof(m->message), false);
}

struct msg_desc {
	const char *name;
	bool request;
	/* Fields after the id; NULL for none. */
	void (*put)(struct rpc__wr *wr, const struct rpc_msg *m);
	void (*get)(struct rpc__rd *rd, struct rpc_msg *m);
};

static const struct msg_desc msgs[] = {
    [RPC_NODE_INFO] = {"node-info", true, NULL, NULL},
    [RPC_GUEST_LIST] = {"guest-list", true, NULL, NULL},
    [RPC_GUEST_INFO] = {"guest-info", true, put_name, get_name},
    [RPC_GUEST_CREATE] = {"guest-create", true, put_create, get_create},
    [RPC_GUEST_DESTROY] = {"guest-destroy", true, put_name, get_name},
    [RPC_GUEST_SHUTDOWN] = {"guest-shutdown", true, put_shutdown, get_shutdown},
    [RPC_GUEST_REBOOT] = {"guest-reboot", true, put_name, get_name},
    [RPC_GUEST_PAUSE] = {"guest-pause", true, put_name, get_name},
    [RPC_GUEST_UNPAUSE] = {"guest-unpause", true, put_name, get_name},
    [RPC_GUEST_CONSOLE] = {"guest-console", true, put_name, get_name},
    [RPC_CONSOLE_DATA] = {"console-data", false, put_console_data,
			  get_console_data},
    [RPC_CONSOLE_DETACH] = {"console-detach", false, NULL, NULL},
    [RPC_OK] = {"ok", false, put_ok, get_ok},
    [RPC_ERROR] = {"error", false, put_error, get_error},
    [RPC_GUEST_MIGRATE] = {"guest-migrate", true, put_migrate, get_migrate},
    [RPC_MIGRATE_PROGRESS] = {"migrate-progress", false, put_migrate_stats,
			      get_migrate_stats},
    [RPC_MIGRATE_RECEIVE] = {"migrate-receive", true, put_receive, get_receive},
    [RPC_MIGRATE_CANCEL] = {"migrate-cancel", false, NULL, NULL},
    [RPC_MIGRATE_STATUS] = {"migrate-status", true, put_migration,
			    get_migration},
    [RPC_MIGRATE_SETTLED] = {"migrate-settled", true, put_migration,
			     get_migration},
    [RPC_MIGRATE_RESOLVE] = {"migrate-resolve", true, put_resolve, get_resolve},
    [RPC_NAME_HOLD] = {"name-hold", true, put_name, get_name},
    [RPC_BENCH_RUN] = {"bench-run", true, put_bench_run, get_bench_run},
    [RPC_BENCH_SERVE] = {"bench-serve", true, put_bench_serve, get_bench_serve},
};

static const struct msg_desc *msg_desc(uint32_t type)
{
	if (type < ARRAY_LEN(msgs) && msgs[type].name)
		return &msgs[type];
	return NULL;
}

const char *rpc_type_name(uint32_t type)
{
	const struct msg_desc *d = msg_desc(type);

	return d ? d->name : "unknown";
}

/* 32 bytes in base64 as wg(8) writes them: 43 characters, the last
 * carrying 4 bits (its 2 low bits zero), and "=". */
static bool wg_key_text(const char *k)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *c;

	if (strlen(k) != RPC_OVERLAY_KEY_LEN || k[43] != '=')
		return false;
	for (int i = 0; i < 43; i++)
		if (!k[i] || !(c = strchr(b64, k[i])))
			return false;
	c = strchr(b64, k[42]);
	return ((c - b64) & 3) == 0;
}

bool rpc_overlay_valid(const struct rpc_overlay *ov)
{
	if (!ov->key[0] && !ov->addr[0] && !ov->port)
		return true;
	return wg_key_text(ov->key) && ipv4_addr_valid(ov->addr) &&
	       ov->port >= 1 && ov->port <= 65535;
}

bool rpc_type_is_request(uint32_t type)
{
	const struct msg_desc *d = msg_desc(type);

	return d && d->request;
}

void rpc_msg_init(struct rpc_msg *m)
{
	memset(m, 0, sizeof(*m));
}

void rpc_msg_dispose(struct rpc_msg *m)
{
	free(m->source);
	free(m->config);
	free(m->data);
	free(m->guests);
	free(m->disks);
	free(m->vifs);
	rpc_msg_init(m);
}

int rpc_msg_encode(const struct rpc_msg *m, uint32_t version, uint8_t **body_r,
		   uint32_t *len_r)
{
	const struct msg_desc *d = msg_desc(m->type);
	struct rpc__wr wr;

	if (!d)
		return BL_ERR_INVAL;
	rpc__wr_init(&wr, RPC_MAX_BODY);
	wr.version = version ? version : RPC_VERSION;
	rpc__put_u32(&wr, m->id);
	if (d->put)
		d->put(&wr, m);
	return rpc__wr_take(&wr, body_r, len_r);
}

int rpc_msg_decode(uint32_t type, uint32_t version, const uint8_t *body,
		   uint32_t len, struct rpc_msg *m_r, char *err, size_t errlen)
{
	const struct msg_desc *d = msg_desc(type);
	struct rpc__rd rd;
	uint32_t id;
	int rc;

	rpc_msg_init(m_r);
	m_r->type = type;
	rpc__rd_init(&rd, body, len);
	rd.version = version ? version : RPC_VERSION;
	rpc__get_u32(&rd, "id", &m_r->id);
	if (!d) {
		snprintf(err, errlen, "unknown message type %" PRIu32, type);
		return BL_ERR_PROTO;
	}
	if (d->get)
		d->get(&rd, m_r);
	rc = rpc__rd_end(&rd);
	if (rc) {
		snprintf(err, errlen, "%s: %s: %s", d->name, rd.field, rd.why);
		id = m_r->id;
		rpc_msg_dispose(m_r);
		m_r->type = type;
		m_r->id = id;
	}
	return rc;
}

/* Frames. */

static void stream_err(int rc, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", bl_strerror(rc));
}

void rpc_frame_init(struct rpc_frame *f)
{
	f->type = 0;
	f->len = 0;
	f->body = NULL;
}

void rpc_frame_dispose(struct rpc_frame *f)
{
	free(f->body);
	rpc_frame_init(f);
}

int rpc_send_frame(struct bl_stream *s, uint32_t type, const void *body,
		   uint32_t len)
{
	return frame_write(s, RPC_MAX_BODY, type, body, len);
}

/* Frames rpc_recv_frame returns: known ones, and unknown mandatory ones
 * (decoding refuses those, naming the type); unknown optional ones are
 * skipped. */
static const char *frame_name(uint32_t type, const void *arg)
{
	(void)arg;
	if (msg_desc(type))
		return rpc_type_name(type);
	return type & RPC_OPTIONAL ? NULL : "unknown";
}

static const struct frame_kind rpc_frames = {
    .noun = "message", .max = RPC_MAX_BODY, .name = frame_name};

int rpc_recv_frame(struct bl_stream *s, struct rpc_frame *f_r, char *err,
		   size_t errlen)
{
	uint8_t *body = NULL;
	uint32_t type, len;
	int rc;

	rpc_frame_init(f_r);
	rc = frame_next(s, &rpc_frames, &type, &len, NULL, err, errlen);
	if (rc)
		return rc;
	if (len) {
		/* len is at most RPC_MAX_BODY: frame_next checked it. */
		body = malloc((size_t)len + frame_pad(len));
		if (!body) {
			stream_err(BL_ERR_NOMEM, err, errlen);
			return BL_ERR_NOMEM;
		}
		rc = frame_body(s, rpc_type_name(type), len, body, err, errlen);
		if (rc) {
			free(body);
			return rc;
		}
	}
	f_r->type = type;
	f_r->len = len;
	f_r->body = body;
	return BL_OK;
}

int rpc_send(struct bl_stream *s, const struct rpc_msg *m)
{
	uint8_t *body = NULL;
	uint32_t len = 0;
	int rc;

	rc = rpc_msg_encode(m, s->version, &body, &len);
	if (!rc)
		rc = rpc_send_frame(s, m->type, body, len);
	free(body);
	return rc;
}

int rpc_recv(struct bl_stream *s, struct rpc_msg *m_r, char *err, size_t errlen)
{
	struct rpc_frame f;
	int rc;

	rpc_msg_init(m_r);
	rc = rpc_recv_frame(s, &f, err, errlen);
	if (!rc)
		rc = rpc_msg_decode(f.type, s->version, f.body, f.len, m_r, err,
				    errlen);
	rpc_frame_dispose(&f);
	return rc;
}

int rpc_send_error(struct bl_stream *s, uint32_t id, int code,
		   const char *message)
{
	struct rpc_msg m;

	rpc_msg_init(&m);
	m.type = RPC_ERROR;
	m.id = id;
	m.code = code;
	snprintf(m.message, sizeof(m.message), "%s",
		 message && *message ? message : bl_strerror(code));
	return rpc_send(s, &m);
}

/* Connection header. */

void rpc_header_encode(uint8_t hdr[RPC_HEADER_LEN], uint32_t version,
		       uint32_t min_version)
{
	frame_header_put(hdr, rpc_magic, version, min_version);
}

int rpc_header_decode(const uint8_t hdr[RPC_HEADER_LEN], uint32_t *version_r,
		      uint32_t *min_version_r)
{
	return frame_header_get(hdr, rpc_magic, version_r, min_version_r);
}

int rpc_version_pick(uint32_t our_min, uint32_t our_max, uint32_t peer_min,
		     uint32_t peer_max, uint32_t *version_r)
{
	uint32_t lo = our_min > peer_min ? our_min : peer_min;
	uint32_t hi = our_max < peer_max ? our_max : peer_max;

	if (hi < lo)
		return BL_ERR_VERSION;
	*version_r = hi;
	return BL_OK;
}

int rpc_client_hello(struct bl_stream *s, uint32_t *version_r, char *err,
		     size_t errlen)
{
	uint8_t hdr[RPC_HEADER_LEN];
	uint32_t version, min_version;
	struct rpc_msg m;
	int rc;

	rpc_msg_init(&m);
	rpc_header_encode(hdr, RPC_VERSION, RPC_MIN_VERSION);
	rc = stream_write(s, hdr, sizeof(hdr));
	if (!rc)
		rc = stream_read(s, hdr, sizeof(hdr));
	if (rc) {
		stream_err(rc, err, errlen);
		goto out;
	}
	rc = rpc_header_decode(hdr, &version, &min_version);
	if (rc) {
		snprintf(err, errlen, "bad magic");
		goto out;
	}
	if (version == 0) {
		/* Refused: an ERROR follows, in the same layout in every
		 * version. */
		rc = rpc_recv(s, &m, err, errlen);
		if (rc)
			goto out;
		if (m.type != RPC_ERROR) {
			rc = BL_ERR_PROTO;
			snprintf(err, errlen, "unexpected %s after a refusal",
				 rpc_type_name(m.type));
			goto out;
		}
		rc = m.code;
		snprintf(err, errlen, "%s", m.message);
		goto out;
	}
	if (version < RPC_MIN_VERSION || version > RPC_VERSION ||
	    min_version > version) {
		rc = BL_ERR_PROTO;
		snprintf(err, errlen,
			 "server chose version %" PRIu32 " (lowest %" PRIu32
			 "), not one of %u to %u",
			 version, min_version, RPC_MIN_VERSION, RPC_VERSION);
		goto out;
	}
	*version_r = version;
	s->version = version;
out:
	rpc_msg_dispose(&m);
	return rc;
}

int rpc_server_refuse(struct bl_stream *s, int code, const char *message)
{
	uint8_t hdr[RPC_HEADER_LEN];
	int rc = stream_read(s, hdr, sizeof(hdr));

	rpc_header_encode(hdr, 0, RPC_MIN_VERSION);
	if (!rc)
		rc = stream_write(s, hdr, sizeof(hdr));
	if (!rc)
		rc = rpc_send_error(s, 0, code, message);
	return rc;
}

int rpc_server_hello(struct bl_stream *s, uint32_t *version_r, char *err,
		     size_t errlen)
{
	uint8_t hdr[RPC_HEADER_LEN];
	uint32_t version = 0, min_version = 0, chosen = 0;
	int rc, wrc;

	rc = stream_read(s, hdr, sizeof(hdr));
	if (rc) {
		/* Nothing to answer: the client left or stayed silent. */
		stream_err(rc, err, errlen);
		return rc;
	}
	rc = rpc_header_decode(hdr, &version, &min_version);
	if (rc) {
		snprintf(err, errlen, "bad magic");
	} else if (!version || !min_version || min_version > version) {
		rc = BL_ERR_PROTO;
		snprintf(err, errlen,
			 "bad version range %" PRIu32 " to %" PRIu32,
			 min_version, version);
	} else {
		rc = rpc_version_pick(RPC_MIN_VERSION, RPC_VERSION, min_version,
				      version, &chosen);
		if (rc)
			snprintf(err, errlen,
				 "no common version: client speaks %" PRIu32
				 " to %" PRIu32 ", server %u to %u",
				 min_version, version, RPC_MIN_VERSION,
				 RPC_VERSION);
	}
	rpc_header_encode(hdr, rc ? 0 : chosen, RPC_MIN_VERSION);
	wrc = stream_write(s, hdr, sizeof(hdr));
	if (!wrc && rc)
		wrc = rpc_send_error(s, 0, rc, err);
	if (rc)
		return rc;
	if (wrc) {
		stream_err(wrc, err, errlen);
		return wrc;
	}
	*version_r = chosen;
	s->version = chosen;
	return BL_OK;
}
