/* `blanket migrate --resolve GUEST [--resume-here|--discard-here]`: settle
 * a copy a cut-off handover left suspended (docs/specs/migration-
 * stream.md, "Exactly once"). Without an action the node that holds the
 * copy asks the other node again, by the migration's ID; with one it acts
 * whatever the other node did, after a warning. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanket/guest_target.h"

/* The user agrees to a settlement by hand: --yes, or "yes" typed. */
static bool confirmed(const struct cmd_call *call, const struct hv_guest *g,
		      const char *node)
{
	const struct cli_opts *o = call->opts;
	char id[BL_ID_STR_LEN], answer[16] = "";

	fprintf(stderr,
		"warning: the copy of \"%s\" on %s was handed over to %s by "
		"migration %s, and what %s did with it is not known.\n",
		g->name, node, g->handed_to[0] ? g->handed_to : "another node",
		bl_id_str(&g->migration, id),
		g->handed_to[0] ? g->handed_to : "that node");
	if (o->resume_here)
		fprintf(stderr, "Resuming it here runs it twice if it started "
				"there: check that it does not run there, and "
				"that node's disk.\n");
	else
		fprintf(stderr, "Discarding it here loses the guest if it "
				"never started there.\n");
	if (o->yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "%s: add --yes to go on without a terminal\n",
			call->who);
		return false;
	}
	fprintf(stderr, "Type yes to go on: ");
	return fgets(answer, sizeof(answer), stdin) && !strcmp(answer, "yes\n");
}

int cmd_migrate_resolve(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	struct rpc_msg req, reply;
	struct guest_target t;
	int i, rc;

	if (call->argc != 1) {
		fprintf(stderr, "%s: --resolve takes the guest only\n",
			call->who);
		return EXIT_USAGE;
	}
	if (o->resume_here && o->discard_here) {
		fprintf(stderr,
			"%s: --resume-here and --discard-here exclude each "
			"other\n",
			call->who);
		return EXIT_USAGE;
	}
	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	i = guest_target_find(&t, t.operand, true);
	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_GUEST_INFO;
	snprintf(req.name, sizeof(req.name), "%s", t.operand);
	rc = i < 0 ? BL_ERR_NOTFOUND
		   : guest_target_call(&t, i, &req, &reply, false);
	if (!rc && (o->resume_here || o->discard_here) &&
	    !confirmed(call, &reply.guest, t.c.node[i].name))
		rc = BL_ERR_CANCELLED;
	rpc_msg_dispose(&reply);
	if (!rc) {
		req.type = RPC_MIGRATE_RESOLVE;
		req.flags = (o->resume_here ? RPC_RESOLVE_RESUME_HERE : 0) |
			    (o->discard_here ? RPC_RESOLVE_DISCARD_HERE : 0);
		rc = guest_target_call(&t, i, &req, &reply, false);
	}
	if (!rc)
		printf("%s: %s\n", t.c.node[i].name, reply.message);
	rpc_msg_dispose(&reply);
	guest_target_end(&t);
	return cmd_status(rc);
}
