#include "tests/unit/golden.h"

#include <CUnit/CUnit.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"

/* Every record in tests/golden/probe/; the probe suite checks that none is
 * left out. The lab's dom0 cannot size its instance (its MemTotal is
 * dom0's): its profile is made for the lab node's 1 GiB and 1 CPU. */
const struct golden goldens[] = {
    {"ec2-xen", 0, 0}, {"ec2-nitro", 0, 0}, {"kvm-cloud", 0, 0},
    {"gce", 0, 0},     {"qemu-tcg", 0, 0},  {"lab-dom0", 1024, 1},
    {"azure", 0, 0},
};

const size_t n_goldens = sizeof(goldens) / sizeof(goldens[0]);

char *golden_read(const char *name, const char *ext)
{
	char path[256], *text = NULL;
	size_t len = 0;
	int fd, rc;

	snprintf(path, sizeof(path), GOLDEN_DIR "%s%s", name, ext);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	rc = fdio_read_all(fd, 1 << 20, &text, &len);
	close(fd);
	return rc ? NULL : text;
}

int golden_probe(const char *name, struct probe_result *res)
{
	struct probe_record *rec = NULL;
	struct probe_src src;
	char path[256];
	int rc;

	snprintf(path, sizeof(path), GOLDEN_DIR "%s.record", name);
	rc = probe_record_load(path, &rec);
	if (rc)
		return rc;
	src = probe_record_src(rec);
	probe_run(&src, res);
	probe_record_free(rec);
	return BL_OK;
}

void golden_probe_text(const char *text, struct probe_result *res)
{
	struct probe_record *rec = NULL;
	struct probe_src src;
	const char *why = NULL;
	int line = 0;

	CU_ASSERT_EQUAL_FATAL(
	    probe_record_parse(text, strlen(text), &rec, &line, &why), BL_OK);
	src = probe_record_src(rec);
	probe_run(&src, res);
	probe_record_free(rec);
}
