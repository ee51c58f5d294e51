/* Each unit test file registers one CUnit suite. */
#ifndef BL_TEST_SUITES_H
#define BL_TEST_SUITES_H

void suite_ctl(void);
void suite_state(void);
void suite_node(void);
void suite_xlcfg(void);
void suite_cluster(void);
void suite_tls(void);
void suite_rpc(void);
void suite_probe(void);
void suite_profile(void);
void suite_xlinfo(void);
void suite_mig(void);
void suite_mig_rec(void);
void suite_rate(void);
void suite_cli(void);
void suite_ledger(void);
void suite_access(void);
void suite_names(void);
void suite_policy(void);
void suite_sandbox(void);
void suite_blk(void);
void suite_blk_mirror(void);
void suite_blk_xenbus(void);
void suite_disk_migrate(void);
void suite_overlay(void);
void suite_dhcp(void);
void suite_precopy(void);
void suite_elide(void);
void suite_delta(void);
void suite_enrol(void);
void suite_bench(void);
void suite_bench_workload(void);

#endif
