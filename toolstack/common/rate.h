/* Transfer rates: the command line's RATE, and pacing a sender to one. */
#ifndef BL_RATE_H
#define BL_RATE_H

#include <stdint.h>

#include "toolstack/common/err.h"

/* "20M" (MiB/s; also K, G, or none: bytes/s) or "100Mbit" (also kbit,
 * Gbit: powers of 1000 bits/s) into bytes per second, at least 1.
 * BL_ERR_INVAL for anything else, zero, or more than 2^50 bytes/s. */
int rate_parse(const char *s, uint64_t *bytes_per_s_r) BL_MUST_CHECK;

/* How long a sender at rate bytes/s, having sent bytes in elapsed_ms, must
 * wait before it sends more: 0 when it is not ahead. */
int64_t rate_delay_ms(uint64_t rate, uint64_t sent, int64_t elapsed_ms);

#endif
