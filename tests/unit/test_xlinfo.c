/* `xl info` parsing (blanket/xlinfo.c) and the node check's verdicts
 * (blanket/check.c), and Xen's command line (toolstack/hv/hv_cmdline.c).
 *
 * tests/golden/xl-info/ holds the output of plain `xl info` on a lab node
 * under each Debian hypervisor: the virt_caps lines as measured in the lab
 * (4.17.5 from bookworm: "pv shadow gnttab-v1 gnttab-v2"; 4.17.7 from
 * bookworm-security: "pv gnttab-v1 gnttab-v2"), the other lines in xl's
 * format (tools/xl/xl_info.c) with the node's values from its boot log. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "blanket/check.h"
#include "tests/unit/golden.h"
#include "tests/unit/suites.h"
#include "toolstack/hv/hv_cmdline.h"
#include "blanket/xlinfo.h"

#define XL_DIR "tests/golden/xl-info/"

static int parse(const char *text, struct xl_info *xi, int *line,
		 const char **why)
{
	*line = 0;
	*why = NULL;
	return xlinfo_parse(text, strlen(text), xi, line, why);
}

static void test_debian_builds(void)
{
	struct xl_info xi;

	CU_ASSERT_EQUAL_FATAL(xlinfo_load(XL_DIR "debian-4.17.5.txt", &xi),
			      BL_OK);
	CU_ASSERT_EQUAL(xi.xen_major, 4);
	CU_ASSERT_EQUAL(xi.xen_minor, 17);
	CU_ASSERT_STRING_EQUAL(xi.xen_extra, ".5");
	CU_ASSERT_STRING_EQUAL(xi.virt_caps, "pv shadow gnttab-v1 gnttab-v2");
	CU_ASSERT_EQUAL(xi.total_memory, 1023);
	CU_ASSERT_EQUAL(xi.free_memory, 495);
	CU_ASSERT_EQUAL(xi.nr_cpus, 1);
	CU_ASSERT_EQUAL(xi.nhw_caps, 8);
	CU_ASSERT(xlinfo_has_cap(&xi, "pv"));
	CU_ASSERT(xlinfo_has_cap(&xi, "shadow"));
	CU_ASSERT_FALSE(xlinfo_has_cap(&xi, "hvm"));
	CU_ASSERT_FALSE(xlinfo_cpu_has_hvm(&xi));

	CU_ASSERT_EQUAL_FATAL(xlinfo_load(XL_DIR "debian-4.17.7.txt", &xi),
			      BL_OK);
	CU_ASSERT_STRING_EQUAL(xi.xen_extra, ".7");
	CU_ASSERT(xlinfo_has_cap(&xi, "pv"));
	CU_ASSERT_FALSE(xlinfo_has_cap(&xi, "shadow"));
}

/* What a host with VT-x prints (Xen's format, every capability). */
static const char hvm_host[] =
    "nr_cpus                : 8\n"
    "hw_caps                : "
    "bfebfbff:77fafbff:2c100800:00000121:0000000f:009c6fbf:00000000:00000100\n"
    "virt_caps              : pv hvm hvm_directio pv_directio hap shadow "
    "iommu_hap_pt_share vmtrace gnttab-v1 gnttab-v2\n"
    "total_memory           : 32631\n"
    "free_memory            : 27001\n"
    "xen_major              : 4\n"
    "xen_minor              : 17\n"
    "xen_extra              : .5\n"
    "xen_changeset          : \n";

static void test_caps_words(void)
{
	struct xl_info xi;
	const char *why;
	int line;

	CU_ASSERT_EQUAL_FATAL(parse(hvm_host, &xi, &line, &why), BL_OK);
	CU_ASSERT(xlinfo_has_cap(&xi, "hvm"));
	CU_ASSERT(xlinfo_cpu_has_hvm(&xi));
	/* Whole words only: pv_directio is not pv, hvm_directio not hvm. */
	CU_ASSERT_EQUAL_FATAL(
	    parse("nr_cpus : 1\nvirt_caps : pv_directio hvm_directio\n"
		  "total_memory : 1\nfree_memory : 1\nxen_major : 4\n"
		  "xen_minor : 17\nxen_extra :\n",
		  &xi, &line, &why),
	    BL_OK);
	CU_ASSERT_FALSE(xlinfo_has_cap(&xi, "pv"));
	CU_ASSERT_FALSE(xlinfo_has_cap(&xi, "hvm"));
	CU_ASSERT_STRING_EQUAL(xi.xen_extra, "");
	CU_ASSERT_EQUAL(xi.nhw_caps, 0);
}

static void test_rejects(void)
{
	static const struct {
		const char *text;
		int line;
	} bad[] = {
	    /* Each required key missing: reported past the last line. */
	    {"nr_cpus : 1\n", 2},
	    {"", 1},
	    /* Not "key : value". */
	    {"nr_cpus 1\n", 1},
	    {"   0:    1023\n", 1},
	    {"device topology        :\n", 1},
	    /* Bad values. */
	    {"nr_cpus : one\n", 1},
	    {"nr_cpus : 0\n", 1},
	    {"nr_cpus : 4 cpus\n", 1},
	    {"free_memory : -5\n", 1},
	    {"xen_major : 99999999999999999999\n", 1},
	    {"virt_caps : pv,shadow\n", 1},
	    {"virt_caps : PV\n", 1},
	    {"hw_caps : 1234:5678\n", 1},
	    {"hw_caps : 0f8bfbff:\n", 1},
	    {"xen_extra : \x01\n", 1},
	    {"host : a\nnr_cpus : 1\nnr_cpus : 1\n", 3},
	};
	struct xl_info xi;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why;
		int line;

		CU_ASSERT_EQUAL(parse(bad[i].text, &xi, &line, &why),
				BL_ERR_INVAL);
		CU_ASSERT_EQUAL(line, bad[i].line);
		CU_ASSERT_PTR_NOT_NULL(why);
	}
}

/* A hypervisor built without shadow paging, the verdicts of `node check`
 * and their fixes. */
static void test_check_verdicts(void)
{
	struct probe_result dom0, plain;
	struct check_result c;
	struct xl_info xi;
	const char *why;
	int line;

	CU_ASSERT_EQUAL_FATAL(golden_probe("lab-dom0", &dom0), BL_OK);
	CU_ASSERT_EQUAL_FATAL(golden_probe("ec2-nitro", &plain), BL_OK);

	CU_ASSERT_EQUAL_FATAL(xlinfo_load(XL_DIR "debian-4.17.5.txt", &xi),
			      BL_OK);
	check_run(&dom0, &xi, &c);
	CU_ASSERT(check_ready(&c));
	CU_ASSERT_FALSE(c.ok[CHECK_HVM]);
	CU_ASSERT_PTR_NOT_NULL(strstr(c.why[CHECK_HVM], "no VT-x/SVM"));

	CU_ASSERT_EQUAL_FATAL(xlinfo_load(XL_DIR "debian-4.17.7.txt", &xi),
			      BL_OK);
	check_run(&dom0, &xi, &c);
	CU_ASSERT_FALSE(check_ready(&c));
	CU_ASSERT(c.ok[CHECK_PV]);
	CU_ASSERT_FALSE(c.ok[CHECK_MIGRATE]);
	CU_ASSERT_STRING_EQUAL(c.why[CHECK_MIGRATE],
			       "hypervisor lacks shadow paging: PV live "
			       "migration impossible; boot the blanket "
			       "hypervisor (make xen)");

	/* VT-x on the CPU but no hvm: the build left HVM out. */
	CU_ASSERT_EQUAL_FATAL(parse(hvm_host, &xi, &line, &why), BL_OK);
	strcpy(xi.virt_caps, "pv shadow");
	check_run(&dom0, &xi, &c);
	CU_ASSERT(check_ready(&c));
	CU_ASSERT_PTR_NOT_NULL(strstr(c.why[CHECK_HVM], "built without HVM"));

	check_run(&plain, NULL, &c);
	CU_ASSERT_FALSE(check_ready(&c));
	CU_ASSERT_STRING_EQUAL(c.why[CHECK_XEN],
			       "not running under Xen: boot the node into the "
			       "blanket hypervisor");
	check_run(&dom0, NULL, &c);
	CU_ASSERT_FALSE(check_ready(&c));
	CU_ASSERT_PTR_NOT_NULL(strstr(c.why[CHECK_XEN], "--xl-info"));
}

/* Boolean options as Xen reads them, and when its pages come zeroed. */
static void test_xen_cmdline(void)
{
	static const struct {
		const char *cmdline;
		int want;
	} cases[] = {
	    {"", -1},
	    {"scrub-domheap", 1},
	    {"console=com1 scrub-domheap noreboot", 1},
	    {"scrub-domheap=0", 0},
	    {"scrub-domheap=enable", 1},
	    {"scrub-domheap=maybe", -1}, /* Xen ignores it */
	    {"scrub-domheap no-scrub-domheap", 0},
	    {"no-scrub-domheap scrub-domheap=yes", 1},
	    {"no-scrub-domheap=0", 1},
	    {"scrub_domheap", -1}, /* Xen does not fold _ into - */
	    {"xscrub-domheap scrub-domheapx", -1},
	    {"  scrub-domheap  ", 1},
	    {"no-", -1},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CU_ASSERT_EQUAL(
		    hv_cmdline_bool(cases[i].cmdline, "scrub-domheap", -1),
		    cases[i].want);
	CU_ASSERT_TRUE(
	    hv_zeroed_pages("4.17.5-blanket", "dom0_mem=512M scrub-domheap"));
	CU_ASSERT_TRUE(
	    hv_zeroed_pages("4.17.5-blanket", "bootscrub=idle scrub-domheap"));
	CU_ASSERT_FALSE(hv_zeroed_pages("4.17.5-blanket", "dom0_mem=512M"));
	CU_ASSERT_FALSE(
	    hv_zeroed_pages("4.17.5-blanket", "scrub-domheap bootscrub=off"));
	CU_ASSERT_FALSE(
	    hv_zeroed_pages("4.17.5-blanket", "scrub-domheap no-bootscrub"));
	CU_ASSERT_FALSE(hv_zeroed_pages("4.17.7", "scrub-domheap"));
	CU_ASSERT_FALSE(hv_zeroed_pages("-blanket4.17", "scrub-domheap"));
}

void suite_xlinfo(void)
{
	CU_pSuite s = CU_add_suite("node check and xl info", NULL, NULL);

	CU_add_test(s, "Debian builds", test_debian_builds);
	CU_add_test(s, "capability words", test_caps_words);
	CU_add_test(s, "rejects", test_rejects);
	CU_add_test(s, "check verdicts", test_check_verdicts);
	CU_add_test(s, "Xen's command line", test_xen_cmdline);
}
