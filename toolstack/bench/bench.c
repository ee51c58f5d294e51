/* blanket bench's model: the metric and layer tables, and a run's series. */
#include "toolstack/bench/bench.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "toolstack/common/err.h"

/* The thesis' Table 5.1 prints disk rates as "KB/Sec": bonnie++'s K, which
 * is 1024 bytes; the report says so beside every table. */
static const struct bench_metric_info metrics[BENCH_METRICS] = {
    [BENCH_CPU] = {"cpu", "CPU (Leibniz pi)", "s", false},
    [BENCH_NET_THROUGHPUT] = {"net-throughput", "Network throughput", "Mbit/s",
			      true},
    [BENCH_NET_RR] = {"net-rr", "TCP request/response", "req/10 s", true},
    [BENCH_NET_RTT] = {"net-rtt", "Round trip (ping)", "ms", false},
    [BENCH_DISK_READ] = {"disk-read", "Disk sequential read", "KB/s", true},
    [BENCH_DISK_WRITE] = {"disk-write", "Disk sequential write", "KB/s", true},
    [BENCH_DISK_IOPS] = {"disk-iops", "Disk random reads", "IOPS", true},
};

static const char *const layers[BENCH_LAYERS] = {
    [BENCH_L0] = "L0",
    [BENCH_L1] = "L1",
    [BENCH_L2] = "L2",
};

/* What a metric past the enum gets: a caller's bug, not input, but a NULL
 * would only move the crash elsewhere, and another metric's name would
 * put a wrong label on a figure. */
static const struct bench_metric_info unknown = {"unknown", "unknown metric",
						 "?", true};

const struct bench_metric_info *bench_metric_info(enum bench_metric m)
{
	if ((unsigned)m >= BENCH_METRICS)
		return &unknown;
	return &metrics[m];
}

int bench_metric_by_id(const char *id)
{
	if (!id)
		return -1;
	for (int m = 0; m < BENCH_METRICS; m++)
		if (strcmp(metrics[m].id, id) == 0)
			return m;
	return -1;
}

const char *bench_layer_name(enum bench_layer l)
{
	if ((unsigned)l >= BENCH_LAYERS)
		return "L?";
	return layers[l];
}

void bench_run_init(struct bench_run *run)
{
	memset(run, 0, sizeof(*run));
}

void bench_run_dispose(struct bench_run *run)
{
	for (int l = 0; l < BENCH_LAYERS; l++)
		for (int m = 0; m < BENCH_METRICS; m++) {
			struct bench_series *s = &run->s[l][m];

			free(s->v);
			s->v = NULL;
			s->n = s->cap = 0;
		}
}

int bench_series_add(struct bench_series *s, double v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		double *nv;

		if (cap > SIZE_MAX / sizeof(*nv))
			return BL_ERR_NOMEM;
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return BL_ERR_NOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return BL_OK;
}

void bench_series_missing(struct bench_series *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->missing, sizeof(s->missing), fmt, ap);
	va_end(ap);
	/* An empty reason would read as "measured". */
	if (!s->missing[0])
		snprintf(s->missing, sizeof(s->missing), "not measured");
}
