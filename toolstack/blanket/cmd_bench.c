/* `blanket bench`: what nesting costs on a node, measured as the seed
 * thesis measured it (docs/bench.md): the same workloads on L0 (this
 * machine), L1 (the node's dom0) and L2 (a guest on the node), runs of
 * each, and a report beside the thesis' Table 5.1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "toolstack/bench/report.h"
#include "toolstack/bench/workload.h"
#include "toolstack/blanket/bench_layers.h"

#define DEFAULT_IMAGES	   "/var/lib/blanket/images"
#define DEFAULT_DISK_IMAGE DEFAULT_IMAGES "/bench.img"

void bench_tally_init(struct bench_tally *t, const char *layer,
		      struct bench_series *s)
{
	memset(t, 0, sizeof(*t));
	t->layer = layer;
	t->s = s;
}

void bench_tally_add(struct bench_tally *t, const struct bench_plan *plan,
		     enum bench_metric m, unsigned run, int rc, double v,
		     const char *why)
{
	const struct bench_metric_info *info = bench_metric_info(m);

	if (!rc && bench_series_add(&t->s[m], v))
		rc = BL_ERR_NOMEM, why = bl_strerror(BL_ERR_NOMEM);
	if (rc) {
		t->failed[m]++;
		snprintf(t->why[m], sizeof(t->why[m]), "%s", why);
		fprintf(stderr, "bench: %s: %s: %s\n", t->layer, info->id, why);
		return;
	}
	fprintf(stderr, "bench: %s: %s %u/%u: %.6g %s\n", t->layer, info->id,
		run, plan->runs, v, info->unit);
}

void bench_tally_end(struct bench_tally *t)
{
	for (int m = 0; m < BENCH_METRICS; m++)
		if (!t->s[m].n)
			bench_series_missing(&t->s[m], "%s",
					     t->why[m][0] ? t->why[m]
							  : "not measured");
}

/* --layers: "l0,l1,l2" in any order and case. */
static int parse_layers(const char *spec, bool want[BENCH_LAYERS])
{
	char buf[64], *tok, *save = NULL;

	memset(want, 0, BENCH_LAYERS * sizeof(*want));
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return BL_ERR_INVAL;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if ((tok[0] != 'l' && tok[0] != 'L') || tok[1] < '0' ||
		    tok[1] > '2' || tok[2])
			return BL_ERR_INVAL;
		want[tok[1] - '0'] = true;
	}
	return want[0] || want[1] || want[2] ? BL_OK : BL_ERR_INVAL;
}

/* The peer: --peer's, else the first node of the file that is not i. */
static int pick_peer(struct guest_target *t, int i)
{
	if (t->o->peer)
		return guest_target_index(t, t->o->peer);
	for (int p = 0; p < t->c.nodes; p++)
		if (p != i)
			return p;
	return -1;
}

/* What the node runs on, for the report's reader. */
static void describe(struct guest_target *t, int i, struct bench_run *run)
{
	struct rpc_msg req, reply;

	rpc_msg_init(&req);
	rpc_msg_init(&reply);
	req.type = RPC_NODE_INFO;
	/* The probe names QEMU when no accelerator's signature shows: a
	 * node under software emulation, as the lab's are. */
	if (guest_target_call(t, i, &req, &reply, false) == BL_OK)
		snprintf(run->setting, sizeof(run->setting),
			 "node %s: Xen %s on %s, %u CPU%s, %llu MiB%s",
			 t->c.node[i].name, reply.node_info.xen_version,
			 reply.l0[0] ? reply.l0 : "an unknown L0",
			 reply.node_info.nr_cpus,
			 reply.node_info.nr_cpus == 1 ? "" : "s",
			 (unsigned long long)reply.node_info.total_kib / 1024,
			 strncmp(reply.l0, "QEMU", 4)
			     ? ""
			     : ". Its L0 is QEMU without an accelerator: these "
			       "figures describe software emulation, not a "
			       "cloud");
	else
		snprintf(run->setting, sizeof(run->setting), "node %s",
			 t->c.node[i].name);
	rpc_msg_dispose(&reply);
}

int cmd_bench(const struct cmd_call *call)
{
	const struct cli_opts *o = call->opts;
	struct bench_plan plan = {
	    .runs = o->runs ? (unsigned)o->runs : 5,
	    .cpu_iterations = BENCH_CPU_ITERATIONS,
	    .disk_bytes = (uint64_t)(o->disk_mib ? o->disk_mib : 64) << 20,
	    .seconds = o->seconds ? (unsigned)o->seconds : 5,
	    .echoes = 10,
	    .scratch = o->scratch ? o->scratch : "/var/tmp",
	    .images = DEFAULT_IMAGES,
	    .disk_image = o->disk_image ? o->disk_image : DEFAULT_DISK_IMAGE,
	};
	bool want[BENCH_LAYERS];
	struct bench_run run;
	struct guest_target t;
	char out[512];
	time_t now = time(NULL);
	struct tm tm;
	int i, p, rc;

	if (parse_layers(o->layers ? o->layers : "l1,l2", want)) {
		fprintf(stderr,
			"blanket: --layers \"%s\": want a list of l0, l1 "
			"and l2, as in l0,l1,l2\n",
			o->layers);
		return EXIT_USAGE;
	}
	if (guest_target_begin(call, &t))
		return EXIT_FAIL;
	i = o->node ? guest_target_index(&t, o->node) : 0;
	p = i < 0 ? -1 : pick_peer(&t, i);
	if (i < 0 || (o->peer && p < 0) || (p >= 0 && p == i)) {
		if (p == i && i >= 0)
			fprintf(stderr, "blanket: --peer names the node "
					"measured itself\n");
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	gmtime_r(&now, &tm);
	if (o->out)
		snprintf(out, sizeof(out), "%s", o->out);
	else
		snprintf(out, sizeof(out), "bench-%s-%04d%02d%02d-%02d%02d",
			 t.c.node[i].name, tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min);
	if (mkdir(out, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "blanket: cannot make %s: %s\n", out,
			strerror(errno));
		guest_target_end(&t);
		return EXIT_FAIL;
	}
	bench_run_init(&run);
	run.runs = plan.runs;
	snprintf(run.node, sizeof(run.node), "%s", t.c.node[i].name);
	strftime(run.when, sizeof(run.when), "%Y-%m-%d %H:%M UTC", &tm);
	describe(&t, i, &run);
	for (int l = 0; l < BENCH_LAYERS; l++)
		for (int m = 0; !want[l] && m < BENCH_METRICS; m++)
			bench_series_missing(&run.s[l][m],
					     "not asked (--layers)");
	if (want[BENCH_L0])
		bench_local(&plan, run.s[BENCH_L0]);
	if (want[BENCH_L1])
		bench_dom0(&t, i, p, &plan, run.s[BENCH_L1]);
	if (want[BENCH_L2])
		bench_guest(&t, i, p, &plan, run.s[BENCH_L2]);
	rc = bench_report_write(&run, out);
	if (!rc)
		rc = o->json ? bench_json_write(stdout, &run)
			     : bench_table_print(stdout, &run);
	if (!rc)
		fprintf(stderr, "bench: report in %s/report.md\n", out);
	bench_run_dispose(&run);
	guest_target_end(&t);
	return cmd_status(rc);
}
