/* Showing a probe result: a table for people, JSON for programs. The JSON
 * keys are an interface: golden files pin them (tests/golden/probe/). */
#include "blanket/probe.h"

#include <string.h>

#include "toolstack/common/json.h"

#define LABEL "%-16s"

static void print_l0(FILE *out, const struct probe_result *res)
{
	fprintf(out, LABEL, "L0 hypervisor");
	switch (res->l0) {
	case PROBE_HV_NONE:
		fprintf(out, "none: no hypervisor bit in CPUID (bare metal)\n");
		return;
	case PROBE_HV_UNNAMED:
		fprintf(out, "unnamed: the hypervisor bit is set but no "
			     "signature leaf names it\n");
		return;
	case PROBE_HV_HIDDEN:
		fprintf(out, "hidden: Xen shows dom0 its own CPUID leaves, "
			     "not the L0's\n");
		return;
	default:
		break;
	}
	for (int i = 0; i < res->nsigs; i++)
		if (res->sig[i].hv == res->l0) {
			fprintf(out, "%s (signature \"%s\" at 0x%08x)\n",
				probe_hv_name(res->l0), res->sig[i].text,
				res->sig[i].leaf);
			return;
		}
}

static void print_sigs(FILE *out, const struct probe_result *res)
{
	fprintf(out, LABEL, "CPUID leaves");
	if (!res->nsigs)
		fprintf(out, "no hypervisor signature");
	for (int i = 0; i < res->nsigs; i++)
		fprintf(out, "%s0x%08x \"%s\"%s", i ? ", " : "",
			res->sig[i].leaf, res->sig[i].text,
			i == 0 && res->sig0_own ? " (this node's Xen)" : "");
	fputc('\n', out);
}

static void print_cloud(FILE *out, const struct probe_result *res)
{
	const bool *has = res->dmi_present;

	fprintf(out, LABEL "%s", "cloud", probe_cloud_name(res->cloud));
	if (!has[PROBE_DMI_SYS_VENDOR] && !has[PROBE_DMI_PRODUCT_NAME])
		fprintf(out, " (no DMI)\n");
	else
		fprintf(out, " (DMI: \"%s\", \"%s\")\n",
			has[PROBE_DMI_SYS_VENDOR]
			    ? res->dmi[PROBE_DMI_SYS_VENDOR]
			    : "",
			has[PROBE_DMI_PRODUCT_NAME]
			    ? res->dmi[PROBE_DMI_PRODUCT_NAME]
			    : "");
}

static void print_nested(FILE *out, const struct probe_result *res)
{
	fprintf(out, LABEL, "nested virt");
	if (!probe_nested_known(res))
		fprintf(out, "unknown from dom0: Xen hides VT-x/SVM from a PV "
			     "dom0 (`blanket node check` asks Xen)\n");
	else if (res->vmx || res->svm)
		fprintf(out, "%s offered: HVM guests possible\n",
			res->vmx ? "VT-x" : "SVM");
	else
		fprintf(out, "none: no VT-x, no SVM: PV guests only\n");
}

static void print_devices(FILE *out, const struct probe_result *res)
{
	bool any = false;

	fprintf(out, LABEL, "devices");
	for (int d = 0; d < PROBE_DEV_COUNT; d++)
		if (res->devices[d]) {
			fprintf(out, "%s%s x%d", any ? ", " : "",
				probe_dev_name((enum probe_dev)d),
				res->devices[d]);
			any = true;
		}
	fprintf(out, "%s(%d PCI device%s", any ? " " : "no known class ",
		res->npci + res->pci_unread,
		res->npci + res->pci_unread == 1 ? "" : "s");
	if (res->pci_unread)
		fprintf(out, ", %d not examined", res->pci_unread);
	fprintf(out, ")\n");
}

void probe_print(FILE *out, const struct probe_result *res)
{
	const char *whose = res->dom0 ? " (dom0's, not the instance's)" : "";

	print_l0(out, res);
	print_sigs(out, res);
	print_cloud(out, res);
	print_nested(out, res);
	/* Without CPUID faulting (e.g. under QEMU TCG) a PV dom0's CPUID
	 * instruction reaches the L0 unfiltered: say which one it saw. */
	fprintf(out, LABEL "%s%s\n", "dom0",
		!res->dom0 ? "no"
		: res->sig0_own
		    ? "yes: CPUID is this node's Xen's"
		    : "yes: CPUID reaches the L0 (no CPUID faulting)",
		res->dom0 ? "; DMI and devices are the L0's (dom0 owns the PCI "
			    "devices)"
			  : "");
	print_devices(out, res);
	fprintf(out, LABEL "%s", "CPU", res->cpu_vendor);
	if (res->cpus)
		fprintf(out, ", %d online%s", res->cpus, whose);
	fputc('\n', out);
	fprintf(out, LABEL, "memory");
	if (res->memory_mb)
		fprintf(out, "%ld MiB%s\n", res->memory_mb, whose);
	else
		fprintf(out, "unknown\n");
}

static void json_bool(FILE *out, const char *key, bool v, const char *sep)
{
	fprintf(out, "\"%s\": %s%s", key, v ? "true" : "false", sep);
}

void probe_print_json(FILE *out, const struct probe_result *res)
{
	fprintf(out, "{\n  \"l0_hypervisor\": \"%s\",\n", probe_hv_id(res->l0));
	fprintf(out, "  \"cloud\": \"%s\",\n", probe_cloud_id(res->cloud));
	fprintf(out, "  \"nested_virt\": %s,\n",
		!probe_nested_known(res) ? "null"
		: res->vmx || res->svm	 ? "true"
					 : "false");
	fprintf(out, "  ");
	json_bool(out, "dom0", res->dom0, ",\n");
	fprintf(out, "  \"cpuid\": {\n    \"vendor\": ");
	json_string(out, res->cpu_vendor);
	fprintf(out, ",\n    ");
	json_bool(out, "hypervisor_bit", res->hv_bit, ",\n    ");
	json_bool(out, "vmx", res->vmx, ",\n    ");
	json_bool(out, "svm", res->svm, ",\n");
	fprintf(out, "    \"signatures\": [");
	for (int i = 0; i < res->nsigs; i++) {
		const struct probe_sig *s = &res->sig[i];

		fprintf(out,
			"%s\n      {\"leaf\": \"0x%08x\", \"max_leaf\": "
			"\"0x%08x\", \"signature\": ",
			i ? "," : "", s->leaf, s->max_leaf);
		json_string(out, s->text);
		fprintf(out, ", \"hypervisor\": \"%s\", ", probe_hv_id(s->hv));
		json_bool(out, "this_node", i == 0 && res->sig0_own, "}");
	}
	fprintf(out, "%s]\n  },\n  \"dmi\": {", res->nsigs ? "\n    " : "");
	for (int d = 0; d < PROBE_DMI_COUNT; d++) {
		fprintf(out, "%s\n    \"%s\": ", d ? "," : "",
			probe_dmi_id((enum probe_dmi)d));
		json_string(out, res->dmi_present[d] ? res->dmi[d] : NULL);
	}
	fprintf(out, "\n  },\n  \"devices\": {");
	for (int d = 0; d < PROBE_DEV_COUNT; d++)
		fprintf(out, "%s\n    \"%s\": %d", d ? "," : "",
			probe_dev_id((enum probe_dev)d), res->devices[d]);
	fprintf(out, "\n  },\n  \"pci\": [");
	for (int i = 0; i < res->npci; i++) {
		const struct probe_pci *p = &res->pci[i];

		fprintf(out,
			"%s\n    {\"slot\": \"%s\", \"vendor\": \"0x%04x\", "
			"\"device\": \"0x%04x\", \"class\": \"0x%06x\"}",
			i ? "," : "", p->slot, p->vendor, p->device,
			p->class_code);
	}
	fprintf(out, "%s],\n  \"pci_not_examined\": %d,\n",
		res->npci ? "\n  " : "", res->pci_unread);
	/* 0 means unknown: null. */
	fprintf(out, "  \"memory_mb\": ");
	if (res->memory_mb)
		fprintf(out, "%ld", res->memory_mb);
	else
		fputs("null", out);
	fprintf(out, ",\n  \"cpus\": ");
	if (res->cpus)
		fprintf(out, "%d", res->cpus);
	else
		fputs("null", out);
	fprintf(out, "\n}\n");
}

void probe_summary(const struct probe_result *res, char *buf, size_t len)
{
	size_t off;

	if (res->cloud != PROBE_CLOUD_UNKNOWN)
		off = (size_t)snprintf(buf, len, "%s",
				       probe_cloud_name(res->cloud));
	else if (res->l0 != PROBE_HV_HIDDEN && res->l0 != PROBE_HV_NONE &&
		 res->l0 != PROBE_HV_UNNAMED)
		off = (size_t)snprintf(buf, len, "%s", probe_hv_name(res->l0));
	else
		off = (size_t)snprintf(buf, len, "unknown L0");
	for (int d = 0; d < PROBE_DEV_COUNT && off < len; d++)
		if (res->devices[d])
			off +=
			    (size_t)snprintf(buf + off, len - off, "%s%s",
					     strchr(buf, ',') ? "+" : ", ",
					     probe_dev_id((enum probe_dev)d));
}
