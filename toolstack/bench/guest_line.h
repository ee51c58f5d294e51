/* The benchmark guest's console lines (docs/specs/bench.md), as blanket
 * bench reads them: what the guest said, checked. A guest is not trusted:
 * any line is either one of these, well formed, or nothing. */
#ifndef BL_BENCH_GUEST_LINE_H
#define BL_BENCH_GUEST_LINE_H

#include "toolstack/bench/bench.h"

#define BENCH_LINE_RUN_MAX 1000 /* the most runs a line may number */

enum bench_line_kind {
	BENCH_LINE_OTHER,     /* the kernel's, or anything else */
	BENCH_LINE_SERVING,   /* "bench serving" */
	BENCH_LINE_WAITING,   /* "bench waiting": it wants "go" */
	BENCH_LINE_RESULT,    /* "bench result METRIC RUN VALUE" */
	BENCH_LINE_MISSING,   /* "bench missing METRIC WHY" */
	BENCH_LINE_DONE,      /* "bench done" */
	BENCH_LINE_COMPLAINT, /* "benchguest: WHY": it cannot go on */
};

struct bench_line {
	enum bench_line_kind kind;
	enum bench_metric metric;    /* RESULT, MISSING */
	unsigned run;		     /* RESULT: 1 to BENCH_LINE_RUN_MAX */
	double value;		     /* RESULT: finite, not negative */
	char why[BENCH_MISSING_MAX]; /* MISSING, COMPLAINT: printable ASCII */
};

/* line (NUL-terminated, no line end) as one of the kinds; a line that
 * looks like one but is not well formed is OTHER. */
void bench_line_parse(const char *line, struct bench_line *l_r);

#endif
