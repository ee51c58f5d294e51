/* cluster.conf parsing (toolstack/client/cluster.c). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "toolstack/client/cluster.h"
#include "tests/unit/suites.h"

static int parse(const char *text, struct cluster *c, char *err)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	err[0] = '\0';
	rc = cluster_parse(f, "/etc/blanket/cluster.conf", 0, c, err, 256);
	fclose(f);
	return rc;
}

static void test_valid(void)
{
	struct cluster c;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse("# lab\nca ca.crt\ncert /abs/admin.crt\n"
				    "key admin.key # comment\n\n"
				    "node node1 127.0.0.1:47811\n"
				    "node web-2\tcloud.example.com:7400\n",
				    &c, err),
			      BL_OK);
	CU_ASSERT_STRING_EQUAL(c.ca, "/etc/blanket/ca.crt");
	CU_ASSERT_STRING_EQUAL(c.cert, "/abs/admin.crt");
	CU_ASSERT_STRING_EQUAL(c.key, "/etc/blanket/admin.key");
	CU_ASSERT_EQUAL(c.nodes, 2);
	CU_ASSERT_STRING_EQUAL(c.node[1].name, "web-2");
	CU_ASSERT_STRING_EQUAL(c.node[1].host, "cloud.example.com");
	CU_ASSERT_EQUAL(c.node[1].port, 7400);
	CU_ASSERT_PTR_EQUAL(cluster_find(&c, "node1"), &c.node[0]);
	CU_ASSERT_PTR_NULL(cluster_find(&c, "node3"));
}

static void test_rejects(void)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
	    {"ca a\ncert b\n", ":3: ca, cert and key are all required"},
	    {"ca a\ncert b\nkey c\nnode n1\n", ":4: want: node NAME HOST:PORT"},
	    {"ca a b\n", ":1: want: ca PATH"},
	    {"frob x\n", ":1: unknown directive \"frob\""},
	    {"node Node1 h:1\n", ":1: node name \"Node1\""},
	    {"node n1 h:0\n", ":1: port \"0\" is not 1-65535"},
	    {"node n1 h:99999\n", ":1: port \"99999\""},
	    {"node n1 h\n", ":1: node address \"h\" is not HOST:PORT"},
	    {"node n1 :5\n", ":1: node address \":5\""},
	    {"node n1 h:1 p:0\n", ":1: port \"0\" is not 1-65535"},
	    {"node n1 h:1 p:2 x\n", ":1: want: node NAME HOST:PORT"},
	    {"node n1 h:1\nnode n1 h:2\n", ":2: node \"n1\" is listed twice"},
	};
	struct cluster c;
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse(bad[i].text, &c, err), BL_ERR_INVAL);
		if (!strstr(err, bad[i].msg)) {
			fprintf(stderr, "\ncase %zu: got \"%s\"\n", i, err);
			CU_FAIL("wrong error message");
		}
	}
}

static void test_long_line(void)
{
	char text[4096], err[256];
	struct cluster c;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	CU_ASSERT_EQUAL(parse(text, &c, err), BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: line longer than"));
}

void suite_cluster(void)
{
	CU_pSuite s = CU_add_suite("cluster.conf", NULL, NULL);

	CU_add_test(s, "valid", test_valid);
	CU_add_test(s, "rejects", test_rejects);
	CU_add_test(s, "long line", test_long_line);
}
