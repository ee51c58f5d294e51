/*
 * The command-table machinery of blanket(1) and blanket-lab(1).
 *
 * Entry points: cmd_main (find, parse, call), cmd_help (a table's "help"
 * command), cmd_print_synopsis (the man pages' test).
 * Nomenclature: a *path* is the words that name a command ("node probe");
 * *who* is the program and the path, for messages ("blanket node probe").
 */
#include "toolstack/blanket/cmd.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/common/rate.h"

#define WHO_MAX	     128
#define LONGOPTS_MAX 32

int cmd_status(int rc)
{
	return rc == BL_OK ? EXIT_OK : EXIT_FAIL;
}

/* An exact name, else a unique prefix; NULL (said why) when none. */
static const struct cmd *lookup(const struct cmd *table, const char *name,
				const char *who)
{
	const struct cmd *found = NULL;
	size_t len = strlen(name);
	int matches = 0;

	for (const struct cmd *c = table; c->name; c++) {
		if (strcmp(c->name, name) == 0)
			return c;
		if (len && strncmp(c->name, name, len) == 0) {
			found = c;
			matches++;
		}
	}
	if (matches == 1)
		return found;
	fprintf(stderr, "%s: %s command \"%s\"; try `%s --help`\n", who,
		matches ? "ambiguous" : "unknown", name, who);
	return NULL;
}

static void print_opt(FILE *out, const struct cmd_opt *o)
{
	if (o->short_name)
		fprintf(out, " [-%c", o->short_name);
	else
		fprintf(out, " [--%s", o->name);
	if (o->arg)
		fprintf(out, " %s", o->arg);
	fprintf(out, "]%s", o->kind == CMD_LIST ? "..." : "");
}

/* "blanket node probe [--json] ..." (no newline). */
static void print_line(FILE *out, const char *who, const struct cmd *c)
{
	fprintf(out, "%s", who);
	if (c->sub) {
		fprintf(out, " COMMAND [OPTIONS]");
		return;
	}
	for (const struct cmd_opt *const *o = c->opts; o && *o; o++)
		print_opt(out, *o);
	if (c->operands && *c->operands)
		fprintf(out, " %s", c->operands);
}

static void print_usage(FILE *out, const char *who, const struct cmd *c)
{
	fprintf(out, "usage: ");
	print_line(out, who, c);
	fprintf(out, "\n");
}

static void print_commands(FILE *out, const struct cmd *table)
{
	for (const struct cmd *c = table; c->name; c++)
		fprintf(out, "  %-14s %s\n", c->name, c->summary);
}

static void print_help(FILE *out, const char *who, const struct cmd *c)
{
	print_usage(out, who, c);
	fprintf(out, "%s\n", c->summary);
	if (c->sub) {
		fprintf(out, "\ncommands:\n");
		print_commands(out, c->sub);
		fprintf(out,
			"\n`%s COMMAND --help` shows a command's options\n",
			who);
		return;
	}
	if (c->opts && *c->opts)
		fprintf(out, "\noptions:\n");
	for (const struct cmd_opt *const *o = c->opts; o && *o; o++) {
		char names[64];

		snprintf(names, sizeof(names), "%c%c%s--%s%s%s",
			 (*o)->short_name ? '-' : ' ',
			 (*o)->short_name ? (*o)->short_name : ' ',
			 (*o)->short_name ? ", " : "  ", (*o)->name,
			 (*o)->arg ? " " : "", (*o)->arg ? (*o)->arg : "");
		fprintf(out, "  %-24s %s\n", names, (*o)->help);
	}
}

static void print_prog_usage(FILE *out, const struct cmd_prog *p)
{
	fprintf(out, "usage: %s COMMAND [ARGS...]\n\ncommands:\n", p->name);
	print_commands(out, p->commands);
	fprintf(out,
		"\n`%s COMMAND --help` shows a command's options and "
		"operands.\n%s",
		p->name, p->footer ? p->footer : "");
}

/* Any command of the program that takes an option of this long name. */
static bool known_anywhere(const struct cmd *table, const char *name)
{
	for (const struct cmd *c = table; c->name; c++) {
		if (c->sub && known_anywhere(c->sub, name))
			return true;
		for (const struct cmd_opt *const *o = c->opts; o && *o; o++)
			if (strcmp((*o)->name, name) == 0)
				return true;
	}
	return false;
}

/* Operands the command's operands text allows: *min_r required, *max_r at
 * most (-1: any number). */
static void operand_counts(const char *operands, int *min_r, int *max_r)
{
	const char *p = operands ? operands : "";

	*min_r = 0;
	*max_r = 0;
	while (*p) {
		size_t len = strcspn(p, " ");
		bool optional = *p == '[';
		bool many = memmem(p, len, "...", 3) != NULL;

		if (!(len == 2 && p[0] == '-' && p[1] == '-')) {
			*min_r += !optional;
			*max_r = *max_r < 0 || many ? -1 : *max_r + 1;
		}
		p += len;
		p += strspn(p, " ");
	}
}

static int store(const char *who, const struct cmd_opt *o, const char *arg,
		 void *opts)
{
	char *at = (char *)opts + o->offset;
	struct cmd_list *list;
	char *end;
	long v;

	switch (o->kind) {
	case CMD_FLAG:
		*(bool *)at = true;
		return BL_OK;
	case CMD_STRING:
		*(const char **)at = arg;
		return BL_OK;
	case CMD_INT:
		v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end || v < o->min || v > o->max) {
			fprintf(stderr,
				"%s: --%s wants a number from %d to %d, got "
				"\"%s\"\n",
				who, o->name, o->min, o->max, arg);
			return BL_ERR_INVAL;
		}
		*(int *)at = (int)v;
		return BL_OK;
	case CMD_RATE:
		if (rate_parse(arg, (uint64_t *)(void *)at)) {
			fprintf(stderr,
				"%s: --%s wants a rate such as 20M (MiB/s), "
				"512K or 100Mbit, got \"%s\"\n",
				who, o->name, arg);
			return BL_ERR_INVAL;
		}
		return BL_OK;
	case CMD_LIST:
		list = (struct cmd_list *)(void *)at;
		if (list->n == CMD_LIST_MAX) {
			fprintf(stderr, "%s: at most %d --%s\n", who,
				CMD_LIST_MAX, o->name);
			return BL_ERR_INVAL;
		}
		list->v[list->n++] = (char *)arg;
		return BL_OK;
	}
	return BL_ERR_INVAL;
}

/* Whether the operands after "--" are another program's (lab exec). */
static bool passes_on(const struct cmd *c)
{
	return c->operands && strstr(c->operands, "--");
}

/* getopt's view of c's options, "help" added; *n_r of them. */
static void getopt_tables(const struct cmd *c, struct option *longopts,
			  char *shortopts, size_t *n_r)
{
	size_t n = 0, s = 0;

	/* "+": stop at the first operand when the rest is another
	 * program's; ":": a missing argument is ours to report. */
	if (passes_on(c))
		shortopts[s++] = '+';
	shortopts[s++] = ':';
	shortopts[s++] = 'h';
	for (const struct cmd_opt *const *o = c->opts; o && *o; o++, n++) {
		longopts[n] = (struct option){
		    (*o)->name, (*o)->arg ? required_argument : no_argument,
		    NULL, 256 + (int)n};
		if ((*o)->short_name) {
			shortopts[s++] = (*o)->short_name;
			if ((*o)->arg)
				shortopts[s++] = ':';
		}
	}
	longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
	longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
	shortopts[s] = '\0';
	*n_r = n;
}

/* The option getopt returned as c, or NULL for help and errors. */
static const struct cmd_opt *option_of(const struct cmd *cmd, int c)
{
	size_t i = 0;

	for (const struct cmd_opt *const *o = cmd->opts; o && *o; o++, i++)
		if (c == 256 + (int)i || (c == (*o)->short_name && c > 0))
			return *o;
	return NULL;
}

/* Parse argv (argv[0]: the command's name) into opts. BL_OK to go on;
 * BL_ERR_CANCELLED when --help was shown; BL_ERR_INVAL after saying why. */
static int parse(const struct cmd_prog *p, const char *who,
		 const struct cmd *cmd, int argc, char **argv, void *opts,
		 int *first_operand_r)
{
	struct option longopts[LONGOPTS_MAX + 2];
	char shortopts[2 * LONGOPTS_MAX + 4];
	size_t n;
	int c, min, max, left;

	getopt_tables(cmd, longopts, shortopts, &n);
	if (n > LONGOPTS_MAX)
		return BL_ERR_INVAL;
	optind = 0; /* GNU getopt: start over, whatever ran before */
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct cmd_opt *o = option_of(cmd, c);
		const char *bad = argv[optind - 1];

		if (c == 'h') {
			print_help(stdout, who, cmd);
			return BL_ERR_CANCELLED;
		}
		if (c == ':') {
			fprintf(stderr, "%s: %s wants an argument\n", who, bad);
		} else if (c == '?' && !strncmp(bad, "--", 2) &&
			   known_anywhere(p->commands, bad + 2)) {
			fprintf(stderr, "%s: option %s is not valid here\n",
				who, bad);
		} else if (c == '?') {
			fprintf(stderr, "%s: unknown option \"%s\"\n", who,
				bad);
		} else if (o && store(who, o, optarg, opts) == BL_OK) {
			continue;
		}
		print_usage(stderr, who, cmd);
		return BL_ERR_INVAL;
	}
	operand_counts(cmd->operands, &min, &max);
	left = argc - optind;
	/* Empty operands are refused, but for another program's. */
	for (int i = optind; i < argc && !passes_on(cmd); i++)
		if (argv[i][0] == '\0') {
			fprintf(stderr, "%s: an operand is empty\n", who);
			left = -1;
		}
	if (left >= 0 && (left < min || (max >= 0 && left > max))) {
		fprintf(stderr, "%s: %s\n", who,
			left < min ? "missing operands" : "too many operands");
		left = -1;
	}
	if (left < 0) {
		print_usage(stderr, who, cmd);
		return BL_ERR_INVAL;
	}
	*first_operand_r = optind;
	return BL_OK;
}

static int run(const struct cmd_prog *p, const struct cmd *table,
	       const char *who, int argc, char **argv)
{
	char path[WHO_MAX];
	const struct cmd *c;
	struct cmd_call call = {.prog = p};
	void *opts;
	int first = 0, rc, status;

	c = lookup(table, argv[0], who);
	if (!c)
		return EXIT_USAGE;
	snprintf(path, sizeof(path), "%s %s", who, c->name);
	if (c->sub) {
		if (argc < 2) {
			print_usage(stderr, path, c);
			return EXIT_USAGE;
		}
		if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
			print_help(stdout, path, c);
			return EXIT_OK;
		}
		return run(p, c->sub, path, argc - 1, argv + 1);
	}
	opts = calloc(1, p->opts_size);
	if (!opts) {
		fprintf(stderr, "%s: out of memory\n", path);
		return EXIT_FAIL;
	}
	rc = parse(p, path, c, argc, argv, opts, &first);
	if (rc == BL_ERR_CANCELLED) {
		status = EXIT_OK;
	} else if (rc) {
		status = EXIT_USAGE;
	} else {
		call.cmd = c;
		call.who = path;
		call.opts = opts;
		call.argc = argc - first;
		call.argv = argv + first;
		status = c->fn(&call);
	}
	free(opts);
	return status;
}

int cmd_main(const struct cmd_prog *p, int argc, char **argv)
{
	if (argc < 2) {
		print_prog_usage(stderr, p);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		print_prog_usage(stdout, p);
		return EXIT_OK;
	}
	return run(p, p->commands, p->name, argc - 1, argv + 1);
}

int cmd_help(const struct cmd_call *call)
{
	const struct cmd *table = call->prog->commands, *c = NULL;
	char path[WHO_MAX];

	snprintf(path, sizeof(path), "%s", call->prog->name);
	for (int i = 0; i < call->argc; i++) {
		if (!table) {
			fprintf(stderr, "%s has no subcommands\n", path);
			return EXIT_USAGE;
		}
		c = lookup(table, call->argv[i], path);
		if (!c)
			return EXIT_USAGE;
		snprintf(path + strlen(path), sizeof(path) - strlen(path),
			 " %s", c->name);
		table = c->sub;
	}
	if (c)
		print_help(stdout, path, c);
	else
		print_prog_usage(stdout, call->prog);
	return EXIT_OK;
}

static void print_synopsis(FILE *out, const char *who, const struct cmd *table)
{
	for (const struct cmd *c = table; c->name; c++) {
		char path[WHO_MAX];

		snprintf(path, sizeof(path), "%s %s", who, c->name);
		if (c->sub) {
			print_synopsis(out, path, c->sub);
			continue;
		}
		print_line(out, path, c);
		fprintf(out, "\n");
	}
}

void cmd_print_synopsis(FILE *out, const struct cmd_prog *p)
{
	print_synopsis(out, p->name, p->commands);
}
