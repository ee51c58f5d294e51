/* libxl's save and restore in child processes, each with its own
 * hypervisor handle, on one end of a socketpair: the migration session
 * pumps the other end (migrate_send.c, migrate_dest.c). */
#ifndef BL_BLANKETD_MIGRATE_WORKER_H
#define BL_BLANKETD_MIGRATE_WORKER_H

#include <stddef.h>
#include <sys/types.h>

#include "toolstack/blanketd/server.h"

struct migrate_worker {
	pid_t pid; /* -1: none */
	int fd;	   /* our end of the socketpair; -1 once closed */
	int why;   /* read end of the child's error message pipe */
};

#define MIGRATE_WORKER_NONE                                                    \
	{                                                                      \
		.pid = -1, .fd = -1, .why = -1                                 \
	}

/* What a worker runs: fn(arg) on fd, err set on failure. */
typedef int (*migrate_worker_fn)(const struct server_opts *o, void *hv,
				 const void *arg, int fd, char *err,
				 size_t errlen);

/* Run fn in a child that dies with this process. */
int migrate_worker_start(const struct server_opts *o, migrate_worker_fn fn,
			 const void *arg,
			 struct migrate_worker *w) BL_MUST_CHECK;
/* Close our end and reap the child: BL_OK if it succeeded, else
 * BL_ERR_FAIL with "what: its message" added to err. */
int migrate_worker_wait(struct migrate_worker *w, const char *what, char *err,
			size_t errlen) BL_MUST_CHECK;
/* Kill and reap a child still running (a failure cut the pump short). */
void migrate_worker_stop(struct migrate_worker *w);

#endif
