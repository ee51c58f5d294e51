/* `blanket node check`: can this node run PV guests and live-migrate them,
 * and if not, why and what fixes it. The verdict comes from Xen's own view
 * (`xl info`, xlinfo.h) and, where Xen is absent, from the probe. */
#ifndef BL_CHECK_H
#define BL_CHECK_H

#include <stdbool.h>
#include <stdio.h>

#include "blanket/probe.h"
#include "blanket/xlinfo.h"

enum check_item {
	CHECK_XEN,     /* running under Xen, with its tools working */
	CHECK_PV,      /* PV guests */
	CHECK_MIGRATE, /* PV live migration */
	CHECK_HVM,     /* HVM guests: reported, not required */
	CHECK_COUNT
};

struct check_result {
	bool ok[CHECK_COUNT];
	const char *why[CHECK_COUNT]; /* when not ok: the reason and the fix */
	bool have_xl;
	struct xl_info xl;
};

/* xl is Xen's view of the node, or NULL when there is none (not under Xen,
 * or `xl info` failed); p tells which. */
void check_run(const struct probe_result *p, const struct xl_info *xl,
	       struct check_result *c);
/* PV guests and their live migration both work. */
bool check_ready(const struct check_result *c);

void check_print(FILE *out, const struct check_result *c);
void check_print_json(FILE *out, const struct check_result *c);

#endif
