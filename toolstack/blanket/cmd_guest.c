/*
 * Guest commands of blanket(1), xl-style: create, list, info, destroy,
 * shutdown, reboot, pause, unpause, console, on any node of the cluster
 * (cluster.conf(5)) over the node RPC, or on this node's blanketd through
 * its local socket when there is no cluster file.
 *
 * A command naming a guest without -n finds the node that has it; create
 * without -n picks the node with the most free memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanket/guest_target.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/json.h"

static void print_disks_json(const struct rpc_msg *m)
{
	printf(", \"disks\": [");
	for (uint32_t i = 0; i < m->n_disks; i++) {
		const struct hv_disk_state *d = &m->disks[i];

		printf("%s{\"vdev\": ", i ? ", " : "");
		json_string(stdout, d->disk.vdev);
		printf(", \"devid\": %u, \"path\": ", d->disk.devid);
		json_string(stdout, d->disk.path);
		printf(", \"readonly\": %s, \"backend\": ",
		       d->disk.readonly ? "true" : "false");
		json_string(stdout, d->backend[0] ? d->backend : NULL);
		printf(", \"state\": ");
		json_string(stdout, d->state[0] ? d->state : NULL);
		printf("}");
	}
	printf("]");
}

static void print_vifs_json(const struct rpc_msg *m)
{
	printf(", \"vifs\": [");
	for (uint32_t i = 0; i < m->n_vifs; i++) {
		const struct hv_vif_state *v = &m->vifs[i];

		printf("%s{\"devid\": %u, \"mac\": ", i ? ", " : "", v->devid);
		json_string(stdout, v->mac[0] ? v->mac : NULL);
		printf(", \"ip\": ");
		json_string(stdout, v->ip[0] ? v->ip : NULL);
		printf(", \"bridge\": ");
		json_string(stdout, v->bridge[0] ? v->bridge : NULL);
		printf(", \"interface\": ");
		json_string(stdout, v->ifname[0] ? v->ifname : NULL);
		printf(", \"state\": ");
		json_string(stdout, v->state[0] ? v->state : NULL);
		printf("}");
	}
	printf("]");
}

/* A guest record as JSON; with_devices: the record's disks and vifs too
 * (guest-info's answer). */
static void print_guest_json(const char *node, const struct hv_guest *g,
			     const struct rpc_msg *with_devices)
{
	char id[BL_ID_STR_LEN];

	printf("{\"node\": ");
	json_string(stdout, node);
	printf(", \"name\": ");
	json_string(stdout, g->name);
	printf(", \"domid\": %u, \"state\": \"%s\", \"memory_mib\": %llu, "
	       "\"vcpus\": %u, \"cpu_time_s\": %.1f, \"generation\": %llu",
	       g->domid, hv_state_name(g->state),
	       (unsigned long long)(g->mem_kib / 1024), g->vcpus,
	       (double)g->cpu_time_ns / 1e9, (unsigned long long)g->generation);
	if (g->state == HV_STATE_UNRESOLVED) {
		printf(", \"migration\": ");
		json_string(stdout, bl_id_is_zero(&g->migration)
					? NULL
					: bl_id_str(&g->migration, id));
		printf(", \"handed_to\": ");
		json_string(stdout, g->handed_to[0] ? g->handed_to : NULL);
	}
	if (with_devices) {
		print_disks_json(with_devices);
		print_vifs_json(with_devices);
	}
	printf("}");
}

/* One node of `blanket list --json`: its facts and its guests. */
static void print_node_json(const struct rpc_msg *info,
			    const struct rpc_msg *list)
{
	printf("{\"node\": ");
	json_string(stdout, info->node);
	printf(", \"l0\": ");
	json_string(stdout, info->l0);
	printf(", \"xen_version\": ");
	json_string(stdout, info->node_info.xen_version);
	printf(", \"free_memory_mib\": %llu, \"guests\": [",
	       (unsigned long long)(info->node_info.free_kib / 1024));
	for (uint32_t k = 0; k < list->n_guests; k++) {
		printf("%s\n    ", k ? "," : "");
		print_guest_json(info->node, &list->guests[k], NULL);
	}
	printf("%s]}", list->n_guests ? "\n  " : "");
}

static void print_node_rows(const struct rpc_msg *info,
			    const struct rpc_msg *list)
{
	if (list->n_guests == 0)
		printf("%-10s %-24s %-20s %5s %-10s %8s %5s %4s\n", info->node,
		       info->l0, "-", "-", "-", "-", "-", "-");
	for (uint32_t k = 0; k < list->n_guests; k++) {
		const struct hv_guest *g = &list->guests[k];

		printf("%-10s %-24s %-20s %5u %-10s %8llu %5u %4llu\n",
		       info->node, info->l0, g->name, g->domid,
		       hv_state_name(g->state),
		       (unsigned long long)(g->mem_kib / 1024), g->vcpus,
		       (unsigned long long)g->generation);
	}
}

/* `blanket list`: every node (or -n's) and its guests, in one table; a node
 * that does not answer is named on stderr and makes the exit status 1. */
int cmd_list(const struct cmd_call *call)
{
	struct guest_target t;
	int failed = 0, shown = 0, lo = 0, hi;

	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	if (guest_target_range(&t, t.o->node, &lo, &hi)) {
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	if (t.o->json)
		printf("{\"nodes\": [");
	else
		printf("%-10s %-24s %-20s %5s %-10s %8s %5s %4s\n", "NODE",
		       "L0", "GUEST", "ID", "STATE", "MEM(MiB)", "VCPUS",
		       "GEN");
	for (int i = lo; i < hi; i++) {
		struct rpc_msg req, info, list;

		rpc_msg_init(&req);
		rpc_msg_init(&info);
		rpc_msg_init(&list);
		req.type = RPC_NODE_INFO;
		if (guest_target_call(&t, i, &req, &info, false) == BL_OK) {
			req.type = RPC_GUEST_LIST;
			if (guest_target_call(&t, i, &req, &list, false))
				failed = 1;
		} else {
			failed = 1;
		}
		if (info.node[0] && t.o->json) {
			printf("%s\n  ", shown++ ? "," : "");
			print_node_json(&info, &list);
		} else if (info.node[0]) {
			print_node_rows(&info, &list);
		}
		rpc_msg_dispose(&info);
		rpc_msg_dispose(&list);
	}
	if (t.o->json)
		printf("%s]}\n", shown ? "\n" : "");
	guest_target_end(&t);
	return failed ? EXIT_FAIL : EXIT_OK;
}

/* req (its type, and flags if any, set) about t's guest, to the node that
 * runs it: the reply in *reply (init'd here), the node's index in *i_r. */
static int guest_request(struct guest_target *t, struct rpc_msg *req,
			 struct rpc_msg *reply, int *i_r)
{
	*i_r = guest_target_find(t, t->operand, false);
	rpc_msg_init(reply);
	snprintf(req->name, sizeof(req->name), "%s", t->operand);
	return *i_r < 0 ? BL_ERR_NOTFOUND
			: guest_target_call(t, *i_r, req, reply, false);
}

/* `blanket info GUEST`, as text. */
static void print_guest(const char *node, const struct hv_guest *g)
{
	char id[BL_ID_STR_LEN];

	printf("node:       %s\nname:       %s\ndomid:      %u\n"
	       "state:      %s\nmemory:     %llu MiB\nvcpus:      %u\n"
	       "cpu time:   %.1f s\ngeneration: %llu\n",
	       node, g->name, g->domid, hv_state_name(g->state),
	       (unsigned long long)(g->mem_kib / 1024), g->vcpus,
	       (double)g->cpu_time_ns / 1e9, (unsigned long long)g->generation);
	if (g->state != HV_STATE_UNRESOLVED)
		return;
	printf("migration:  %s, to %s\n",
	       bl_id_is_zero(&g->migration) ? "(no record)"
					    : bl_id_str(&g->migration, id),
	       g->handed_to[0] ? g->handed_to : "(unknown)");
	printf("            a handover cut off after go: `blanket migrate "
	       "--resolve %s` settles it\n",
	       g->name);
}

/* A guest record's disks, as text. */
static void print_disks(const struct rpc_msg *m)
{
	for (uint32_t i = 0; i < m->n_disks; i++) {
		const struct hv_disk_state *d = &m->disks[i];

		printf("disk:       %s %s, %s, %s, %s\n", d->disk.vdev,
		       d->disk.path,
		       d->disk.readonly ? "read-only" : "read-write",
		       d->backend[0] ? d->backend : "(no backend)",
		       d->state[0] ? d->state : "(no state)");
	}
}

/* A guest record's vifs, as text. */
static void print_vifs(const struct rpc_msg *m)
{
	for (uint32_t i = 0; i < m->n_vifs; i++) {
		const struct hv_vif_state *v = &m->vifs[i];

		printf("vif:        %u %s%s%s, bridge %s, %s, %s\n", v->devid,
		       v->mac[0] ? v->mac : "(no mac)", v->ip[0] ? " " : "",
		       v->ip, v->bridge[0] ? v->bridge : "(none)",
		       v->ifname[0] ? v->ifname : "(no interface)",
		       v->state[0] ? v->state : "(no state)");
	}
}

int cmd_info(const struct cmd_call *call)
{
	struct rpc_msg req, reply;
	struct guest_target t;
	int i, rc;

	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	rpc_msg_init(&req);
	req.type = RPC_GUEST_INFO;
	rc = guest_request(&t, &req, &reply, &i);
	if (!rc && t.o->json) {
		print_guest_json(t.c.node[i].name, &reply.guest, &reply);
		printf("\n");
	} else if (!rc) {
		print_guest(t.c.node[i].name, &reply.guest);
		print_disks(&reply);
		print_vifs(&reply);
	}
	rpc_msg_dispose(&reply);
	guest_target_end(&t);
	return cmd_status(rc);
}

/* The node with the most free memory, for create without -n. */
static int roomiest_node(struct guest_target *t)
{
	uint64_t best_free = 0;
	int best = -1;

	for (int i = 0; i < t->c.nodes; i++) {
		struct rpc_msg req, reply;

		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_NODE_INFO;
		if (guest_target_call(t, i, &req, &reply, false) == BL_OK &&
		    (best < 0 || reply.node_info.free_kib > best_free)) {
			best = i;
			best_free = reply.node_info.free_kib;
		}
		rpc_msg_dispose(&reply);
	}
	if (best < 0)
		fprintf(stderr, "blanket: no node answered\n");
	return best;
}

/* `blanket create CONFIG`: the file is read here and its text sent. */
int cmd_create(const struct cmd_call *call)
{
	const char *file, *base;
	struct rpc_msg req, reply;
	struct guest_target t;
	char *text = NULL;
	size_t len = 0;
	int fd, i, rc;

	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	file = t.operand;
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	fd = open(file, O_RDONLY | O_CLOEXEC);
	rc =
	    fd < 0 ? BL_ERR_IO : fdio_read_all(fd, RPC_CONFIG_MAX, &text, &len);
	if (fd >= 0)
		close(fd);
	if (rc) {
		fprintf(stderr, "blanket: cannot read %s: %s\n", file,
			fd < 0		     ? strerror(errno)
			: rc == BL_ERR_INVAL ? "larger than 512 KiB"
					     : bl_strerror(rc));
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	i = t.o->node ? guest_target_index(&t, t.o->node) : roomiest_node(&t);
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_GUEST_CREATE;
	req.source = strdup(base);
	req.config = text;
	req.config_len = (uint32_t)len;
	rc = i < 0 || !req.source
		 ? BL_ERR_FAIL
		 : guest_target_call(&t, i, &req, &reply, false);
	if (!rc)
		printf("created %s (domid %u) on %s\n", reply.guest.name,
		       reply.guest.domid, t.c.node[i].name);
	rpc_msg_dispose(&req);
	rpc_msg_dispose(&reply);
	guest_target_end(&t);
	return cmd_status(rc);
}

/* destroy, shutdown, reboot, pause, unpause: one request on one guest. */
static int guest_op(const struct cmd_call *call, uint32_t type,
		    const char *done)
{
	struct rpc_msg req, reply;
	struct guest_target t;
	int i, rc;

	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	rpc_msg_init(&req);
	req.type = type;
	req.timeout_s = (uint32_t)t.o->timeout_s;
	req.flags = (t.o->force ? RPC_SHUTDOWN_FORCE : 0) |
		    (t.o->wait ? RPC_SHUTDOWN_WAIT : 0);
	rc = guest_request(&t, &req, &reply, &i);
	if (!rc)
		printf("%s %s on %s\n", done, t.operand, t.c.node[i].name);
	rpc_msg_dispose(&reply);
	guest_target_end(&t);
	return cmd_status(rc);
}

int cmd_destroy(const struct cmd_call *call)
{
	return guest_op(call, RPC_GUEST_DESTROY, "destroyed");
}

int cmd_shutdown(const struct cmd_call *call)
{
	return guest_op(call, RPC_GUEST_SHUTDOWN, "shut down");
}

int cmd_reboot(const struct cmd_call *call)
{
	return guest_op(call, RPC_GUEST_REBOOT, "rebooting");
}

int cmd_pause(const struct cmd_call *call)
{
	return guest_op(call, RPC_GUEST_PAUSE, "paused");
}

int cmd_unpause(const struct cmd_call *call)
{
	return guest_op(call, RPC_GUEST_UNPAUSE, "unpaused");
}
