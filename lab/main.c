/* blanket-lab(1): blanket nodes under QEMU on this machine (cli.c has its
 * command table). */
#include <signal.h>

#include "lab/cli.h"
#include "toolstack/common/log.h"

int main(int argc, char **argv)
{
	/* tls.h: a write to a node that hung up (one that refused us, or
	 * not up yet) is an error to handle, not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	log_init("blanket-lab", false, false);
	return cmd_main(&lab_prog, argc, argv);
}
