#include "lab/enroll.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/tls/ca.h"
#include "toolstack/tls/ca_index.h"
#include "toolstack/client/client.h"
#include "lab/ctl_client.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"
#include "toolstack/tls/tls.h"

#define CLUSTER_DIR "cluster"
#define CLIENT_NAME "admin"

/* Copy local file into the node's dom0 as /etc/blanket/name (mode 0600
 * under umask 077), atomically: blanketd starts when node.key appears. */
static int push_file(const struct lab_node *n, const char *file,
		     const char *name)
{
	char script[256];
	char *argv[] = {"sh", "-c", script, NULL};
	int fd, status = -1, rc;

	snprintf(script, sizeof(script),
		 "umask 077 && mkdir -p /etc/blanket && "
		 "cat >/etc/blanket/%s.new && "
		 "mv /etc/blanket/%s.new /etc/blanket/%s",
		 name, name, name);
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		log_warn("cannot read %s", file);
		return BL_ERR_IO;
	}
	rc = ctl_exec(n->ctl_port, argv, fd, STDERR_FILENO, STDERR_FILENO,
		      10000, &status);
	close(fd);
	if (!rc && status != 0)
		rc = BL_ERR_FAIL;
	if (rc)
		log_warnx("node%d: installing %s failed", n->index, name);
	return rc;
}

/* The node's peers (blanketd --peers): every node's link address. */
static int write_peers_file(const char *path, const struct lab_state *s)
{
	FILE *f = fopen(path, "we");

	if (!f) {
		log_warn("cannot create %s", path);
		return BL_ERR_IO;
	}
	fprintf(f, "# The lab's nodes, as each node reaches the others.\n");
	for (int i = 0; i < s->nodes; i++)
		fprintf(f, "node node%d 10.99.0.%d:7400\n", s->node[i].index,
			s->node[i].index);
	return fclose(f) == 0 ? BL_OK : BL_ERR_IO;
}

static int issue_node(const char *dir, const struct lab_node *n)
{
	char out[PATH_MAX], ca_dir[PATH_MAX], file[PATH_MAX];
	char name[16], addr[16], crt[32], key[32];
	struct ca_request req;
	int rc;

	snprintf(name, sizeof(name), "node%d", n->index);
	snprintf(addr, sizeof(addr), "10.99.0.%d", n->index);
	snprintf(crt, sizeof(crt), "%s.crt", name);
	snprintf(key, sizeof(key), "%s.key", name);
	ca_request_init(&req);
	req.name = name;
	req.role = CA_ROLE_NODE;
	req.ips[req.n_ips++] = addr;
	req.ips[req.n_ips++] = "127.0.0.1";
	rc = path_join(ca_dir, sizeof(ca_dir), dir, "ca") ?:
	     path_join(out, sizeof(out), dir, name) ?:
	     ca_issue(ca_dir, &req, out) ?:
	     path_join(file, sizeof(file), out, "ca.crt") ?:
	     push_file(n, file, "ca.crt") ?:
	     path_join(file, sizeof(file), out, crt) ?:
	     push_file(n, file, "node.crt") ?:
	     path_join(file, sizeof(file), dir, "peers.conf") ?:
	     push_file(n, file, "peers.conf") ?:
	     path_join(file, sizeof(file), ca_dir, CA_CRL_FILE) ?:
	     push_file(n, file, CA_CRL_FILE) ?:
	     path_join(file, sizeof(file), out, key) ?:
	     push_file(n, file, "node.key");
	return rc;
}

static int write_cluster_file(const char *run_dir, const struct lab_state *s)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *f;
	int rc;

	rc = path_join(path, sizeof(path), run_dir, ENROLL_CLUSTER_FILE)
		 ?: path_join(tmp, sizeof(tmp), run_dir,
			      ENROLL_CLUSTER_FILE ".new");
	if (rc)
		return rc;
	f = fopen(tmp, "we");
	if (!f) {
		log_warn("cannot create %s", tmp);
		return BL_ERR_IO;
	}
	fprintf(f,
		"# The lab's cluster (cluster.conf(5)), written by "
		"`blanket-lab up`.\n"
		"ca   %s/ca.crt\ncert %s/%s.crt\nkey  %s/%s.key\n",
		CLUSTER_DIR, CLUSTER_DIR, CLIENT_NAME, CLUSTER_DIR,
		CLIENT_NAME);
	/* The host reaches a node through its forwarded port; other nodes
	 * through the link. */
	for (int i = 0; i < s->nodes; i++)
		fprintf(f, "node node%d 127.0.0.1:%d 10.99.0.%d:7400\n",
			s->node[i].index, s->node[i].rpc_port,
			s->node[i].index);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		rc = BL_ERR_IO;
	return rc;
}

/* Wait until node n's blanketd answers node-info through TLS. */
static int wait_blanketd(struct tls_ctx *tls, const struct lab_node *n,
			 int64_t deadline_ms)
{
	struct cluster_node cn = {.port = n->rpc_port};
	char err[512] = "";

	snprintf(cn.name, sizeof(cn.name), "node%d", n->index);
	snprintf(cn.host, sizeof(cn.host), "127.0.0.1");
	while (fdio_now_ms() < deadline_ms) {
		struct client_conn conn;
		struct rpc_msg req, reply;
		int rc;

		rpc_msg_init(&req);
		rpc_msg_init(&reply);
		req.type = RPC_NODE_INFO;
		rc = client_connect(tls, &cn, &conn, err, sizeof(err));
		if (!rc) {
			rc = client_call(&conn, &req, &reply, err, sizeof(err));
			client_close(&conn);
		}
		rpc_msg_dispose(&reply);
		if (!rc)
			return BL_OK;
		sleep(1);
	}
	log_warnx("node%d: blanketd did not answer in time: %s", n->index, err);
	return BL_ERR_TIMEOUT;
}

int enroll_lab(const char *run_dir, const struct lab_state *s,
	       int64_t deadline_ms)
{
	char dir[PATH_MAX], ca_dir[PATH_MAX], crt[PATH_MAX], key[PATH_MAX],
	    ca_crt[PATH_MAX], peers[PATH_MAX];
	struct tls_ctx *tls = NULL;
	struct ca_request req;
	int rc;

	rc = path_join(dir, sizeof(dir), run_dir, CLUSTER_DIR) ?:
	     path_join(ca_dir, sizeof(ca_dir), dir, "ca") ?:
	     path_join(ca_crt, sizeof(ca_crt), dir, "ca.crt") ?:
	     path_join(crt, sizeof(crt), dir, CLIENT_NAME ".crt") ?:
	     path_join(key, sizeof(key), dir, CLIENT_NAME ".key");
	if (rc)
		return rc;
	path_remove_tree(dir);
	rc = ca_init(ca_dir, "lab");
	ca_request_init(&req);
	req.name = CLIENT_NAME;
	req.role = CA_ROLE_OPERATOR;
	if (!rc)
		rc = ca_issue(ca_dir, &req, dir);
	if (!rc)
		rc = path_join(peers, sizeof(peers), dir, "peers.conf")
			 ?: write_peers_file(peers, s);
	for (int i = 0; !rc && i < s->nodes; i++)
		rc = issue_node(dir, &s->node[i]);
	if (!rc)
		rc = write_cluster_file(run_dir, s);
	if (!rc)
		rc = tls_ctx_new(TLS_CLIENT, ca_crt, crt, key, NULL, &tls);
	for (int i = 0; !rc && i < s->nodes; i++)
		rc = wait_blanketd(tls, &s->node[i], deadline_ms);
	tls_ctx_free(tls);
	return rc;
}
