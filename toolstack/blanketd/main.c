/* blanketd(8): the node daemon. Guest lifecycle over the node RPC
 * (docs/specs/rpc.md), on a local UNIX socket for root and on TCP with
 * mutually authenticated TLS 1.3 for other nodes and remote CLIs. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/hv/hv.h"
#include "toolstack/hv/hv_policy.h"
#include "toolstack/common/log.h"
#include "blanket/probe.h"
#include "toolstack/blanketd/dhcp.h"
#include "toolstack/blanketd/overlay.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/blanketd/slots.h"
#include "toolstack/client/cluster.h"
#include "toolstack/rpc/rpc.h"

#define DEFAULT_PORT_SPEC      "0.0.0.0:7400"
#define DEFAULT_SOCKET	       "/run/blanket/blanketd.sock"
#define DEFAULT_TLS_DIR	       "/etc/blanket"
#define DEFAULT_STATE_DIR      "/run/blanket"
#define DEFAULT_PEERS	       DEFAULT_TLS_DIR "/peers.conf"
#define DEFAULT_CRL	       DEFAULT_TLS_DIR "/crl.pem"
#define DEFAULT_OVERLAY_SCRIPT "/usr/lib/blanket/blanket-overlay"
#define DEFAULT_DHCP_SCRIPT    "/usr/lib/blanket/blanket-dhcp"
/* MiB: a dom0's memory is small; QEMU's default cache (64 MiB) four times */
#define DEFAULT_DELTA_CACHE_MAX 256u

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: blanketd [-f] [-d] [--name NODE] [--listen "
	    "ADDR:PORT|none]\n"
	    "                [--socket PATH|none] [--ca FILE] [--cert FILE] "
	    "[--key FILE]\n"
	    "                [--hv libxl|fake] [--max-sessions N] "
	    "[--state-dir DIR]\n"
	    "                [--peers FILE|none] [--boot-wait S] "
	    "[--policy FILE]\n"
	    "                [--crl FILE|none] [--overlay ADDR/LEN "
	    "[--overlay-port PORT]\n"
	    "                [--overlay-script FILE]] [--guest-dhcp ADDR/LEN "
	    "[--dhcp-script FILE]]\n"
	    "                [--no-bench] [--delta-cache-max MIB]\n"
	    "defaults: --listen %s --socket %s, credentials\n"
	    "          %s/{ca.crt,node.crt,node.key}, --hv libxl, "
	    "--max-sessions 32,\n"
	    "          --state-dir %s, --peers %s (when it exists), "
	    "--boot-wait 60,\n"
	    "          --policy %s, --crl %s (each when it exists),\n"
	    "          no overlay; with one: --overlay-port %d, "
	    "--overlay-script %s,\n"
	    "          no guest DHCP; with it: --dhcp-script %s,\n"
	    "          benchmarks served (blanket bench) unless --no-bench,\n"
	    "          --delta-cache-max %u\n",
	    DEFAULT_PORT_SPEC, DEFAULT_SOCKET, DEFAULT_TLS_DIR,
	    DEFAULT_STATE_DIR, DEFAULT_PEERS, POLICY_DEFAULT_FILE, DEFAULT_CRL,
	    OVERLAY_PORT_DEFAULT, DEFAULT_OVERLAY_SCRIPT, DEFAULT_DHCP_SCRIPT,
	    DEFAULT_DELTA_CACHE_MAX);
}

/* What the node runs on, probed once: it does not change while it runs. */
static const char *probe_l0(void)
{
	static struct probe_result probe;
	static char l0[64];
	struct probe_src src = probe_src_live();

	probe_run(&src, &probe);
	probe_summary(&probe, l0, sizeof(l0));
	return l0;
}

static const char *none_is_null(const char *v)
{
	return strcmp(v, "none") == 0 ? NULL : v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"foreground", no_argument, NULL, 'f'},
	    {"debug", no_argument, NULL, 'd'},
	    {"name", required_argument, NULL, 'n'},
	    {"listen", required_argument, NULL, 'l'},
	    {"socket", required_argument, NULL, 's'},
	    {"ca", required_argument, NULL, 'a'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"hv", required_argument, NULL, 'H'},
	    {"max-sessions", required_argument, NULL, 'm'},
	    {"state-dir", required_argument, NULL, 'S'},
	    {"peers", required_argument, NULL, 'P'},
	    {"boot-wait", required_argument, NULL, 'B'},
	    {"policy", required_argument, NULL, 'p'},
	    {"crl", required_argument, NULL, 'r'},
	    {"overlay", required_argument, NULL, 'O'},
	    {"overlay-port", required_argument, NULL, 'o'},
	    {"overlay-script", required_argument, NULL, 'x'},
	    {"guest-dhcp", required_argument, NULL, 'g'},
	    {"dhcp-script", required_argument, NULL, 'G'},
	    {"no-bench", no_argument, NULL, 'b'},
	    {"delta-cache-max", required_argument, NULL, 'D'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static char hostname[64];
	struct server_opts o = {
	    .listen = DEFAULT_PORT_SPEC,
	    .socket_path = DEFAULT_SOCKET,
	    .state_dir = DEFAULT_STATE_DIR,
	    .ca_file = DEFAULT_TLS_DIR "/ca.crt",
	    .cert_file = DEFAULT_TLS_DIR "/node.crt",
	    .key_file = DEFAULT_TLS_DIR "/node.key",
	    .hv = &hv_libxl_ops,
	    .max_sessions = 32,
	    .boot_wait_s = 60,
	    .policy_file = POLICY_DEFAULT_FILE,
	    .crl_file = DEFAULT_CRL,
	    .bench = true,
	    .delta_cache_max_mib = DEFAULT_DELTA_CACHE_MAX,
	};
	static struct hv_policy policy;
	static struct cluster peers;
	static struct overlay overlay = {.script = DEFAULT_OVERLAY_SCRIPT};
	static struct dhcp dhcp = {.script = DEFAULT_DHCP_SCRIPT};
	const char *peers_file = DEFAULT_PEERS, *overlay_spec = NULL;
	const char *dhcp_spec = NULL;
	long overlay_port = OVERLAY_PORT_DEFAULT, delta_max;
	bool foreground = false, debug = false;
	char err[BL_ERRMSG_MAX];
	char *end;
	int c, rc;

	while ((c = getopt_long(argc, argv, "fdh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'n':
			o.node_name = optarg;
			break;
		case 'l':
			o.listen = none_is_null(optarg);
			break;
		case 's':
			o.socket_path = none_is_null(optarg);
			break;
		case 'a':
			o.ca_file = optarg;
			break;
		case 'c':
			o.cert_file = optarg;
			break;
		case 'k':
			o.key_file = optarg;
			break;
		case 'H':
			if (!strcmp(optarg, "libxl"))
				o.hv = &hv_libxl_ops;
			else if (!strcmp(optarg, "fake"))
				o.hv = &hv_fake_ops;
			else {
				fprintf(stderr,
					"blanketd: --hv wants libxl or "
					"fake, got \"%s\"\n",
					optarg);
				return 2;
			}
			break;
		case 'm':
			o.max_sessions = (int)strtol(optarg, &end, 10);
			if (*end || o.max_sessions < SLOTS_MIN_SESSIONS ||
			    o.max_sessions > 1024) {
				fprintf(stderr,
					"blanketd: --max-sessions wants "
					"%d to 1024\n",
					SLOTS_MIN_SESSIONS);
				return 2;
			}
			break;
		case 'S':
			o.state_dir = optarg;
			break;
		case 'P':
			peers_file = none_is_null(optarg);
			break;
		case 'B':
			o.boot_wait_s = (int)strtol(optarg, &end, 10);
			if (*end || o.boot_wait_s < 0 || o.boot_wait_s > 3600) {
				fprintf(stderr, "blanketd: --boot-wait wants "
						"0 to 3600 seconds\n");
				return 2;
			}
			break;
		case 'p':
			o.policy_file = optarg;
			break;
		case 'b':
			o.bench = false;
			break;
		case 'D':
			delta_max = strtol(optarg, &end, 10);
			if (!*optarg || *end || delta_max < 0 ||
			    delta_max > RPC_DELTA_CACHE_MAX_MIB) {
				fprintf(stderr,
					"blanketd: --delta-cache-max wants 0 "
					"to %u MiB, got \"%s\"\n",
					RPC_DELTA_CACHE_MAX_MIB, optarg);
				return 2;
			}
			o.delta_cache_max_mib = (uint32_t)delta_max;
			break;
		case 'r':
			o.crl_file = none_is_null(optarg);
			break;
		case 'O':
			overlay_spec = optarg;
			break;
		case 'o':
			overlay_port = strtol(optarg, &end, 10);
			if (*end || overlay_port < 1 || overlay_port > 65535) {
				fprintf(stderr, "blanketd: --overlay-port "
						"wants 1 to 65535\n");
				return 2;
			}
			break;
		case 'x':
			overlay.script = optarg;
			break;
		case 'g':
			dhcp_spec = optarg;
			break;
		case 'G':
			dhcp.script = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}
	if (!o.node_name) {
		gethostname(hostname, sizeof(hostname) - 1);
		o.node_name = hostname;
	}
	o.l0 = probe_l0();
	/* The default file may be missing (no peers); a named one may not. */
	if (peers_file &&
	    (rc = cluster_load(peers_file, CLUSTER_NODES_ONLY, &peers, err,
			       sizeof(err))) == BL_OK)
		o.peers = &peers;
	else if (peers_file &&
		 (rc != BL_ERR_NOTFOUND || strcmp(peers_file, DEFAULT_PEERS))) {
		fprintf(stderr, "blanketd: --peers: %s\n", err);
		return 2;
	}
	/* The same for the policy: a missing default is the defaults. */
	o.policy_optional = !strcmp(o.policy_file, POLICY_DEFAULT_FILE);
	if (hv_policy_load(o.policy_file, o.policy_optional, &policy, err,
			   sizeof(err))) {
		fprintf(stderr, "blanketd: --policy: %s\n", err);
		return 2;
	}
	o.policy = &policy;
	if (overlay_spec && overlay_parse(overlay_spec, (uint32_t)overlay_port,
					  &overlay, err, sizeof(err))) {
		fprintf(stderr, "blanketd: --overlay: %s\n", err);
		return 2;
	}
	if (dhcp_spec &&
	    dhcp_parse(dhcp_spec, &dhcp, err, sizeof(err)) == BL_OK)
		o.dhcp = &dhcp;
	else if (dhcp_spec) {
		fprintf(stderr, "blanketd: --guest-dhcp: %s\n", err);
		return 2;
	}
	log_init("blanketd", !foreground, debug);
	if (overlay_spec) {
		if (overlay_key_load(o.state_dir, &overlay, err, sizeof(err))) {
			log_warnx("--overlay: %s", err);
			return 2;
		}
		overlay.peers_file = o.peers ? peers_file : NULL;
		o.overlay = &overlay;
	}
	/* Without a CRL nothing is revoked: say so. A named one must exist. */
	if (o.crl_file && access(o.crl_file, F_OK) != 0) {
		if (strcmp(o.crl_file, DEFAULT_CRL)) {
			log_warn("--crl %s", o.crl_file);
			return 2;
		}
		log_warnx("no %s: revoked identities are not refused",
			  DEFAULT_CRL);
		o.crl_file = NULL;
	}
	if (!foreground && daemon(0, 0) < 0)
		fatal("daemon");
	return server_run(&o) ? 1 : 0;
}
