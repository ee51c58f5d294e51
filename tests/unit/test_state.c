/* The lab state file (lab/state.c): parse, write, reject with a line. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <string.h>

#include "lab/state.h"
#include "tests/unit/suites.h"

static int parse_text(const char *text, struct lab_state *s, int *line)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int rc;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	*line = 0;
	rc = state_parse(f, s, line);
	fclose(f);
	return rc;
}

static void test_parse_valid(void)
{
	struct lab_state s;
	int line;

	CU_ASSERT_EQUAL_FATAL(parse_text("blanket-lab 1\nport-base 47800\n"
					 "switch 0\n\nnode 1 100 kvm-virtio\n"
					 "node 2 101 legacy-e1000\n",
					 &s, &line),
			      BL_OK);
	CU_ASSERT_EQUAL(s.port_base, 47800);
	CU_ASSERT_EQUAL(s.switch_pid, 0);
	CU_ASSERT_EQUAL(s.nodes, 2);
	CU_ASSERT_EQUAL(s.node[0].index, 1);
	CU_ASSERT_EQUAL(s.node[0].pid, 100);
	CU_ASSERT_EQUAL(s.node[1].ctl_port, 47802);
	CU_ASSERT_STRING_EQUAL(s.node[1].flavor->name, "legacy-e1000");
	/* A lab whose switch runs but no node yet. */
	CU_ASSERT_EQUAL(parse_text("blanket-lab 1\nport-base 1024\n"
				   "switch 9\n",
				   &s, &line),
			BL_OK);
	CU_ASSERT_EQUAL(s.nodes, 0);
	CU_ASSERT_EQUAL(s.switch_pid, 9);
}

static void test_write_round_trip(void)
{
	struct lab_state s, back;
	char buf[512] = "";
	FILE *f;
	int line;

	state_init(&s);
	s.port_base = 50000;
	s.switch_pid = 77;
	for (int i = 1; i <= 3; i++) {
		s.node[i - 1].index = i;
		s.node[i - 1].pid = 1000 + i;
		s.node[i - 1].flavor = node_flavor_for(i);
	}
	s.nodes = 3;
	f = fmemopen(buf, sizeof(buf), "w");
	CU_ASSERT_EQUAL(state_write(f, &s), BL_OK);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(parse_text(buf, &back, &line), BL_OK);
	CU_ASSERT_EQUAL(back.port_base, 50000);
	CU_ASSERT_EQUAL(back.switch_pid, 77);
	CU_ASSERT_EQUAL(back.nodes, 3);
	CU_ASSERT_EQUAL(back.node[2].pid, 1003);
	CU_ASSERT_PTR_EQUAL(back.node[2].flavor, node_flavor_for(3));
	CU_ASSERT_EQUAL(back.node[2].ctl_port, 50003);
	CU_ASSERT_EQUAL(back.node[2].rpc_port, 50011);
}

/* Each bad file and the line its error names. */
static void test_parse_rejects(void)
{
	static const struct {
		const char *text;
		int line;
	} bad[] = {
	    {"", 1},
	    {"blanket-lab 2\n", 1},
	    {"lab 1\n", 1},
	    {"blanket-lab 1\nport-base 0\n", 2},
	    {"blanket-lab 1\nport-base 47800 1\n", 2},
	    {"blanket-lab 1\nport-base 47800\nnode 2 1 kvm-virtio\n", 3},
	    {"blanket-lab 1\nport-base 47800\nnode 1 1 cloud9\n", 3},
	    {"blanket-lab 1\nport-base 47800\nnode 1 -5 kvm-virtio\n", 3},
	    {"blanket-lab 1\nport-base 47800\nnode 1 1x kvm-virtio\n", 3},
	    {"blanket-lab 1\nnode 1 1 kvm-virtio\n", 3},
	    {"blanket-lab 1\nswitch\n", 2},
	    {"blanket-lab 1\nfrobnicate 1\n", 2},
	};
	struct lab_state s;
	int line;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CU_ASSERT_EQUAL(parse_text(bad[i].text, &s, &line),
				BL_ERR_INVAL);
		CU_ASSERT_EQUAL(line, bad[i].line);
	}
}

static void test_parse_limits(void)
{
	char text[2048], longline[400];
	struct lab_state s;
	int line, off;

	off = snprintf(text, sizeof(text), "blanket-lab 1\nport-base 47800\n");
	for (int i = 1; i <= LAB_MAX_NODES + 1; i++)
		off += snprintf(text + off, sizeof(text) - (size_t)off,
				"node %d %d kvm-virtio\n", i, i);
	CU_ASSERT_EQUAL(parse_text(text, &s, &line), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(line, 2 + LAB_MAX_NODES + 1);

	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	snprintf(text, sizeof(text), "blanket-lab 1\n%s", longline);
	CU_ASSERT_EQUAL(parse_text(text, &s, &line), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(line, 2);
}

void suite_state(void)
{
	CU_pSuite s = CU_add_suite("lab state file", NULL, NULL);

	CU_add_test(s, "parse valid", test_parse_valid);
	CU_add_test(s, "write round trip", test_write_round_trip);
	CU_add_test(s, "parse rejects", test_parse_rejects);
	CU_add_test(s, "parse limits", test_parse_limits);
}
