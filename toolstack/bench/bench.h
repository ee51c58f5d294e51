/* blanket bench's model: the layers it measures, the metrics of the seed
 * thesis' chapter 3.3 and Table 5.1, and the samples one run collects.
 * The workloads (workload.h), the statistics (stats.h) and the report
 * (report.h) share it. */
#ifndef BL_BENCH_H
#define BL_BENCH_H

#include <stdbool.h>
#include <stddef.h>

enum bench_layer {
	BENCH_L0, /* the machine the node runs on */
	BENCH_L1, /* the node's dom0 */
	BENCH_L2, /* a benchmark guest on the node */
	BENCH_LAYERS
};

enum bench_metric {
	BENCH_CPU, /* seconds for a fixed Leibniz pi (lower is better) */
	BENCH_NET_THROUGHPUT, /* TCP stream, Mbit/s */
	BENCH_NET_RR,	  /* TCP request/response, per 10 s (netperf TCP_RR) */
	BENCH_NET_RTT,	  /* ICMP echo round trip, ms (lower is better) */
	BENCH_DISK_READ,  /* sequential read, KB/s */
	BENCH_DISK_WRITE, /* sequential write, KB/s */
	BENCH_DISK_IOPS,  /* random 4 KiB reads per second (bonnie's seeks) */
	BENCH_METRICS
};

struct bench_metric_info {
	const char *id;	   /* "cpu", "net-throughput", ...: JSON and files */
	const char *title; /* "CPU (Leibniz pi)" */
	const char *unit;  /* "s", "Mbit/s", "req/10 s", "ms", "KB/s", "IOPS" */
	bool higher_is_better;
};

/* The metric's names and direction; never NULL for a valid metric. */
const struct bench_metric_info *bench_metric_info(enum bench_metric m);
/* The metric called id, or -1. */
int bench_metric_by_id(const char *id);
/* "L0", "L1", "L2". */
const char *bench_layer_name(enum bench_layer l);

#define BENCH_MISSING_MAX 160

/* One layer's samples of one metric, or why there are none. */
struct bench_series {
	double *v; /* malloc'd, n of cap */
	size_t n, cap;
	char missing[BENCH_MISSING_MAX]; /* non-empty: not measured, and why */
};

/* One run of blanket bench: every layer's every metric. */
struct bench_run {
	struct bench_series s[BENCH_LAYERS][BENCH_METRICS];
	char node[256];	   /* the node measured */
	char when[32];	   /* UTC, "2026-12-01 22:40" */
	char setting[256]; /* where it ran, for the reader: "lab: ..." */
	unsigned runs;	   /* samples asked per metric */
};

void bench_run_init(struct bench_run *run);
/* Frees every series' samples; idempotent. */
void bench_run_dispose(struct bench_run *run);
/* Appends one sample; BL_ERR_NOMEM. */
int bench_series_add(struct bench_series *s, double v)
    __attribute__((warn_unused_result));
/* Marks a series as not measured, with the reason (printf-like). */
void bench_series_missing(struct bench_series *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
