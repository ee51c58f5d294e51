/* Whole-buffer reads and writes on file descriptors, with optional deadlines,
 * and TCP liveness.
 */
#ifndef BL_FDIO_H
#define BL_FDIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"

/* Milliseconds on CLOCK_MONOTONIC. */
int64_t fdio_now_ms(void);

/* Read exactly len bytes. deadline_ms is an absolute fdio_now_ms() value, or
 * -1 for none. Returns BL_OK, BL_ERR_EOF (closed before len bytes; closed
 * before any byte if *got_r is 0), BL_ERR_TIMEOUT or BL_ERR_IO. */
int fdio_read(int fd, void *buf, size_t len, int64_t deadline_ms,
	      size_t *got_r) BL_MUST_CHECK;
/* Read fd to end of file, at most max bytes, no deadline. On success *buf_r
 * owns a malloc'd copy with a NUL appended (not counted in *len_r); caller
 * frees. BL_ERR_INVAL when there are more than max bytes, BL_ERR_NOMEM or
 * BL_ERR_IO; on error *buf_r is untouched. */
int fdio_read_all(int fd, size_t max, char **buf_r,
		  size_t *len_r) BL_MUST_CHECK;
/* fdio_read_all() of the file at path. BL_ERR_NOTFOUND when it is missing,
 * BL_ERR_IO (errno kept) when it cannot be opened. */
int fdio_read_file(const char *path, size_t max, char **buf_r,
		   size_t *len_r) BL_MUST_CHECK;
/* Write exactly len bytes; BL_OK, BL_ERR_TIMEOUT or BL_ERR_IO. */
int fdio_write(int fd, const void *buf, size_t len,
	       int64_t deadline_ms) BL_MUST_CHECK;
/* On a TCP socket: notice a peer that is gone (its machine dead, the link
 * cut) within about 15 s, idle or not, instead of the kernel's hours. */
void fdio_tcp_liveness(int fd);
/* A TCP socket listening on spec, "IPV4-ADDRESS:PORT" (SO_REUSEADDR): an
 * error names field (an option, "--listen"). BL_ERR_INVAL, BL_ERR_IO. */
int fdio_listen_tcp(const char *field, const char *spec,
		    int *fd_r) BL_MUST_CHECK;
/* The peer of socket fd for logs: "10.99.0.2:41234", "[fd00::2]:41234",
 * or "local peer" (a UNIX socket, or no peer). */
void fdio_peer_name(int fd, char *buf, size_t size);
/* Whether a read on fd would find data (or the end) without waiting. */
bool fdio_readable(int fd);

#endif
