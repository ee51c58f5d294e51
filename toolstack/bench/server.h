/* A benchmark server (workload.h's bench_serve) in a child process, for
 * as long as its starter wants it: blanket bench's on the loopback (L0)
 * and blanketd's for bench-serve (L1). */
#ifndef BL_BENCH_SERVER_H
#define BL_BENCH_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "toolstack/common/err.h"

struct bench_server {
	pid_t pid;	  /* -1: none */
	int stop_w;	  /* closing it stops the child */
	int64_t until_ms; /* when it stops by itself (fdio_now_ms) */
};

void bench_server_init(struct bench_server *b);
/* A server on addr (dotted IPv4; NULL: every address), a port the kernel
 * picks (*port_r), for seconds at most, in a child that first closes
 * close_fd (-1: none; what it must not hold, a session's socket). On
 * error why says why and *b stays as it was. */
int bench_server_start(struct bench_server *b, const char *addr, double seconds,
		       int close_fd, uint16_t *port_r, char *why,
		       size_t whylen) BL_MUST_CHECK;
/* Stops and reaps the server, if one runs; idempotent. */
void bench_server_stop(struct bench_server *b);

#endif
