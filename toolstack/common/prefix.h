/* IPv4 addresses, alone ("10.98.0.10", as a vif's ip= gives them) or with
 * a prefix length ("10.200.0.1/24", as the command line gives them). */
#ifndef BL_PREFIX_H
#define BL_PREFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "toolstack/common/err.h"

#define PREFIX_ADDR_MAX 16 /* "255.255.255.255" and its NUL */

/* Whether s is one dotted-quad IPv4 address and nothing else. */
bool ipv4_addr_valid(const char *s);
/* spec as A.B.C.D/LEN, LEN from min to max: the address into
 * addr[PREFIX_ADDR_MAX], LEN into *len_r; BL_ERR_INVAL with err saying
 * what is wrong. */
int prefix_parse(const char *spec, int min, int max, char *addr, int *len_r,
		 char *err, size_t errlen) BL_MUST_CHECK;
/* Whether address a (text) is in the subnet of net/len; false when a is
 * not an IPv4 address. */
bool prefix_holds(const char *net, int len, const char *a);

#endif
