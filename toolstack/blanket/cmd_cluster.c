/* `blanket node list` and `blanket node info NODE`: the cluster's nodes as
 * their blanketd reports them (the other `node` commands inspect this
 * machine; see cmd_node.c). */
#include <stdio.h>

#include "toolstack/blanket/guest_target.h"
#include "toolstack/common/json.h"

/* node-info and guest-list of node i; false (said why) when it is down. */
static bool ask_node(struct guest_target *t, int i, struct rpc_msg *info,
		     struct rpc_msg *list)
{
	struct rpc_msg req;

	rpc_msg_init(&req);
	req.type = RPC_NODE_INFO;
	if (guest_target_call(t, i, &req, info, false))
		return false;
	req.type = RPC_GUEST_LIST;
	return guest_target_call(t, i, &req, list, false) == BL_OK;
}

static void print_json(const char *name, bool up, const struct rpc_msg *info,
		       const struct rpc_msg *list)
{
	const struct hv_node_info *n = &info->node_info;

	printf("{\"node\": ");
	json_string(stdout, name);
	printf(", \"reachable\": %s", up ? "true" : "false");
	if (up) {
		printf(", \"l0\": ");
		json_string(stdout, info->l0);
		printf(", \"xen_version\": ");
		json_string(stdout, n->xen_version);
		printf(", \"virt_caps\": ");
		json_string(stdout, n->virt_caps);
		printf(", \"cpus\": %u, \"memory_mib\": %llu, "
		       "\"free_memory_mib\": %llu, \"guests\": %u",
		       n->nr_cpus, (unsigned long long)(n->total_kib / 1024),
		       (unsigned long long)(n->free_kib / 1024),
		       list->n_guests);
		printf(", \"overlay\": ");
		if (info->overlay.key[0]) {
			printf("{\"address\": ");
			json_string(stdout, info->overlay.addr);
			printf(", \"port\": %u, \"public_key\": ",
			       info->overlay.port);
			json_string(stdout, info->overlay.key);
			printf("}");
		} else {
			printf("null");
		}
	}
	printf("}");
}

/* `node list` and `node info NODE`: one node a line (all, or the one the
 * operand names), reachable or not. */
int cmd_nodes(const struct cmd_call *call)
{
	struct guest_target t;
	int lo = 0, hi, down = 0;

	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	if (guest_target_range(&t, t.operand, &lo, &hi)) {
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	if (t.o->json)
		printf("{\"nodes\": [");
	else
		printf("%-10s %-9s %-24s %-16s %4s %9s %9s %6s %s\n", "NODE",
		       "STATE", "L0", "XEN", "CPUS", "MEM(MiB)", "FREE(MiB)",
		       "GUESTS", "OVERLAY");
	for (int i = lo; i < hi; i++) {
		const struct hv_node_info *n;
		struct rpc_msg info, list;
		bool up;

		rpc_msg_init(&info);
		rpc_msg_init(&list);
		up = ask_node(&t, i, &info, &list);
		down += !up;
		n = &info.node_info;
		if (t.o->json) {
			printf("%s\n  ", i > lo ? "," : "");
			print_json(t.c.node[i].name, up, &info, &list);
		} else if (up) {
			printf(
			    "%-10s %-9s %-24s %-16s %4u %9llu %9llu %6u %s\n",
			    t.c.node[i].name, "up", info.l0, n->xen_version,
			    n->nr_cpus,
			    (unsigned long long)(n->total_kib / 1024),
			    (unsigned long long)(n->free_kib / 1024),
			    list.n_guests,
			    info.overlay.key[0] ? info.overlay.addr : "-");
		} else {
			printf("%-10s %-9s\n", t.c.node[i].name, "down");
		}
		rpc_msg_dispose(&info);
		rpc_msg_dispose(&list);
	}
	if (t.o->json)
		printf("\n]}\n");
	guest_target_end(&t);
	return down ? EXIT_FAIL : EXIT_OK;
}
