/* blanket-lab(1): blanket nodes under QEMU on this machine (cli.c has its
 * command table). */
#include "lab/cli.h"
#include "toolstack/common/log.h"

int main(int argc, char **argv)
{
	log_init("blanket-lab", false, false);
	return cmd_main(&lab_prog, argc, argv);
}
