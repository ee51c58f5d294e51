/* `blanket node list` and `blanket node info NODE`: the cluster's nodes as
 * their blanketd reports them (the other `node` commands inspect this
 * machine; see cmd_node.c). */
#include <stdio.h>

#include "cmd.h"
#include "guest_target.h"
#include "json.h"

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
	}
	printf("}");
}

/* One node a line (or -n's), reachable or not. */
static int show_nodes(int argc, char **argv, int operands)
{
	static const char usage_list[] = "[--json] [--cluster FILE]";
	static const char usage_info[] = "[--json] [--cluster FILE] NODE";
	struct guest_target t;
	int r = guest_target_begin(argc, argv, "cluster json", operands,
				   operands ? usage_info : usage_list, &t);
	int lo = 0, hi, down = 0;

	if (r >= 0)
		return r;
	if (guest_target_range(&t, t.operand, &lo, &hi)) {
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	if (t.json)
		printf("{\"nodes\": [");
	else
		printf("%-10s %-9s %-24s %-16s %4s %9s %9s %6s\n", "NODE",
		       "STATE", "L0", "XEN", "CPUS", "MEM(MiB)", "FREE(MiB)",
		       "GUESTS");
	for (int i = lo; i < hi; i++) {
		const struct hv_node_info *n;
		struct rpc_msg info, list;
		bool up;

		rpc_msg_init(&info);
		rpc_msg_init(&list);
		up = ask_node(&t, i, &info, &list);
		down += !up;
		n = &info.node_info;
		if (t.json) {
			printf("%s\n  ", i > lo ? "," : "");
			print_json(t.c.node[i].name, up, &info, &list);
		} else if (up) {
			printf("%-10s %-9s %-24s %-16s %4u %9llu %9llu %6u\n",
			       t.c.node[i].name, "up", info.l0, n->xen_version,
			       n->nr_cpus,
			       (unsigned long long)(n->total_kib / 1024),
			       (unsigned long long)(n->free_kib / 1024),
			       list.n_guests);
		} else {
			printf("%-10s %-9s\n", t.c.node[i].name, "down");
		}
		rpc_msg_dispose(&info);
		rpc_msg_dispose(&list);
	}
	if (t.json)
		printf("\n]}\n");
	guest_target_end(&t);
	return down ? EXIT_FAIL : EXIT_OK;
}

int cmd_node_list(int argc, char **argv)
{
	return show_nodes(argc, argv, 0);
}

int cmd_node_info(int argc, char **argv)
{
	return show_nodes(argc, argv, 1);
}
