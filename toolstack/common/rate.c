#include "toolstack/common/rate.h"

#include <stdlib.h>
#include <string.h>

#define RATE_MAX (1ull << 50)

int rate_parse(const char *s, uint64_t *bytes_per_s_r)
{
	static const struct {
		const char *suffix;
		double bytes; /* per unit */
	} units[] = {
	    {"", 1},
	    {"K", 1024.0},
	    {"M", 1024.0 * 1024},
	    {"G", 1024.0 * 1024 * 1024},
	    {"kbit", 1e3 / 8},
	    {"Mbit", 1e6 / 8},
	    {"Gbit", 1e9 / 8},
	};
	char *end;
	double v;

	/* Decimal digits and a point only: no sign, exponent or hex. */
	if (!s || *s < '0' || *s > '9')
		return BL_ERR_INVAL;
	v = strtod(s, &end);
	if (end != s + strspn(s, "0123456789."))
		return BL_ERR_INVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double b = v * units[i].bytes;

		if (strcmp(end, units[i].suffix) != 0)
			continue;
		if (!(b >= 1) || b > (double)RATE_MAX)
			return BL_ERR_INVAL;
		*bytes_per_s_r = (uint64_t)b;
		return BL_OK;
	}
	return BL_ERR_INVAL;
}

int64_t rate_delay_ms(uint64_t rate, uint64_t sent, int64_t elapsed_ms)
{
	/* sent < 2^63 and rate >= 1: the quotient fits. */
	int64_t due_ms = (int64_t)((double)sent * 1000.0 / (double)rate);

	return rate && due_ms > elapsed_ms ? due_ms - elapsed_ms : 0;
}
