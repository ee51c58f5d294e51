/* blanket bench's report: a run as Markdown, JSON and SVG pictures beside
 * the seed thesis' figures, and as a short table for the terminal. */
#ifndef BL_BENCH_REPORT_H
#define BL_BENCH_REPORT_H

#include <stdio.h>

#include "toolstack/bench/bench.h"
#include "toolstack/common/err.h"

/* The picture of the overheads, in the report's folder. */
#define BENCH_OVERHEAD_SVG "overhead.svg"

/* Writes report.md, report.json, BENCH_OVERHEAD_SVG and one histogram per
 * metric ("hist-<metric id>.svg", each layer a panel) into dir, which must
 * exist; files of those names are replaced. BL_ERR_IO (logged with the
 * file's name and errno) when one cannot be written, BL_ERR_INVAL when dir
 * is too long for a path, BL_ERR_NOMEM; the files written before stay. */
int bench_report_write(const struct bench_run *run,
		       const char *dir) BL_MUST_CHECK;
/* report.json's content: every series (samples, statistics, why missing),
 * the overheads and the thesis' figures. Numbers are %.6g, null where a
 * figure does not exist. BL_ERR_IO when out fails (errno is left set). */
int bench_json_write(FILE *out, const struct bench_run *run) BL_MUST_CHECK;
/* A terminal summary: Table 5.1's shape with this run's means, then each
 * layer's overhead against the one below beside the thesis'. BL_ERR_IO
 * when out fails. */
int bench_table_print(FILE *out, const struct bench_run *run) BL_MUST_CHECK;

/* Internal to the report module (report.c, svg.c). */

/* A metric's name for a table's column or a chart's axis: "CPU". */
const char *bench__metric_short(enum bench_metric m);
/* An SVG document, written to out: BL_ERR_NOMEM, else BL_OK; the caller
 * checks out for write errors. */
int bench__svg_histogram(FILE *out, const struct bench_run *run,
			 enum bench_metric m) BL_MUST_CHECK;
int bench__svg_overhead(FILE *out, const struct bench_run *run) BL_MUST_CHECK;

#endif
