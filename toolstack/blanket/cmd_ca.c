/* `blanket ca init|issue|list|revoke|renew`: the cluster CA; the work is
 * in toolstack/tls/ca.c and ca_index.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/common/json.h"
#include "toolstack/tls/ca.h"
#include "toolstack/tls/ca_index.h"

#define DEFAULT_CLUSTER "blanket"
#define DEFAULT_OUT	"."

int cmd_ca_missing(const struct cmd_call *call, const char *dir, int rc)
{
	if (rc == BL_ERR_NOTFOUND)
		fprintf(stderr,
			"%s: no CA in %s; create it with `blanket ca init`, "
			"or name another with --dir\n",
			call->who, dir);
	return EXIT_FAIL;
}

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
	if (rc)
		return cmd_ca_missing(call, dir, rc);
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

void cmd_ca_time(int64_t t, const char *format, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(buf, size, format, gmtime_r(&tt, &tm));
}

int cmd_ca_list(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	struct ca_record *recs = NULL;
	int64_t now = (int64_t)time(NULL);
	char expires[16];
	size_t n = 0;

	if (access(dir, F_OK) != 0)
		return cmd_ca_missing(call, dir, BL_ERR_NOTFOUND);
	if (ca_index_read(dir, &recs, &n))
		return EXIT_FAIL;
	if (!o->json)
		printf("%-24s %-9s %-11s %-8s %s\n", "NAME", "ROLE", "EXPIRES",
		       "STATUS", "SERIAL");
	else
		printf("[");
	for (size_t i = 0; i < n; i++) {
		const struct ca_record *r = &recs[i];
		const char *status = r->revoked		   ? "revoked"
				     : r->not_after <= now ? "expired"
							   : "valid";

		cmd_ca_time(r->not_after, "%Y-%m-%d", expires, sizeof(expires));
		if (!o->json) {
			printf("%-24s %-9s %-11s %-8s %s\n", r->name,
			       ca_role_name(r->role), expires, status,
			       r->serial);
			continue;
		}
		printf("%s\n  {\"name\": ", i ? "," : "");
		json_string(stdout, r->name);
		printf(", \"role\": \"%s\", \"expires\": \"%s\", "
		       "\"status\": \"%s\", \"serial\": \"%s\"}",
		       ca_role_name(r->role), expires, status, r->serial);
	}
	if (o->json)
		printf("%s]\n", n ? "\n" : "");
	free(recs);
	return EXIT_OK;
}

int cmd_ca_revoke(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	const char *name = call->argv[0];
	int count = 0, rc;

	if (ca_check_name("NAME", name))
		return EXIT_USAGE;
	if (access(dir, F_OK) != 0)
		return cmd_ca_missing(call, dir, BL_ERR_NOTFOUND);
	rc = ca_revoke(dir, name, &count);
	if (rc == BL_ERR_NOTFOUND) {
		fprintf(stderr,
			"%s: %s has no valid certificate in %s (`blanket ca "
			"list` shows them)\n",
			call->who, name, dir);
		return EXIT_FAIL;
	}
	if (rc)
		return EXIT_FAIL;
	printf("revoked %d certificate%s of \"%s\"; the CRL is %s/%s:\n"
	       "copy it to every node's /etc/blanket/crl.pem and send their "
	       "blanketd SIGHUP\n",
	       count, count == 1 ? "" : "s", name, dir, CA_CRL_FILE);
	return EXIT_OK;
}

int cmd_ca_renew(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	const char *dir = o->dir ? o->dir : CA_DEFAULT_DIR;
	const char *out = o->out ? o->out : DEFAULT_OUT;
	const char *name = call->argv[0];
	int rc;

	if (ca_check_name("NAME", name))
		return EXIT_USAGE;
	if (access(dir, F_OK) != 0)
		return cmd_ca_missing(call, dir, BL_ERR_NOTFOUND);
	rc = ca_renew(dir, name, o->days, out);
	if (rc)
		return EXIT_FAIL;
	printf("renewed \"%s\": %s/%s.key and %s/%s.crt are new; the old "
	       "certificate stays valid until it expires (`blanket ca revoke` "
	       "ends it at once)\n",
	       name, out, name, out, name);
	return EXIT_OK;
}
