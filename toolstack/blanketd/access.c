/* The request table of access.h. Local root (the UNIX socket) has an
 * operator's rights; a node's identity makes node-to-node requests only, so
 * a key taken from one dom0 cannot create, destroy or move guests on the
 * others. */
#include "toolstack/blanketd/access.h"

#include <stdio.h>

#include "toolstack/common/array.h"
#include "toolstack/rpc/rpc.h"

#define NODE	 (1u << CA_ROLE_NODE)
#define OPERATOR (1u << CA_ROLE_OPERATOR)
#define VIEWER	 (1u << CA_ROLE_VIEWER)

static const unsigned int allowed[] = {
    [RPC_NODE_INFO] = NODE | OPERATOR | VIEWER,
    [RPC_GUEST_LIST] = OPERATOR | VIEWER,
    [RPC_GUEST_INFO] = NODE | OPERATOR | VIEWER,
    [RPC_GUEST_CREATE] = OPERATOR,
    [RPC_GUEST_DESTROY] = OPERATOR,
    [RPC_GUEST_SHUTDOWN] = OPERATOR,
    [RPC_GUEST_REBOOT] = OPERATOR,
    [RPC_GUEST_PAUSE] = OPERATOR,
    [RPC_GUEST_UNPAUSE] = OPERATOR,
    [RPC_GUEST_CONSOLE] = OPERATOR,
    [RPC_GUEST_MIGRATE] = OPERATOR,
    [RPC_MIGRATE_RECEIVE] = NODE,
    [RPC_MIGRATE_STATUS] = NODE,
    [RPC_MIGRATE_SETTLED] = NODE,
    [RPC_MIGRATE_RESOLVE] = OPERATOR,
    [RPC_NAME_HOLD] = NODE,
    [RPC_BENCH_RUN] = OPERATOR,
    [RPC_BENCH_SERVE] = OPERATOR,
};

bool access_allows(enum ca_role role, uint32_t type)
{
	return (unsigned int)role < CA_ROLE_COUNT &&
	       type < ARRAY_LEN(allowed) && (allowed[type] & (1u << role));
}

/* "operators", "nodes, operators and viewers": the roles in mask. */
static void roles_text(unsigned int mask, char *buf, size_t size)
{
	int n = 0, total = 0;
	size_t off = 0;

	buf[0] = '\0';
	for (int r = 0; r < CA_ROLE_COUNT; r++)
		total += !!(mask & (1u << r));
	for (int r = 0; r < CA_ROLE_COUNT && off < size; r++) {
		if (!(mask & (1u << r)))
			continue;
		n++;
		off += (size_t)snprintf(buf + off, size - off, "%s%ss",
					n == 1	     ? ""
					: n == total ? " and "
						     : ", ",
					ca_role_name((enum ca_role)r));
	}
}

int access_check(enum ca_role role, uint32_t type, const char *peer, char *err,
		 size_t errlen)
{
	unsigned int mask = type < ARRAY_LEN(allowed) ? allowed[type] : 0;
	char who[64];

	if (access_allows(role, type))
		return BL_OK;
	roles_text(mask, who, sizeof(who));
	if (!mask)
		snprintf(err, errlen, "%s is not a request anyone may make",
			 rpc_type_name(type));
	else
		snprintf(err, errlen,
			 "%s is for %s only, and %s is a%s %s "
			 "(docs/specs/rpc.md, \"Roles\")",
			 rpc_type_name(type), who, peer,
			 role == CA_ROLE_OPERATOR ? "n" : "",
			 ca_role_name(role));
	return BL_ERR_DENIED;
}
