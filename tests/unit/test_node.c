/* Lab nodes (lab/node.c): flavors and the QEMU command line they produce. */
#include <CUnit/CUnit.h>
#include <string.h>

#include "lab/node.h"
#include "tests/unit/suites.h"

static const struct lab_images img = {"/img/xen", "/img/vmlinuz",
				      "/img/dom0.cpio.gz", "/img/l0-xen",
				      "/img/l0-dom0.cpio.gz"};

/* The argument after opt, the n-th time opt appears (0-based). */
static const char *arg_after(char **argv, const char *opt, int n)
{
	for (int i = 0; argv[i]; i++)
		if (strcmp(argv[i], opt) == 0 && n-- == 0)
			return argv[i + 1];
	return NULL;
}

static void test_flavors(void)
{
	const struct lab_flavor *f1 = node_flavor_for(1);
	const struct lab_flavor *f2 = node_flavor_for(2);

	CU_ASSERT_STRING_EQUAL(f1->nic, "virtio-net-pci");
	CU_ASSERT_STRING_EQUAL(f2->nic, "e1000");
	CU_ASSERT_STRING_NOT_EQUAL(f1->cpu, f2->cpu);
	CU_ASSERT_PTR_EQUAL(node_flavor_for(3), f1);
	CU_ASSERT_PTR_EQUAL(node_flavor_find(f2->name), f2);
	CU_ASSERT_PTR_NULL(node_flavor_find("ec2"));
	/* No L0 may offer nested virtualization to a node. */
	for (int i = 1; i <= 2; i++) {
		CU_ASSERT_PTR_NOT_NULL(strstr(node_flavor_for(i)->cpu, "-vmx"));
		CU_ASSERT_PTR_NOT_NULL(strstr(node_flavor_for(i)->cpu, "-svm"));
	}
}

static void test_two_node_socket(void)
{
	struct lab_wiring w = {.kind = LAB_LINK_SOCKET, .port = 47800};
	struct lab_node n1 = {1, 0, 47801, 47809, node_flavor_for(1)};
	struct lab_node n2 = {2, 0, 47802, 47810, node_flavor_for(2)};
	char **a1 = NULL, **a2 = NULL;

	CU_ASSERT_EQUAL_FATAL(node_qemu_argv(&n1, &w, &img, "/run/s1", &a1),
			      BL_OK);
	CU_ASSERT_EQUAL_FATAL(node_qemu_argv(&n2, &w, &img, "/run/s2", &a2),
			      BL_OK);
	CU_ASSERT_STRING_EQUAL(a1[0], "qemu-system-x86_64");
	CU_ASSERT_STRING_EQUAL(arg_after(a1, "-accel", 0), "tcg");
	CU_ASSERT_STRING_EQUAL(arg_after(a1, "-kernel", 0), "/img/xen");
	CU_ASSERT_STRING_EQUAL(arg_after(a1, "-serial", 0), "file:/run/s1");
	CU_ASSERT_STRING_EQUAL(arg_after(a1, "-netdev", 0),
			       "socket,id=link,listen=127.0.0.1:47800");
	CU_ASSERT_STRING_EQUAL(arg_after(a2, "-netdev", 0),
			       "socket,id=link,connect=127.0.0.1:47800");
	CU_ASSERT_STRING_EQUAL(
	    arg_after(a2, "-netdev", 1),
	    "user,id=ctl,restrict=on,hostfwd=tcp:127.0.0.1:47802-"
	    "10.0.2.15:7000,hostfwd=tcp:127.0.0.1:47810-10.0.2.15:7400");
	CU_ASSERT_STRING_EQUAL(arg_after(a2, "-device", 0),
			       "e1000,netdev=link,mac=52:54:00:99:00:02");
	CU_ASSERT_PTR_NOT_NULL(strstr(arg_after(a2, "-initrd", 0),
				      "blanket.addr=10.99.0.2/24 "
				      "blanket.mtu=9000 "
				      "blanket.overlay=10.200.0.2/24 "
				      "blanket.dhcp=10.98.0.252/24,"
				      "/img/dom0.cpio.gz"));
	node_argv_free(a1);
	node_argv_free(a2);
}

static void test_switch_and_single(void)
{
	struct lab_wiring sw = {.kind = LAB_LINK_SWITCH,
				.switch_dir = "/run/switch"};
	struct lab_wiring single = {.kind = LAB_LINK_SOCKET, .port = 47800};
	struct lab_node n1 = {1, 0, 47801, 47809, node_flavor_for(1)};
	struct lab_node n3 = {3, 0, 47803, 47811, node_flavor_for(3)};
	char **a = NULL;

	CU_ASSERT_EQUAL_FATAL(node_qemu_argv(&n3, &sw, &img, "/s", &a), BL_OK);
	CU_ASSERT_STRING_EQUAL(arg_after(a, "-netdev", 0),
			       "vde,id=link,sock=/run/switch");
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(arg_after(a, "-initrd", 0), "blanket.mtu=1500"));
	node_argv_free(a);
	/* A lab of one: node1 listens on the link all the same, for a machine
	 * of the test's own (tests/install). */
	CU_ASSERT_EQUAL_FATAL(node_qemu_argv(&n1, &single, &img, "/s", &a),
			      BL_OK);
	CU_ASSERT_STRING_EQUAL(arg_after(a, "-netdev", 0),
			       "socket,id=link,listen=127.0.0.1:47800");
	node_argv_free(a);
}

static void test_flavors_parse(void)
{
	const struct lab_flavor *f[4];
	int n = 0;

	CU_ASSERT_EQUAL_FATAL(node_flavors_parse("xen-hvm,kvm-amd", f, 4, &n),
			      BL_OK);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_STRING_EQUAL(f[0]->name, "xen-hvm");
	CU_ASSERT_TRUE(f[0]->l0_xen);
	CU_ASSERT_STRING_EQUAL(f[1]->name, "kvm-amd");
	CU_ASSERT_FALSE(f[1]->l0_xen);
	/* The node on an L0 Xen and its KVM partner share a CPU vendor, and
	 * only the L0 Xen sees SVM. */
	CU_ASSERT_EQUAL(strncmp(f[0]->cpu, "EPYC,", 5), 0);
	CU_ASSERT_EQUAL(strncmp(f[1]->cpu, "EPYC,", 5), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(f[1]->cpu, "-svm"));
	CU_ASSERT_EQUAL(node_flavors_parse("kvm-virtio", f, 4, &n), BL_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_PTR_EQUAL(f[0], node_flavor_for(1));
	CU_ASSERT_EQUAL(node_flavors_parse("kvm-virtio,ec2", f, 4, &n),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(node_flavors_parse("kvm-virtio,", f, 4, &n),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(node_flavors_parse("", f, 4, &n), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(node_flavors_parse("kvm", f, 4, &n), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(node_flavors_parse("kvm-amd,kvm-amd", f, 1, &n),
			BL_ERR_INVAL);
}

/* A xen-hvm node's QEMU boots the L0 Xen with its dom0's image, which is
 * told to start the node as its guest, with the node's parameters. */
static void test_l0_xen_node(void)
{
	struct lab_wiring w = {.kind = LAB_LINK_SOCKET, .port = 47800};
	struct lab_node n = {1, 0, 47801, 47809, node_flavor_find("xen-hvm")};
	char **a = NULL;
	const char *initrd;

	CU_ASSERT_EQUAL_FATAL(node_qemu_argv(&n, &w, &img, "/s", &a), BL_OK);
	CU_ASSERT_STRING_EQUAL(arg_after(a, "-kernel", 0), "/img/l0-xen");
	CU_ASSERT_STRING_EQUAL(arg_after(a, "-m", 0), "2048");
	CU_ASSERT_PTR_NOT_NULL(strstr(arg_after(a, "-cpu", 0), "+svm"));
	CU_ASSERT_PTR_NULL(strstr(arg_after(a, "-append", 0), "scrub"));
	initrd = arg_after(a, "-initrd", 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(initrd, " blanket.role=l0 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(initrd, " blanket.node=node1 "));
	CU_ASSERT_PTR_NOT_NULL(strstr(initrd, ",/img/l0-dom0.cpio.gz"));
	node_argv_free(a);
	/* Other nodes boot the blanket hypervisor itself. */
	n.flavor = node_flavor_find("kvm-amd");
	CU_ASSERT_EQUAL_FATAL(node_qemu_argv(&n, &w, &img, "/s", &a), BL_OK);
	CU_ASSERT_STRING_EQUAL(arg_after(a, "-kernel", 0), "/img/xen");
	CU_ASSERT_STRING_EQUAL(arg_after(a, "-m", 0), "1024");
	CU_ASSERT_PTR_NOT_NULL(strstr(arg_after(a, "-append", 0), "scrub"));
	CU_ASSERT_PTR_NULL(strstr(arg_after(a, "-initrd", 0), "role"));
	node_argv_free(a);
}

static void test_comma_in_path_refused(void)
{
	struct lab_images bad = {
	    .xen = "/img/xen", .kernel = "/img,1/vmlinuz", .dom0 = "/img/d"};
	struct lab_wiring none = {.kind = LAB_LINK_SOCKET, .port = 47800};
	struct lab_node n = {1, 0, 47801, 47809, node_flavor_for(1)};
	char **a = NULL;

	CU_ASSERT_EQUAL(node_qemu_argv(&n, &none, &bad, "/s", &a),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NULL(a);
}

void suite_node(void)
{
	CU_pSuite s = CU_add_suite("lab nodes", NULL, NULL);

	CU_add_test(s, "flavors", test_flavors);
	CU_add_test(s, "two nodes on a socket link", test_two_node_socket);
	CU_add_test(s, "switch and single node", test_switch_and_single);
	CU_add_test(s, "flavors listed", test_flavors_parse);
	CU_add_test(s, "a node on an L0 Xen", test_l0_xen_node);
	CU_add_test(s, "comma in an image path refused",
		    test_comma_in_path_refused);
}
