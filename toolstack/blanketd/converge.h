/* Auto-converge: a guest that dirties its memory faster than the pre-copy
 * sends it is slowed with the hypervisor scheduler's cap until the rounds
 * shrink (docs/specs/migration-stream.md, "Auto-converge").
 *
 * QEMU's rule (throttle once the pages dirtied in a period exceed half
 * those sent in it), on libxc's rounds: round r sends the pages dirtied
 * during round r-1, so once it has lasted more than half as long as round
 * r-1 the guest dirtied them faster than half the rate they go, and the
 * throttle steps up; and again each time the round goes on as long again
 * (periods of a second at least). libxc stops after five rounds where
 * QEMU iterates without end, so the steps are larger than QEMU's 20% then
 * 10% more: 50, 75, 90, then 99% (QEMU's limit). The throttle is a share
 * of the CPU the guest used before the first step, not of a whole CPU: a
 * cap above what a guest uses slows nothing.
 *
 * Pure: migrate_send.c reads the clock and the guest's CPU time, and
 * sets the cap. */
#ifndef BL_BLANKETD_CONVERGE_H
#define BL_BLANKETD_CONVERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "toolstack/mig/mig_precopy.h"

#define CONVERGE_STEPS	       4
#define CONVERGE_PERIOD_MIN_MS 1000

struct converge {
	int64_t t0_ms;	  /* when the save began */
	uint64_t cpu0_ns; /* the guest's CPU time then */
	unsigned round;	  /* the round being watched (0: none yet) */
	int64_t round_ms; /* when it was first seen */
	int64_t prev_ms;  /* how long the round before it lasted */
	int round_steps;  /* steps taken in it */
	int steps;	  /* steps taken in all */
	/* what was done, for the summary */
	unsigned from_round; /* the round of the first step (0: none) */
	int used;	     /* % of one CPU the guest used before it */
	int throttle;	     /* % of that withheld now */
	int cap;	     /* the cap set: % of one CPU (0: none) */
};

void converge_init(struct converge *c, int64_t now_ms, uint64_t cpu_ns);
/* Whether the throttle should step up now, the rounds being p's. */
bool converge_due(struct converge *c, const struct mig_precopy *p,
		  int64_t now_ms);
/* Step it up, the guest's CPU time being cpu_ns: returns the cap to set. */
int converge_step(struct converge *c, int64_t now_ms, uint64_t cpu_ns);

#endif
