/* What a migration worker may do (docs/security.md, "The migration
 * workers"): libxc and libxl parse the stream another node sent in these
 * processes, so each one keeps only its own descriptors, cannot open an
 * IP or packet socket, dumps no core and writes no large file. */
#ifndef BL_BLANKETD_SANDBOX_H
#define BL_BLANKETD_SANDBOX_H

#include "toolstack/common/err.h"

#define SANDBOX_NOFILE 256	    /* descriptors libxl may open */
#define SANDBOX_FSIZE  (64ll << 20) /* the largest file it may write */

/* In a freshly forked worker: move fds[0..n-1] to 3, 4, ... (their new
 * numbers replace them in fds), close every other descriptor but 0-2
 * (stdin becomes /dev/null), set the limits and the socket filter. Must
 * come before the worker opens anything. */
int sandbox_enter(int *fds, int n) BL_MUST_CHECK;

#endif
