/* `blanket ca init|issue`: the cluster CA; the work is in
 * toolstack/tls/ca.c. */
#include <stdio.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/tls/ca.h"

#define DEFAULT_CLUSTER "blanket"
#define DEFAULT_OUT	"."

int cmd_ca_init(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	const char *cluster = o->name ? o->name : DEFAULT_CLUSTER;

	if (ca_check_cluster(cluster))
		return EXIT_USAGE;
	if (ca_init(dir, cluster))
		return EXIT_FAIL;
	printf("created the CA of cluster \"%s\":\n"
	       "  %s/%s  private key (mode 0600): keep it here, never on a "
	       "node\n"
	       "  %s/%s  CA certificate, valid %d days: every node and client "
	       "gets a copy\n",
	       cluster, dir, CA_KEY_FILE, dir, CA_CERT_FILE, CA_CA_DAYS);
	return EXIT_OK;
}

int cmd_ca_issue(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	const char *out = o->out ? o->out : DEFAULT_OUT;
	struct ca_request req;
	int rc;

	ca_request_init(&req);
	req.name = call->argv[0];
	req.days = o->days;
	if (!o->role) {
		fprintf(stderr,
			"%s: --role is required: node, operator or viewer\n",
			call->who);
		return EXIT_USAGE;
	}
	if (ca_role_parse("--role", o->role, &req.role) ||
	    ca_check_name("NAME", req.name))
		return EXIT_USAGE;
	if (o->ips.n && req.role != CA_ROLE_NODE) {
		fprintf(stderr, "%s: --ip is for node certificates\n",
			call->who);
		return EXIT_USAGE;
	}
	for (int i = 0; i < o->ips.n; i++) {
		if (ca_check_ip("--ip", o->ips.v[i]))
			return EXIT_USAGE;
		req.ips[req.n_ips++] = o->ips.v[i];
	}
	rc = ca_issue(dir, &req, out);
	if (rc == BL_ERR_NOTFOUND)
		fprintf(stderr,
			"%s: no CA in %s; create it with `blanket ca init`, "
			"or name another with --dir\n",
			call->who, dir);
	if (rc)
		return EXIT_FAIL;
	printf("issued %s certificate \"%s\", valid %d days:\n",
	       ca_role_name(req.role), req.name,
	       req.days ? req.days : ca_role_days(req.role));
	printf("  %s/%s.key  private key (mode 0600)\n", out, req.name);
	printf("  %s/%s.crt  certificate (CN %s, OU %s", out, req.name,
	       req.name, ca_role_name(req.role));
	if (req.role == CA_ROLE_NODE) {
		printf(", DNS:%s", req.name);
		for (int i = 0; i < req.n_ips; i++)
			printf(", IP:%s", req.ips[i]);
	}
	printf(")\n  %s/%s  the CA's certificate\n", out, CA_CERT_FILE);
	return EXIT_OK;
}
