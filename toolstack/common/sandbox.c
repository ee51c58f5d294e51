/* The sandboxes of sandbox.h: close_range(2), setrlimit(2), the user
 * nobody for devices, and seccomp filters. A worker's answers socket(2)
 * for AF_INET, AF_INET6 and AF_PACKET with EACCES (UNIX sockets stay:
 * xenstore, syslog; netlink stays: hotplug scripts run under it); a
 * device's answers every socket(2), and execve(2) and execveat(2). No new
 * privileges either. */
#include "toolstack/common/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "toolstack/common/log.h"

#define DENY_IF(value)                                                         \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (value), 0, 1),                    \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES)
#define CHECK_ARCH                                                             \
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS,                                     \
		 offsetof(struct seccomp_data, arch)),                         \
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),      \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)

static int install(struct sock_filter *prog, size_t len)
{
	struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0) {
		log_warn("sandbox: seccomp");
		return BL_ERR_IO;
	}
	return BL_OK;
}

static int filter_sockets(void)
{
	struct sock_filter prog[] = {
	    CHECK_ARCH,
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, args[0])),
	    DENY_IF(AF_INET),
	    DENY_IF(AF_INET6),
	    DENY_IF(AF_PACKET),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return install(prog, sizeof(prog) / sizeof(prog[0]));
}

static int filter_device(void)
{
	struct sock_filter prog[] = {
	    CHECK_ARCH,
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    DENY_IF(__NR_socket),
	    DENY_IF(__NR_execve),
	    DENY_IF(__NR_execveat),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	return install(prog, sizeof(prog) / sizeof(prog[0]));
}

int sandbox_enter(int *fds, int n)
{
	const struct rlimit nofile = {SANDBOX_NOFILE, SANDBOX_NOFILE},
			    fsize = {SANDBOX_FSIZE, SANDBOX_FSIZE},
			    core = {0, 0};
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0) {
		log_warn("sandbox: /dev/null");
		return BL_ERR_IO;
	}
	close(null);
	/* Out of the way first, then into place: 3, 4, ... */
	for (int i = 0; i < n; i++) {
		int moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + n);

		if (moved < 0)
			return BL_ERR_IO;
		close(fds[i]);
		fds[i] = moved;
	}
	for (int i = 0; i < n; i++) {
		if (dup3(fds[i], 3 + i, O_CLOEXEC) < 0)
			return BL_ERR_IO;
		close(fds[i]);
		fds[i] = 3 + i;
	}
	if (syscall(SYS_close_range, 3 + n, ~0u, 0) < 0) {
		log_warn("sandbox: close_range");
		return BL_ERR_IO;
	}
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 ||
	    setrlimit(RLIMIT_FSIZE, &fsize) < 0 ||
	    setrlimit(RLIMIT_CORE, &core) < 0) {
		log_warn("sandbox: setrlimit");
		return BL_ERR_IO;
	}
	return filter_sockets();
}

int sandbox_close_inherited(void)
{
	if (syscall(SYS_close_range, 3, ~0u, 0) < 0) {
		log_warn("sandbox: close_range");
		return BL_ERR_IO;
	}
	return BL_OK;
}

int sandbox_confine_device(uint64_t fsize)
{
	const struct rlimit nofile = {SANDBOX_DEVICE_NOFILE,
				      SANDBOX_DEVICE_NOFILE},
			    size = {fsize, fsize}, core = {0, 0};

	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 ||
	    setrlimit(RLIMIT_FSIZE, &size) < 0 ||
	    setrlimit(RLIMIT_CORE, &core) < 0) {
		log_warn("sandbox: setrlimit");
		return BL_ERR_IO;
	}
	if (setgroups(0, NULL) < 0 ||
	    setresgid(SANDBOX_NOBODY, SANDBOX_NOBODY, SANDBOX_NOBODY) < 0 ||
	    setresuid(SANDBOX_NOBODY, SANDBOX_NOBODY, SANDBOX_NOBODY) < 0) {
		log_warn("sandbox: becoming nobody");
		return BL_ERR_IO;
	}
	return filter_device();
}
