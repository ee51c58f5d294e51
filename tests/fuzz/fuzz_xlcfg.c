/* libFuzzer: xl.cfg text through libxlutil and blanket's mapping to a libxl
 * domain configuration, then the node policy, must not crash on any bytes;
 * and what a migration sends of a configuration (hv_xlcfg_write) must read
 * back as the same configuration. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/hv/hv_policy.h"
#include "toolstack/hv/hv_xlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* cfg as hv_xlcfg_describe() prints it; malloc'd. */
static char *described(const libxl_domain_config *cfg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);

	if (!mem)
		abort();
	hv_xlcfg_describe(cfg, mem);
	fclose(mem);
	return text;
}

/* Written and read back, cfg describes the same. */
static void check_round_trip(const libxl_domain_config *cfg)
{
	libxl_domain_config back;
	char err[512], *text = NULL, *before, *after;
	size_t len = 0;
	FILE *mem = open_memstream(&text, &len);
	int rc;

	if (!mem)
		abort();
	rc = hv_xlcfg_write(cfg, mem, err, sizeof(err));
	fclose(mem);
	if (rc == BL_OK) {
		libxl_domain_config_init(&back);
		if (hv_xlcfg_parse("written.cfg", text, len, &back, err,
				   sizeof(err))) {
			fprintf(stderr, "written:\n%s\nrefused: %s\n", text,
				err);
			abort();
		}
		before = described(cfg);
		after = described(&back);
		if (strcmp(before, after)) {
			fprintf(stderr, "was:\n%s\nwritten:\n%s\nreads as:\n%s",
				before, text, after);
			abort();
		}
		free(before);
		free(after);
		libxl_domain_config_dispose(&back);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	libxl_domain_config cfg;
	struct hv_policy policy;
	char err[512];

	hv_policy_default(&policy);
	libxl_domain_config_init(&cfg);
	if (hv_xlcfg_parse("fuzz.cfg", (const char *)data, size, &cfg, err,
			   sizeof(err)) == BL_OK) {
		check_round_trip(&cfg);
		(void)hv_policy_check(&policy, &cfg, err, sizeof(err));
	}
	libxl_domain_config_dispose(&cfg);
	return 0;
}
