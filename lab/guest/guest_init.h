/* What every lab guest's /init does besides its work: the console, and
 * shutdown (installed as /sbin/poweroff and /sbin/reboot too, a program is
 * what a PV guest's kernel runs when Xen asks it to shut down or reboot). */
#ifndef BL_LAB_GUEST_INIT_H
#define BL_LAB_GUEST_INIT_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
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

#endif
