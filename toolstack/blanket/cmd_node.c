/* `blanket node ...`: argument parsing; the work is in blanket/ (probe.c,
 * check.c, profile.c). */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmd.h"
#include "log.h"
#include "probe.h"
#include "profile.h"
#include "xlinfo.h"

#define WHO "blanket node"

static int node_cmd_probe(int argc, char **argv);
static int node_cmd_check(int argc, char **argv);
static int node_cmd_profile(int argc, char **argv);

static const struct cmd node_commands[] = {
    {"list", cmd_node_list, "[--json] [--cluster FILE]",
     "The cluster's nodes: state, L0, Xen, memory, guests"},
    {"info", cmd_node_info, "[--json] [--cluster FILE] NODE",
     "One node of the cluster"},
    {"probe", node_cmd_probe, "[--json] [--from FILE] [--record]",
     "Detect the L0: hypervisor, cloud, nested virt, dom0, devices"},
    {"check", node_cmd_check, "[--json] [--from FILE] [--xl-info FILE]",
     "Say whether this node can run and live-migrate PV guests"},
    {"boot-profile", node_cmd_profile,
     "[--from FILE] [--json] [--memory-mb N] [--cpus N]",
     "Xen and dom0 command lines and a GRUB entry for this L0"},
    {NULL, NULL, NULL, NULL},
};

static void node_usage(FILE *out)
{
	fprintf(out, "usage: blanket node COMMAND [OPTIONS]\n\ncommands:\n");
	cmd_print_table(out, node_commands, "node ");
	fprintf(
	    out,
	    "\noptions:\n"
	    "  --from FILE     read a probe record (`node probe --record`)\n"
	    "                  instead of this machine\n"
	    "  --json          print JSON\n");
}

enum {
	OPT_JSON = 256,
	OPT_FROM,
	OPT_RECORD,
	OPT_XL_INFO,
	OPT_MEMORY_MB,
	OPT_CPUS
};

struct node_opts {
	bool json, record;
	const char *from, *xl_info;
	int memory_mb, cpus; /* 0: from the probe */
};

/* Each subcommand's own options: getopt refuses the others. */
static const struct option probe_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"from", required_argument, NULL, OPT_FROM},
    {"record", no_argument, NULL, OPT_RECORD},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option check_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"from", required_argument, NULL, OPT_FROM},
    {"xl-info", required_argument, NULL, OPT_XL_INFO},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option profile_options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"from", required_argument, NULL, OPT_FROM},
    {"memory-mb", required_argument, NULL, OPT_MEMORY_MB},
    {"cpus", required_argument, NULL, OPT_CPUS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Returns -1 to go on, or an exit status. */
static int parse_opts(int argc, char **argv, const struct option *options,
		      struct node_opts *o)
{
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		int rc = -1;

		switch (c) {
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_FROM:
			o->from = optarg;
			break;
		case OPT_RECORD:
			o->record = true;
			break;
		case OPT_XL_INFO:
			o->xl_info = optarg;
			break;
		case OPT_MEMORY_MB:
			/* Up to 16 TiB, the most Xen 4.17 supports. */
			rc = cmd_parse_int(WHO, "--memory-mb", optarg, 1,
					   16 << 20, &o->memory_mb);
			break;
		case OPT_CPUS:
			rc = cmd_parse_int(WHO, "--cpus", optarg, 1, 4096,
					   &o->cpus);
			break;
		case 'h':
			node_usage(stdout);
			return EXIT_OK;
		default:
			return EXIT_USAGE;
		}
		if (rc >= 0)
			return rc;
	}
	return cmd_no_operands(WHO, argc, argv);
}

/* This machine, or the record named by --from. *rec_r is the record (NULL
 * live), for the caller to free once the probe ran. */
static int open_source(const struct node_opts *o, struct probe_record **rec_r,
		       struct probe_src *src_r)
{
	*rec_r = NULL;
	*src_r = probe_src_live();
	if (!o->from)
		return -1;
	if (probe_record_load(o->from, rec_r))
		return EXIT_FAIL;
	*src_r = probe_record_src(*rec_r);
	return -1;
}

static int run_probe(const struct node_opts *o, struct probe_result *res)
{
	struct probe_record *rec;
	struct probe_src src;
	int st = open_source(o, &rec, &src);

	if (st >= 0)
		return st;
	probe_run(&src, res);
	probe_record_free(rec);
	return -1;
}

/* Output written, or why not. */
static int flushed(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		log_warn("cannot write the output");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/* --record: probe through a tee that prints what it reads. */
static int record_probe(const struct node_opts *o)
{
	struct probe_record *rec;
	struct probe_result res;
	struct probe_src inner, src;
	struct probe_tee tee;
	int st = open_source(o, &rec, &inner);

	if (st >= 0)
		return st;
	src = probe_tee_begin(&tee, inner, stdout);
	probe_run(&src, &res);
	st = probe_tee_end(&tee) ? EXIT_FAIL : EXIT_OK;
	probe_record_free(rec);
	if (st)
		log_warn("cannot write the record");
	return st;
}

static int node_cmd_probe(int argc, char **argv)
{
	struct probe_result res;
	struct node_opts o;
	int st = parse_opts(argc, argv, probe_options, &o);

	if (st >= 0)
		return st;
	if (o.record && o.json) {
		fprintf(stderr, WHO " probe: --record and --json exclude each "
				    "other\n");
		return EXIT_USAGE;
	}
	if (o.record)
		return record_probe(&o);
	st = run_probe(&o, &res);
	if (st >= 0)
		return st;
	if (o.json)
		probe_print_json(stdout, &res);
	else
		probe_print(stdout, &res);
	return flushed();
}

static int node_cmd_check(int argc, char **argv)
{
	struct probe_result res;
	struct check_result c;
	struct xl_info xl;
	bool have_xl = false;
	struct node_opts o;
	int st = parse_opts(argc, argv, check_options, &o);

	if (st >= 0)
		return st;
	st = run_probe(&o, &res);
	if (st >= 0)
		return st;
	/* A record describes another machine: only its own `xl info` (a
	 * file) goes with it. Live, xl can only answer in a dom0. */
	if (o.xl_info) {
		if (xlinfo_load(o.xl_info, &xl))
			return EXIT_FAIL;
		have_xl = true;
	} else if (!o.from && res.dom0) {
		have_xl = xlinfo_run(&xl) == BL_OK;
	}
	check_run(&res, have_xl ? &xl : NULL, &c);
	if (o.json)
		check_print_json(stdout, &c);
	else
		check_print(stdout, &c);
	st = flushed();
	return st ? st : check_ready(&c) ? EXIT_OK : EXIT_FAIL;
}

static int node_cmd_profile(int argc, char **argv)
{
	struct probe_result res;
	struct profile pf;
	struct node_opts o;
	const char *why = NULL;
	int st = parse_opts(argc, argv, profile_options, &o);

	if (st >= 0)
		return st;
	st = run_probe(&o, &res);
	if (st >= 0)
		return st;
	if (profile_build(&res, o.memory_mb, o.cpus, &pf, &why)) {
		fprintf(stderr, WHO " boot-profile: %s\n", why);
		return EXIT_FAIL;
	}
	if (o.json)
		profile_print_json(stdout, &pf);
	else
		profile_print(stdout, &pf);
	return flushed();
}

int cmd_node(int argc, char **argv)
{
	const struct cmd *c;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		node_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	c = cmd_lookup(node_commands, argv[1], "node command");
	if (!c)
		return EXIT_USAGE;
	return c->fn(argc - 1, argv + 1);
}
