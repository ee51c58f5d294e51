/* `blanket ca ...`: argument parsing; the work is in toolstack/tls/ca.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ca.h"
#include "cmd.h"
#include "log.h"

#define DEFAULT_CLUSTER "blanket"
#define DEFAULT_OUT	"."
#define ISSUE_ARGS                                                             \
	"NAME [--node] [--ip ADDR]... [--days N] [--dir CA-DIR] [--out DIR]"

static int ca_cmd_init(int argc, char **argv);
static int ca_cmd_issue(int argc, char **argv);

static const struct cmd ca_commands[] = {
    {"init", ca_cmd_init, "[--dir DIR] [--name CLUSTER]",
     "Create the cluster CA: a key and a self-signed certificate"},
    {"issue", ca_cmd_issue, ISSUE_ARGS,
     "Issue a node or client certificate signed by the CA"},
    {NULL, NULL, NULL, NULL},
};

static void ca_usage(FILE *out)
{
	fprintf(out, "usage: blanket ca COMMAND [OPTIONS]\n\ncommands:\n");
	cmd_print_table(out, ca_commands, "ca ");
	fprintf(out,
		"\noptions:\n"
		"  --dir DIR       the CA folder with ca.crt and ca.key "
		"(default %s)\n"
		"  --name CLUSTER  init: the cluster's name, in the CA's "
		"subject (default %s)\n"
		"  --node          issue a node certificate (server and "
		"client), not a client one\n"
		"  --ip ADDR       an address the node is reached at, in its "
		"certificate\n"
		"                  (repeatable, up to %d; --node only)\n"
		"  --days N        validity in days (default %d, at most %d)\n"
		"  --out DIR       where NAME.key, NAME.crt and ca.crt go "
		"(default: .)\n"
		"\nNAME and CLUSTER: 1-%d characters of a-z, 0-9 and '-', not "
		"starting with '-'\n"
		"(CLUSTER at most %d). Existing files are never "
		"overwritten.\n",
		CA_DEFAULT_DIR, DEFAULT_CLUSTER, CA_MAX_IPS, CA_DEFAULT_DAYS,
		CA_MAX_DAYS, CA_NAME_MAX, CA_CLUSTER_MAX);
}

enum { OPT_DIR = 256, OPT_NAME, OPT_NODE, OPT_IP, OPT_DAYS, OPT_OUT };

static const struct option init_options[] = {
    {"dir", required_argument, NULL, OPT_DIR},
    {"name", required_argument, NULL, OPT_NAME},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option issue_options[] = {
    {"node", no_argument, NULL, OPT_NODE},
    {"ip", required_argument, NULL, OPT_IP},
    {"days", required_argument, NULL, OPT_DAYS},
    {"dir", required_argument, NULL, OPT_DIR},
    {"out", required_argument, NULL, OPT_OUT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int ca_cmd_init(int argc, char **argv)
{
	const char *dir = CA_DEFAULT_DIR, *cluster = DEFAULT_CLUSTER;
	int c, r;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", init_options, NULL)) != -1) {
		switch (c) {
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_NAME:
			cluster = optarg;
			break;
		case 'h':
			ca_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	r = cmd_no_operands("blanket ca", argc, argv);
	if (r >= 0)
		return r;
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

static int ca_cmd_issue(int argc, char **argv)
{
	const char *dir = CA_DEFAULT_DIR, *out = DEFAULT_OUT;
	struct ca_request req;
	int c, r, rc;

	ca_request_init(&req);
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", issue_options, NULL)) != -1) {
		switch (c) {
		case OPT_NODE:
			req.kind = CA_NODE;
			break;
		case OPT_IP:
			if (req.n_ips == CA_MAX_IPS) {
				fprintf(stderr,
					"blanket ca issue: at most %d --ip\n",
					CA_MAX_IPS);
				return EXIT_USAGE;
			}
			if (ca_check_ip("--ip", optarg))
				return EXIT_USAGE;
			req.ips[req.n_ips++] = optarg;
			break;
		case OPT_DAYS:
			r = cmd_parse_int("blanket ca issue", "--days", optarg,
					  1, CA_MAX_DAYS, &req.days);
			if (r >= 0)
				return r;
			break;
		case OPT_DIR:
			dir = optarg;
			break;
		case OPT_OUT:
			out = optarg;
			break;
		case 'h':
			ca_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: blanket ca issue " ISSUE_ARGS "\n");
		return EXIT_USAGE;
	}
	req.name = argv[optind];
	if (ca_check_name("NAME", req.name))
		return EXIT_USAGE;
	if (req.n_ips && req.kind != CA_NODE) {
		fprintf(stderr, "blanket ca issue: --ip is for node "
				"certificates; add --node\n");
		return EXIT_USAGE;
	}
	rc = ca_issue(dir, &req, out);
	if (rc == BL_ERR_NOTFOUND)
		fprintf(
		    stderr,
		    "blanket ca issue: no CA in %s; create it with `blanket "
		    "ca init`, or name another with --dir\n",
		    dir);
	if (rc)
		return EXIT_FAIL;
	printf("issued %s certificate \"%s\", valid %d days:\n",
	       req.kind == CA_NODE ? "node" : "client", req.name, req.days);
	printf("  %s/%s.key  private key (mode 0600)\n", out, req.name);
	printf("  %s/%s.crt  certificate (CN %s", out, req.name, req.name);
	if (req.kind == CA_NODE) {
		printf(", DNS:%s", req.name);
		for (int i = 0; i < req.n_ips; i++)
			printf(", IP:%s", req.ips[i]);
	}
	printf(")\n  %s/%s  the CA's certificate\n", out, CA_CERT_FILE);
	return EXIT_OK;
}

int cmd_ca(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		ca_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	c = cmd_lookup(ca_commands, argv[1], "ca command");
	if (!c)
		return EXIT_USAGE;
	return c->fn(argc - 1, argv + 1);
}
