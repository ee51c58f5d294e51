/* blanket(1): its command table (commands.c) and the options every
 * command reads from it. */
#ifndef BL_BLANKET_CLI_H
#define BL_BLANKET_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/blanket/cmd.h"

/* Every option of blanket(1); zero when not given. */
struct cli_opts {
	/* guest and cluster commands */
	const char *node;    /* -n NODE */
	const char *cluster; /* --cluster FILE */
	bool json, force, wait, no_compress, no_throttle, keep_source;
	bool resolve, resume_here, discard_here, yes; /* migrate --resolve */
	int timeout_s;
	uint64_t bandwidth;  /* bytes/s */
	int delta_cache_mib; /* migrate: page deltas' cache; 0: none */
	/* node probe, check, boot-profile */
	const char *from, *xl_info;
	bool record;
	int memory_mb, cpus;
	/* ca */
	const char *dir, *name, *out;
	const char *role;
	struct cmd_list ips;
	int days;
	/* node boot-profile, node install */
	const char *xen_args, *dom0_args, *packages;
	bool grub, no_reboot;
	/* enrolment: ca token, ca serve-enrol, node enrol, node install */
	const char *ttl, *listen, *peers, *token, *server;
	bool once;
	/* bench */
	const char *layers, *peer, *scratch, *disk_image;
	int runs, seconds, disk_mib;
};

extern const struct cmd_prog blanket_prog;

/* Guest commands (cmd_guest.c, cmd_console.c, cmd_migrate.c). */
int cmd_create(const struct cmd_call *call);
int cmd_list(const struct cmd_call *call);
int cmd_info(const struct cmd_call *call);
int cmd_destroy(const struct cmd_call *call);
int cmd_shutdown(const struct cmd_call *call);
int cmd_reboot(const struct cmd_call *call);
int cmd_pause(const struct cmd_call *call);
int cmd_unpause(const struct cmd_call *call);
int cmd_console(const struct cmd_call *call);
int cmd_migrate(const struct cmd_call *call);
/* migrate --resolve (cmd_resolve.c). */
int cmd_migrate_resolve(const struct cmd_call *call);
/* The cluster's nodes (cmd_cluster.c). */
int cmd_nodes(const struct cmd_call *call);
/* This node (cmd_node.c). */
int cmd_node_probe(const struct cmd_call *call);
int cmd_node_check(const struct cmd_call *call);
int cmd_node_profile(const struct cmd_call *call);
/* The cluster CA (cmd_ca.c). */
int cmd_ca_init(const struct cmd_call *call);
int cmd_ca_issue(const struct cmd_call *call);
int cmd_ca_list(const struct cmd_call *call);
int cmd_ca_revoke(const struct cmd_call *call);
int cmd_ca_renew(const struct cmd_call *call);
/* For the CA's commands: say how to make a CA when rc is BL_ERR_NOTFOUND
 * (none in dir); returns EXIT_FAIL. And t (seconds since the epoch) in UTC,
 * as strftime's format writes it. */
int cmd_ca_missing(const struct cmd_call *call, const char *dir, int rc);
void cmd_ca_time(int64_t t, const char *format, char *buf, size_t size);
/* Enrolment (cmd_enrol.c). */
int cmd_ca_token(const struct cmd_call *call);
int cmd_ca_serve_enrol(const struct cmd_call *call);
int cmd_node_enrol(const struct cmd_call *call);
/* Measuring what nesting costs (cmd_bench.c). */
int cmd_bench(const struct cmd_call *call);
/* Installing a node (cmd_install.c). */
int cmd_node_install(const struct cmd_call *call);
int cmd_node_uninstall(const struct cmd_call *call);

#endif
