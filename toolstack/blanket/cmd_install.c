/* `blanket node install|uninstall`: the work is the installer's, a shell
 * program (blanket/install/node-install, node-uninstall; docs/install.md)
 * that drives apt, GRUB and systemd; this passes it the options. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/common/log.h"

#define INSTALLER_DIR "/usr/lib/blanket"
#define MAX_ARGS      24

static int run(const struct cmd_call *call, const char *program, char **argv)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", INSTALLER_DIR, program);
	argv[0] = path;
	execv(path, argv);
	fprintf(stderr,
		"%s: cannot run %s: %s (is the blanket package "
		"installed?)\n",
		call->who, path, strerror(errno));
	return EXIT_FAIL;
}

/* "--option" and its value into argv[*n], when given. */
static void pass(char **argv, int *n, const char *option, const char *value)
{
	if (!value)
		return;
	argv[(*n)++] = (char *)option;
	argv[(*n)++] = (char *)value;
}

int cmd_node_install(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	char *argv[MAX_ARGS];
	int n = 1;

	if (!o->server || !o->token) {
		fprintf(stderr, "%s: --server and --token are required\n",
			call->who);
		return EXIT_USAGE;
	}
	pass(argv, &n, "--server", o->server);
	pass(argv, &n, "--token", o->token);
	pass(argv, &n, "--name", o->name);
	pass(argv, &n, "--packages", o->packages);
	pass(argv, &n, "--xen-args", o->xen_args);
	pass(argv, &n, "--dom0-args", o->dom0_args);
	if (o->no_reboot)
		argv[n++] = "--no-reboot";
	argv[n] = NULL;
	return run(call, "node-install", argv);
}

int cmd_node_uninstall(const struct cmd_call *call)
{
	char *argv[] = {NULL, NULL};

	return run(call, "node-uninstall", argv);
}
