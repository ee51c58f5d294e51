/* Golden files shared by the probe and profile suites: the recorded probes
 * in tests/golden/probe/ (paths relative to the repository root, where
 * `make unit-test` runs) and what each must produce. */
#ifndef BL_TEST_GOLDEN_H
#define BL_TEST_GOLDEN_H

#include <stddef.h>

#include "blanket/probe.h"

#define GOLDEN_DIR "tests/golden/probe/"

struct golden {
	const char *name;
	long memory_mb; /* boot-profile size; 0 takes the probe's */
	int cpus;
};

extern const struct golden goldens[];
extern const size_t n_goldens;

/* The whole file GOLDEN_DIR name ext, malloc'd and NUL-terminated; NULL when
 * it cannot be read. Caller frees. */
char *golden_read(const char *name, const char *ext);
/* Probe the recorded machine GOLDEN_DIR name.record; BL_OK or the load's
 * error. */
int golden_probe(const char *name, struct probe_result *res);
/* Parse text as a probe record (which must be valid) and probe it. */
void golden_probe_text(const char *text, struct probe_result *res);

#endif
