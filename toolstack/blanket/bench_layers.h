/* blanket bench's layers (docs/bench.md): what each run measures and
 * where. L0 is this machine (bench_local.c), L1 the node's dom0 over the
 * node RPC (bench_dom0.c), L2 a benchmark guest on the node
 * (bench_guest.c). Each fills its layer's series of a struct bench_run
 * and says how it goes on stderr. */
#ifndef BL_BLANKET_BENCH_LAYERS_H
#define BL_BLANKET_BENCH_LAYERS_H

#include <stdint.h>

#include "toolstack/bench/bench.h"
#include "toolstack/blanket/guest_target.h"

struct bench_plan {
	unsigned runs;		 /* samples of each metric */
	uint64_t cpu_iterations; /* a Leibniz pi's */
	uint64_t disk_bytes;	 /* the file written and read */
	unsigned seconds;	 /* each network run, the random reads */
	unsigned echoes;	 /* ICMP echoes a round trip's mean is of */
	const char *scratch;	 /* L0's folder for the disk file */
	const char *images;	 /* the node's images folder (L2's kernel) */
	const char *disk_image;	 /* L2's disk, on the node */
};

/* Samples of one metric as they come: progress on stderr, a failed run
 * noted and the run going on. */
struct bench_tally {
	const char *layer; /* "L1 node1" for messages */
	struct bench_series *s;
	unsigned failed[BENCH_METRICS];
	char why[BENCH_METRICS][BENCH_MISSING_MAX];
};

void bench_tally_init(struct bench_tally *t, const char *layer,
		      struct bench_series *s);
/* Run run of plan's runs of metric m gave v (rc 0) or failed (why). */
void bench_tally_add(struct bench_tally *t, const struct bench_plan *plan,
		     enum bench_metric m, unsigned run, int rc, double v,
		     const char *why);
/* Every metric with no sample marked missing, with its last failure. */
void bench_tally_end(struct bench_tally *t);

/* L0: the workloads here; the network against a server of our own on the
 * loopback. */
void bench_local(const struct bench_plan *plan, struct bench_series *s);
/* L1: node i's dom0; the network against peer p's dom0 (-1: none). */
void bench_dom0(struct guest_target *t, int i, int p,
		const struct bench_plan *plan, struct bench_series *s);
/* L2: a benchmark guest on node i, the network against one on peer p. */
void bench_guest(struct guest_target *t, int i, int p,
		 const struct bench_plan *plan, struct bench_series *s);

#endif
