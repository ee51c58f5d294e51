/* blanket bench's statistics: a series' summary, a histogram of it, the
 * overhead one layer adds to the one below, and the seed thesis' figures
 * to hold a run against. */
#ifndef BL_BENCH_STATS_H
#define BL_BENCH_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "toolstack/bench/bench.h"
#include "toolstack/common/err.h"

struct bench_stats {
	size_t n;
	double mean;
	double sd; /* sample standard deviation (n - 1); 0 when n is 1 */
	double min, max, median;
};

/* The summary of v[0..n): BL_ERR_INVAL when n is 0 or a value is not
 * finite (a NaN would poison every figure after it), BL_ERR_NOMEM. On
 * error *r is untouched. */
int bench_stats_of(const double *v, size_t n,
		   struct bench_stats *r) BL_MUST_CHECK;

/* Whether s holds samples and is not marked missing: what the report
 * counts as measured. */
bool bench_series_measured(const struct bench_series *s);
/* The mean of a measured series; NaN otherwise. */
double bench_series_mean(const struct bench_series *s);

/* The fraction of performance a layer loses against the layer below:
 * 1 - perf(layer) / perf(below), where perf is the value when higher is
 * better and 1 / value when lower is better (seconds, milliseconds). So
 * 0.061 is "6.1% slower", a negative value "faster than below". NaN when
 * either value is not finite and positive. */
double bench_overhead(enum bench_metric m, double below, double layer);

/* bench_overhead() of layer against below, from the run's means: NaN when
 * either is not measured. */
double bench_run_overhead(const struct bench_run *run, enum bench_metric m,
			  enum bench_layer below, enum bench_layer layer);

/* A bin count for n samples (Sturges' rule, 1..30). */
size_t bench_histogram_bins(size_t n);
/* bins equal-width bins over [min, max] of v[0..n): counts_r[bins] gets
 * every sample (the top bin is closed on both sides), *lo_r the first
 * bin's lower edge and *width_r the width. When every sample is equal the
 * bins are centred on it, with a width of 1% of its size (or 1 / bins
 * for 0), so a picture of them still has a width. BL_ERR_INVAL when n or
 * bins is 0 or a value is not finite; on error nothing is written. */
int bench_histogram(const double *v, size_t n, size_t bins, size_t *counts_r,
		    double *lo_r, double *width_r) BL_MUST_CHECK;

/* The thesis' figure for a layer and metric (its Table 5.1, and section
 * 4.2.2 for the round trip), in the metric's unit; NaN out of range. */
double bench_thesis_value(enum bench_layer l, enum bench_metric m);

/* bench_overhead() of layer against below in the thesis' figures. */
double bench_thesis_overhead(enum bench_metric m, enum bench_layer below,
			     enum bench_layer layer);

#endif
