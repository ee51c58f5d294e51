/* Unit test runner: every suite, CUnit's basic interface and summary. */
#include <CUnit/Basic.h>

#include "tests/unit/suites.h"

int main(void)
{
	unsigned int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite_ctl();
	suite_state();
	suite_node();
	suite_xlcfg();
	suite_cluster();
	suite_tls();
	suite_rpc();
	suite_probe();
	suite_profile();
	suite_xlinfo();
	suite_mig();
	suite_mig_rec();
	suite_rate();
	suite_cli();
	suite_ledger();
	suite_access();
	suite_names();
	suite_policy();
	suite_sandbox();
	suite_blk();
	suite_blk_mirror();
	suite_blk_xenbus();
	suite_disk_migrate();
	suite_overlay();
	suite_dhcp();
	suite_precopy();
	suite_elide();
	suite_delta();
	suite_enrol();
	suite_bench();
	suite_bench_workload();
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures ? 1 : 0;
}
