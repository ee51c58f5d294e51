/*
 * The lab's test guest: runs as /init of a PV guest and prints
 *     heartbeat <counter> <seconds.milliseconds>
 * on the console every 100 ms. The counter shows whether a guest kept running
 * across save/restore or migration (the next line after a move must carry the
 * last counter + 1); the guest clock is only a rough hint of the pause.
 *
 * Installed as /sbin/poweroff and /sbin/reboot too: a PV guest asked to
 * shut down or reboot (xl, blanket) has its kernel run one of them, which
 * here does it at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>

#define PERIOD_NS 100000000L

static void advance(struct timespec *t)
{
	t->tv_nsec += PERIOD_NS;
	while (t->tv_nsec >= 1000000000L) {
		t->tv_nsec -= 1000000000L;
		t->tv_sec++;
	}
}

int main(int argc, char **argv)
{
	struct timespec next, now;
	unsigned long long counter = 0;
	const char *self = argc > 0 ? strrchr(argv[0], '/') : NULL;

	if (self &&
	    (strcmp(self, "/poweroff") == 0 || strcmp(self, "/reboot") == 0)) {
		sync();
		reboot(strcmp(self, "/reboot") == 0 ? RB_AUTOBOOT
						    : RB_POWER_OFF);
		return 1;
	}

	/* The kernel opens /dev/console for init when the image has one. */
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		int fd = open("/dev/console", O_WRONLY);

		if (fd >= 0 && fd != STDOUT_FILENO)
			dup2(fd, STDOUT_FILENO);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		clock_gettime(CLOCK_REALTIME, &now);
		printf("heartbeat %llu %lld.%03ld\n", counter++,
		       (long long)now.tv_sec, now.tv_nsec / 1000000L);
		advance(&next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
	}
}
