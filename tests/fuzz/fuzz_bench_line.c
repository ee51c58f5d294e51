/* libFuzzer: a benchmark guest's console line (a hostile guest writes
 * them) must parse to a well-formed kind or to nothing, on any bytes. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/bench/guest_line.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bench_line l;
	char *line = malloc(size + 1);

	if (!line)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	bench_line_parse(line, &l);
	if (l.kind == BENCH_LINE_RESULT &&
	    (!isfinite(l.value) || l.value < 0 || l.run < 1 ||
	     l.run > BENCH_LINE_RUN_MAX || !bench_metric_info(l.metric)))
		abort();
	for (size_t i = 0; l.why[i]; i++)
		if (l.why[i] < 0x20 || l.why[i] >= 0x7f)
			abort();
	free(line);
	return 0;
}
