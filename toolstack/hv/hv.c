#include "toolstack/hv/hv.h"

#include <stdio.h>
#include <string.h>

#include "toolstack/common/log.h"

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

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int hv_check_name(const char *name, char *err, size_t errlen)
{
	char shown[HV_NAME_MAX * 4];
	size_t len = strlen(name), good = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVW"
						       "XYZabcdefghijklmnopqrst"
						       "uvwxyz0123456789_.-");

	log_escape(name, shown, sizeof(shown));
	if (len == 0 || len >= HV_NAME_MAX || good != len ||
	    strchr("_.-", name[0])) {
		snprintf(err, errlen,
			 "guest name \"%s\": want 1 to %d of A-Z a-z 0-9 _ . "
			 "-, starting with a letter or digit",
			 shown, HV_NAME_MAX - 1);
		return BL_ERR_INVAL;
	}
	if (ends_with(name, HV_SUFFIX_INCOMING) ||
	    ends_with(name, HV_SUFFIX_AWAY)) {
		snprintf(err, errlen,
			 "guest name \"%s\": " HV_SUFFIX_INCOMING
			 " and " HV_SUFFIX_AWAY
			 " are blanketd's, for guests being moved",
			 shown);
		return BL_ERR_INVAL;
	}
	return BL_OK;
}
