/* Boot profiles (blanket/profile.c): the golden profile of every recorded
 * probe, and the rules' arithmetic and refusals. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/golden.h"
#include "blanket/profile.h"
#include "tests/unit/suites.h"

static void test_golden_profiles(void)
{
	for (size_t i = 0; i < n_goldens; i++) {
		const struct golden *g = &goldens[i];
		struct probe_result res;
		struct profile pf;
		const char *why = NULL;
		char *want = golden_read(g->name, ".profile");
		char *got = NULL;
		size_t len = 0;
		FILE *f;

		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		CU_ASSERT_EQUAL_FATAL(golden_probe(g->name, &res), BL_OK);
		CU_ASSERT_EQUAL_FATAL(
		    profile_build(&res, g->memory_mb, g->cpus, &pf, &why),
		    BL_OK);
		f = open_memstream(&got, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		profile_print(f, &pf);
		fclose(f);
		if (strcmp(want, got))
			fprintf(stderr, "\n%s.profile differs; got:\n%s",
				g->name, got);
		CU_ASSERT_STRING_EQUAL(got, want);
		free(want);
		free(got);
	}
}

/* dom0 gets an eighth of RAM within [512 MiB, 4 GiB], at most 4 vCPUs. */
static void test_dom0_size(void)
{
	static const struct {
		long memory_mb;
		int cpus;
		long dom0_mb;
		int dom0_vcpus;
		const char *words;
	} cases[] = {
	    {768, 1, 512, 1, "dom0_mem=512M,max:512M dom0_max_vcpus=1"},
	    {4096, 2, 512, 2, "dom0_mem=512M,max:512M dom0_max_vcpus=2"},
	    {16384, 8, 2048, 4, "dom0_mem=2048M,max:2048M dom0_max_vcpus=4"},
	    {262144, 64, 4096, 4, "dom0_mem=4096M,max:4096M dom0_max_vcpus=4"},
	};
	struct probe_result res;

	CU_ASSERT_EQUAL_FATAL(golden_probe("kvm-cloud", &res), BL_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct profile pf;
		const char *why = NULL;

		CU_ASSERT_EQUAL_FATAL(profile_build(&res, cases[i].memory_mb,
						    cases[i].cpus, &pf, &why),
				      BL_OK);
		CU_ASSERT_EQUAL(pf.dom0_mb, cases[i].dom0_mb);
		CU_ASSERT_EQUAL(pf.dom0_vcpus, cases[i].dom0_vcpus);
		CU_ASSERT_PTR_NOT_NULL(strstr(pf.xen_cmdline, cases[i].words));
		CU_ASSERT_PTR_NOT_NULL(strstr(pf.grub_entry, pf.xen_cmdline));
	}
}

static void test_refusals(void)
{
	struct probe_result res;
	struct profile pf;
	const char *why = NULL;

	/* A dom0's MemTotal and CPUs are its own, never the instance's. */
	CU_ASSERT_EQUAL_FATAL(golden_probe("lab-dom0", &res), BL_OK);
	CU_ASSERT_EQUAL(profile_build(&res, 0, 0, &pf, &why), BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "dom0"));
	CU_ASSERT_EQUAL(profile_build(&res, 2048, 0, &pf, &why), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(profile_build(&res, 2048, 2, &pf, &why), BL_OK);

	golden_probe_text("blanket-probe-record 1\nend\n", &res);
	CU_ASSERT_EQUAL(profile_build(&res, 0, 0, &pf, &why), BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "--memory-mb"));
	CU_ASSERT_EQUAL(
	    profile_build(&res, PROFILE_MIN_MEMORY_MB - 1, 1, &pf, &why),
	    BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "too little"));

	/* A CPU Xen does not run on. */
	CU_ASSERT_EQUAL_FATAL(golden_probe("kvm-cloud", &res), BL_OK);
	snprintf(res.cpu_vendor, sizeof(res.cpu_vendor), "VIA VIA VIA ");
	CU_ASSERT_EQUAL(profile_build(&res, 0, 0, &pf, &why), BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "vendor"));
}

/* Options override the probe's size one by one. */
static void test_override(void)
{
	struct probe_result res;
	struct profile pf;
	const char *why = NULL;

	CU_ASSERT_EQUAL_FATAL(golden_probe("gce", &res), BL_OK);
	CU_ASSERT_EQUAL_FATAL(profile_build(&res, 0, 1, &pf, &why), BL_OK);
	CU_ASSERT_EQUAL(pf.memory_mb, res.memory_mb);
	CU_ASSERT_EQUAL(pf.cpus, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(pf.xen_cmdline, "dom0_max_vcpus=1"));
}

/* Words added by --xen-args and --dom0-args reach the GRUB entry; what
 * GRUB would read as script is refused and leaves the profile as it was. */
static void test_added_args(void)
{
	struct probe_result res;
	struct profile pf, before;
	const char *why = NULL;
	char long_args[PROFILE_CMDLINE_MAX];

	CU_ASSERT_EQUAL_FATAL(golden_probe("kvm-cloud", &res), BL_OK);
	CU_ASSERT_EQUAL_FATAL(profile_build(&res, 0, 0, &pf, &why), BL_OK);
	CU_ASSERT_EQUAL(
	    profile_add_args(&pf, "iommu=off", "init=/bin/false", &why), BL_OK);
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(pf.grub_entry, "scrub-domheap iommu=off\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(pf.grub_entry, "console=hvc0 init=/bin/false\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(pf.grub_entry, "--id blanket-node {"));
	CU_ASSERT_EQUAL(profile_add_args(&pf, NULL, "", &why), BL_OK);

	before = pf;
	CU_ASSERT_EQUAL(profile_add_args(&pf, "ok", "x; reboot", &why),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "--dom0-args"));
	CU_ASSERT_EQUAL(profile_add_args(&pf, "a\nmenuentry", NULL, &why),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "--xen-args"));
	CU_ASSERT_EQUAL(profile_add_args(&pf, "$root", NULL, &why),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(profile_add_args(&pf, "}", NULL, &why), BL_ERR_INVAL);
	memset(long_args, 'a', sizeof(long_args) - 1);
	long_args[sizeof(long_args) - 1] = '\0';
	CU_ASSERT_EQUAL(profile_add_args(&pf, NULL, long_args, &why),
			BL_ERR_INVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "too long"));
	CU_ASSERT_EQUAL(memcmp(&before, &pf, sizeof(pf)), 0);
}

void suite_profile(void)
{
	CU_pSuite s = CU_add_suite("node boot-profile", NULL, NULL);

	CU_add_test(s, "golden profiles", test_golden_profiles);
	CU_add_test(s, "dom0 size", test_dom0_size);
	CU_add_test(s, "refusals", test_refusals);
	CU_add_test(s, "added command line words", test_added_args);
	CU_add_test(s, "override", test_override);
}
