/* The role table of toolstack/blanketd/access.c against docs/specs/rpc.md's
 * "Roles", and the refusal's words. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/suites.h"
#include "toolstack/blanketd/access.h"
#include "toolstack/rpc/rpc.h"

#define RPC_TYPE_LAST RPC_BENCH_SERVE

/* The request type named name, 0 for none. */
static uint32_t type_named(const char *name)
{
	for (uint32_t t = 1; t <= RPC_TYPE_LAST; t++)
		if (!strcmp(rpc_type_name(t), name))
			return t;
	return 0;
}

/* Each row of the spec's table says what the code says, and every request
 * has a row. */
static void test_table_is_the_spec(void)
{
	bool seen[RPC_TYPE_LAST + 1] = {false};
	char line[256], name[64], cell[CA_ROLE_COUNT][8];
	FILE *f = fopen("docs/specs/rpc.md", "r");
	bool in_roles = false;
	int rows = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		uint32_t type;

		if (!strncmp(line, "### ", 4) || !strncmp(line, "## ", 3))
			in_roles = !strcmp(line, "### Roles\n");
		if (!in_roles ||
		    sscanf(line, "| `%63[a-z-]` | %7s | %7s | %7s |", name,
			   cell[CA_ROLE_NODE], cell[CA_ROLE_OPERATOR],
			   cell[CA_ROLE_VIEWER]) != 4)
			continue;
		type = type_named(name);
		CU_ASSERT_TRUE(rpc_type_is_request(type));
		if (!type)
			continue;
		seen[type] = true;
		rows++;
		for (int r = 0; r < CA_ROLE_COUNT; r++) {
			bool want = !strcmp(cell[r], "yes");

			CU_ASSERT_TRUE(want || !strcmp(cell[r], "no"));
			if (access_allows((enum ca_role)r, type) != want)
				CU_FAIL("rpc.md's Roles table differs from "
					"access.c");
		}
	}
	fclose(f);
	CU_ASSERT_TRUE(rows > 0);
	for (uint32_t t = 1; t <= RPC_TYPE_LAST; t++)
		CU_ASSERT_EQUAL(seen[t], rpc_type_is_request(t));
}

static void test_refusal_names_the_rule(void)
{
	char err[256] = "";

	CU_ASSERT_EQUAL(access_check(CA_ROLE_OPERATOR, RPC_GUEST_CREATE,
				     "alice", err, sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(access_check(CA_ROLE_VIEWER, RPC_GUEST_CREATE, "victor",
				     err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err, "guest-create is for operators only, and "
				    "victor is a viewer (docs/specs/rpc.md, "
				    "\"Roles\")");
	CU_ASSERT_EQUAL(access_check(CA_ROLE_NODE, RPC_GUEST_DESTROY, "node2",
				     err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_EQUAL(access_check(CA_ROLE_OPERATOR, RPC_MIGRATE_RECEIVE,
				     "alice", err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err, "migrate-receive is for nodes only, and "
				    "alice is an operator (docs/specs/rpc.md, "
				    "\"Roles\")");
	CU_ASSERT_EQUAL(access_check(CA_ROLE_NODE, RPC_GUEST_INFO, "node2", err,
				     sizeof(err)),
			BL_OK);
	CU_ASSERT_EQUAL(access_check(CA_ROLE_OPERATOR, RPC_NODE_INFO + 1000,
				     "alice", err, sizeof(err)),
			BL_ERR_DENIED);
	CU_ASSERT_STRING_EQUAL(err, "unknown is not a request anyone may make");
	/* Not requests, and no role: nobody. */
	CU_ASSERT_FALSE(access_allows(CA_ROLE_OPERATOR, RPC_OK));
	CU_ASSERT_FALSE(access_allows(CA_ROLE_COUNT, RPC_NODE_INFO));
}

void suite_access(void)
{
	CU_pSuite s = CU_add_suite("request roles", NULL, NULL);

	CU_add_test(s, "table is rpc.md's", test_table_is_the_spec);
	CU_add_test(s, "refusal names the rule", test_refusal_names_the_rule);
}
