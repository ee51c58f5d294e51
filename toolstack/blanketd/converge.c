/* Auto-converge's decisions (converge.h). */
#include "toolstack/blanketd/converge.h"

#include <string.h>

static const int throttle_steps[CONVERGE_STEPS] = {50, 75, 90, 99};

void converge_init(struct converge *c, int64_t now_ms, uint64_t cpu_ns)
{
	memset(c, 0, sizeof(*c));
	c->t0_ms = now_ms;
	c->cpu0_ns = cpu_ns;
}

bool converge_due(struct converge *c, const struct mig_precopy *p,
		  int64_t now_ms)
{
	int64_t period;

	if (p->rounds != c->round) {
		c->prev_ms = c->round ? now_ms - c->round_ms : 0;
		c->round = p->rounds;
		c->round_ms = now_ms;
		c->round_steps = 0;
	}
	if (c->round < 2 || c->steps == CONVERGE_STEPS)
		return false;
	period = c->prev_ms / 2 > CONVERGE_PERIOD_MIN_MS
		     ? c->prev_ms / 2
		     : CONVERGE_PERIOD_MIN_MS;
	return now_ms - c->round_ms > period * (c->round_steps + 1);
}

int converge_step(struct converge *c, int64_t now_ms, uint64_t cpu_ns)
{
	if (!c->steps) {
		int64_t wall = now_ms - c->t0_ms;
		uint64_t used = cpu_ns > c->cpu0_ns ? cpu_ns - c->cpu0_ns : 0;

		c->used = wall > 0 ? (int)((used / 10000 + (uint64_t)wall / 2) /
					   (uint64_t)wall)
				   : 0;
		c->from_round = c->round;
	}
	c->throttle = throttle_steps[c->steps++];
	c->round_steps++;
	c->cap = c->used * (100 - c->throttle) / 100;
	if (c->cap < 1)
		c->cap = 1;
	return c->cap;
}
