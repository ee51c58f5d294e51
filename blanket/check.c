#include "blanket/check.h"

#include "toolstack/common/json.h"

#define LABEL "%-16s"

/* What each check needs from Xen's virt_caps, and the fix when it lacks
 * it. */
static const struct check_def {
	const char *id, *label;
	const char *cap;
	bool required; /* for a ready node */
	const char *fix;
} checks[CHECK_COUNT] = {
    [CHECK_XEN] = {"xen", "Xen", NULL, true, NULL},
    /* Debian's and the blanket hypervisor's builds have CONFIG_PV; a Xen
     * without it cannot run the only guests a non-nesting L0 allows. */
    [CHECK_PV] = {"pv", "PV guests", "pv", true,
		  "hypervisor built without PV guest support (CONFIG_PV): "
		  "boot the blanket hypervisor (make xen)"},
    /* PV log-dirty mode, which live migration needs, lives in Xen's shadow
     * code: Debian's 4.17.7 security build has CONFIG_SHADOW_PAGING unset
     * and `xl migrate` fails with "Failed to enable logdirty". */
    [CHECK_MIGRATE] = {"migrate", "live migration", "shadow", true,
		       "hypervisor lacks shadow paging: PV live migration "
		       "impossible; boot the blanket hypervisor (make xen)"},
    /* Reported so nobody wonders; Blanket's guests are PV. */
    [CHECK_HVM] = {"hvm", "HVM guests", "hvm", false, NULL},
};

/* Why Xen offers no HVM guests: its CPU (the L0's vCPU) or its build. */
static const char *hvm_fix(const struct xl_info *xl)
{
	if (!xl->nhw_caps)
		return "Xen reports no HVM support; PV guests need none";
	if (xlinfo_cpu_has_hvm(xl))
		return "hypervisor built without HVM (the blanket hypervisor "
		       "leaves it out: PV guests need no VT-x/SVM)";
	return "the L0 offers no VT-x/SVM (no nested virtualization): HVM "
	       "guests impossible; Blanket runs PV guests, which need neither";
}

void check_run(const struct probe_result *p, const struct xl_info *xl,
	       struct check_result *c)
{
	*c = (struct check_result){.have_xl = xl != NULL};
	if (!xl) {
		c->why[CHECK_XEN] =
		    p->dom0 ? "this is a dom0, but `xl info` gave nothing: "
			      "run as root with Xen's tools installed, or "
			      "pass --xl-info FILE"
			    : "not running under Xen: boot the node into the "
			      "blanket hypervisor";
		for (int i = CHECK_PV; i < CHECK_COUNT; i++)
			c->why[i] = "needs Xen";
		return;
	}
	c->xl = *xl;
	c->ok[CHECK_XEN] = true;
	for (int i = CHECK_PV; i < CHECK_COUNT; i++) {
		c->ok[i] = xlinfo_has_cap(xl, checks[i].cap);
		if (!c->ok[i])
			c->why[i] =
			    i == CHECK_HVM ? hvm_fix(xl) : checks[i].fix;
	}
}

bool check_ready(const struct check_result *c)
{
	for (int i = 0; i < CHECK_COUNT; i++)
		if (checks[i].required && !c->ok[i])
			return false;
	return true;
}

void check_print(FILE *out, const struct check_result *c)
{
	const struct xl_info *xl = &c->xl;
	bool first = true;

	for (int i = 0; i < CHECK_COUNT; i++) {
		fprintf(out, LABEL "%s", checks[i].label,
			c->ok[i] ? "yes" : "no: ");
		if (!c->ok[i])
			fputs(c->why[i], out);
		else if (i == CHECK_XEN)
			fprintf(out, ": Xen %ld.%ld%s (virt_caps: %s)",
				xl->xen_major, xl->xen_minor, xl->xen_extra,
				xl->virt_caps);
		fputc('\n', out);
	}
	if (c->have_xl)
		fprintf(out, LABEL "%ld MiB free of %ld, %ld CPU%s\n", "memory",
			xl->free_memory, xl->total_memory, xl->nr_cpus,
			xl->nr_cpus == 1 ? "" : "s");
	if (check_ready(c)) {
		fprintf(out, LABEL "ready: PV guests run and live-migrate\n",
			"verdict");
		return;
	}
	fprintf(out, LABEL "not ready:", "verdict");
	for (int i = 0; i < CHECK_COUNT; i++)
		if (checks[i].required && !c->ok[i]) {
			fprintf(out, "%s %s", first ? "" : ",",
				checks[i].label);
			first = false;
		}
	fputc('\n', out);
}

void check_print_json(FILE *out, const struct check_result *c)
{
	const struct xl_info *xl = &c->xl;
	char version[64];

	fprintf(out, "{\n  \"ready\": %s,\n  \"xen\": ",
		check_ready(c) ? "true" : "false");
	if (c->have_xl) {
		snprintf(version, sizeof(version), "%ld.%ld%s", xl->xen_major,
			 xl->xen_minor, xl->xen_extra);
		fprintf(out, "{\"version\": ");
		json_string(out, version);
		fprintf(out, ", \"virt_caps\": ");
		json_string(out, xl->virt_caps);
		fprintf(out,
			", \"nr_cpus\": %ld, \"total_memory_mb\": %ld, "
			"\"free_memory_mb\": %ld}",
			xl->nr_cpus, xl->total_memory, xl->free_memory);
	} else {
		fputs("null", out);
	}
	fprintf(out, ",\n  \"checks\": [");
	for (int i = 0; i < CHECK_COUNT; i++) {
		fprintf(
		    out, "%s\n    {\"check\": \"%s\", \"ok\": %s, \"why\": ",
		    i ? "," : "", checks[i].id, c->ok[i] ? "true" : "false");
		json_string(out, c->ok[i] ? NULL : c->why[i]);
		fputc('}', out);
	}
	fprintf(out, "\n  ]\n}\n");
}
