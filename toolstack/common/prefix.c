/* IPv4 addresses with a prefix length (prefix.h). */
#include "toolstack/common/prefix.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool ipv4_addr_valid(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1;
}

int prefix_parse(const char *spec, int min, int max, char *addr, int *len_r,
		 char *err, size_t errlen)
{
	const char *slash = strchr(spec, '/');
	char *end;
	long len;

	if (!slash || slash - spec >= PREFIX_ADDR_MAX) {
		snprintf(err, errlen, "\"%s\": want A.B.C.D/LEN", spec);
		return BL_ERR_INVAL;
	}
	snprintf(addr, PREFIX_ADDR_MAX, "%.*s", (int)(slash - spec), spec);
	len = strtol(slash + 1, &end, 10);
	if (!ipv4_addr_valid(addr) || *end || end == slash + 1 || len < min ||
	    len > max) {
		snprintf(err, errlen,
			 "\"%s\": want A.B.C.D/LEN, LEN from %d to %d", spec,
			 min, max);
		return BL_ERR_INVAL;
	}
	*len_r = (int)len;
	return BL_OK;
}

bool prefix_holds(const char *net, int len, const char *a)
{
	struct in_addr n, x;
	uint32_t mask = len <= 0 ? 0 : 0xffffffffu << (32 - len);

	if (len < 0 || len > 32 || inet_pton(AF_INET, net, &n) != 1 ||
	    inet_pton(AF_INET, a, &x) != 1)
		return false;
	return ((ntohl(n.s_addr) ^ ntohl(x.s_addr)) & mask) == 0;
}
