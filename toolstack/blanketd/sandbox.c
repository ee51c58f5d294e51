/* The worker sandbox of sandbox.h: close_range(2), setrlimit(2), and a
 * seccomp filter that answers socket(2) for AF_INET, AF_INET6 and
 * AF_PACKET with EACCES (UNIX sockets stay: xenstore, syslog; netlink
 * stays: hotplug scripts run under this). No new privileges either. */
#include "toolstack/blanketd/sandbox.h"

#include <errno.h>
#include <fcntl.h>
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

#define DENY_SOCKET(family)                                                    \
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (family), 0, 1),                   \
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES)

static int filter_sockets(void)
{
	struct sock_filter prog[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_socket, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     offsetof(struct seccomp_data, args[0])),
	    DENY_SOCKET(AF_INET),
	    DENY_SOCKET(AF_INET6),
	    DENY_SOCKET(AF_PACKET),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = {
	    .len = (unsigned short)(sizeof(prog) / sizeof(prog[0])),
	    .filter = prog,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog) < 0) {
		log_warn("worker sandbox: seccomp");
		return BL_ERR_IO;
	}
	return BL_OK;
}

int sandbox_enter(int *fds, int n)
{
	const struct rlimit nofile = {SANDBOX_NOFILE, SANDBOX_NOFILE},
			    fsize = {SANDBOX_FSIZE, SANDBOX_FSIZE},
			    core = {0, 0};
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null < 0 || dup2(null, STDIN_FILENO) < 0) {
		log_warn("worker sandbox: /dev/null");
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
		log_warn("worker sandbox: close_range");
		return BL_ERR_IO;
	}
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0 ||
	    setrlimit(RLIMIT_FSIZE, &fsize) < 0 ||
	    setrlimit(RLIMIT_CORE, &core) < 0) {
		log_warn("worker sandbox: setrlimit");
		return BL_ERR_IO;
	}
	return filter_sockets();
}
