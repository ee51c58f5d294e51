/* blanket bench's report: a run as report.md (read by a person), as
 * report.json (read by a program, and `blanket bench --json`), as pictures
 * (svg.c) and as a terminal table.
 *
 * Entry points: bench_report_write() writes the folder, one file after the
 * other; bench_json_write() and bench_table_print() write one stream.
 *
 * Nomenclature: a series is one layer's samples of one metric; it is
 * measured when it has samples and is not marked missing. An overhead is
 * bench_overhead() of a layer against a lower one, from the means. */
#include "toolstack/bench/report.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "toolstack/bench/stats.h"
#include "toolstack/common/json.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"

static const char *const metric_short[BENCH_METRICS] = {
    [BENCH_CPU] = "CPU",	  [BENCH_NET_THROUGHPUT] = "Throughput",
    [BENCH_NET_RR] = "TCP RR",	  [BENCH_NET_RTT] = "RTT",
    [BENCH_DISK_READ] = "Read",	  [BENCH_DISK_WRITE] = "Write",
    [BENCH_DISK_IOPS] = "Random",
};

/* The thesis' own column headings and units (Table 5.1's footnotes). */
static const char *const thesis_column[BENCH_METRICS] = {
    [BENCH_CPU] = "CPU (s)",
    [BENCH_NET_THROUGHPUT] = "Throughput (Mbit/s)",
    [BENCH_NET_RR] = "Latency, TCP RR (req/10 s)",
    [BENCH_NET_RTT] = "RTT (ms) [b]",
    [BENCH_DISK_READ] = "Read (KB/s)",
    [BENCH_DISK_WRITE] = "Write (KB/s)",
    [BENCH_DISK_IOPS] = "Random seek (seeks/s)",
};

/* The pairs every overhead table shows, the last one across both layers
 * of virtualisation as the thesis' text also gives it. */
static const struct {
	enum bench_layer below, layer;
	const char *name; /* JSON key */
	const char *title;
} pairs[] = {
    {BENCH_L0, BENCH_L1, "L1_vs_L0", "L1 vs L0"},
    {BENCH_L1, BENCH_L2, "L2_vs_L1", "L2 vs L1"},
    {BENCH_L0, BENCH_L2, "L2_vs_L0", "L2 vs L0"},
};
#define NPAIRS (sizeof(pairs) / sizeof(pairs[0]))

const char *bench__metric_short(enum bench_metric m)
{
	if ((unsigned)m >= BENCH_METRICS)
		return "?";
	return metric_short[m];
}

/* A mean for a table: whole numbers from 1000 up (disk rates, requests),
 * four digits below (3.528 s, 0.443 ms). */
static const char *fmt_value(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "n/a");
	else if (fabs(v) >= 1000)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.4g", v);
	return buf;
}

static const char *fmt_pct(char *buf, size_t len, double v)
{
	if (!isfinite(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.1f%%", v * 100);
	return buf;
}

/* Why a series is not measured; "" when it is. */
static const char *missing_reason(const struct bench_series *s)
{
	if (s->missing[0])
		return s->missing;
	return s->n ? "" : "no samples";
}

/* Text from outside (a node's name, a reason) in Markdown: what would
 * start emphasis, a link, HTML or a new table cell is escaped, and a
 * newline would end a table row, so it becomes a space. */
static void md_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (strchr("\\`*_[]<>|#", *s))
			fputc('\\', out);
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
	}
}

static void md_units(FILE *out)
{
	fputs("Units: KB/s (1024 bytes, as bonnie++) is KiB/s: bonnie++ "
	      "counts K as 1024 bytes, and the thesis' Table 5.1 prints its "
	      "figures as they are (\"KB/Sec\"), though its text divides them "
	      "by 1000 for MB/s. Random is random 4 KiB reads per second, "
	      "beside the thesis' bonnie++ random seeks/s. TCP RR is netperf "
	      "TCP_RR transactions in 10 s; CPU the seconds of a fixed Leibniz "
	      "pi; RTT the ICMP echo round trip. Overhead = 1 - perf(layer) / "
	      "perf(below), where perf is the value, or 1 / value for CPU "
	      "seconds and RTT (lower is better): the way the thesis' "
	      "percentages are computed.\n\n",
	      out);
}

/* Ends a "| Layer | metric... |" header row with its rule: the layer's
 * column left, each metric's right. */
static void md_metric_rule(FILE *out)
{
	fputs("\n|---|", out);
	for (int m = 0; m < BENCH_METRICS; m++)
		fputs("---:|", out);
	fputc('\n', out);
}

/* Table 5.1's shape, this run's means; missing cells get a footnote. */
static void md_results(FILE *out, const struct bench_run *run)
{
	char buf[64];
	int note = 0;

	fputs("## Results\n\nThe mean of each series, shaped like the "
	      "thesis' Table 5.1.\n\n| Layer |",
	      out);
	for (int m = 0; m < BENCH_METRICS; m++)
		fprintf(out, " %s (%s) |", metric_short[m],
			bench_metric_info(m)->unit);
	md_metric_rule(out);
	for (int l = 0; l < BENCH_LAYERS; l++) {
		fprintf(out, "| %s |", bench_layer_name(l));
		for (int m = 0; m < BENCH_METRICS; m++) {
			const struct bench_series *s = &run->s[l][m];

			if (bench_series_measured(s))
				fprintf(out, " %s |",
					fmt_value(buf, sizeof(buf),
						  bench_series_mean(s)));
			else
				fprintf(out, " missing[^%d] |", ++note);
		}
		fputc('\n', out);
	}
	fputc('\n', out);
	note = 0;
	for (int l = 0; l < BENCH_LAYERS; l++)
		for (int m = 0; m < BENCH_METRICS; m++) {
			const struct bench_series *s = &run->s[l][m];

			if (bench_series_measured(s))
				continue;
			fprintf(out, "[^%d]: %s, %s: ", ++note,
				bench_layer_name(l),
				bench_metric_info(m)->title);
			md_text(out, missing_reason(s));
			fputc('\n', out);
		}
	if (note)
		fputc('\n', out);
	md_units(out);
}

static void md_overheads(FILE *out, const struct bench_run *run)
{
	char a[32], b[32];

	fprintf(out,
		"## Overhead: your cloud beside the thesis' 2012 setup\n\n"
		"Each layer against the one below, and L2 against L0; the "
		"thesis' column is computed from its Table 5.1 the same way. "
		"Positive is slower than below. The thesis' text states these "
		"to within about a tenth of a point (throughput 6.1%% and "
		"2.0%%, round trip 61.3%% and 85.9%% against L0); its CPU "
		"percentages (18.1%%, 6.6%%) come from the means of its "
		"Figure 4.1, not from Table 5.1.\n\n"
		"![Overheads](%s)\n\n"
		"| Metric |",
		BENCH_OVERHEAD_SVG);
	for (size_t i = 0; i < NPAIRS; i++)
		fprintf(out, " %s | thesis |", pairs[i].title);
	fputs("\n|---|", out);
	for (size_t i = 0; i < NPAIRS; i++)
		fputs("---:|---:|", out);
	fputc('\n', out);
	for (int m = 0; m < BENCH_METRICS; m++) {
		fprintf(out, "| %s |", bench_metric_info(m)->title);
		for (size_t i = 0; i < NPAIRS; i++)
			fprintf(
			    out, " %s | %s |",
			    fmt_pct(a, sizeof(a),
				    bench_run_overhead(run, m, pairs[i].below,
						       pairs[i].layer)),
			    fmt_pct(b, sizeof(b),
				    bench_thesis_overhead(m, pairs[i].below,
							  pairs[i].layer)));
		fputc('\n', out);
	}
	fputc('\n', out);
}

static int md_statistics(FILE *out, const struct bench_run *run)
{
	char v[5][32];
	struct bench_stats st;
	int rc;

	fputs("## Statistics per metric\n\nsd is the sample standard "
	      "deviation (n - 1).\n\n",
	      out);
	for (int m = 0; m < BENCH_METRICS; m++) {
		const struct bench_metric_info *mi = bench_metric_info(m);

		fprintf(out,
			"### %s, %s (%s is better)\n\n"
			"| Layer | n | mean | sd | min | max | median |\n"
			"|---|---:|---:|---:|---:|---:|---:|\n",
			mi->title, mi->unit,
			mi->higher_is_better ? "higher" : "lower");
		for (int l = 0; l < BENCH_LAYERS; l++) {
			const struct bench_series *s = &run->s[l][m];

			if (!bench_series_measured(s)) {
				fprintf(out, "| %s | 0 | missing | | | | |\n",
					bench_layer_name(l));
				continue;
			}
			rc = bench_stats_of(s->v, s->n, &st);
			if (rc == BL_ERR_INVAL) {
				fprintf(out,
					"| %s | %zu | not a number | | | | "
					"|\n",
					bench_layer_name(l), s->n);
				continue;
			}
			if (rc)
				return rc;
			fprintf(out, "| %s | %zu | %s | %s | %s | %s | %s |\n",
				bench_layer_name(l), st.n,
				fmt_value(v[0], sizeof(v[0]), st.mean),
				fmt_value(v[1], sizeof(v[1]), st.sd),
				fmt_value(v[2], sizeof(v[2]), st.min),
				fmt_value(v[3], sizeof(v[3]), st.max),
				fmt_value(v[4], sizeof(v[4]), st.median));
		}
		fprintf(out, "\n![%s, each layer's samples](hist-%s.svg)\n\n",
			mi->title, mi->id);
	}
	return BL_OK;
}

static void md_thesis(FILE *out)
{
	fputs("## The thesis' Table 5.1\n\nEspen Gundersen, \"Dynamic Cloud "
	      "Infrastructure\", University of Oslo, 2012: \"Summary of the "
	      "performance with virtio\", KVM nested in KVM on HP and Dell "
	      "servers with a 1 Gbit/s switch.\n\n| Layer |",
	      out);
	for (int m = 0; m < BENCH_METRICS; m++)
		fprintf(out, " %s |", thesis_column[m]);
	md_metric_rule(out);
	for (int l = 0; l < BENCH_LAYERS; l++) {
		fprintf(out, "| %s |", bench_layer_name(l));
		for (int m = 0; m < BENCH_METRICS; m++)
			fprintf(out, " %g |", bench_thesis_value(l, m));
		fputc('\n', out);
	}
	fputs("\n[b] Not in Table 5.1: the ping round trip of its section "
	      "4.2.2 (Figure 4.9). Its TCP RR row is the one measured without "
	      "virtio (Figure 4.7), though the table's caption says \"with "
	      "virtio\".\n",
	      out);
}

static int write_md(FILE *out, const struct bench_run *run)
{
	int rc;

	fputs("# blanket bench: ", out);
	md_text(out, run->node[0] ? run->node : "(unnamed node)");
	fputs(", ", out);
	md_text(out, run->when[0] ? run->when : "(no date)");
	fputs("\n\nSetting: ", out);
	md_text(out, run->setting[0] ? run->setting : "(not given)");
	fprintf(out, ". Runs: %u per metric and layer.\n\n", run->runs);
	md_results(out, run);
	md_overheads(out, run);
	rc = md_statistics(out, run);
	if (rc)
		return rc;
	md_thesis(out);
	return BL_OK;
}

/* A JSON number, or null: JSON has no NaN. */
static void json_num(FILE *out, double v)
{
	if (isfinite(v))
		fprintf(out, "%.6g", v);
	else
		fputs("null", out);
}

static int json_series(FILE *out, const struct bench_series *s)
{
	struct bench_stats st;
	int rc;

	fputs("{\"missing\": ", out);
	json_string(out, bench_series_measured(s) ? NULL : missing_reason(s));
	fputs(", \"samples\": [", out);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			fputs(", ", out);
		json_num(out, s->v[i]);
	}
	fputs("], \"stats\": ", out);
	rc = s->n ? bench_stats_of(s->v, s->n, &st) : BL_ERR_INVAL;
	if (rc == BL_ERR_INVAL) {
		fputs("null}", out);
		return BL_OK;
	}
	if (rc)
		return rc;
	fprintf(out, "{\"n\": %zu, \"mean\": ", st.n);
	json_num(out, st.mean);
	fputs(", \"sd\": ", out);
	json_num(out, st.sd);
	fputs(", \"min\": ", out);
	json_num(out, st.min);
	fputs(", \"max\": ", out);
	json_num(out, st.max);
	fputs(", \"median\": ", out);
	json_num(out, st.median);
	fputs("}}", out);
	return BL_OK;
}

static int json_metric(FILE *out, const struct bench_run *run,
		       enum bench_metric m)
{
	const struct bench_metric_info *mi = bench_metric_info(m);
	int rc;

	fputs("    {\n      \"title\": ", out);
	json_string(out, mi->title);
	fputs(",\n      \"unit\": ", out);
	json_string(out, mi->unit);
	fprintf(out, ",\n      \"higher_is_better\": %s,\n      \"layers\": {",
		mi->higher_is_better ? "true" : "false");
	for (int l = 0; l < BENCH_LAYERS; l++) {
		fprintf(out, "%s\n        \"%s\": ", l ? "," : "",
			bench_layer_name(l));
		rc = json_series(out, &run->s[l][m]);
		if (rc)
			return rc;
	}
	fputs("\n      },\n      \"overhead\": {", out);
	for (size_t i = 0; i < NPAIRS; i++) {
		fprintf(out, "%s\"%s\": ", i ? ", " : "", pairs[i].name);
		json_num(out, bench_run_overhead(run, m, pairs[i].below,
						 pairs[i].layer));
	}
	fputs("},\n      \"thesis\": {", out);
	for (int l = 0; l < BENCH_LAYERS; l++) {
		fprintf(out, "\"%s\": ", bench_layer_name(l));
		json_num(out, bench_thesis_value(l, m));
		fputs(", ", out);
	}
	fputs("\"overhead\": {", out);
	for (size_t i = 0; i < NPAIRS; i++) {
		fprintf(out, "%s\"%s\": ", i ? ", " : "", pairs[i].name);
		json_num(out, bench_thesis_overhead(m, pairs[i].below,
						    pairs[i].layer));
	}
	fputs("}}\n    }", out);
	return BL_OK;
}

int bench_json_write(FILE *out, const struct bench_run *run)
{
	int rc;

	fputs("{\n  \"node\": ", out);
	json_string(out, run->node);
	fputs(",\n  \"when\": ", out);
	json_string(out, run->when);
	fputs(",\n  \"setting\": ", out);
	json_string(out, run->setting);
	fprintf(out,
		",\n  \"runs\": %u,\n  \"kb_bytes\": 1024,\n"
		"  \"overhead_definition\": \"1 - perf(layer) / perf(below); "
		"perf = value, or 1 / value when lower is better\",\n"
		"  \"metrics\": {\n",
		run->runs);
	for (int m = 0; m < BENCH_METRICS; m++) {
		fprintf(out, "%s  \"%s\":\n", m ? ",\n" : "",
			bench_metric_info(m)->id);
		rc = json_metric(out, run, m);
		if (rc)
			return rc;
	}
	fputs("\n  }\n}\n", out);
	return ferror(out) ? BL_ERR_IO : BL_OK;
}

int bench_table_print(FILE *out, const struct bench_run *run)
{
	char buf[32];

	fprintf(out, "blanket bench: %s, %s, %u run%s\n%-16s",
		run->node[0] ? run->node : "(unnamed node)",
		run->when[0] ? run->when : "(no date)", run->runs,
		run->runs == 1 ? "" : "s", "");
	for (int m = 0; m < BENCH_METRICS; m++)
		fprintf(out, "%12s", metric_short[m]);
	fprintf(out, "\n%-16s", "");
	for (int m = 0; m < BENCH_METRICS; m++)
		fprintf(out, "%12s", bench_metric_info(m)->unit);
	fputc('\n', out);
	for (int l = 0; l < BENCH_LAYERS; l++) {
		fprintf(out, "%-16s", bench_layer_name(l));
		for (int m = 0; m < BENCH_METRICS; m++) {
			const struct bench_series *s = &run->s[l][m];

			fprintf(out, "%12s",
				bench_series_measured(s)
				    ? fmt_value(buf, sizeof(buf),
						bench_series_mean(s))
				    : "missing");
		}
		fputc('\n', out);
	}
	for (int thesis = 0; thesis <= 1; thesis++)
		for (size_t i = 0; i < NPAIRS; i++) {
			char label[32];

			snprintf(label, sizeof(label), "%s%s",
				 thesis ? "thesis " : "", pairs[i].title);
			fprintf(out, "%-16s", label);
			for (int m = 0; m < BENCH_METRICS; m++) {
				enum bench_layer b = pairs[i].below;
				enum bench_layer t = pairs[i].layer;
				double v =
				    thesis ? bench_thesis_overhead(m, b, t)
					   : bench_run_overhead(run, m, b, t);

				fprintf(out, "%12s",
					fmt_pct(buf, sizeof(buf), v));
			}
			fputc('\n', out);
		}
	return ferror(out) ? BL_ERR_IO : BL_OK;
}

enum report_file { RF_MD, RF_JSON, RF_HIST, RF_OVERHEAD };

static int write_one(FILE *out, const struct bench_run *run,
		     enum report_file what, enum bench_metric m)
{
	switch (what) {
	case RF_MD:
		return write_md(out, run);
	case RF_JSON:
		return bench_json_write(out, run);
	case RF_HIST:
		return bench__svg_histogram(out, run, m);
	case RF_OVERHEAD:
		return bench__svg_overhead(out, run);
	}
	return BL_ERR_INVAL;
}

/* dir/name, replaced by what. */
static int write_file(const struct bench_run *run, const char *dir,
		      const char *name, enum report_file what,
		      enum bench_metric m)
{
	char path[PATH_MAX];
	FILE *out = NULL;
	int rc;

	rc = path_join(path, sizeof(path), dir, name);
	if (rc) {
		log_warnx("bench report: %s/%s: path too long", dir, name);
		goto out;
	}
	out = fopen(path, "w");
	if (!out) {
		log_warn("bench report: %s", path);
		rc = BL_ERR_IO;
		goto out;
	}
	rc = write_one(out, run, what, m);
	if (rc && rc != BL_ERR_IO) {
		log_warnx("bench report: %s: %s", path, bl_strerror(rc));
		goto out;
	}
	/* fflush() leaves errno set by the write that failed, for the
	 * message; a full disk often shows only here or at fclose(). */
	if (fflush(out) || ferror(out)) {
		log_warn("bench report: writing %s", path);
		rc = BL_ERR_IO;
		goto out;
	}
	rc = fclose(out);
	out = NULL;
	if (rc) {
		log_warn("bench report: closing %s", path);
		rc = BL_ERR_IO;
		goto out;
	}
	rc = BL_OK;
out:
	if (out)
		fclose(out);
	return rc;
}

int bench_report_write(const struct bench_run *run, const char *dir)
{
	char name[64];
	int rc;

	rc = write_file(run, dir, "report.md", RF_MD, BENCH_CPU);
	if (rc)
		return rc;
	rc = write_file(run, dir, "report.json", RF_JSON, BENCH_CPU);
	if (rc)
		return rc;
	for (int m = 0; m < BENCH_METRICS; m++) {
		snprintf(name, sizeof(name), "hist-%s.svg",
			 bench_metric_info(m)->id);
		rc = write_file(run, dir, name, RF_HIST, m);
		if (rc)
			return rc;
	}
	return write_file(run, dir, BENCH_OVERHEAD_SVG, RF_OVERHEAD, BENCH_CPU);
}
