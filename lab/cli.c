/*
 * blanket-lab(1): the lab's command table and its commands' argument
 * handling; the work is in lab.c. Usage lines, --help and blanket-lab.1's
 * synopsis (tests/unit/test_cli.c) come from the table.
 *
 * The lab finds its node images and keeps its run folder beside its own
 * program, as a build tree lays them out (build/bin/blanket-lab,
 * build/lab/{xen,vmlinuz,dom0.cpio.gz}, build/lab/run), unless
 * $BLANKET_LAB_IMAGES or $BLANKET_LAB_DIR (or --dir) say otherwise: no path
 * is compiled in.
 */
#include "lab/cli.h"

#include <libgen.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"

/* `exec` mirrors ssh: the command's status, or this when the lab fails. */
#define EXIT_EXEC_FAILED 255

#define OFF(field) offsetof(struct lab_cli_opts, field)

static const struct cmd_opt O_DIR = {.name = "dir",
				     .kind = CMD_STRING,
				     .arg = "DIR",
				     .offset = OFF(dir),
				     .help =
					 "the run folder: state, serial and "
					 "QEMU logs (default $BLANKET_LAB_DIR, "
					 "else lab/run beside the images)"};
static const struct cmd_opt O_NODES = {.name = "nodes",
				       .kind = CMD_INT,
				       .arg = "N",
				       .offset = OFF(nodes),
				       .min = 1,
				       .max = LAB_MAX_NODES,
				       .help = "how many nodes (default 2)"};
static const struct cmd_opt O_FLAVORS = {
    .name = "flavors",
    .kind = CMD_STRING,
    .arg = "LIST",
    .offset = OFF(flavors),
    .help = "the nodes' emulated L0s, in turn: kvm-virtio, legacy-e1000, "
	    "kvm-amd, xen-hvm (default kvm-virtio,legacy-e1000)"};
static const struct cmd_opt O_PORT_BASE = {
    .name = "port-base",
    .kind = CMD_INT,
    .arg = "P",
    .offset = OFF(port_base),
    .min = 1024,
    .max = 65000,
    .help = "the first of the loopback ports the lab takes (default 47800)"};
static const struct cmd_opt O_UP_TIMEOUT = {
    .name = "timeout",
    .kind = CMD_INT,
    .arg = "S",
    .offset = OFF(timeout_s),
    .min = 1,
    .max = 86400,
    .help =
	"give up when the nodes are not ready within S seconds (default 300)"};
static const struct cmd_opt O_EXEC_TIMEOUT = {
    .name = "timeout",
    .kind = CMD_INT,
    .arg = "S",
    .offset = OFF(timeout_s),
    .min = 1,
    .max = 86400,
    .help = "kill the command when it runs longer than S seconds"};
static const struct cmd_opt O_JSON = {.name = "json",
				      .kind = CMD_FLAG,
				      .offset = OFF(json),
				      .help = "print JSON"};
static const struct cmd_opt O_NO_STDIN = {.name = "no-stdin",
					  .short_name = 'n',
					  .kind = CMD_FLAG,
					  .offset = OFF(no_stdin),
					  .help =
					      "do not forward standard input"};

/* Where the lab's files are: lab_opts points into it. */
struct lab_paths {
	char run_dir[PATH_MAX];
	char image_dir[PATH_MAX];
};

/* The defaults, then what the options say. */
static int lab_opts_from(const struct cmd_call *call, struct lab_opts *o,
			 struct lab_paths *p)
{
	const struct lab_cli_opts *c = call->opts;
	const char *dir = getenv("BLANKET_LAB_DIR");
	const char *images = getenv("BLANKET_LAB_IMAGES");
	char exe[PATH_MAX];
	ssize_t len;

	lab_opts_init(o);
	if (images && *images) {
		snprintf(p->image_dir, sizeof(p->image_dir), "%s", images);
	} else {
		len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len < 0) {
			log_warn("cannot tell where %s is installed",
				 call->prog->name);
			return BL_ERR_IO;
		}
		exe[len] = '\0';
		/* PREFIX/bin/blanket-lab: images in PREFIX/lab. */
		if (path_join(p->image_dir, sizeof(p->image_dir),
			      dirname(dirname(exe)), "lab"))
			return BL_ERR_INVAL;
	}
	if (c->dir)
		snprintf(p->run_dir, sizeof(p->run_dir), "%s", c->dir);
	else if (dir && *dir)
		snprintf(p->run_dir, sizeof(p->run_dir), "%s", dir);
	else if (path_join(p->run_dir, sizeof(p->run_dir), p->image_dir, "run"))
		return BL_ERR_INVAL;
	o->run_dir = p->run_dir;
	o->image_dir = p->image_dir;
	o->json = c->json;
	o->flavors = c->flavors;
	if (c->nodes)
		o->nodes = c->nodes;
	if (c->port_base)
		o->port_base = c->port_base;
	if (c->timeout_s)
		o->timeout_s = c->timeout_s;
	return BL_OK;
}

/* up, down, status, env: the lab's function with the call's options. */
static int run(const struct cmd_call *call, int (*fn)(const struct lab_opts *))
{
	struct lab_paths p;
	struct lab_opts o;
	int rc = lab_opts_from(call, &o, &p);

	return cmd_status(rc ? rc : fn(&o));
}

static int lab_cmd_up(const struct cmd_call *call)
{
	return run(call, lab_up);
}

static int lab_cmd_down(const struct cmd_call *call)
{
	return run(call, lab_down);
}

static int lab_cmd_status(const struct cmd_call *call)
{
	return run(call, lab_status);
}

static int lab_cmd_env(const struct cmd_call *call)
{
	return run(call, lab_env);
}

static int lab_cmd_exec(const struct cmd_call *call)
{
	const struct lab_cli_opts *c = call->opts;
	const char *node = call->argv[0];
	char **argv = call->argv + 1;
	struct lab_paths p;
	struct lab_opts o;
	int status = 0;

	if (argv[0] && strcmp(argv[0], "--") == 0)
		argv++;
	if (!argv[0]) {
		fprintf(stderr, "%s: no command to run on %s\n", call->who,
			node);
		return EXIT_USAGE;
	}
	if (lab_opts_from(call, &o, &p) ||
	    lab_exec(&o, node, argv, !c->no_stdin, c->timeout_s, &status))
		return EXIT_EXEC_FAILED;
	return status;
}

static const struct cmd commands[] = {
    {"up", lab_cmd_up, NULL,
     CMD_OPTS(&O_NODES, &O_FLAVORS, &O_PORT_BASE, &O_UP_TIMEOUT, &O_DIR), "",
     "Boot N blanket nodes (default 2) and wait until they are ready"},
    {"status", lab_cmd_status, NULL, CMD_OPTS(&O_JSON, &O_DIR), "",
     "List the nodes: state, emulated L0, address, logs"},
    {"env", lab_cmd_env, NULL, CMD_OPTS(&O_DIR), "",
     "Print the shell line that points blanket at the lab's cluster"},
    {"exec", lab_cmd_exec, NULL, CMD_OPTS(&O_NO_STDIN, &O_EXEC_TIMEOUT, &O_DIR),
     "NODE -- CMD [ARG...]", "Run a command in a node's dom0"},
    {"down", lab_cmd_down, NULL, CMD_OPTS(&O_DIR), "",
     "Stop every process the lab started"},
    {"help", cmd_help, NULL, NULL, "[COMMAND...]", "Show help"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct cmd_prog lab_prog = {
    .name = "blanket-lab",
    .commands = commands,
    .opts_size = sizeof(struct lab_cli_opts),
    .footer = "blanket-lab(1) has the details.\n",
};
