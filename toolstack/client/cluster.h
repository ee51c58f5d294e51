/* cluster.conf(5): the nodes the blanket CLI manages and its credentials. */
#ifndef BL_CLUSTER_H
#define BL_CLUSTER_H

#include <limits.h>
#include <stdio.h>

#include "toolstack/common/err.h"

#define CLUSTER_MAX_NODES   64
#define CLUSTER_SYSTEM_FILE "/etc/blanket/cluster.conf"

struct cluster_node {
	char name[64];
	char host[256];
	int port;
	/* Where other nodes reach it (migration), when not host:port. */
	char peer_host[256];
	int peer_port;
};

struct cluster {
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	struct cluster_node node[CLUSTER_MAX_NODES];
	int nodes;
};

/* Parse a cluster file read from in; source names it in errors and its
 * folder anchors relative paths. On error err says "FILE:LINE: what". */
/* Flags: a node's list of its peers (blanketd --peers) needs no
 * credentials: the node has its own. */
#define CLUSTER_NODES_ONLY 0x1u

int cluster_parse(FILE *in, const char *source, unsigned int flags,
		  struct cluster *c, char *err, size_t errlen) BL_MUST_CHECK;
/* Which cluster file to use, first found of: given (--cluster),
 * $BLANKET_CLUSTER, the user's ($XDG_CONFIG_HOME, else ~/.config:
 * blanket/cluster.conf), CLUSTER_SYSTEM_FILE. The first two are taken
 * whether or not they exist. BL_ERR_NOTFOUND when none is. */
int cluster_locate(const char *given, char *path, size_t len) BL_MUST_CHECK;
int cluster_load(const char *path, unsigned int flags, struct cluster *c,
		 char *err, size_t errlen) BL_MUST_CHECK;
const struct cluster_node *cluster_find(const struct cluster *c,
					const char *name);

#endif
