/* `blanket lab ...`: argument parsing; the work is in lab/lab.c. */
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "lab.h"
#include "log.h"

/* `lab exec` mirrors ssh: the command's status, or this when the lab fails. */
#define EXIT_EXEC_FAILED 255

static int lab_cmd_up(int argc, char **argv);
static int lab_cmd_down(int argc, char **argv);
static int lab_cmd_status(int argc, char **argv);
static int lab_cmd_exec(int argc, char **argv);

static const struct cmd lab_commands[] = {
    {"up", lab_cmd_up, "[--nodes N] [--port-base P] [--timeout S]",
     "Boot N blanket nodes (default 2) and wait until they are ready"},
    {"status", lab_cmd_status, "[--json]",
     "List the nodes: state, emulated L0, address, logs"},
    {"exec", lab_cmd_exec, "[-n] [--timeout S] NODE -- CMD [ARG...]",
     "Run a command in a node's dom0"},
    {"down", lab_cmd_down, "", "Stop every process the lab started"},
    {NULL, NULL, NULL, NULL},
};

static void lab_usage(FILE *out)
{
	fprintf(out, "usage: blanket lab COMMAND [OPTIONS]\n\ncommands:\n");
	cmd_print_table(out, lab_commands, "lab ");
	fprintf(out,
		"\ncommon options:\n"
		"  --dir DIR   run folder: state, serial and QEMU logs\n"
		"              (default $BLANKET_LAB_DIR, else %s/lab/run)\n",
		BLANKET_BUILDDIR);
}

static void lab_opts_defaults(struct lab_opts *o)
{
	const char *dir = getenv("BLANKET_LAB_DIR");
	const char *images = getenv("BLANKET_LAB_IMAGES");

	lab_opts_init(o);
	o->run_dir = dir && *dir ? dir : BLANKET_BUILDDIR "/lab/run";
	o->image_dir = images && *images ? images : BLANKET_BUILDDIR "/lab";
	/* With a custom image folder, the caller builds the images. */
	o->src_dir = images && *images ? NULL : BLANKET_SRCDIR;
}

enum {
	OPT_DIR = 256,
	OPT_NODES,
	OPT_PORT_BASE,
	OPT_TIMEOUT,
	OPT_JSON,
	OPT_NO_BUILD
};

/* Options shared by every lab subcommand; only some are valid for each. */
static const struct option lab_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"nodes", required_argument, NULL, OPT_NODES},
    {"port-base", required_argument, NULL, OPT_PORT_BASE},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"json", no_argument, NULL, OPT_JSON},
    {"no-build", no_argument, NULL, OPT_NO_BUILD},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Parse argv for a subcommand, accepting only the options in allowed.
 * Returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, const char *allowed,
		      struct lab_opts *o, int *timeout_r, int *no_stdin_r)
{
	int c;

	lab_opts_defaults(o);
	optind = 1;
	/* "+": stop at the first operand, so `exec NODE -- cmd -x` works. */
	while ((c = getopt_long(argc, argv, "+hn", lab_options, NULL)) != -1) {
		const char *name = NULL;
		int rc = -1;

		for (const struct option *lo = lab_options; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		if (c == '?')
			return EXIT_USAGE;
		if (c == 'h') {
			lab_usage(stdout);
			return EXIT_OK;
		}
		if (c == 'n')
			name = "n";
		if (!name || !cmd_has_word(allowed, name)) {
			fprintf(stderr,
				"blanket lab %s: option %s%s is not "
				"valid here\n",
				argv[0], c == 'n' ? "-" : "--",
				name ? name : "?");
			return EXIT_USAGE;
		}
		switch (c) {
		case OPT_DIR:
			o->run_dir = optarg;
			break;
		case OPT_NODES:
			rc = cmd_parse_int("blanket lab", "--nodes", optarg, 1,
					   8, &o->nodes);
			break;
		case OPT_PORT_BASE:
			rc = cmd_parse_int("blanket lab", "--port-base", optarg,
					   1024, 65000, &o->port_base);
			break;
		case OPT_TIMEOUT:
			rc = cmd_parse_int("blanket lab", "--timeout", optarg,
					   1, INT_MAX / 1000, timeout_r);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_NO_BUILD:
			o->src_dir = NULL;
			break;
		case 'n':
			*no_stdin_r = 1;
			break;
		}
		if (rc >= 0)
			return rc;
	}
	return -1;
}

static int exit_status(int rc)
{
	return rc ? EXIT_FAIL : EXIT_OK;
}

static int lab_cmd_up(int argc, char **argv)
{
	struct lab_opts o;
	int timeout = 0, no_stdin = 0;
	int r = parse_opts(argc, argv, "dir nodes port-base timeout no-build",
			   &o, &timeout, &no_stdin);

	if (r < 0)
		r = cmd_no_operands("blanket lab", argc, argv);
	if (r >= 0)
		return r;
	if (timeout)
		o.timeout_s = timeout;
	return exit_status(lab_up(&o));
}

static int lab_cmd_down(int argc, char **argv)
{
	struct lab_opts o;
	int timeout = 0, no_stdin = 0;
	int r = parse_opts(argc, argv, "dir", &o, &timeout, &no_stdin);

	if (r < 0)
		r = cmd_no_operands("blanket lab", argc, argv);
	if (r >= 0)
		return r;
	return exit_status(lab_down(&o));
}

static int lab_cmd_status(int argc, char **argv)
{
	struct lab_opts o;
	int timeout = 0, no_stdin = 0;
	int r = parse_opts(argc, argv, "dir json", &o, &timeout, &no_stdin);

	if (r < 0)
		r = cmd_no_operands("blanket lab", argc, argv);
	if (r >= 0)
		return r;
	return exit_status(lab_status(&o));
}

static int lab_cmd_exec(int argc, char **argv)
{
	struct lab_opts o;
	int timeout = 0, no_stdin = 0, status = 0;
	int r =
	    parse_opts(argc, argv, "dir timeout n", &o, &timeout, &no_stdin);
	const char *node;

	if (r >= 0)
		return r;
	if (optind >= argc) {
		fprintf(stderr, "usage: blanket lab exec [-n] [--timeout S] "
				"NODE -- CMD [ARG...]\n");
		return EXIT_USAGE;
	}
	node = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc || argv[optind][0] == '\0') {
		fprintf(stderr, "blanket lab exec: no command to run on %s\n",
			node);
		return EXIT_USAGE;
	}
	if (lab_exec(&o, node, argv + optind, !no_stdin, timeout, &status))
		return EXIT_EXEC_FAILED;
	return status;
}

int cmd_lab(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		lab_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	c = cmd_lookup(lab_commands, argv[1], "lab command");
	if (!c)
		return EXIT_USAGE;
	return c->fn(argc - 1, argv + 1);
}
