/* The guests' DHCP service's pieces that need no dnsmasq: --guest-dhcp,
 * the subnet test, and the hosts file's lines from guests' vifs. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/suites.h"
#include "toolstack/blanketd/dhcp.h"

static void test_parse(void)
{
	struct dhcp d = {0};
	char err[BL_ERRMSG_MAX];

	CU_ASSERT_EQUAL(dhcp_parse("10.98.0.251/24", &d, err, sizeof(err)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(d.addr, "10.98.0.251");
	CU_ASSERT_EQUAL(d.prefix, 24);
	CU_ASSERT_EQUAL(dhcp_parse("10.98.0.251", &d, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(err, "\"10.98.0.251\": want A.B.C.D/LEN");
	CU_ASSERT_EQUAL(dhcp_parse("10.98.0.251/7", &d, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(
	    err, "\"10.98.0.251/7\": want A.B.C.D/LEN, LEN from 8 to 30");
	CU_ASSERT_EQUAL(dhcp_parse("10.98.0/24", &d, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(dhcp_parse("10.98.0.1/24x", &d, err, sizeof(err)),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(dhcp_parse("10.98.0.1/", &d, err, sizeof(err)),
			BL_ERR_INVAL);
}

static void test_prefix_holds(void)
{
	CU_ASSERT_TRUE(prefix_holds("10.98.0.251", 24, "10.98.0.5"));
	CU_ASSERT_TRUE(prefix_holds("10.98.0.251", 24, "10.98.0.0"));
	CU_ASSERT_FALSE(prefix_holds("10.98.0.251", 24, "10.98.1.5"));
	CU_ASSERT_TRUE(prefix_holds("10.98.0.251", 16, "10.98.1.5"));
	CU_ASSERT_TRUE(prefix_holds("10.98.0.1", 30, "10.98.0.3"));
	CU_ASSERT_FALSE(prefix_holds("10.98.0.1", 30, "10.98.0.4"));
	CU_ASSERT_TRUE(prefix_holds("10.98.0.1", 0, "192.168.0.1"));
	CU_ASSERT_FALSE(prefix_holds("10.98.0.1", 24, ""));
	CU_ASSERT_FALSE(prefix_holds("10.98.0.1", 24, "10.98.0.1,x"));
	CU_ASSERT_FALSE(prefix_holds("10.98.0.1", 33, "10.98.0.1"));
}

static struct hv_vif_state vif(const char *mac, const char *ip)
{
	struct hv_vif_state v = {0};

	snprintf(v.mac, sizeof(v.mac), "%s", mac);
	snprintf(v.ip, sizeof(v.ip), "%s", ip);
	return v;
}

/* Only a vif with a MAC and an address of the subnet, other than the
 * service's own, is answered; each once. */
static void test_hosts_lines(void)
{
	struct dhcp d = {.addr = "10.98.0.251", .prefix = 24};
	struct hv_vif_state vifs[] = {
	    vif("00:16:3e:00:00:01", "10.98.0.5"),
	    vif("00:16:3e:00:00:02", ""),	     /* static, its own */
	    vif("", "10.98.0.7"),		     /* no MAC */
	    vif("00:16:3e:00:00:03", "10.97.0.5"),   /* outside */
	    vif("00:16:3e:00:00:04", "10.98.0.251"), /* the service's */
	    vif("00:16:3e:00:00:01", "10.98.0.5"),   /* the same again */
	    vif("00:16:3e:00:00:05", "10.98.0.6"),
	};
	char *text = dhcp_hosts_lines(&d, vifs, 7);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "00:16:3e:00:00:01,10.98.0.5\n"
				     "00:16:3e:00:00:05,10.98.0.6\n");
	free(text);
	text = dhcp_hosts_lines(&d, vifs, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "");
	free(text);
}

/* What the lines come from: a configuration's vifs, ip= included. */
static void test_config_vifs_ip(void)
{
	static const char cfg[] =
	    "name = \"g\"\nkernel = \"/k\"\n"
	    "vif = [ 'mac=00:16:3e:00:00:0a,bridge=xenbr0,ip=10.98.0.40', "
	    "'mac=00:16:3e:00:00:0b' ]\n";
	struct hv_vif_state vifs[HV_VIFS_MAX];
	struct dhcp d = {.addr = "10.98.0.251", .prefix = 24};
	char err[BL_ERRMSG_MAX], *text;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(
	    hv_config_vifs(cfg, strlen(cfg), vifs, &n, err, sizeof(err)),
	    BL_OK);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(vifs[0].ip, "10.98.0.40");
	CU_ASSERT_STRING_EQUAL(vifs[1].ip, "");
	text = dhcp_hosts_lines(&d, vifs, n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_STRING_EQUAL(text, "00:16:3e:00:00:0a,10.98.0.40\n");
	free(text);
}

void suite_dhcp(void)
{
	CU_pSuite s = CU_add_suite("dhcp", NULL, NULL);

	CU_add_test(s, "--guest-dhcp", test_parse);
	CU_add_test(s, "an address in a subnet", test_prefix_holds);
	CU_add_test(s, "hosts lines: only what may be answered",
		    test_hosts_lines);
	CU_add_test(s, "hosts lines: from a configuration's vifs",
		    test_config_vifs_ip);
}
