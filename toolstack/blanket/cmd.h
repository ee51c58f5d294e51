/* The blanket CLI's command table (xl_cmdtable.c style): usage, help and
 * the man page's synopsis all come from it. */
#ifndef BL_CMD_H
#define BL_CMD_H

#include <stdio.h>

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv); /* returns the process exit status */
	const char *args;
	const char *summary;
};

/* Exit statuses of blanket(1). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	/* the operation failed; a message says why */
	EXIT_USAGE = 2, /* bad command line */
};

/* Find name in table: an exact match, else a unique prefix. NULL when none
 * or ambiguous (and says so on stderr, naming what). */
const struct cmd *cmd_lookup(const struct cmd *table, const char *name,
			     const char *what);
void cmd_print_table(FILE *out, const struct cmd *table, const char *prefix);

int cmd_lab(int argc, char **argv);

#endif
