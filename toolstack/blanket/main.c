/* blanket(1): the Blanket command line. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
    {"lab", cmd_lab, "up|down|status|exec ...",
     "Run a lab of blanket nodes under QEMU on this machine"},
    {"help", cmd_help, "[COMMAND]", "Show help"},
    {NULL, NULL, NULL, NULL},
};

const struct cmd *cmd_lookup(const struct cmd *table, const char *name,
			     const char *what)
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
	fprintf(stderr, "blanket: %s %s \"%s\"; try `blanket help`\n",
		matches ? "ambiguous" : "unknown", what, name);
	return NULL;
}

void cmd_print_table(FILE *out, const struct cmd *table, const char *prefix)
{
	for (const struct cmd *c = table; c->name; c++)
		fprintf(out, "  %s%-8s %-28s %s\n", prefix, c->name, c->args,
			c->summary);
}

static void usage(FILE *out)
{
	fprintf(out, "usage: blanket COMMAND [ARGS...]\n\ncommands:\n");
	cmd_print_table(out, commands, "");
	fprintf(out, "\n`blanket COMMAND --help` shows a command's options; "
		     "blanket(1) has the details.\n");
}

static int cmd_help(int argc, char **argv)
{
	const struct cmd *c;
	char *help_argv[] = {NULL, "--help", NULL};

	if (argc < 2) {
		usage(stdout);
		return EXIT_OK;
	}
	c = cmd_lookup(commands, argv[1], "command");
	if (!c)
		return EXIT_USAGE;
	if (c->fn == cmd_help) {
		usage(stdout);
		return EXIT_OK;
	}
	help_argv[0] = (char *)c->name;
	return c->fn(2, help_argv);
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	log_init("blanket", false, false);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return EXIT_OK;
	}
	c = cmd_lookup(commands, argv[1], "command");
	if (!c)
		return EXIT_USAGE;
	return c->fn(argc - 1, argv + 1);
}
