/* A benchmark server in a child: bench_server_start, bench_server_stop. */
#include "toolstack/bench/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/bench/workload.h"
#include "toolstack/common/fdio.h"

void bench_server_init(struct bench_server *b)
{
	b->pid = -1;
	b->stop_w = -1;
	b->until_ms = 0;
}

int bench_server_start(struct bench_server *b, const char *addr, double seconds,
		       int close_fd, uint16_t *port_r, char *why, size_t whylen)
{
	int fd = -1, stop[2] = {-1, -1}, rc;
	struct bench_serve_stats st;
	pid_t pid;

	rc = bench_listen(addr, 0, &fd, port_r, why, whylen);
	if (rc)
		return rc;
	if (pipe2(stop, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		snprintf(why, whylen, "cannot start a benchmark server: %s",
			 strerror(errno));
		rc = BL_ERR_IO;
		goto out;
	}
	if (pid == 0) {
		if (close_fd >= 0)
			close(close_fd);
		close(stop[1]);
		_exit(bench_serve(fd, seconds, stop[0], &st, NULL, 0) ? 1 : 0);
	}
	b->pid = pid;
	b->stop_w = stop[1];
	b->until_ms = fdio_now_ms() + (int64_t)(seconds * 1000);
	stop[1] = -1;
out:
	close(fd);
	if (stop[0] >= 0)
		close(stop[0]);
	if (stop[1] >= 0)
		close(stop[1]);
	return rc;
}

void bench_server_stop(struct bench_server *b)
{
	if (b->stop_w >= 0)
		close(b->stop_w);
	if (b->pid > 0)
		while (waitpid(b->pid, NULL, 0) < 0 && errno == EINTR)
			;
	bench_server_init(b);
}
