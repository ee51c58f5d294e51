/* blanket bench's model, statistics and report, on fixed data: summaries of
 * known vectors, histograms, the overhead formula held against every
 * percentage the seed thesis' text states, and a report folder read back. */
#include <CUnit/CUnit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/scratch.h"
#include "tests/unit/suites.h"
#include "toolstack/bench/bench.h"
#include "toolstack/bench/guest_line.h"
#include "toolstack/bench/report.h"
#include "toolstack/bench/stats.h"
#include "toolstack/common/path.h"

static char dir[SCRATCH_DIR_MAX];

static int setup(void)
{
	return scratch_dir_make(dir, "bench") ? 1 : 0;
}

static int teardown(void)
{
	return path_remove_tree(dir) == BL_OK ? 0 : 1;
}

static void test_stats(void)
{
	static const double v[] = {2, 4, 4, 4, 5, 5, 7, 9};
	static const double odd[] = {3, 1, 2};
	static const double one[] = {7.5};
	const double nan_in[] = {1, NAN, 3};
	struct bench_stats st;

	CU_ASSERT_EQUAL_FATAL(bench_stats_of(v, 8, &st), BL_OK);
	CU_ASSERT_EQUAL(st.n, 8);
	CU_ASSERT_DOUBLE_EQUAL(st.mean, 5, 1e-12);
	/* Sum of squared deviations 32, over n - 1 = 7. */
	CU_ASSERT_DOUBLE_EQUAL(st.sd, sqrt(32.0 / 7), 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(st.min, 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.max, 9, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.median, 4.5, 0);
	/* The input is not sorted in place. */
	CU_ASSERT_DOUBLE_EQUAL(v[0], 2, 0);

	CU_ASSERT_EQUAL_FATAL(bench_stats_of(odd, 3, &st), BL_OK);
	CU_ASSERT_DOUBLE_EQUAL(st.median, 2, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.sd, 1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(odd[0], 3, 0);

	CU_ASSERT_EQUAL_FATAL(bench_stats_of(one, 1, &st), BL_OK);
	CU_ASSERT_EQUAL(st.n, 1);
	CU_ASSERT_DOUBLE_EQUAL(st.mean, 7.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.sd, 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.min, 7.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.max, 7.5, 0);
	CU_ASSERT_DOUBLE_EQUAL(st.median, 7.5, 0);

	/* Refused, and the summary left as it was. */
	st.n = 99;
	CU_ASSERT_EQUAL(bench_stats_of(v, 0, &st), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(bench_stats_of(nan_in, 3, &st), BL_ERR_INVAL);
	CU_ASSERT_EQUAL(st.n, 99);
}

static void test_histogram(void)
{
	static const double ten[] = {9, 0, 1, 2, 3, 4, 5, 6, 7, 8};
	static const double same[] = {5, 5, 5};
	static const double spread[] = {0.171, 0.168, 0.175, 0.169, 0.2,
					0.171, 0.172, 0.19,  0.17,  0.18,
					0.171, 0.174, 0.166};
	size_t counts[8], sum = 0;
	double lo = -1, width = -1;

	/* [0, 9] in five bins of 1.8: two samples each, 9 in the top. */
	CU_ASSERT_EQUAL_FATAL(bench_histogram(ten, 10, 5, counts, &lo, &width),
			      BL_OK);
	CU_ASSERT_DOUBLE_EQUAL(lo, 0, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(width, 1.8, 1e-12);
	for (int b = 0; b < 5; b++)
		CU_ASSERT_EQUAL(counts[b], 2);

	/* Every sample counted, each in the bin whose edges hold it. */
	CU_ASSERT_EQUAL_FATAL(
	    bench_histogram(spread, 13, 7, counts, &lo, &width), BL_OK);
	CU_ASSERT_DOUBLE_EQUAL(lo, 0.166, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(lo + 7 * width, 0.2, 1e-12);
	for (int b = 0; b < 7; b++) {
		size_t in = 0;

		for (int i = 0; i < 13; i++)
			if (spread[i] >= lo + b * width - 1e-12 &&
			    (spread[i] < lo + (b + 1) * width ||
			     (b == 6 && spread[i] <= 0.2 + 1e-12)))
				in++;
		CU_ASSERT_EQUAL(counts[b], in);
		sum += counts[b];
	}
	CU_ASSERT_EQUAL(sum, 13);

	/* All equal: bins of some width, centred on the value. */
	CU_ASSERT_EQUAL_FATAL(bench_histogram(same, 3, 3, counts, &lo, &width),
			      BL_OK);
	CU_ASSERT(width > 0);
	CU_ASSERT(lo < 5 && lo + 3 * width > 5);
	CU_ASSERT_EQUAL(counts[0] + counts[1] + counts[2], 3);
	CU_ASSERT_EQUAL(counts[1], 3);

	lo = 42;
	CU_ASSERT_EQUAL(bench_histogram(ten, 0, 5, counts, &lo, &width),
			BL_ERR_INVAL);
	CU_ASSERT_EQUAL(bench_histogram(ten, 10, 0, counts, &lo, &width),
			BL_ERR_INVAL);
	CU_ASSERT_DOUBLE_EQUAL(lo, 42, 0);

	CU_ASSERT_EQUAL(bench_histogram_bins(1), 1);
	CU_ASSERT_EQUAL(bench_histogram_bins(2), 2);
	CU_ASSERT_EQUAL(bench_histogram_bins(8), 4);
	CU_ASSERT_EQUAL(bench_histogram_bins(9), 5);
	CU_ASSERT_EQUAL(bench_histogram_bins(200), 9);
}

/* Every overhead the thesis' text states, recomputed from its Table 5.1
 * (and section 4.2.2's ping) with bench_overhead(): the formula and the
 * reference figures agree with the thesis to its rounding. Line numbers
 * are those of the seed's text. */
static void test_overhead_thesis(void)
{
	static const struct {
		enum bench_metric m;
		enum bench_layer below, layer;
		double stated; /* percent */
		const char *where;
	} cases[] = {
	    {BENCH_NET_THROUGHPUT, BENCH_L0, BENCH_L1, 6.1, "4.2.2, l.711"},
	    {BENCH_NET_THROUGHPUT, BENCH_L1, BENCH_L2, 2.0, "4.2.2, l.711"},
	    {BENCH_NET_THROUGHPUT, BENCH_L1, BENCH_L2, 2.1, "5.1.2, l.1010"},
	    {BENCH_NET_THROUGHPUT, BENCH_L0, BENCH_L2, 8.1, "4.2.2, l.711"},
	    {BENCH_NET_RR, BENCH_L0, BENCH_L1, 65.0, "5.1.2, l.1022"},
	    {BENCH_NET_RR, BENCH_L1, BENCH_L2, 70.1, "5.1.2, l.1022"},
	    {BENCH_NET_RR, BENCH_L0, BENCH_L2, 89.5, "5.1.2, l.1022"},
	    {BENCH_NET_RTT, BENCH_L0, BENCH_L1, 61.3, "4.2.2, l.774"},
	    {BENCH_NET_RTT, BENCH_L0, BENCH_L2, 85.9, "4.2.2, l.774"},
	    {BENCH_DISK_READ, BENCH_L0, BENCH_L1, 27.4, "5.1.3, l.1061"},
	    {BENCH_DISK_READ, BENCH_L1, BENCH_L2, 16.2, "4.2.3, l.804"},
	    {BENCH_DISK_WRITE, BENCH_L0, BENCH_L1, 47.6, "5.1.3, l.1061"},
	    {BENCH_DISK_WRITE, BENCH_L1, BENCH_L2, 26.9, "4.2.3, l.804"},
	    {BENCH_DISK_WRITE, BENCH_L1, BENCH_L2, 26.8, "5.1.3, l.1061"},
	    {BENCH_DISK_IOPS, BENCH_L0, BENCH_L1, 56.7, "4.2.3, l.811"},
	    {BENCH_DISK_IOPS, BENCH_L1, BENCH_L2, 9.7, "4.2.3, l.813"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got =
		    100 * bench_overhead(
			      cases[i].m,
			      bench_thesis_value(cases[i].below, cases[i].m),
			      bench_thesis_value(cases[i].layer, cases[i].m));

		if (!(fabs(got - cases[i].stated) <= 0.15)) {
			fprintf(stderr,
				"\n%s %s vs %s: %.3f%%, thesis %s: %.1f%%\n",
				bench_metric_info(cases[i].m)->id,
				bench_layer_name(cases[i].layer),
				bench_layer_name(cases[i].below), got,
				cases[i].where, cases[i].stated);
			CU_FAIL("overhead differs from the thesis' text");
		}
		CU_ASSERT_DOUBLE_EQUAL(bench_thesis_overhead(cases[i].m,
							     cases[i].below,
							     cases[i].layer),
				       got / 100, 1e-12);
	}

	/* CPU: the text's percentages (l.660: 18.1%, 6.6%, 23.6%) come from
	 * Figure 4.1's means, 3.56 / 4.35 / 4.66 s, not from Table 5.1's CPU
	 * row; lower is better, so perf is 1 / seconds. */
	CU_ASSERT_DOUBLE_EQUAL(100 * bench_overhead(BENCH_CPU, 3.56, 4.35),
			       18.1, 0.15);
	CU_ASSERT_DOUBLE_EQUAL(100 * bench_overhead(BENCH_CPU, 4.35, 4.66), 6.6,
			       0.15);
	CU_ASSERT_DOUBLE_EQUAL(100 * bench_overhead(BENCH_CPU, 3.56, 4.66),
			       23.6, 0.15);
	/* From Table 5.1, "approximately 5%" (5.1.4, l.1071). */
	CU_ASSERT_DOUBLE_EQUAL(
	    100 * bench_thesis_overhead(BENCH_CPU, BENCH_L1, BENCH_L2), 5, 0.5);

	/* Faster than below is negative; nonsense gives NaN. */
	CU_ASSERT_DOUBLE_EQUAL(bench_overhead(BENCH_NET_THROUGHPUT, 100, 110),
			       -0.1, 1e-12);
	CU_ASSERT_DOUBLE_EQUAL(bench_overhead(BENCH_NET_RTT, 2, 1), -1, 1e-12);
	CU_ASSERT(isnan(bench_overhead(BENCH_CPU, 0, 1)));
	CU_ASSERT(isnan(bench_overhead(BENCH_CPU, 1, -1)));
	CU_ASSERT(isnan(bench_overhead(BENCH_CPU, NAN, 1)));
	CU_ASSERT(isnan(bench_overhead(BENCH_CPU, 1, INFINITY)));
}

static void test_tables(void)
{
	for (int m = 0; m < BENCH_METRICS; m++) {
		const struct bench_metric_info *mi = bench_metric_info(m);

		CU_ASSERT_PTR_NOT_NULL_FATAL(mi);
		CU_ASSERT_PTR_NOT_NULL_FATAL(mi->id);
		CU_ASSERT_PTR_NOT_NULL(mi->title);
		CU_ASSERT_PTR_NOT_NULL(mi->unit);
		CU_ASSERT_EQUAL(bench_metric_by_id(mi->id), m);
		CU_ASSERT_EQUAL(mi->higher_is_better,
				m != BENCH_CPU && m != BENCH_NET_RTT);
		for (int l = 0; l < BENCH_LAYERS; l++)
			CU_ASSERT(bench_thesis_value(l, m) > 0);
	}
	CU_ASSERT_EQUAL(bench_metric_by_id("net-rtt"), BENCH_NET_RTT);
	CU_ASSERT_EQUAL(bench_metric_by_id("disk-iops"), BENCH_DISK_IOPS);
	CU_ASSERT_STRING_EQUAL(bench_metric_info(BENCH_CPU)->id, "cpu");
	CU_ASSERT_STRING_EQUAL(bench_metric_info(BENCH_NET_RTT)->unit, "ms");
	/* Past the enum: a label that says so, never another metric's. */
	CU_ASSERT_STRING_EQUAL(bench_metric_info(BENCH_METRICS)->id, "unknown");
	CU_ASSERT_EQUAL(bench_metric_by_id("unknown"), -1);
	CU_ASSERT_EQUAL(bench_metric_by_id("CPU"), -1);
	CU_ASSERT_EQUAL(bench_metric_by_id(""), -1);
	CU_ASSERT_EQUAL(bench_metric_by_id(NULL), -1);
	CU_ASSERT_STRING_EQUAL(bench_layer_name(BENCH_L0), "L0");
	CU_ASSERT_STRING_EQUAL(bench_layer_name(BENCH_L1), "L1");
	CU_ASSERT_STRING_EQUAL(bench_layer_name(BENCH_L2), "L2");
	/* Table 5.1's corners, and the ping of 4.2.2. */
	CU_ASSERT_DOUBLE_EQUAL(bench_thesis_value(BENCH_L0, BENCH_CPU), 3.5279,
			       0);
	CU_ASSERT_DOUBLE_EQUAL(bench_thesis_value(BENCH_L2, BENCH_DISK_IOPS),
			       1145, 0);
	CU_ASSERT_DOUBLE_EQUAL(bench_thesis_value(BENCH_L1, BENCH_NET_RTT),
			       0.443, 0);
	CU_ASSERT(isnan(bench_thesis_value(BENCH_LAYERS, BENCH_CPU)));
	CU_ASSERT(isnan(bench_thesis_value(BENCH_L0, BENCH_METRICS)));
}

static void test_series(void)
{
	struct bench_run run;
	struct bench_series *s;

	bench_run_init(&run);
	s = &run.s[BENCH_L1][BENCH_DISK_READ];
	CU_ASSERT_EQUAL(s->n, 0);
	CU_ASSERT_FALSE(bench_series_measured(s));
	CU_ASSERT(isnan(bench_series_mean(s)));
	for (int i = 0; i < 100; i++)
		CU_ASSERT_EQUAL_FATAL(bench_series_add(s, i), BL_OK);
	CU_ASSERT_EQUAL(s->n, 100);
	CU_ASSERT(s->cap >= 100);
	CU_ASSERT_DOUBLE_EQUAL(s->v[0], 0, 0);
	CU_ASSERT_DOUBLE_EQUAL(s->v[99], 99, 0);
	CU_ASSERT(bench_series_measured(s));
	CU_ASSERT_DOUBLE_EQUAL(bench_series_mean(s), 49.5, 1e-12);

	bench_series_missing(s, "bonnie++ exited %d", 3);
	CU_ASSERT_STRING_EQUAL(s->missing, "bonnie++ exited 3");
	CU_ASSERT_FALSE(bench_series_measured(s));
	CU_ASSERT(isnan(
	    bench_run_overhead(&run, BENCH_DISK_READ, BENCH_L0, BENCH_L1)));
	bench_series_missing(&run.s[BENCH_L0][BENCH_CPU], "%s", "");
	CU_ASSERT_STRING_NOT_EQUAL(run.s[BENCH_L0][BENCH_CPU].missing, "");

	bench_run_dispose(&run);
	CU_ASSERT_PTR_NULL(s->v);
	CU_ASSERT_EQUAL(s->n, 0);
	bench_run_dispose(&run);
}

/* A minimal JSON reader: whether text is one valid value, and the value at
 * a dotted path ("metrics.cpu.layers.L0.stats.mean") as its text. */
static const char *json_value(const char *p);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *json_str(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
						    p[i]) ||
					    !p[i])
						return NULL;
				p += 4;
			} else if (!*p || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	const char *q = p;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p > q ? p : NULL;
}

static const char *json_value(const char *p)
{
	p = json_ws(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		p = json_ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				p = json_str(json_ws(p));
				if (!p)
					return NULL;
				p = json_ws(p);
				if (*p++ != ':')
					return NULL;
			}
			p = json_value(p);
			if (!p)
				return NULL;
			p = json_ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (*p == '"')
		return json_str(p);
	if (!strncmp(p, "true", 4) || !strncmp(p, "null", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	return json_number(p);
}

static bool json_valid(const char *text)
{
	const char *end = json_value(text);

	return end && !*json_ws(end);
}

/* The value at path in a valid document, copied to buf; false when absent. */
static bool json_at(const char *text, const char *path, char *buf, size_t len)
{
	const char *p = json_ws(text);
	char key[64];

	while (*path) {
		const char *dot = strchr(path, '.');
		size_t klen = dot ? (size_t)(dot - path) : strlen(path);
		bool found = false;

		if (*p != '{' || klen >= sizeof(key))
			return false;
		snprintf(key, sizeof(key), "\"%.*s\"", (int)klen, path);
		p = json_ws(p + 1);
		while (*p == '"') {
			const char *k = p;

			p = json_ws(json_str(p));
			p = json_ws(p + 1); /* the ':' */
			if ((size_t)(strchr(k + 1, '"') + 1 - k) ==
				strlen(key) &&
			    !strncmp(k, key, strlen(key))) {
				found = true;
				break;
			}
			p = json_ws(json_value(p));
			if (*p == ',')
				p = json_ws(p + 1);
		}
		if (!found)
			return false;
		path += klen + (dot ? 1 : 0);
	}
	snprintf(buf, len, "%.*s", (int)(json_value(p) - p), p);
	return true;
}

static double json_num_at(const char *text, const char *path)
{
	char buf[64];

	if (!json_at(text, path, buf, sizeof(buf)))
		return NAN;
	return strtod(buf, NULL);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	buf = calloc(1, 1 << 20);
	if (buf)
		len = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	if (buf)
		buf[len] = '\0';
	return buf;
}

#define L2_NET_REASON "guest has no network: vif down"

/* Five samples a layer around the thesis' figures, whose mean is the
 * figure: the report's cells can be checked to the digit. */
static void fill_run(struct bench_run *run)
{
	static const double jitter[] = {-0.02, -0.01, 0, 0.01, 0.02};

	bench_run_init(run);
	snprintf(run->node, sizeof(run->node), "node<1>&");
	snprintf(run->when, sizeof(run->when), "2026-12-01 22:40");
	snprintf(run->setting, sizeof(run->setting), "lab | unit test");
	run->runs = 5;
	for (int l = 0; l < BENCH_LAYERS; l++)
		for (int m = 0; m < BENCH_METRICS; m++) {
			if (l == BENCH_L2 && m == BENCH_NET_THROUGHPUT) {
				bench_series_missing(&run->s[l][m], "%s",
						     L2_NET_REASON);
				continue;
			}
			for (int i = 0; i < 5; i++)
				CU_ASSERT_EQUAL(
				    bench_series_add(&run->s[l][m],
						     bench_thesis_value(l, m) *
							 (1 + jitter[i])),
				    BL_OK);
		}
}

static void check_svgs(const char *md)
{
	const char *p = md;
	int nsvg = 0, nhist = 0;
	bool overhead = false;

	while ((p = strstr(p, "](")) != NULL) {
		const char *name = p + 2, *end = strchr(name, ')');
		char file[128];
		char *svg;

		p = name;
		if (!end || end - name < 5 ||
		    end - name >= (long)sizeof(file) ||
		    strncmp(end - 4, ".svg", 4))
			continue;
		snprintf(file, sizeof(file), "%.*s", (int)(end - name), name);
		/* A relative name in the folder, nothing else. */
		CU_ASSERT_PTR_NULL(strchr(file, '/'));
		svg = slurp(scratch_path(dir, "%s", file));
		CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
		CU_ASSERT_EQUAL(strncmp(svg, "<svg", 4), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "</svg>\n"));
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "L0"));
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "L1"));
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "L2"));
		/* The node's name escaped for XML, never raw. */
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "node&lt;1&gt;&amp;"));
		CU_ASSERT_PTR_NULL(strstr(svg, "node<1>"));
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<rect"));
		CU_ASSERT_PTR_NOT_NULL(strstr(svg, "<line"));
		if (!strcmp(file, "hist-net-throughput.svg")) {
			CU_ASSERT_PTR_NOT_NULL(
			    strstr(svg, "L2 (guest on the node): missing"));
			CU_ASSERT_PTR_NOT_NULL(
			    strstr(svg, ">" L2_NET_REASON "<"));
		}
		if (!strcmp(file, BENCH_OVERHEAD_SVG)) {
			overhead = true;
			CU_ASSERT_PTR_NOT_NULL(strstr(svg, "thesis (2012)"));
			/* Thesis, throughput, L1 vs L0. */
			CU_ASSERT_PTR_NOT_NULL(strstr(svg, ">6.1</text>"));
		}
		if (!strncmp(file, "hist-", 5)) {
			nhist++;
			CU_ASSERT_PTR_NOT_NULL(strstr(svg, "samples"));
		}
		nsvg++;
		free(svg);
	}
	CU_ASSERT_EQUAL(nhist, BENCH_METRICS);
	CU_ASSERT_EQUAL(nsvg, BENCH_METRICS + 1);
	CU_ASSERT(overhead);
}

static void check_json(const char *json)
{
	char buf[256], path[128];

	CU_ASSERT_FATAL(json_valid(json));
	CU_ASSERT_PTR_NULL(strstr(json, "nan"));
	CU_ASSERT_PTR_NULL(strstr(json, "inf"));
	CU_ASSERT_DOUBLE_EQUAL(json_num_at(json, "runs"), 5, 0);
	CU_ASSERT(json_at(json, "node", buf, sizeof(buf)) &&
		  !strcmp(buf, "\"node<1>&\""));
	for (int m = 0; m < BENCH_METRICS; m++) {
		const char *id = bench_metric_info(m)->id;

		snprintf(path, sizeof(path), "metrics.%s.unit", id);
		CU_ASSERT(json_at(json, path, buf, sizeof(buf)));
		for (int l = 0; l < BENCH_LAYERS; l++) {
			const char *ln = bench_layer_name(l);

			snprintf(path, sizeof(path), "metrics.%s.thesis.%s", id,
				 ln);
			CU_ASSERT_DOUBLE_EQUAL(json_num_at(json, path),
					       bench_thesis_value(l, m),
					       1e-5 * bench_thesis_value(l, m));
			if (l == BENCH_L2 && m == BENCH_NET_THROUGHPUT)
				continue;
			snprintf(path, sizeof(path),
				 "metrics.%s.layers.%s.missing", id, ln);
			CU_ASSERT(json_at(json, path, buf, sizeof(buf)) &&
				  !strcmp(buf, "null"));
			snprintf(path, sizeof(path),
				 "metrics.%s.layers.%s.stats.mean", id, ln);
			CU_ASSERT_DOUBLE_EQUAL(json_num_at(json, path),
					       bench_thesis_value(l, m),
					       1e-5 * bench_thesis_value(l, m));
			snprintf(path, sizeof(path),
				 "metrics.%s.layers.%s.stats.n", id, ln);
			CU_ASSERT_DOUBLE_EQUAL(json_num_at(json, path), 5, 0);
		}
	}
	CU_ASSERT(json_at(json, "metrics.net-throughput.layers.L2.missing", buf,
			  sizeof(buf)) &&
		  !strcmp(buf, "\"" L2_NET_REASON "\""));
	CU_ASSERT(json_at(json, "metrics.net-throughput.layers.L2.samples", buf,
			  sizeof(buf)) &&
		  !strcmp(buf, "[]"));
	CU_ASSERT(json_at(json, "metrics.net-throughput.layers.L2.stats", buf,
			  sizeof(buf)) &&
		  !strcmp(buf, "null"));
	CU_ASSERT(json_at(json, "metrics.net-throughput.overhead.L2_vs_L1", buf,
			  sizeof(buf)) &&
		  !strcmp(buf, "null"));
	/* Means equal to the thesis' figures give the thesis' overheads. */
	CU_ASSERT_DOUBLE_EQUAL(
	    json_num_at(json, "metrics.net-throughput.overhead.L1_vs_L0"),
	    bench_thesis_overhead(BENCH_NET_THROUGHPUT, BENCH_L0, BENCH_L1),
	    1e-5);
	CU_ASSERT_DOUBLE_EQUAL(
	    json_num_at(json,
			"metrics.net-throughput.thesis.overhead.L2_vs_L1"),
	    0.0208, 0.0001);
	/* Samples in the order taken. */
	CU_ASSERT(
	    json_at(json, "metrics.cpu.layers.L0.samples", buf, sizeof(buf)) &&
	    buf[0] == '[');
	CU_ASSERT_DOUBLE_EQUAL(strtod(buf + 1, NULL), 3.5279 * 0.98, 1e-4);
}

static void test_report(void)
{
	struct bench_run run;
	char *md = NULL, *json = NULL, *mem = NULL;
	size_t memlen = 0;
	FILE *f;

	fill_run(&run);
	CU_ASSERT_EQUAL_FATAL(bench_report_write(&run, dir), BL_OK);

	md = slurp(scratch_path(dir, "report.md"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(md);
	CU_ASSERT_EQUAL(strncmp(md,
				"# blanket bench: node\\<1\\>&, "
				"2026-12-01 22:40\n",
				strlen("# blanket bench: node\\<1\\>&, "
				       "2026-12-01 22:40\n")),
			0);
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "Setting: lab \\| unit test."));
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "Runs: 5 "));
	/* Table 5.1's shape: every metric a column, every layer a row with
	 * its mean, the missing cell pointing at its footnote. */
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    md, "| Layer | CPU (s) | Throughput (Mbit/s) | TCP RR (req/10 s) "
		"| RTT (ms) | Read (KB/s) | Write (KB/s) | Random (IOPS) |"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    md, "| L0 | 3.528 | 933.3 | 6179 | 0.171 | 110495 | 80087 | 2932 "
		"|\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    md, "| L1 | 4.381 | 876.6 | 2161 | 0.443 | 80202 | 41916 | 1269 "
		"|\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    md, "| L2 | 4.633 | missing[^1] | 644.4 | 1.215 | 67140 | 30641 "
		"| 1145 |\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(md, "[^1]: L2, Network throughput: " L2_NET_REASON "\n"));
	CU_ASSERT_PTR_NULL(strstr(md, "[^2]"));
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "KB/s (1024 bytes, as bonnie++)"));
	/* The overheads beside the thesis': throughput's L1 vs L0 is the
	 * thesis' 6.1% in both columns, its L2 vs L1 has no L2. */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(md, "your cloud beside the thesis' 2012 setup"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(md, "| Network throughput | 6.1% | 6.1% | n/a | 2.1% | "
		       "n/a | 8.0% |\n"));
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(md, "| Round trip (ping) | 61.4% | 61.4% | 63.5% | 63.5% "
		       "| 85.9% | 85.9% |\n"));
	/* Statistics: sd of the five samples is 1.58% of the mean. */
	CU_ASSERT_PTR_NOT_NULL(
	    strstr(md, "| L0 | 5 | 3.528 | 0.05578 | 3.457 | 3.598 | 3.528 "
		       "|\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "| L2 | 0 | missing |"));
	/* The thesis' own table, with its units. */
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "## The thesis' Table 5.1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(md, "Random seek (seeks/s)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    md, "| L0 | 3.5279 | 933.27 | 6179.26 | 0.171 | 110495 | 80087 | "
		"2932 |\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    md, "| L2 | 4.6327 | 858.36 | 644.44 | 1.215 | 67140 | 30641 | "
		"1145 |\n"));
	check_svgs(md);

	json = slurp(scratch_path(dir, "report.json"));
	CU_ASSERT_PTR_NOT_NULL_FATAL(json);
	check_json(json);

	/* --json prints what report.json holds. */
	f = open_memstream(&mem, &memlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(bench_json_write(f, &run), BL_OK);
	fclose(f);
	CU_ASSERT_STRING_EQUAL(mem, json);
	free(mem);
	mem = NULL;

	f = open_memstream(&mem, &memlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(bench_table_print(f, &run), BL_OK);
	fclose(f);
	/* Columns of 12 after a label of 16: L2's CPU mean, then its
	 * missing throughput. */
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mem, "\nL2                     4.633     missing       644.4"));
	CU_ASSERT_PTR_NOT_NULL(strstr(
	    mem, "\nthesis L2 vs L1         5.4%        2.1%       70.2%"));
	CU_ASSERT_PTR_NOT_NULL(strstr(mem, "KB/s"));
	free(mem);

	/* A folder that does not exist: an error, not a crash or a file
	 * elsewhere. */
	CU_ASSERT_EQUAL(
	    bench_report_write(&run, scratch_path(dir, "no/such/folder")),
	    BL_ERR_IO);

	free(md);
	free(json);
	bench_run_dispose(&run);
}

/* What a guest may print, and what it may not make of it. */
static void test_guest_lines(void)
{
	static const char *const other[] = {
	    "",
	    "bench",
	    "bench result",
	    "bench result cpu",
	    "bench result cpu 1",
	    "bench result cpu 1 ",
	    "bench result cpu 0 1.5",
	    "bench result cpu 1001 1.5",
	    "bench result cpu 1 -1",
	    "bench result cpu 1 nan",
	    "bench result cpu 1 inf",
	    "bench result cpu 1 1.5x",
	    "bench result cpu 1  1.5",
	    "bench result gpu 1 1.5",
	    "bench result cpu +1 1.5",
	    "bench result cpu 99999999999999999999 1",
	    "bench missing cpu",
	    "bench missing cpu ",
	    "bench done ",
	    "benchguest: ",
	    "Linux version 6.1.0",
	    "bench  done"};
	struct bench_line l;

	bench_line_parse("bench result disk-read 3 1.5e+05", &l);
	CU_ASSERT_EQUAL(l.kind, BENCH_LINE_RESULT);
	CU_ASSERT_EQUAL(l.metric, BENCH_DISK_READ);
	CU_ASSERT_EQUAL(l.run, 3);
	CU_ASSERT_DOUBLE_EQUAL(l.value, 150000, 1e-9);
	bench_line_parse("bench missing net-rr peer\x1b[2Jgone", &l);
	CU_ASSERT_EQUAL(l.kind, BENCH_LINE_MISSING);
	CU_ASSERT_EQUAL(l.metric, BENCH_NET_RR);
	CU_ASSERT_STRING_EQUAL(l.why, "peer?[2Jgone");
	bench_line_parse("benchguest: no eth0 after 60 s", &l);
	CU_ASSERT_EQUAL(l.kind, BENCH_LINE_COMPLAINT);
	CU_ASSERT_STRING_EQUAL(l.why, "benchguest: no eth0 after 60 s");
	bench_line_parse("bench waiting", &l);
	CU_ASSERT_EQUAL(l.kind, BENCH_LINE_WAITING);
	bench_line_parse("bench serving", &l);
	CU_ASSERT_EQUAL(l.kind, BENCH_LINE_SERVING);
	bench_line_parse("bench done", &l);
	CU_ASSERT_EQUAL(l.kind, BENCH_LINE_DONE);
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		bench_line_parse(other[i], &l);
		if (l.kind != BENCH_LINE_OTHER)
			CU_FAIL(other[i]);
		CU_ASSERT_EQUAL(l.run, 0);
	}
}

void suite_bench(void)
{
	CU_pSuite s =
	    CU_add_suite("bench statistics and report", setup, teardown);

	CU_add_test(s, "statistics of known vectors", test_stats);
	CU_add_test(s, "histograms", test_histogram);
	CU_add_test(s, "overheads reproduce the thesis' text",
		    test_overhead_thesis);
	CU_add_test(s, "metric and layer tables", test_tables);
	CU_add_test(s, "series", test_series);
	CU_add_test(s, "the report folder", test_report);
	CU_add_test(s, "the benchmark guest's console lines", test_guest_lines);
}
