/* blanket-lab(1): its command table (cli.c) and options. */
#ifndef BL_LAB_CLI_H
#define BL_LAB_CLI_H

#include <stdbool.h>

#include "toolstack/blanket/cmd.h"

/* Every option of blanket-lab(1); zero when not given. */
struct lab_cli_opts {
	const char *dir;     /* --dir: the run folder */
	const char *flavors; /* up --flavors */
	int nodes, port_base, timeout_s;
	bool json;
	bool no_stdin; /* exec -n */
};

extern const struct cmd_prog lab_prog;

#endif
