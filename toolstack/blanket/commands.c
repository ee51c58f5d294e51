/* blanket(1)'s command table: every command, its options and operands.
 * Usage lines, --help and blanket.1's synopsis (tests/unit/test_cli.c)
 * come from here. */
#include <stddef.h>

#include "toolstack/blanket/cli.h"
#include "toolstack/rpc/rpc.h"
#include "toolstack/tls/ca.h"

#define OFF(field) offsetof(struct cli_opts, field)

static const struct cmd_opt O_NODE = {
    .name = "node",
    .short_name = 'n',
    .kind = CMD_STRING,
    .arg = "NODE",
    .offset = OFF(node),
    .help = "act on this node (default: the node that runs the guest)"};
static const struct cmd_opt O_CLUSTER = {
    .name = "cluster",
    .kind = CMD_STRING,
    .arg = "FILE",
    .offset = OFF(cluster),
    .help = "the cluster file (default: as cluster.conf(5) says)"};
static const struct cmd_opt O_JSON = {.name = "json",
				      .kind = CMD_FLAG,
				      .offset = OFF(json),
				      .help = "print JSON"};
static const struct cmd_opt O_WAIT = {.name = "wait",
				      .short_name = 'w',
				      .kind = CMD_FLAG,
				      .offset = OFF(wait),
				      .help = "return once the guest is gone"};
static const struct cmd_opt O_TIMEOUT = {
    .name = "timeout",
    .kind = CMD_INT,
    .arg = "S",
    .offset = OFF(timeout_s),
    .max = 86400,
    .help = "with --wait or --force: how long the guest has to shut down"};
static const struct cmd_opt O_FORCE = {
    .name = "force",
    .kind = CMD_FLAG,
    .offset = OFF(force),
    .help = "destroy the guest if it is not down within --timeout"};
static const struct cmd_opt O_BANDWIDTH = {
    .name = "bandwidth",
    .kind = CMD_RATE,
    .arg = "RATE",
    .offset = OFF(bandwidth),
    .help = "at most RATE on the wire: 20M (MiB/s), 512K, 100Mbit"};
static const struct cmd_opt O_NO_COMPRESS = {.name = "no-compress",
					     .kind = CMD_FLAG,
					     .offset = OFF(no_compress),
					     .help =
						 "never compress the stream"};
static const struct cmd_opt O_NO_THROTTLE = {
    .name = "no-throttle",
    .kind = CMD_FLAG,
    .offset = OFF(no_throttle),
    .help = "never slow the guest so that its memory converges"};
static const struct cmd_opt O_DELTA_CACHE = {
    .name = "delta-cache",
    .kind = CMD_INT,
    .arg = "MIB",
    .offset = OFF(delta_cache_mib),
    .min = 0,
    .max = RPC_DELTA_CACHE_MAX_MIB,
    .help = "send pages sent again as deltas against a cache of MIB "
	    "(0 to 1024; 0, the default: whole pages)"};
static const struct cmd_opt O_KEEP_SOURCE = {
    .name = "keep-source",
    .kind = CMD_FLAG,
    .offset = OFF(keep_source),
    .help = "keep this node's disk images, renamed IMAGE--moved-ID"};
static const struct cmd_opt O_RESOLVE = {
    .name = "resolve",
    .kind = CMD_FLAG,
    .offset = OFF(resolve),
    .help = "settle GUEST's unresolved copy (no NODE): ask where it runs"};
static const struct cmd_opt O_RESUME_HERE = {
    .name = "resume-here",
    .kind = CMD_FLAG,
    .offset = OFF(resume_here),
    .help = "with --resolve: resume the copy, whatever the other node did"};
static const struct cmd_opt O_DISCARD_HERE = {
    .name = "discard-here",
    .kind = CMD_FLAG,
    .offset = OFF(discard_here),
    .help = "with --resolve: destroy the copy, whatever the other node did"};
static const struct cmd_opt O_YES = {
    .name = "yes",
    .kind = CMD_FLAG,
    .offset = OFF(yes),
    .help = "with --resume-here or --discard-here: do not ask"};
static const struct cmd_opt O_FROM = {
    .name = "from",
    .kind = CMD_STRING,
    .arg = "FILE",
    .offset = OFF(from),
    .help =
	"read a probe record (`node probe --record`) instead of this machine"};
static const struct cmd_opt O_RECORD = {
    .name = "record",
    .kind = CMD_FLAG,
    .offset = OFF(record),
    .help = "print what the probe reads, as a record for --from"};
static const struct cmd_opt O_XL_INFO = {
    .name = "xl-info",
    .kind = CMD_STRING,
    .arg = "FILE",
    .offset = OFF(xl_info),
    .help = "check this `xl info` output instead of running xl"};
/* Up to 16 TiB, the most Xen 4.17 supports. */
static const struct cmd_opt O_MEMORY_MB = {
    .name = "memory-mb",
    .kind = CMD_INT,
    .arg = "N",
    .offset = OFF(memory_mb),
    .min = 1,
    .max = 16 << 20,
    .help = "dom0's memory (default: from the probe)"};
static const struct cmd_opt O_CPUS = {
    .name = "cpus",
    .kind = CMD_INT,
    .arg = "N",
    .offset = OFF(cpus),
    .min = 1,
    .max = 4096,
    .help = "dom0's vCPUs (default: from the probe)"};
static const struct cmd_opt O_CA_DIR = {
    .name = "dir",
    .kind = CMD_STRING,
    .arg = "DIR",
    .offset = OFF(dir),
    .help =
	"the CA folder with ca.crt and ca.key (default " CA_DEFAULT_DIR ")"};
static const struct cmd_opt O_CA_NAME = {
    .name = "name",
    .kind = CMD_STRING,
    .arg = "CLUSTER",
    .offset = OFF(name),
    .help = "the cluster's name, in the CA's subject (default blanket)"};
static const struct cmd_opt O_ROLE = {
    .name = "role",
    .kind = CMD_STRING,
    .arg = "ROLE",
    .offset = OFF(role),
    .help = "node, operator (controls guests) or viewer (reads only)"};
static const struct cmd_opt O_IP = {
    .name = "ip",
    .kind = CMD_LIST,
    .arg = "ADDR",
    .offset = OFF(ips),
    .help = "an address the node is reached at (--role node only)"};
static const struct cmd_opt O_DAYS = {.name = "days",
				      .kind = CMD_INT,
				      .arg = "N",
				      .offset = OFF(days),
				      .min = 1,
				      .max = CA_MAX_DAYS,
				      .help = "validity in days (default: 730 "
					      "for a node, 90 for others)"};
static const struct cmd_opt O_OUT = {
    .name = "out",
    .kind = CMD_STRING,
    .arg = "DIR",
    .offset = OFF(out),
    .help = "where NAME.key, NAME.crt and ca.crt go (default .)"};

static const struct cmd_opt O_TTL = {
    .name = "ttl",
    .kind = CMD_STRING,
    .arg = "TIME",
    .offset = OFF(ttl),
    .help = "how long the token is good for: N, Ns, Nm, Nh or Nd, 60s to "
	    "7d (default 1h)"};
static const struct cmd_opt O_NODE_IP = {
    .name = "ip",
    .kind = CMD_LIST,
    .arg = "ADDR",
    .offset = OFF(ips),
    .help = "an address the node is reached at, in its certificate"};
static const struct cmd_opt O_LISTEN = {
    .name = "listen",
    .kind = CMD_STRING,
    .arg = "ADDR:PORT",
    .offset = OFF(listen),
    .help = "where to serve (default 0.0.0.0:7401)"};
static const struct cmd_opt O_PEERS = {
    .name = "peers",
    .kind = CMD_STRING,
    .arg = "FILE",
    .offset = OFF(peers),
    .help = "the cluster's nodes (a peers file) every node gets"};
static const struct cmd_opt O_ONCE = {.name = "once",
				      .kind = CMD_FLAG,
				      .offset = OFF(once),
				      .help = "stop once a node has enrolled"};
static const struct cmd_opt O_SERVER = {
    .name = "server",
    .kind = CMD_STRING,
    .arg = "HOST[:PORT]",
    .offset = OFF(server),
    .help = "the enrolment server (port 7401 unless given)"};
static const struct cmd_opt O_TOKEN = {
    .name = "token",
    .kind = CMD_STRING,
    .arg = "TOKEN",
    .offset = OFF(token),
    .help = "the one-time token of `blanket ca token`"};
static const struct cmd_opt O_NODE_NAME = {
    .name = "name",
    .kind = CMD_STRING,
    .arg = "NAME",
    .offset = OFF(name),
    .help = "refuse a certificate for any other name"};
static const struct cmd_opt O_NODE_DIR = {
    .name = "dir",
    .kind = CMD_STRING,
    .arg = "DIR",
    .offset = OFF(dir),
    .help = "where the node's files go (default /etc/blanket)"};

static const struct cmd_opt O_XEN_ARGS = {
    .name = "xen-args",
    .kind = CMD_STRING,
    .arg = "ARGS",
    .offset = OFF(xen_args),
    .help = "more words for Xen's command line"};
static const struct cmd_opt O_DOM0_ARGS = {
    .name = "dom0-args",
    .kind = CMD_STRING,
    .arg = "ARGS",
    .offset = OFF(dom0_args),
    .help = "more words for dom0's kernel command line"};
static const struct cmd_opt O_GRUB = {.name = "grub",
				      .kind = CMD_FLAG,
				      .offset = OFF(grub),
				      .help =
					  "print the GRUB menu entry alone"};
static const struct cmd_opt O_PACKAGES = {
    .name = "packages",
    .kind = CMD_STRING,
    .arg = "DIR|URL",
    .offset = OFF(packages),
    .help = "install blanket's packages first, from this flat apt "
	    "repository (a folder or a URL)"};
static const struct cmd_opt O_NO_REBOOT = {
    .name = "no-reboot",
    .kind = CMD_FLAG,
    .offset = OFF(no_reboot),
    .help = "stop before the reboot into Xen"};

/* bench */
static const struct cmd_opt O_BENCH_NODE = {
    .name = "node",
    .short_name = 'n',
    .kind = CMD_STRING,
    .arg = "NODE",
    .offset = OFF(node),
    .help = "the node to measure (default: the cluster file's first)"};
static const struct cmd_opt O_PEER = {
    .name = "peer",
    .kind = CMD_STRING,
    .arg = "NODE",
    .offset = OFF(peer),
    .help = "the node the network is measured against (default: another)"};
static const struct cmd_opt O_LAYERS = {
    .name = "layers",
    .kind = CMD_STRING,
    .arg = "LIST",
    .offset = OFF(layers),
    .help = "l0 (this machine), l1 (dom0), l2 (a guest) (default l1,l2)"};
static const struct cmd_opt O_RUNS = {.name = "runs",
				      .kind = CMD_INT,
				      .arg = "N",
				      .offset = OFF(runs),
				      .min = 1,
				      .max = 100,
				      .help =
					  "samples of each figure (default 5)"};
static const struct cmd_opt O_SECONDS = {
    .name = "seconds",
    .kind = CMD_INT,
    .arg = "S",
    .offset = OFF(seconds),
    .min = 1,
    .max = 60,
    .help = "each network run and random-read run (default 5)"};
static const struct cmd_opt O_DISK_MIB = {
    .name = "disk-mib",
    .kind = CMD_INT,
    .arg = "MIB",
    .offset = OFF(disk_mib),
    .min = 1,
    .max = 16384,
    .help = "the file written and read on each layer (default 64)"};
static const struct cmd_opt O_SCRATCH = {
    .name = "scratch",
    .kind = CMD_STRING,
    .arg = "DIR",
    .offset = OFF(scratch),
    .help = "L0's folder for the disk figures (default /var/tmp)"};
static const struct cmd_opt O_DISK_IMAGE = {
    .name = "disk-image",
    .kind = CMD_STRING,
    .arg = "PATH",
    .offset = OFF(disk_image),
    .help = "L2's disk on the node (default /var/lib/blanket/images/"
	    "bench.img)"};
static const struct cmd_opt O_REPORT = {
    .name = "out",
    .kind = CMD_STRING,
    .arg = "DIR",
    .offset = OFF(out),
    .help = "the report's folder (default ./bench-NODE-DATE-TIME)"};

static const struct cmd node_commands[] = {
    {"list", cmd_nodes, NULL, CMD_OPTS(&O_JSON, &O_CLUSTER), "",
     "The cluster's nodes: state, L0, Xen, memory, guests"},
    {"info", cmd_nodes, NULL, CMD_OPTS(&O_JSON, &O_CLUSTER), "NODE",
     "One node of the cluster"},
    {"probe", cmd_node_probe, NULL, CMD_OPTS(&O_JSON, &O_FROM, &O_RECORD), "",
     "Detect the L0: hypervisor, cloud, nested virt, dom0, devices"},
    {"check", cmd_node_check, NULL, CMD_OPTS(&O_JSON, &O_FROM, &O_XL_INFO), "",
     "Say whether this node can run and live-migrate PV guests"},
    {"boot-profile", cmd_node_profile, NULL,
     CMD_OPTS(&O_JSON, &O_GRUB, &O_FROM, &O_MEMORY_MB, &O_CPUS, &O_XEN_ARGS,
	      &O_DOM0_ARGS),
     "", "Xen and dom0 command lines and a GRUB entry for this L0"},
    {"enrol", cmd_node_enrol, NULL,
     CMD_OPTS(&O_SERVER, &O_TOKEN, &O_NODE_NAME, &O_NODE_DIR, &O_JSON), "",
     "Join the cluster with a one-time token: a new key, its certificate"},
    {"install", cmd_node_install, NULL,
     CMD_OPTS(&O_SERVER, &O_TOKEN, &O_NODE_NAME, &O_PACKAGES, &O_XEN_ARGS,
	      &O_DOM0_ARGS, &O_NO_REBOOT),
     "",
     "Make this instance a blanket node: packages, GRUB, enrolment, reboot"},
    {"uninstall", cmd_node_uninstall, NULL, NULL, "",
     "Put this instance back to plain Linux: GRUB, services, identity"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const struct cmd ca_commands[] = {
    {"init", cmd_ca_init, NULL, CMD_OPTS(&O_CA_DIR, &O_CA_NAME), "",
     "Create the cluster CA: a key and a self-signed certificate"},
    {"issue", cmd_ca_issue, NULL,
     CMD_OPTS(&O_ROLE, &O_IP, &O_DAYS, &O_CA_DIR, &O_OUT), "NAME",
     "Issue a node's, an operator's or a viewer's certificate"},
    {"list", cmd_ca_list, NULL, CMD_OPTS(&O_JSON, &O_CA_DIR), "",
     "The certificates the CA issued: role, expiry, revoked or not"},
    {"revoke", cmd_ca_revoke, NULL, CMD_OPTS(&O_CA_DIR), "NAME",
     "Revoke every certificate of NAME and write the CRL again"},
    {"renew", cmd_ca_renew, NULL, CMD_OPTS(&O_DAYS, &O_CA_DIR, &O_OUT), "NAME",
     "A new key and certificate for NAME, like its last one"},
    {"token", cmd_ca_token, NULL,
     CMD_OPTS(&O_TTL, &O_NODE_IP, &O_JSON, &O_CA_DIR), "NAME",
     "A one-time token with which node NAME enrols itself"},
    {"serve-enrol", cmd_ca_serve_enrol, NULL,
     CMD_OPTS(&O_LISTEN, &O_PEERS, &O_ONCE, &O_CA_DIR), "",
     "Serve enrolment: certify nodes that bring a token"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

static const struct cmd commands[] = {
    {"create", cmd_create, NULL, CMD_OPTS(&O_NODE, &O_CLUSTER), "CONFIG-FILE",
     "Create a guest from an xl.cfg file"},
    {"list", cmd_list, NULL, CMD_OPTS(&O_NODE, &O_JSON, &O_CLUSTER), "",
     "List the guests of every node"},
    {"info", cmd_info, NULL, CMD_OPTS(&O_NODE, &O_JSON, &O_CLUSTER), "GUEST",
     "Show a guest"},
    {"console", cmd_console, NULL, CMD_OPTS(&O_NODE, &O_CLUSTER), "GUEST",
     "Attach to a guest's console (Ctrl-] detaches)"},
    {"migrate", cmd_migrate, NULL,
     CMD_OPTS(&O_BANDWIDTH, &O_NO_COMPRESS, &O_NO_THROTTLE, &O_DELTA_CACHE,
	      &O_KEEP_SOURCE, &O_RESOLVE, &O_RESUME_HERE, &O_DISCARD_HERE,
	      &O_YES, &O_JSON, &O_CLUSTER),
     "GUEST [NODE]",
     "Live-migrate a guest to another node, or settle an unresolved copy"},
    {"pause", cmd_pause, NULL, CMD_OPTS(&O_NODE, &O_CLUSTER), "GUEST",
     "Pause a guest"},
    {"unpause", cmd_unpause, NULL, CMD_OPTS(&O_NODE, &O_CLUSTER), "GUEST",
     "Unpause a guest"},
    {"shutdown", cmd_shutdown, NULL,
     CMD_OPTS(&O_NODE, &O_WAIT, &O_TIMEOUT, &O_FORCE, &O_CLUSTER), "GUEST",
     "Shut a guest down cleanly"},
    {"reboot", cmd_reboot, NULL, CMD_OPTS(&O_NODE, &O_CLUSTER), "GUEST",
     "Reboot a guest"},
    {"destroy", cmd_destroy, NULL, CMD_OPTS(&O_NODE, &O_CLUSTER), "GUEST",
     "Destroy a guest at once"},
    {"node", NULL, node_commands, NULL, NULL,
     "The cluster's nodes, and this node and its L0 cloud"},
    {"bench", cmd_bench, NULL,
     CMD_OPTS(&O_BENCH_NODE, &O_PEER, &O_LAYERS, &O_RUNS, &O_SECONDS,
	      &O_DISK_MIB, &O_SCRATCH, &O_DISK_IMAGE, &O_REPORT, &O_JSON,
	      &O_CLUSTER),
     "", "Measure what nesting costs: CPU, network, disk on L0, L1, L2"},
    {"ca", NULL, ca_commands, NULL, NULL,
     "The cluster CA: issue, list, revoke and renew identities"},
    {"help", cmd_help, NULL, NULL, "[COMMAND...]", "Show help"},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct cmd_prog blanket_prog = {
    .name = "blanket",
    .commands = commands,
    .opts_size = sizeof(struct cli_opts),
    .footer = "blanket(1) has the details; cluster.conf(5) says which "
	      "nodes the guest commands reach.\n",
};
