/* One lab node: a QEMU TCG process booting Xen and a dom0, emulating one kind
 * of L0 cloud. */
#ifndef BL_LAB_NODE_H
#define BL_LAB_NODE_H

#include <stdbool.h>
#include <sys/types.h>

#include "toolstack/common/err.h"

#define LAB_MAX_NODES 8

/* What a node's L0 looks like to the blanket node booted on it. */
struct lab_flavor {
	const char *name; /* stable id, kept in the state file */
	const char *l0;	  /* what it stands for, for humans */
	const char *cpu;  /* QEMU -cpu */
	const char *nic;  /* QEMU NIC model, for both NICs */
};

/* How nodes are wired: a QEMU socket that node1 listens on for one or
 * two (the second connects), a switch beyond. */
enum lab_link_kind { LAB_LINK_SOCKET, LAB_LINK_SWITCH };

struct lab_node {
	int index;    /* 1-based: node<index>, 10.99.0.<index> */
	pid_t pid;    /* QEMU; 0 when not running */
	int ctl_port; /* host port forwarded to the node's agent */
	int rpc_port; /* host port forwarded to the node's blanketd */
	const struct lab_flavor *flavor;
};

/* What a node boots, all paths absolute. */
struct lab_images {
	const char *xen;
	const char *kernel;
	const char *dom0;
};

struct lab_wiring {
	enum lab_link_kind kind;
	int port; /* LAB_LINK_SOCKET: node 1 listens, others connect */
	const char *switch_dir; /* LAB_LINK_SWITCH: vde_switch socket folder */
};

/* Flavor for node index (1-based): the table is used round robin. */
const struct lab_flavor *node_flavor_for(int index);
/* Flavor by name; NULL if none. */
const struct lab_flavor *node_flavor_find(const char *name);

/* The QEMU command line for node n, logging its serial port to serial_log.
 * On success *argv_r is a NULL-terminated malloc'd array of malloc'd strings;
 * free it with node_argv_free(). */
int node_qemu_argv(const struct lab_node *n, const struct lab_wiring *w,
		   const struct lab_images *img, const char *serial_log,
		   char ***argv_r) BL_MUST_CHECK;
void node_argv_free(char **argv);

/* Start QEMU for n in its own session, stdout/stderr to qemu_log; sets
 * n->pid. */
int node_spawn(struct lab_node *n, char **argv,
	       const char *qemu_log) BL_MUST_CHECK;
/* Whether pid is still a process named like want ("qemu-system",
 * "vde_switch"): a recycled pid is not ours. */
bool node_pid_is(pid_t pid, const char *want);
/* SIGTERM, then SIGKILL after grace_ms; reaps it if it is our child. */
void node_kill(pid_t pid, int grace_ms);

#endif
