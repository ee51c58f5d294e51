#include "guest_target.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "rate.h"
#include "tls.h"

#define ERRLEN 768

static const struct option guest_options[] = {
    {"node", required_argument, NULL, 'n'},
    {"cluster", required_argument, NULL, 'C'},
    {"json", no_argument, NULL, 'j'},
    {"timeout", required_argument, NULL, 't'},
    {"force", no_argument, NULL, 'F'},
    {"wait", no_argument, NULL, 'w'},
    {"no-compress", no_argument, NULL, 'Z'},
    {"bandwidth", required_argument, NULL, 'B'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse(int argc, char **argv, const char *allowed, int operands,
		 const char *usage, struct guest_target *t)
{
	char who[64];
	int c;

	snprintf(who, sizeof(who), "blanket %s", argv[0]);
	optind = 1;
	while ((c = getopt_long(argc, argv, "+n:hw", guest_options, NULL)) !=
	       -1) {
		const char *name = NULL;

		for (const struct option *lo = guest_options; lo->name; lo++)
			if (lo->val == c)
				name = lo->name;
		if (c == 'h') {
			printf("usage: blanket %s %s\n", argv[0], usage);
			return EXIT_OK;
		}
		if (c == '?' || !name || !cmd_has_word(allowed, name)) {
			fprintf(stderr, "usage: blanket %s %s\n", argv[0],
				usage);
			return EXIT_USAGE;
		}
		switch (c) {
		case 'n':
			t->node = optarg;
			break;
		case 'C':
			t->cluster_file = optarg;
			break;
		case 'j':
			t->json = true;
			break;
		case 't':
			if (cmd_parse_int(who, "--timeout", optarg, 0, 86400,
					  &t->timeout_s) >= 0)
				return EXIT_USAGE;
			break;
		case 'F':
			t->force = true;
			break;
		case 'w':
			t->wait = true;
			break;
		case 'Z':
			t->no_compress = true;
			break;
		case 'B':
			if (rate_parse(optarg, &t->bandwidth)) {
				fprintf(stderr,
					"%s: --bandwidth wants a rate such as "
					"20M (MiB/s), 512K or 100Mbit, got "
					"\"%s\"\n",
					who, optarg);
				return EXIT_USAGE;
			}
			break;
		}
	}
	if (argc - optind != operands || (operands && !argv[optind][0]) ||
	    (operands > 1 && !argv[optind + 1][0])) {
		fprintf(stderr, "usage: blanket %s %s\n", argv[0], usage);
		return EXIT_USAGE;
	}
	t->operand = operands ? argv[optind] : NULL;
	t->operand2 = operands > 1 ? argv[optind + 1] : NULL;
	return -1;
}

/* Where the cluster file is: --cluster, $BLANKET_CLUSTER, the system's,
 * else that of the lab running in this checkout (what `blanket lab up`
 * wrote), if any. */
static const char *cluster_path(const struct guest_target *t, char *buf,
				size_t len)
{
	const char *env = getenv("BLANKET_CLUSTER");
	const char *lab = getenv("BLANKET_LAB_DIR");

	if (t->cluster_file)
		return t->cluster_file;
	if (env && *env)
		return env;
	if (access(CLUSTER_DEFAULT_FILE, F_OK) == 0)
		return CLUSTER_DEFAULT_FILE;
	snprintf(buf, len, "%s/cluster.conf",
		 lab && *lab ? lab : BLANKET_BUILDDIR "/lab/run");
	return access(buf, F_OK) == 0 ? buf : CLUSTER_DEFAULT_FILE;
}

static int open_cluster(struct guest_target *t)
{
	char err[ERRLEN], path[PATH_MAX];
	int rc;

	rc = cluster_load(cluster_path(t, path, sizeof(path)), &t->c, err,
			  sizeof(err));
	if (rc == BL_ERR_NOTFOUND && !t->cluster_file &&
	    access(CLIENT_LOCAL_SOCKET, F_OK) == 0) {
		t->local = true;
		t->c.nodes = 1;
		snprintf(t->c.node[0].name, sizeof(t->c.node[0].name), "local");
		return BL_OK;
	}
	if (rc) {
		fprintf(stderr, "blanket: %s\n", err);
		return rc;
	}
	rc = tls_ctx_new(TLS_CLIENT, t->c.ca, t->c.cert, t->c.key, &t->tls);
	if (rc)
		fprintf(stderr, "blanket: cannot use the credentials the "
				"cluster file names\n");
	return rc;
}

int guest_target_begin(int argc, char **argv, const char *allowed, int operands,
		       const char *usage, struct guest_target *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	r = parse(argc, argv, allowed, operands, usage, t);
	if (r >= 0)
		return r;
	return open_cluster(t) ? EXIT_FAIL : -1;
}

void guest_target_end(struct guest_target *t)
{
	tls_ctx_free(t->tls);
	t->tls = NULL;
}

int guest_target_connect(struct guest_target *t, int i,
			 struct client_conn *conn, char *err, size_t errlen)
{
	if (t->local)
		return client_connect_local(CLIENT_LOCAL_SOCKET, conn, err,
					    errlen);
	return client_connect(t->tls, &t->c.node[i], conn, err, errlen);
}

int guest_target_index(const struct guest_target *t, const char *name)
{
	const struct cluster_node *n;

	if (t->local)
		return 0;
	n = cluster_find(&t->c, name);
	if (!n) {
		fprintf(stderr, "blanket: no node \"%s\" in the cluster file\n",
			name);
		return -1;
	}
	return (int)(n - t->c.node);
}

int guest_target_range(const struct guest_target *t, const char *name,
		       int *lo_r, int *hi_r)
{
	*lo_r = 0;
	*hi_r = t->c.nodes;
	if (!name)
		return 0;
	*lo_r = guest_target_index(t, name);
	*hi_r = *lo_r + 1;
	return *lo_r < 0 ? -1 : 0;
}

int guest_target_call(struct guest_target *t, int i, struct rpc_msg *req,
		      struct rpc_msg *reply, bool quiet_notfound)
{
	struct client_conn conn;
	char err[ERRLEN];
	int rc = guest_target_connect(t, i, &conn, err, sizeof(err));

	if (!rc) {
		rc = client_call(&conn, req, reply, err, sizeof(err));
		client_close(&conn);
	}
	if (rc && !(quiet_notfound && rc == BL_ERR_NOTFOUND))
		fprintf(stderr, "blanket: %s\n", err);
	return rc;
}

int guest_target_find(struct guest_target *t, const char *name)
{
	bool unreachable = false;

	if (t->node)
		return guest_target_index(t, t->node);
	for (int i = 0; i < t->c.nodes; i++) {
		struct rpc_msg req, reply;
		int rc;

		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_GUEST_INFO;
		snprintf(req.name, sizeof(req.name), "%s", name);
		rc = guest_target_call(t, i, &req, &reply, true);
		rpc_msg_dispose(&reply);
		if (rc == BL_OK)
			return i;
		if (rc != BL_ERR_NOTFOUND)
			unreachable = true;
	}
	fprintf(stderr, "blanket: no guest named \"%s\" on any%s node\n", name,
		unreachable ? " reachable" : "");
	return -1;
}
