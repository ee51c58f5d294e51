/* `blanket-lab`: N blanket nodes under QEMU TCG on this machine, each
 * emulating a different L0 cloud, joined by a private emulated link. */
#ifndef BL_LAB_H
#define BL_LAB_H

#include <stdbool.h>

#include "lab/state.h"
#include "toolstack/common/err.h"

struct lab_opts {
	const char *run_dir;   /* state file, serial and QEMU logs */
	const char *image_dir; /* xen, vmlinuz, dom0.cpio.gz */
	int nodes;
	const char *flavors; /* --flavors; NULL: the default ones in turn */
	int port_base;	     /* link port; node N's control port is base+N */
	int timeout_s;	     /* deadline for all nodes to become ready */
	bool json;
};

void lab_opts_init(struct lab_opts *o);

int lab_up(const struct lab_opts *o) BL_MUST_CHECK;
int lab_down(const struct lab_opts *o) BL_MUST_CHECK;
int lab_status(const struct lab_opts *o) BL_MUST_CHECK;
/* Print the shell line that points blanket(1) at the running lab's cluster
 * file (export BLANKET_CLUSTER=...). */
int lab_env(const struct lab_opts *o) BL_MUST_CHECK;
/* Run argv in node's dom0 with our stdin (if forward_stdin), stdout and
 * stderr; *status_r is its exit status. timeout_s 0 means none. */
int lab_exec(const struct lab_opts *o, const char *node, char **argv,
	     bool forward_stdin, int timeout_s, int *status_r) BL_MUST_CHECK;

#endif
