/* The migration workers' sandbox (toolstack/blanketd/sandbox.c), entered
 * in a forked child that reports what it can still do. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/suites.h"
#include "toolstack/blanketd/sandbox.h"

/* What the child found, one bit each: all set means all as it should be. */
enum {
	KEPT_MOVED = 1,	   /* the kept fd is 3 and still the pipe */
	OTHERS_CLOSED = 2, /* an fd it did not keep is gone */
	NO_INET = 4,	   /* AF_INET and AF_INET6 sockets refused */
	UNIX_OK = 8,	   /* AF_UNIX sockets still work */
	NO_CORE = 16,	   /* no core dumps */
	FEW_FILES = 32,	   /* RLIMIT_NOFILE lowered */
	ALL = 63,
};

static int probe(int keep, int other)
{
	struct rlimit rl;
	int fds[1] = {keep}, seen = 0, s;

	if (sandbox_enter(fds, 1))
		return 0;
	if (fds[0] == 3 && write(3, "x", 1) == 1)
		seen |= KEPT_MOVED;
	if (fcntl(other, F_GETFD) < 0 && errno == EBADF)
		seen |= OTHERS_CLOSED;
	if (socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EACCES &&
	    socket(AF_INET6, SOCK_DGRAM, 0) < 0 && errno == EACCES)
		seen |= NO_INET;
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s >= 0) {
		seen |= UNIX_OK;
		close(s);
	}
	if (getrlimit(RLIMIT_CORE, &rl) == 0 && rl.rlim_max == 0)
		seen |= NO_CORE;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max == SANDBOX_NOFILE)
		seen |= FEW_FILES;
	return seen;
}

static void test_sandbox(void)
{
	/* Well above the numbers the kept one moves to. */
	int p[2], other = fcntl(STDERR_FILENO, F_DUPFD, 100), status = 0;
	char byte = 0;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	CU_ASSERT_FATAL(other >= 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(probe(p[1], other));
	close(p[1]);
	close(other);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status));
	CU_ASSERT_EQUAL(WEXITSTATUS(status), ALL);
	CU_ASSERT_EQUAL(read(p[0], &byte, 1), 1);
	CU_ASSERT_EQUAL(byte, 'x');
	close(p[0]);
}

void suite_sandbox(void)
{
	CU_pSuite s = CU_add_suite("migration worker sandbox", NULL, NULL);

	CU_add_test(s, "descriptors, sockets, limits", test_sandbox);
}
