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
	const char *name;     /* stable id, kept in the state file */
	const char *l0;	      /* what it stands for, for humans */
	const char *cpu;      /* QEMU -cpu */
	const char *nic;      /* QEMU NIC model, for both NICs */
	int mem_mb;	      /* the QEMU machine's memory */
	const char *xen_args; /* more for the hypervisor QEMU boots */
	/* QEMU boots an L0 Xen whose dom0 starts the node as its PVH guest
	 * (lab/image/l0-start-node); else it boots the node itself. */
	bool l0_xen;
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
	/* For an l0_xen flavor: the L0 hypervisor (Debian's), and its dom0's
	 * initramfs, dom0's with the node's hypervisor and boot pack added. */
	const char *l0_xen;
	const char *l0_dom0;
};

struct lab_wiring {
	enum lab_link_kind kind;
	int port; /* LAB_LINK_SOCKET: node 1 listens, others connect */
	const char *switch_dir; /* LAB_LINK_SWITCH: vde_switch socket folder */
};

/* The default flavor for node index (1-based): kvm-virtio and legacy-e1000
 * in turn. */
const struct lab_flavor *node_flavor_for(int index);
/* Flavor by name; NULL if none. */
const struct lab_flavor *node_flavor_find(const char *name);
/* The flavors a comma-separated list names (`blanket-lab up --flavors`),
 * at most max: node N gets out[(N - 1) % *n_r]. An unknown or empty name
 * is an error that names it and the known ones. */
int node_flavors_parse(const char *list, const struct lab_flavor **out, int max,
		       int *n_r) BL_MUST_CHECK;

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
