/* The lab's cluster: a CA, a certificate for each node (pushed into its
 * dom0, where blanketd waits for it), a client certificate for the host's
 * CLI, and RUN_DIR/cluster.conf naming them, so that after `lab up` the
 * host's `blanket list` reaches every node over TLS. */
#ifndef BL_LAB_ENROLL_H
#define BL_LAB_ENROLL_H

#include "toolstack/common/err.h"
#include "lab/state.h"

#define ENROLL_CLUSTER_FILE "cluster.conf"

/* Create the credentials (anew: a new lab is a new cluster), install them
 * in every node and wait, until deadline_ms, for each node's blanketd to
 * answer. */
int enroll_lab(const char *run_dir, const struct lab_state *s,
	       int64_t deadline_ms) BL_MUST_CHECK;

#endif
