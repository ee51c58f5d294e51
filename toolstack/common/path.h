/* Building file paths without silent truncation. */
#ifndef BL_PATH_H
#define BL_PATH_H

#include <stddef.h>

#include "err.h"

/* buf = "dir/name"; BL_ERR_INVAL (buf emptied) when it does not fit. */
int path_join(char *buf, size_t len, const char *dir,
	      const char *name) BL_MUST_CHECK;

#endif
