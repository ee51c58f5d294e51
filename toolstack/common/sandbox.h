/* What Blanket's processes that read another party's bytes may do
 * (docs/security.md, "The migration workers" and "The disk backends").
 *
 * A migration worker: libxc and libxl parse the stream another node sent,
 * so each one keeps only its own descriptors, cannot open an IP or packet
 * socket, dumps no core and writes no large file.
 *
 * A disk's backend (blanket-blk serve) faces a guest: once it has opened
 * the image, gntdev, evtchn and its xenstore connection, it runs as nobody,
 * opens no socket, runs no program, dumps no core, and cannot make a file
 * larger than the image. */
#ifndef BL_COMMON_SANDBOX_H
#define BL_COMMON_SANDBOX_H

#include <stdint.h>

#include "toolstack/common/err.h"

#define SANDBOX_NOFILE	      256	   /* descriptors libxl may open */
#define SANDBOX_FSIZE	      (64ll << 20) /* the largest file it may write */
#define SANDBOX_DEVICE_NOFILE 64
#define SANDBOX_NOBODY	      65534 /* the uid and gid a device runs as */

/* In a freshly forked worker: move fds[0..n-1] to 3, 4, ... (their new
 * numbers replace them in fds), close every other descriptor but 0-2
 * (stdin becomes /dev/null), set the limits and the socket filter. Must
 * come before the worker opens anything. */
int sandbox_enter(int *fds, int n) BL_MUST_CHECK;

/* In a device's process, first of all: close every descriptor but 0-2. */
int sandbox_close_inherited(void) BL_MUST_CHECK;
/* Once the device has opened all it needs: the limits (files of at most
 * fsize bytes), the user nobody, no new privileges, and a filter that
 * answers socket(2), execve(2) and execveat(2) with EACCES. */
int sandbox_confine_device(uint64_t fsize) BL_MUST_CHECK;

#endif
