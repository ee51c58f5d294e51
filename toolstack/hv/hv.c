#include "toolstack/hv/hv.h"

static const char *const state_names[] = {
    [HV_STATE_RUNNING] = "running",	[HV_STATE_BLOCKED] = "blocked",
    [HV_STATE_PAUSED] = "paused",	[HV_STATE_SHUTDOWN] = "shutdown",
    [HV_STATE_CRASHED] = "crashed",	[HV_STATE_DYING] = "dying",
    [HV_STATE_SUSPENDED] = "suspended", [HV_STATE_UNRESOLVED] = "unresolved",
};

const char *hv_state_name(enum hv_guest_state state)
{
	if ((unsigned int)state < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[state];
	return "unknown";
}
