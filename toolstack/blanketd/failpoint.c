/* Failpoints (failpoint.h). */
#include "toolstack/blanketd/failpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/common/log.h"

void failpoint(const char *name)
{
	const char *armed = getenv("BLANKET_FAILPOINT");

	if (!armed || strcmp(armed, name))
		return;
	log_warnx("failpoint %s: blanketd dies here", name);
	/* The session's parent is the daemon; the session follows it
	 * (PR_SET_PDEATHSIG). */
	kill(getppid(), SIGKILL);
	pause();
}
