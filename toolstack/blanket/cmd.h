/* The blanket CLI's command table (xl_cmdtable.c style): usage, help and
 * the man page's synopsis all come from it. */
#ifndef BL_CMD_H
#define BL_CMD_H

#include <stdbool.h>
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

/* Option and operand checks shared by the commands. who names the command
 * in messages ("blanket lab"). Both return -1 to go on, else an exit
 * status. */
int cmd_parse_int(const char *who, const char *opt, const char *arg, int min,
		  int max, int *v_r);
/* Whether word is one of the space-separated words in list (the options a
 * command accepts). */
bool cmd_has_word(const char *list, const char *word);
/* After getopt: refuse operands left in argv (argv[0] is the command). */
int cmd_no_operands(const char *who, int argc, char **argv);

int cmd_lab(int argc, char **argv);
int cmd_ca(int argc, char **argv);
int cmd_node(int argc, char **argv);
/* Guest commands (cmd_guest.c, cmd_console.c). */
int cmd_create(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_destroy(int argc, char **argv);
int cmd_shutdown(int argc, char **argv);
int cmd_reboot(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_unpause(int argc, char **argv);
int cmd_console(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
/* The cluster's nodes (cmd_cluster.c). */
int cmd_node_list(int argc, char **argv);
int cmd_node_info(int argc, char **argv);

#endif
