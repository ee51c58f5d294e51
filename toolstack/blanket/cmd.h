/*
 * Command tables (xl_cmdtable.c style) for blanket(1) and blanket-lab(1):
 * each command names its options and operands once, and the parser, the
 * usage lines, `--help` and the man pages' synopsis (checked by a unit
 * test) all come from that.
 *
 * One error convention: a command function returns an exit status
 * (EXIT_OK, EXIT_FAIL, EXIT_USAGE); everything it calls returns an enum
 * bl_err, turned into a status once, by cmd_status().
 */
#ifndef BL_CMD_H
#define BL_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "toolstack/common/err.h"

/* Exit statuses. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	/* the operation failed; a message says why */
	EXIT_USAGE = 2, /* bad command line */
};

enum cmd_opt_kind {
	CMD_FLAG,   /* bool */
	CMD_STRING, /* const char *, pointing into argv */
	CMD_INT,    /* int from min to max */
	CMD_RATE,   /* uint64_t bytes per second (rate_parse) */
	CMD_LIST,   /* struct cmd_list: the option may be repeated */
};

#define CMD_LIST_MAX 16

struct cmd_list {
	const char *v[CMD_LIST_MAX];
	int n;
};

/* One option: how it is written, what it takes, where its value goes in
 * the program's option struct. */
struct cmd_opt {
	const char *name; /* long name, without "--" */
	char short_name;  /* or 0 */
	enum cmd_opt_kind kind;
	const char *arg; /* its argument in usage lines; NULL for a flag */
	size_t offset;	 /* of the value in the program's option struct */
	int min, max;	 /* CMD_INT */
	const char *help;
};

struct cmd_call;

struct cmd {
	const char *name;
	int (*fn)(const struct cmd_call *call); /* NULL when sub is set */
	const struct cmd *sub; /* subcommands, NULL-name terminated */
	const struct cmd_opt *const *opts; /* NULL-terminated, or NULL */
	/* Operands as usage shows them: NAME required, [NAME] optional,
	 * NAME... or [NAME...] any number more; "--" is not counted. */
	const char *operands;
	const char *summary;
};

/* The options a command takes, as its table row writes them. */
#define CMD_OPTS(...) ((const struct cmd_opt *const[]){__VA_ARGS__, NULL})

struct cmd_prog {
	const char *name; /* "blanket" */
	const struct cmd *commands;
	size_t opts_size;   /* of the option struct the commands read */
	const char *footer; /* the last lines of the program's help */
};

/* What a command function is called with. */
struct cmd_call {
	const struct cmd_prog *prog;
	const struct cmd *cmd;
	const char *who;  /* "blanket node probe", for messages */
	const void *opts; /* the program's option struct, parsed */
	int argc;	  /* the operands */
	char **argv;
};

/* Run the command argv names (argv[0] is the program): find it (an exact
 * name, else a unique prefix), parse its options and count its operands,
 * call it. Returns the exit status. */
int cmd_main(const struct cmd_prog *p, int argc, char **argv);

/* The exit status for rc. */
int cmd_status(int rc);

/* A table's "help [COMMAND...]": the program's or that command's help. */
int cmd_help(const struct cmd_call *call);

/* One line per command, subcommands spelled out: "blanket info [-n NODE]
 * [--json] [--cluster FILE] GUEST". The man page's SYNOPSIS must match. */
void cmd_print_synopsis(FILE *out, const struct cmd_prog *p);

#endif
