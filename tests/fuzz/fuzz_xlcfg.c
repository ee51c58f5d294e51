/* libFuzzer: xl.cfg text through libxlutil and blanket's mapping to a libxl
 * domain configuration must not crash on any bytes. */
#include <stdint.h>
#include <stdio.h>

#include "toolstack/hv/hv_xlcfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	libxl_domain_config cfg;
	char err[512];
	FILE *null = fopen("/dev/null", "w");

	libxl_domain_config_init(&cfg);
	if (hv_xlcfg_parse("fuzz.cfg", (const char *)data, size, &cfg, err,
			   sizeof(err)) == BL_OK &&
	    null)
		hv_xlcfg_describe(&cfg, null);
	libxl_domain_config_dispose(&cfg);
	if (null)
		fclose(null);
	return 0;
}
