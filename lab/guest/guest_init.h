/* What every lab guest's /init does besides its work: the console,
 * shutdown (installed as /sbin/poweroff and /sbin/reboot too, a program is
 * what a PV guest's kernel runs when Xen asks it to shut down or reboot),
 * loading its PV frontend, and sleeping. */
#ifndef BL_LAB_GUEST_INIT_H
#define BL_LAB_GUEST_INIT_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Run as poweroff or reboot: do it at once (no return). Otherwise return. */
static inline void guest_shutdown_if_asked(int argc, char **argv)
{
	const char *self = argc > 0 ? strrchr(argv[0], '/') : NULL;

	if (self &&
	    (strcmp(self, "/poweroff") == 0 || strcmp(self, "/reboot") == 0)) {
		sync();
		reboot(strcmp(self, "/reboot") == 0 ? RB_AUTOBOOT
						    : RB_POWER_OFF);
		_exit(1);
	}
}

/* stdout on the console, line by line. The kernel opens /dev/console for
 * init when the image has one. */
static inline void guest_console(void)
{
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		int fd = open("/dev/console", O_WRONLY);

		if (fd >= 0 && fd != STDOUT_FILENO)
			dup2(fd, STDOUT_FILENO);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void guest_sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* /dev mounted, and the frontend module /lib/modules/NAME.ko loaded (what
 * goes wrong is printed, prog naming the guest: the frontend's device
 * then never comes, which the caller waits for in vain). */
static inline void guest_load_frontend(const char *prog, const char *name)
{
	char path[128];
	int ko;

	mkdir("/dev", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0 &&
	    errno != EBUSY)
		printf("%s: mount /dev: %s\n", prog, strerror(errno));
	snprintf(path, sizeof(path), "/lib/modules/%s.ko", name);
	ko = open(path, O_RDONLY | O_CLOEXEC);
	if (ko < 0 || syscall(SYS_finit_module, ko, "", 0) < 0)
		printf("%s: loading %s: %s\n", prog, name, strerror(errno));
	if (ko >= 0)
		close(ko);
}

#endif
