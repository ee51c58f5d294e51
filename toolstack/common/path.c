#include "path.h"

#include <stdio.h>

int path_join(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return BL_ERR_INVAL;
	}
	return BL_OK;
}
