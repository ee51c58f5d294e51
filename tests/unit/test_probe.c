/* L0 detection (blanket/probe*.c): golden probes, the record format's
 * round trip, its rejections with line numbers, and the detection rules. */
#include <CUnit/CUnit.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/golden.h"
#include "blanket/probe.h"
#include "tests/unit/suites.h"

#define HEADER "blanket-probe-record 1\n"

/* The JSON of res, malloc'd. */
static char *json_of(const struct probe_result *res)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	probe_print_json(f, res);
	fclose(f);
	return buf;
}

static void test_golden_probes(void)
{
	for (size_t i = 0; i < n_goldens; i++) {
		struct probe_result res;
		char *want = golden_read(goldens[i].name, ".probe.json");
		char *got;

		CU_ASSERT_PTR_NOT_NULL_FATAL(want);
		CU_ASSERT_EQUAL_FATAL(golden_probe(goldens[i].name, &res),
				      BL_OK);
		got = json_of(&res);
		if (strcmp(want, got))
			fprintf(stderr, "\n%s.probe.json differs; got:\n%s",
				goldens[i].name, got);
		CU_ASSERT_STRING_EQUAL(got, want);
		free(want);
		free(got);
	}
}

/* A golden record nobody checks is worse than none. */
static void test_golden_list_complete(void)
{
	glob_t g;

	CU_ASSERT_EQUAL_FATAL(glob(GOLDEN_DIR "*.record", 0, NULL, &g), 0);
	CU_ASSERT_EQUAL(g.gl_pathc, n_goldens);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		bool listed = false;

		for (size_t k = 0; k < n_goldens; k++) {
			char path[256];

			snprintf(path, sizeof(path), GOLDEN_DIR "%s.record",
				 goldens[k].name);
			listed = listed || !strcmp(path, g.gl_pathv[i]);
		}
		CU_ASSERT(listed);
	}
	globfree(&g);
}

/* Record a recorded machine: what the tee writes probes the same. */
static void test_record_round_trip(void)
{
	for (size_t i = 0; i < n_goldens; i++) {
		struct probe_record *rec = NULL;
		struct probe_result direct, again;
		struct probe_tee tee;
		struct probe_src src;
		char path[256], *text = NULL, *a, *b;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		snprintf(path, sizeof(path), GOLDEN_DIR "%s.record",
			 goldens[i].name);
		CU_ASSERT_EQUAL_FATAL(probe_record_load(path, &rec), BL_OK);
		src = probe_tee_begin(&tee, probe_record_src(rec), f);
		probe_run(&src, &direct);
		CU_ASSERT_EQUAL(probe_tee_end(&tee), BL_OK);
		fclose(f);
		probe_record_free(rec);
		golden_probe_text(text, &again);
		a = json_of(&direct);
		b = json_of(&again);
		CU_ASSERT_STRING_EQUAL(a, b);
		free(a);
		free(b);
		free(text);
	}
}

/* Values with spaces at their ends, backslashes and control bytes survive
 * a record's escapes both ways. */
static void test_escapes(void)
{
	static const char text[] =
	    HEADER "file /sys/class/dmi/id/sys_vendor \\x20A\\\\B C\\x09\\x20\n"
		   "end\n";
	struct probe_record *rec = NULL, *back = NULL;
	struct probe_tee tee;
	struct probe_src src, src2;
	const char *why = NULL;
	char buf[64], *out = NULL;
	size_t len = 0;
	int line = 0;
	FILE *f;

	CU_ASSERT_EQUAL_FATAL(
	    probe_record_parse(text, strlen(text), &rec, &line, &why), BL_OK);
	src = probe_record_src(rec);
	CU_ASSERT_EQUAL(src.ops->read_file(src.ctx,
					   "/sys/class/dmi/id/sys_vendor", buf,
					   sizeof(buf)),
			BL_OK);
	CU_ASSERT_STRING_EQUAL(buf, " A\\B C\t ");
	CU_ASSERT_EQUAL(
	    src.ops->read_file(src.ctx, "/nonexistent", buf, sizeof(buf)),
	    BL_ERR_NOTFOUND);

	f = open_memstream(&out, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	src2 = probe_tee_begin(&tee, src, f);
	CU_ASSERT_EQUAL(src2.ops->read_file(src2.ctx,
					    "/sys/class/dmi/id/sys_vendor", buf,
					    sizeof(buf)),
			BL_OK);
	CU_ASSERT_EQUAL(probe_tee_end(&tee), BL_OK);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(out, text);
	CU_ASSERT_EQUAL(probe_record_parse(out, len, &back, &line, &why),
			BL_OK);
	probe_record_free(back);
	probe_record_free(rec);
	free(out);
}

/* Each bad record, the line its error names, and a word of the reason. */
static void test_rejects(void)
{
	static const struct {
		const char *text;
		int line;
		const char *why;
	} bad[] = {
	    {"", 1, "empty"},
	    {"# only a comment\n\n", 3, "empty"},
	    {"blanket-probe-record 2\nend\n", 1, "version"},
	    {"blanket-probe-record\nend\n", 1, "version"},
	    {"probe-record 1\nend\n", 1, "first line"},
	    {HEADER "cpuid 4000000g 00000000 0 0 0 0\nend\n", 2, "hex"},
	    {HEADER "cpuid 40000000 00000000 00000000 00000000 00000000\n", 2,
	     "wants"},
	    {HEADER "cpuid 40000000 00000000 00000000 00000000 00000000 "
		    "00000000 00000000\nend\n",
	     2, "too many"},
	    {HEADER "cpuid 40000000 0 00000000 00000000 00000000 00000000\n", 2,
	     "hex"},
	    {HEADER "cpuid 40000000  00000000 00000000 00000000 00000000 "
		    "00000000\n",
	     2, "hex"},
	    {HEADER "dir /sys/bus/pci/devices 0000:00:01.0 extra\nend\n", 2,
	     "too many"},
	    {HEADER "dir /sys/bus/pci/devices\nend\n", 2, "wants"},
	    {HEADER "dir /sys/bus/pci/devices ..\nend\n", 2, "entry"},
	    {HEADER "dir sys/bus 0000:00:01.0\nend\n", 2, "absolute"},
	    {HEADER "file\nend\n", 2, "wants"},
	    {HEADER "file /a x\nfile /a y\nend\n", 3, "twice"},
	    {HEADER "file /a \\q\nend\n", 2, "escape"},
	    {HEADER "file /a \\x0\nend\n", 2, "escape"},
	    {HEADER "file /a \\x00\nend\n", 2, "\\x00"},
	    {HEADER "file /a tab\there\nend\n", 2, "\\xHH"},
	    {HEADER "file /a caf\xc3\xa9\nend\n", 2, "\\xHH"},
	    {HEADER "frobnicate 1\nend\n", 2, "unknown keyword"},
	    {HEADER "blanket-probe-record 1\nend\n", 2, "second header"},
	    {HEADER "end now\n", 2, "no fields"},
	    {HEADER "end\nfile /a b\n", 3, "after the end"},
	    {HEADER "file /a b\n", 3, "no end line"},
	    {HEADER "file /a b\nend", 3, "no newline"},
	    {HEADER "file /sys/class/dmi/id/sys_vendor Ama", 2, "no newline"},
	    {HEADER "cpuid 00000001 00000000 00000000\n", 2, "wants"},
	};
	struct probe_record *rec = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		int line = 0;

		CU_ASSERT_EQUAL(probe_record_parse(bad[i].text,
						   strlen(bad[i].text), &rec,
						   &line, &why),
				BL_ERR_INVAL);
		CU_ASSERT_PTR_NULL(rec);
		CU_ASSERT_EQUAL(line, bad[i].line);
		CU_ASSERT_PTR_NOT_NULL_FATAL(why);
		if (line != bad[i].line || !strstr(why, bad[i].why))
			fprintf(stderr, "\nbad[%zu]: line %d: %s\n", i, line,
				why);
		CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[i].why));
	}
}

/* Bytes a text editor would not show: NUL inside a line. */
static void test_reject_nul(void)
{
	static const char text[] = HEADER "file /a b\0c\nend\n";
	struct probe_record *rec = NULL;
	const char *why = NULL;
	int line = 0;

	CU_ASSERT_EQUAL(
	    probe_record_parse(text, sizeof(text) - 1, &rec, &line, &why),
	    BL_ERR_INVAL);
	CU_ASSERT_EQUAL(line, 2);
	CU_ASSERT_STRING_EQUAL(why, "NUL byte");
}

/* Text of n lines made by fmt(i), between a header and an end. */
static char *lines_of(int n, const char *fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(HEADER, f);
	for (int i = 0; i < n; i++)
		fprintf(f, fmt, i);
	fputs("end\n", f);
	fclose(f);
	return buf;
}

static void test_limits(void)
{
	struct probe_record *rec = NULL;
	const char *why = NULL;
	char *text, *big;
	int line = 0;
	size_t len;

	/* The most items a record may hold, then one more. */
	text = lines_of(PROBE_REC_MAX_ITEMS, "file /f%d x\n");
	CU_ASSERT_EQUAL(
	    probe_record_parse(text, strlen(text), &rec, &line, &why), BL_OK);
	probe_record_free(rec);
	rec = NULL;
	free(text);
	text = lines_of(PROBE_REC_MAX_ITEMS + 1, "file /f%d x\n");
	CU_ASSERT_EQUAL(
	    probe_record_parse(text, strlen(text), &rec, &line, &why),
	    BL_ERR_INVAL);
	CU_ASSERT_EQUAL(line, 2 + PROBE_REC_MAX_ITEMS);
	free(text);

	/* A line of exactly the limit, newline included, and one byte more. */
	big = malloc(PROBE_REC_MAX_LINE + 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	for (int extra = 0; extra < 2; extra++) {
		len = (size_t)sprintf(big, HEADER "# ");
		memset(big + len, 'x', PROBE_REC_MAX_LINE - 3 + extra);
		len += PROBE_REC_MAX_LINE - 3 + (size_t)extra;
		len += (size_t)sprintf(big + len, "\nend\n");
		rec = NULL;
		CU_ASSERT_EQUAL(probe_record_parse(big, len, &rec, &line, &why),
				extra ? BL_ERR_INVAL : BL_OK);
		if (extra)
			CU_ASSERT_EQUAL(line, 2);
		probe_record_free(rec);
	}
	free(big);

	/* A value decodes to at most 255 bytes. */
	text = lines_of(1, "file /a %0300d\n");
	rec = NULL;
	CU_ASSERT_EQUAL(
	    probe_record_parse(text, strlen(text), &rec, &line, &why),
	    BL_ERR_INVAL);
	CU_ASSERT_EQUAL(line, 2);
	free(text);

	/* Over 1 MiB is refused before it is read. */
	CU_ASSERT_EQUAL(probe_record_parse(HEADER, PROBE_REC_MAX_BYTES + 1,
					   &rec, &line, &why),
			BL_ERR_INVAL);
	CU_ASSERT_STRING_EQUAL(why, "record larger than 1 MiB");
}

static void test_load_names_file(void)
{
	struct probe_record *rec = NULL;

	CU_ASSERT_EQUAL(probe_record_load("tests/golden/none.record", &rec),
			BL_ERR_NOTFOUND);
	CU_ASSERT_PTR_NULL(rec);
}

/* ---- detection rules ---- */

#define CPUID_HV                                                               \
	"cpuid 00000000 00000000 0000000d 756e6547 6c65746e 49656e69\n"        \
	"cpuid 00000001 00000000 000306f2 00020800 80000000 00000000\n"
#define SIG_XEN	   "566e6558 65584d4d 4d4d566e\n"
#define SIG_KVM	   "4b4d564b 564b4d56 0000004d\n"
#define SIG_HYPERV "7263694d 666f736f 76482074\n"

static void test_l0_choice(void)
{
	struct probe_result res;

	/* Xen with viridian: Hyper-V's leaves first, Xen's at 0x100. */
	golden_probe_text(HEADER CPUID_HV
			  "cpuid 40000000 00000000 40000005 " SIG_HYPERV
			  "cpuid 40000100 00000000 40000105 " SIG_XEN "end\n",
			  &res);
	CU_ASSERT_EQUAL(res.nsigs, 2);
	CU_ASSERT_EQUAL(res.sig[0].hv, PROBE_HV_HYPERV);
	CU_ASSERT_EQUAL(res.sig[1].leaf, 0x40000100);
	CU_ASSERT_EQUAL(res.l0, PROBE_HV_XEN);

	/* A dom0 that still sees its L0's leaves after its own. */
	golden_probe_text(HEADER CPUID_HV
			  "cpuid 40000000 00000000 40000005 " SIG_XEN
			  "cpuid 40000100 00000000 40000101 " SIG_KVM
			  "file /proc/xen/capabilities control_d\nend\n",
			  &res);
	CU_ASSERT(res.dom0);
	CU_ASSERT(res.sig0_own);
	CU_ASSERT_EQUAL(res.l0, PROBE_HV_KVM);
	CU_ASSERT_FALSE(probe_nested_known(&res));

	/* Xen's leaves in a domU are the L0's: not this node's own. */
	golden_probe_text(HEADER CPUID_HV
			  "cpuid 40000000 00000000 40000005 " SIG_XEN
			  "file /proc/xen/capabilities\nend\n",
			  &res);
	CU_ASSERT_FALSE(res.dom0);
	CU_ASSERT_FALSE(res.sig0_own);
	CU_ASSERT_EQUAL(res.l0, PROBE_HV_XEN);

	/* The hypervisor bit without a signature. */
	golden_probe_text(HEADER CPUID_HV "end\n", &res);
	CU_ASSERT_EQUAL(res.l0, PROBE_HV_UNNAMED);

	/* No hypervisor bit: leaves past the basic ones are not looked at. */
	golden_probe_text(HEADER
			  "cpuid 00000000 00000000 0000000d 756e6547 6c65746e "
			  "49656e69\ncpuid 40000000 00000000 40000001 " SIG_KVM
			  "end\n",
			  &res);
	CU_ASSERT_EQUAL(res.l0, PROBE_HV_NONE);
	CU_ASSERT_EQUAL(res.nsigs, 0);
	CU_ASSERT_STRING_EQUAL(res.cpu_vendor, "GenuineIntel");

	/* An unknown signature counts when it looks like one, not when its
	 * bytes or its EAX are garbage. */
	golden_probe_text(HEADER CPUID_HV
			  "cpuid 40000000 00000000 40000001 4e524341 4e524341 "
			  "4e524341\n"
			  "cpuid 40000100 00000000 40000101 01020304 00000000 "
			  "00000000\n"
			  "cpuid 40000200 00000000 00000007 4e524341 4e524341 "
			  "4e524341\nend\n",
			  &res);
	CU_ASSERT_EQUAL(res.nsigs, 1);
	CU_ASSERT_EQUAL(res.l0, PROBE_HV_OTHER);
	CU_ASSERT_STRING_EQUAL(res.sig[0].text, "ACRNACRNACRN");
}

static void test_cloud_rules(void)
{
	static const struct {
		const char *dmi;
		enum probe_cloud cloud;
	} cases[] = {
	    /* Hyper-V, but not Azure: no Azure asset tag. */
	    {"file /sys/class/dmi/id/sys_vendor Microsoft Corporation\n",
	     PROBE_CLOUD_UNKNOWN},
	    {"file /sys/class/dmi/id/bios_version 4.2.AMAZON\n",
	     PROBE_CLOUD_EC2},
	    {"file /sys/class/dmi/id/sys_vendor VMware, Inc.\n",
	     PROBE_CLOUD_VMWARE},
	    {"file /sys/class/dmi/id/sys_vendor Xen\n", PROBE_CLOUD_XEN},
	    /* Trailing blanks, as some firmware pads them, do not count. */
	    {"file /sys/class/dmi/id/sys_vendor QEMU\\x20\\x20\n",
	     PROBE_CLOUD_QEMU},
	    {"", PROBE_CLOUD_UNKNOWN},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct probe_result res;
		char text[512];

		snprintf(text, sizeof(text), HEADER "%send\n", cases[i].dmi);
		golden_probe_text(text, &res);
		CU_ASSERT_EQUAL(res.cloud, cases[i].cloud);
	}
}

static void test_devices_and_size(void)
{
	struct probe_result res;

	golden_probe_text(
	    HEADER "dir /sys/bus/pci/devices 0000:00:02.0\n"
		   "dir /sys/bus/pci/devices 0000:00:01.0\n"
		   /* Not a PCI address: skipped, not a path to follow. */
		   "dir /sys/bus/pci/devices ..x\n"
		   "file /sys/bus/pci/devices/0000:00:01.0/vendor 0x8086\n"
		   "file /sys/bus/pci/devices/0000:00:01.0/device 0x10d3\n"
		   "file /sys/bus/pci/devices/0000:00:02.0/vendor 0x1ae0\n"
		   "file /sys/bus/pci/devices/0000:00:02.0/device 0x001f\n"
		   "file /sys/bus/pci/devices/0000:00:02.0/class 0x010802\n"
		   "file /proc/meminfo MemTotal: 2097152 kB\n"
		   "file /sys/devices/system/cpu/online 0-3,8,10-11\n"
		   "end\n",
	    &res);
	CU_ASSERT_EQUAL(res.npci, 2);
	CU_ASSERT_STRING_EQUAL(res.pci[0].slot, "0000:00:01.0");
	CU_ASSERT_EQUAL(res.devices[PROBE_DEV_E1000E], 1);
	CU_ASSERT_EQUAL(res.devices[PROBE_DEV_NVME], 1);
	CU_ASSERT_EQUAL(res.memory_mb, 2048);
	CU_ASSERT_EQUAL(res.cpus, 7);

	/* Malformed sizes and ids are unknown, not guessed. */
	golden_probe_text(
	    HEADER "dir /sys/bus/pci/devices 0000:00:01.0\n"
		   "file /sys/bus/pci/devices/0000:00:01.0/vendor 0x+1af4\n"
		   "file /proc/meminfo MemTotal: 2097152 MB\n"
		   "file /sys/devices/system/cpu/online 3-1\n"
		   "end\n",
	    &res);
	CU_ASSERT_EQUAL(res.pci[0].vendor, 0);
	CU_ASSERT_EQUAL(res.devices[PROBE_DEV_VIRTIO], 0);
	CU_ASSERT_EQUAL(res.memory_mb, 0);
	CU_ASSERT_EQUAL(res.cpus, 0);
}

/* This machine: whatever it is, the probe finishes and names a CPU. */
static void test_live(void)
{
	struct probe_src src = probe_src_live();
	struct probe_result res;

	probe_run(&src, &res);
	CU_ASSERT(res.cpu_vendor[0] != '\0');
	CU_ASSERT(res.cpus > 0);
}

void suite_probe(void)
{
	CU_pSuite s = CU_add_suite("node probe", NULL, NULL);

	CU_add_test(s, "golden probes", test_golden_probes);
	CU_add_test(s, "golden list complete", test_golden_list_complete);
	CU_add_test(s, "record round trip", test_record_round_trip);
	CU_add_test(s, "escapes", test_escapes);
	CU_add_test(s, "rejects", test_rejects);
	CU_add_test(s, "reject NUL", test_reject_nul);
	CU_add_test(s, "limits", test_limits);
	CU_add_test(s, "load names file", test_load_names_file);
	CU_add_test(s, "L0 choice", test_l0_choice);
	CU_add_test(s, "cloud rules", test_cloud_rules);
	CU_add_test(s, "devices and size", test_devices_and_size);
	CU_add_test(s, "live", test_live);
}
