/* The sandboxes of toolstack/common/sandbox.c (a migration worker's, a
 * disk backend's), each entered in a forked child that reports what it
 * can still do. */
#include <CUnit/CUnit.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/unit/suites.h"
#include "toolstack/common/sandbox.h"

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

/* What a disk backend's child found, one bit each. */
enum {
	DEV_CLOSED = 1,	 /* an inherited fd is gone */
	DEV_NOBODY = 2,	 /* it runs as nobody */
	DEV_NO_SOCK = 4, /* no socket of any family */
	DEV_NO_EXEC = 8, /* no program run */
	DEV_SMALL = 16,	 /* no file past the limit */
	DEV_KEPT = 32,	 /* what it opened after closing still works */
	DEV_ALL = 63,
};

static int probe_device(int inherited, const char *path)
{
	char *const argv[] = {"/bin/true", NULL};
	char block[8192] = {0};
	int seen = 0, fd;

	if (sandbox_close_inherited())
		return 0;
	if (fcntl(inherited, F_GETFD) < 0 && errno == EBADF)
		seen |= DEV_CLOSED;
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	signal(SIGXFSZ, SIG_IGN);
	if (fd < 0 || sandbox_confine_device(4096))
		return seen;
	if (getuid() == SANDBOX_NOBODY && getgid() == SANDBOX_NOBODY)
		seen |= DEV_NOBODY;
	if (socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES &&
	    socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EACCES)
		seen |= DEV_NO_SOCK;
	if (execv(argv[0], argv) < 0 && errno == EACCES)
		seen |= DEV_NO_EXEC;
	if (pwrite(fd, block, 4096, 0) == 4096)
		seen |= DEV_KEPT;
	if (pwrite(fd, block, sizeof(block), 4096) < 0 && errno == EFBIG)
		seen |= DEV_SMALL;
	return seen;
}

static void test_device(void)
{
	char path[] = "/tmp/blanket-sandbox-XXXXXX"; /* mkstemp's template */
	int inherited = fcntl(STDERR_FILENO, F_DUPFD, 100), status = 0;
	int tmp = mkstemp(path);
	pid_t pid;

	CU_ASSERT_FATAL(inherited >= 0 && tmp >= 0);
	close(tmp);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(probe_device(inherited, path));
	close(inherited);
	CU_ASSERT_EQUAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE(WIFEXITED(status));
	if (WEXITSTATUS(status) != DEV_ALL)
		fprintf(stderr, "\n  device sandbox: %#x of %#x\n",
			WEXITSTATUS(status), DEV_ALL);
	CU_ASSERT_EQUAL(WEXITSTATUS(status), DEV_ALL);
	unlink(path);
}

void suite_sandbox(void)
{
	CU_pSuite s = CU_add_suite("sandboxes", NULL, NULL);

	CU_add_test(s, "a migration worker's: descriptors, sockets, limits",
		    test_sandbox);
	CU_add_test(s, "a disk backend's: user, sockets, programs, limits",
		    test_device);
}
