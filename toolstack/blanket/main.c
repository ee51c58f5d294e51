/* blanket(1): the Blanket command line (commands.c has its table). */
#include <signal.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/common/log.h"

int main(int argc, char **argv)
{
	log_init("blanket", false, false);
	/* A node that goes away mid-write is an error to report, not a
	 * reason to die (TLS writes with write(2)). */
	signal(SIGPIPE, SIG_IGN);
	return cmd_main(&blanket_prog, argc, argv);
}
