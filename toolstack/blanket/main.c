/* blanket(1): the Blanket command line. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "log.h"

static int cmd_help(int argc, char **argv);

static const struct cmd commands[] = {
    {"create", cmd_create, "[-n NODE] CONFIG-FILE",
     "Create a guest from an xl.cfg file"},
    {"list", cmd_list, "[-n NODE] [--json]", "List the guests of every node"},
    {"info", cmd_info, "[-n NODE] [--json] GUEST", "Show a guest"},
    {"console", cmd_console, "[-n NODE] GUEST",
     "Attach to a guest's console (Ctrl-] detaches)"},
    {"migrate", cmd_migrate, "[--no-compress] [--json] GUEST NODE",
     "Live-migrate a guest to another node"},
    {"pause", cmd_pause, "[-n NODE] GUEST", "Pause a guest"},
    {"unpause", cmd_unpause, "[-n NODE] GUEST", "Unpause a guest"},
    {"shutdown", cmd_shutdown, "[-n NODE] [-w] [--timeout S] [--force] GUEST",
     "Shut a guest down cleanly"},
    {"reboot", cmd_reboot, "[-n NODE] GUEST", "Reboot a guest"},
    {"destroy", cmd_destroy, "[-n NODE] GUEST", "Destroy a guest at once"},
    {"lab", cmd_lab, "up|down|status|exec ...",
     "Run a lab of blanket nodes under QEMU on this machine"},
    {"node", cmd_node, "probe|check|boot-profile ...",
     "Inspect this node and its L0 cloud"},
    {"ca", cmd_ca, "init|issue ...",
     "Create the cluster CA and issue node and client certificates"},
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

int cmd_parse_int(const char *who, const char *opt, const char *arg, int min,
		  int max, int *v_r)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*arg == '\0' || *end || v < min || v > max) {
		fprintf(stderr,
			"%s: %s wants a number from %d to %d, got \"%s\"\n",
			who, opt, min, max, arg);
		return EXIT_USAGE;
	}
	*v_r = (int)v;
	return -1;
}

bool cmd_has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			return true;
	return false;
}

int cmd_no_operands(const char *who, int argc, char **argv)
{
	if (optind < argc) {
		fprintf(stderr, "%s %s: unexpected argument \"%s\"\n", who,
			argv[0], argv[optind]);
		return EXIT_USAGE;
	}
	return -1;
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
	/* A node that goes away mid-write is an error to report, not a
	 * reason to die (TLS writes with write(2)). */
	signal(SIGPIPE, SIG_IGN);
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
