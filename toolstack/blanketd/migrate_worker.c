/* libxl's save and restore in child processes (migrate_worker.h), each
 * in the sandbox of sandbox.h from its first instruction of its own. */
#include "toolstack/blanketd/migrate_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/common/sandbox.h"
#include "toolstack/common/log.h"

int migrate_worker_start(const struct server_opts *o, migrate_worker_fn fn,
			 const void *arg, struct migrate_worker *w)
{
	int sp[2], why[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return BL_ERR_IO;
	if (pipe2(why, O_CLOEXEC) < 0) {
		close(sp[0]);
		close(sp[1]);
		return BL_ERR_IO;
	}
	w->pid = fork();
	if (w->pid < 0) {
		close(sp[0]);
		close(sp[1]);
		close(why[0]);
		close(why[1]);
		return BL_ERR_IO;
	}
	if (w->pid == 0) {
		char err[BL_ERRMSG_MAX] = "";
		int keep[2] = {sp[1], why[1]};
		void *hv = NULL;
		int rc;

		/* No migration outlives its session (nor the daemon). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rc = sandbox_enter(keep, 2);
		if (rc)
			snprintf(err, sizeof(err), "cannot enter the sandbox");
		else if ((rc = o->hv->open(&hv)))
			snprintf(err, sizeof(err),
				 "cannot open the hypervisor");
		else
			rc = fn(o, hv, arg, keep[0], err, sizeof(err));
		if (rc && write(keep[1], err, strlen(err)) < 0)
			rc = BL_ERR_IO;
		_exit(rc ? 1 : 0);
	}
	close(sp[1]);
	close(why[1]);
	w->fd = sp[0];
	w->why = why[0];
	return BL_OK;
}

int migrate_worker_wait(struct migrate_worker *w, const char *what, char *err,
			size_t errlen)
{
	char msg[BL_ERRMSG_MAX] = "";
	int status = 0;
	size_t len;
	ssize_t r;

	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
		;
	w->pid = -1;
	r = read(w->why, msg, sizeof(msg) - 1);
	close(w->why);
	w->why = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return BL_OK;
	len = strlen(err);
	snprintf(err + len, errlen - len, "%s%s: %s", len ? "; " : "", what,
		 r > 0 ? msg : "the worker process died");
	return BL_ERR_FAIL;
}

void migrate_worker_stop(struct migrate_worker *w)
{
	char ignored[BL_ERRMSG_MAX] = "";

	if (w->pid <= 0)
		return;
	kill(w->pid, SIGKILL);
	if (migrate_worker_wait(w, "worker", ignored, sizeof(ignored)))
		log_debug("migration worker stopped");
}
