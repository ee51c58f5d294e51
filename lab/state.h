/* The lab's state file (RUN_DIR/lab.state): which nodes run, as what. Text,
 * one record per line:
 *     blanket-lab 1
 *     port-base <port>
 *     switch <pid>                       (0: no switch)
 *     node <index> <pid> <flavor>        (one per node started so far)
 */
#ifndef BL_LAB_STATE_H
#define BL_LAB_STATE_H

#include <stdio.h>

#include "toolstack/common/err.h"
#include "lab/node.h"

struct lab_state {
	int port_base;
	pid_t switch_pid;
	int nodes;
	struct lab_node node[LAB_MAX_NODES];
};

void state_init(struct lab_state *s);
/* Host ports of a lab: the link (two nodes) and each node's control port. */
int state_link_port(const struct lab_state *s);
int state_ctl_port(const struct lab_state *s, int index);
int state_rpc_port(const struct lab_state *s, int index);

/* Parse a state file. On error, *err_line_r is the offending line number and
 * the rc BL_ERR_INVAL; *s is then unspecified. */
int state_parse(FILE *in, struct lab_state *s, int *err_line_r) BL_MUST_CHECK;
int state_write(FILE *out, const struct lab_state *s) BL_MUST_CHECK;

/* Load/save RUN_DIR/lab.state. Load gives BL_ERR_NOTFOUND when there is no
 * lab; save writes a new file and renames it into place. */
int state_load(const char *run_dir, struct lab_state *s) BL_MUST_CHECK;
int state_save(const char *run_dir, const struct lab_state *s) BL_MUST_CHECK;
int state_remove(const char *run_dir) BL_MUST_CHECK;

#endif
