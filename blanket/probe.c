/* L0 detection. probe_run() reads, in this order: CPUID (vendor, VT-x/SVM,
 * the hypervisor signature leaves), /proc/xen (dom0), DMI (which cloud), the
 * PCI bus and VMBus (device classes), then the instance's size.
 *
 * Nomenclature: L0 is the cloud's hypervisor, L1 this node's Xen, dom0 the
 * node's Linux. In a PV dom0, CPUID answers come from Xen's policy for dom0
 * (Xen 4.13+ uses CPUID faulting for PV dom0 too), so they describe L1, not
 * L0; DMI and the PCI devices still are the L0's, since dom0 owns them. */
#include "blanket/probe.h"

#include <stdlib.h>
#include <string.h>

#define HV_LEAF_FIRST 0x40000000u
#define HV_LEAF_END   0x40010000u
#define HV_LEAF_STEP  0x100u

#define DMI_DIR	     "/sys/class/dmi/id/"
#define PCI_DIR	     "/sys/bus/pci/devices"
#define VMBUS_DIR    "/sys/bus/vmbus/devices"
#define XEN_CAPS     "/proc/xen/capabilities"
#define MEMINFO	     "/proc/meminfo"
#define CPUS_ONLINE  "/sys/devices/system/cpu/online"
#define PCI_SLOT_LEN 20

/* Hypervisors and their CPUID signatures (EBX, ECX, EDX of the range's
 * first leaf), as each hypervisor documents or sets them. */
static const struct {
	const char *id, *name;
	char sig[13];
} hvs[PROBE_HV_COUNT] = {
    [PROBE_HV_NONE] = {"none", "none (bare metal)", ""},
    [PROBE_HV_UNNAMED] = {"unnamed", "unnamed", ""},
    [PROBE_HV_HIDDEN] = {"hidden", "hidden", ""},
    [PROBE_HV_OTHER] = {"other", "unknown", ""},
    [PROBE_HV_KVM] = {"kvm", "KVM", "KVMKVMKVM\0\0\0"},
    [PROBE_HV_XEN] = {"xen", "Xen", "XenVMMXenVMM"},
    [PROBE_HV_HYPERV] = {"hyperv", "Hyper-V", "Microsoft Hv"},
    [PROBE_HV_VMWARE] = {"vmware", "VMware", "VMwareVMware"},
    [PROBE_HV_TCG] = {"tcg", "QEMU TCG", "TCGTCGTCGTCG"},
    [PROBE_HV_BHYVE] = {"bhyve", "bhyve", "bhyve bhyve "},
};

static const struct {
	const char *id, *name;
} clouds[PROBE_CLOUD_COUNT] = {
    [PROBE_CLOUD_UNKNOWN] = {"unknown", "unknown"},
    [PROBE_CLOUD_EC2] = {"ec2", "Amazon EC2"},
    [PROBE_CLOUD_GCE] = {"gce", "Google Compute Engine"},
    [PROBE_CLOUD_AZURE] = {"azure", "Microsoft Azure"},
    [PROBE_CLOUD_OPENSTACK] = {"openstack", "OpenStack"},
    [PROBE_CLOUD_QEMU] = {"qemu", "QEMU"},
    [PROBE_CLOUD_XEN] = {"xen", "Xen HVM"},
    [PROBE_CLOUD_VMWARE] = {"vmware", "VMware"},
};

static const struct {
	const char *id, *name;
} devs[PROBE_DEV_COUNT] = {
    [PROBE_DEV_VIRTIO] = {"virtio", "virtio"},
    [PROBE_DEV_E1000] = {"e1000", "e1000"},
    [PROBE_DEV_E1000E] = {"e1000e", "e1000e"},
    [PROBE_DEV_NVME] = {"nvme", "NVMe"},
    [PROBE_DEV_ENA] = {"ena", "ENA"},
    [PROBE_DEV_GVNIC] = {"gvnic", "gVNIC"},
    [PROBE_DEV_XEN_PLATFORM] = {"xen_platform",
				"Xen platform PCI (Xen PV devices)"},
    [PROBE_DEV_VMBUS] = {"vmbus", "Hyper-V VMBus"},
};

/* File names under /sys/class/dmi/id. */
static const char *const dmi_ids[PROBE_DMI_COUNT] = {
    [PROBE_DMI_SYS_VENDOR] = "sys_vendor",
    [PROBE_DMI_PRODUCT_NAME] = "product_name",
    [PROBE_DMI_PRODUCT_VERSION] = "product_version",
    [PROBE_DMI_BIOS_VENDOR] = "bios_vendor",
    [PROBE_DMI_BIOS_VERSION] = "bios_version",
    [PROBE_DMI_BOARD_VENDOR] = "board_vendor",
    [PROBE_DMI_CHASSIS_ASSET_TAG] = "chassis_asset_tag",
};

enum dmi_match { DMI_EQUALS, DMI_CONTAINS };

/* Which cloud, from DMI: the first rule whose conditions all hold. */
static const struct cloud_rule {
	enum probe_cloud cloud;
	struct {
		enum probe_dmi field;
		enum dmi_match how;
		const char *text; /* NULL ends the list */
	} need[2];
} cloud_rules[] = {
    /* Azure's own test for "an Azure VM, not any Hyper-V guest": this
     * chassis asset tag, which Azure sets on every VM. */
    {.cloud = PROBE_CLOUD_AZURE,
     .need = {{PROBE_DMI_SYS_VENDOR, DMI_EQUALS, "Microsoft Corporation"},
	      {PROBE_DMI_CHASSIS_ASSET_TAG, DMI_EQUALS,
	       "7783-7084-3265-9085-8269-3286-77"}}},
    /* Nitro instances name themselves. */
    {.cloud = PROBE_CLOUD_EC2,
     .need = {{PROBE_DMI_SYS_VENDOR, DMI_EQUALS, "Amazon EC2"}}},
    /* Xen-based instances (t2, m4, ...) say sys_vendor "Xen"; only their
     * BIOS version names Amazon ("4.11.amazon"). */
    {.cloud = PROBE_CLOUD_EC2,
     .need = {{PROBE_DMI_BIOS_VERSION, DMI_CONTAINS, "amazon"}}},
    {.cloud = PROBE_CLOUD_GCE,
     .need = {{PROBE_DMI_PRODUCT_NAME, DMI_EQUALS, "Google Compute Engine"}}},
    /* Nova's SMBIOS defaults (manufacturer, product "OpenStack Nova"). */
    {.cloud = PROBE_CLOUD_OPENSTACK,
     .need = {{PROBE_DMI_SYS_VENDOR, DMI_EQUALS, "OpenStack Foundation"}}},
    /* QEMU's own SMBIOS defaults: plain QEMU/KVM and the lab's nodes. */
    {.cloud = PROBE_CLOUD_QEMU,
     .need = {{PROBE_DMI_SYS_VENDOR, DMI_EQUALS, "QEMU"}}},
    /* A Xen HVM guest not otherwise named (hvmloader's defaults). */
    {.cloud = PROBE_CLOUD_XEN,
     .need = {{PROBE_DMI_SYS_VENDOR, DMI_EQUALS, "Xen"}}},
    {.cloud = PROBE_CLOUD_VMWARE,
     .need = {{PROBE_DMI_SYS_VENDOR, DMI_EQUALS, "VMware, Inc."}}},
};

#define N_CLOUD_RULES (sizeof(cloud_rules) / sizeof(cloud_rules[0]))

enum pci_match { PCI_BY_VENDOR, PCI_BY_ID, PCI_BY_CLASS };

/* Device classes by PCI identity. A device counts once per class. */
static const struct dev_rule {
	enum probe_dev dev;
	enum pci_match by;
	uint16_t vendor, device;
	uint32_t class_code;
} dev_rules[] = {
    /* Every virtio PCI device has this vendor (virtio 1.x, 4.1.2). */
    {.dev = PROBE_DEV_VIRTIO, .by = PCI_BY_VENDOR, .vendor = 0x1af4},
    /* QEMU's e1000 (82540EM) and e1000e (82574L) models. */
    {.dev = PROBE_DEV_E1000,
     .by = PCI_BY_ID,
     .vendor = 0x8086,
     .device = 0x100e},
    {.dev = PROBE_DEV_E1000E,
     .by = PCI_BY_ID,
     .vendor = 0x8086,
     .device = 0x10d3},
    /* Mass storage, non-volatile memory, NVMe: any vendor's (EC2's
     * 1d0f:8061 and 1d0f:0061, GCE's 1ae0:001f). */
    {.dev = PROBE_DEV_NVME, .by = PCI_BY_CLASS, .class_code = 0x010802},
    /* Amazon's Elastic Network Adapter, its VF and LLQ variants. */
    {.dev = PROBE_DEV_ENA, .by = PCI_BY_ID, .vendor = 0x1d0f, .device = 0xec20},
    {.dev = PROBE_DEV_ENA, .by = PCI_BY_ID, .vendor = 0x1d0f, .device = 0xec21},
    {.dev = PROBE_DEV_ENA, .by = PCI_BY_ID, .vendor = 0x1d0f, .device = 0x1ec2},
    /* Google Virtual NIC. */
    {.dev = PROBE_DEV_GVNIC,
     .by = PCI_BY_ID,
     .vendor = 0x1ae0,
     .device = 0x0042},
    /* Xen's platform device: a Xen HVM guest's door to PV disks and NICs. */
    {.dev = PROBE_DEV_XEN_PLATFORM,
     .by = PCI_BY_ID,
     .vendor = 0x5853,
     .device = 0x0001},
};

#define N_DEV_RULES (sizeof(dev_rules) / sizeof(dev_rules[0]))

const char *probe_hv_id(enum probe_hv hv)
{
	return hvs[hv].id;
}

const char *probe_hv_name(enum probe_hv hv)
{
	return hvs[hv].name;
}

const char *probe_cloud_id(enum probe_cloud c)
{
	return clouds[c].id;
}

const char *probe_cloud_name(enum probe_cloud c)
{
	return clouds[c].name;
}

const char *probe_dev_id(enum probe_dev d)
{
	return devs[d].id;
}

const char *probe_dev_name(enum probe_dev d)
{
	return devs[d].name;
}

const char *probe_dmi_id(enum probe_dmi d)
{
	return dmi_ids[d];
}

bool probe_nested_known(const struct probe_result *res)
{
	return !res->dom0;
}

/* ---- reading ---- */

/* A source's CPUID answer, zeros if it has none. */
static void get_cpuid(const struct probe_src *src, uint32_t leaf,
		      uint32_t regs[4])
{
	if (src->ops->cpuid(src->ctx, leaf, 0, regs))
		memset(regs, 0, 4 * sizeof(regs[0]));
}

static bool get_file(const struct probe_src *src, const char *path, char *buf,
		     size_t len)
{
	return src->ops->read_file(src->ctx, path, buf, len) == BL_OK;
}

/* Copy n bytes of s to out (n + 1 bytes): NULs dropped, other unprintable
 * bytes shown as '?', trailing blanks cut. */
static void printable(char *out, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c)
			out[o++] = c < 0x20 || c > 0x7e ? '?' : (char)c;
	}
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

/* The 12 signature bytes in EBX, ECX, EDX order. */
static void sig_bytes(const uint32_t regs[4], char sig[12])
{
	for (int i = 0; i < 12; i++)
		sig[i] = (char)(regs[1 + i / 4] >> (8 * (i % 4)));
}

/* An unknown signature counts when it looks like one: EAX names a leaf of
 * its own range, and the bytes are text. Known ones count whatever EAX says
 * (old KVM reported EAX 0). */
static bool looks_like_sig(const uint32_t regs[4], const char sig[12],
			   uint32_t base)
{
	int text = 0;

	if (regs[0] < base || regs[0] > base + 0xff)
		return false;
	for (int i = 0; i < 12; i++) {
		unsigned char c = (unsigned char)sig[i];

		if (c && (c < 0x20 || c > 0x7e))
			return false;
		text += c != 0;
	}
	return text >= 4;
}

/* The CPU vendor string is in EBX, EDX, ECX of leaf 0. */
static const int vendor_regs[3] = {1, 3, 2};

static void probe_cpuid(const struct probe_src *src, struct probe_result *res)
{
	uint32_t regs[4];
	char vendor[12];

	get_cpuid(src, 0, regs);
	for (int i = 0; i < 12; i++)
		vendor[i] = (char)(regs[vendor_regs[i / 4]] >> (8 * (i % 4)));
	printable(res->cpu_vendor, vendor, sizeof(vendor));
	if (regs[0] >= 1) {
		get_cpuid(src, 1, regs);
		res->hv_bit = regs[2] >> 31 & 1;
		res->vmx = regs[2] >> 5 & 1;
	}
	get_cpuid(src, 0x80000000, regs);
	if (regs[0] >= 0x80000001 && regs[0] <= 0x8000ffff) {
		get_cpuid(src, 0x80000001, regs);
		res->svm = regs[2] >> 2 & 1;
	}
	/* Without the hypervisor bit, real CPUs answer these leaves with
	 * other leaves' data. */
	if (!res->hv_bit)
		return;
	/* Xen's own leaves move to 0x40000100 when it emulates Hyper-V's
	 * (viridian), and KVM's do the same with hv-* enlightenments: scan
	 * every range, as Xen's find_xen_leaves() does. */
	for (uint32_t base = HV_LEAF_FIRST; base < HV_LEAF_END;
	     base += HV_LEAF_STEP) {
		struct probe_sig *s = &res->sig[res->nsigs];
		enum probe_hv hv = PROBE_HV_OTHER;
		char sig[12];

		get_cpuid(src, base, regs);
		sig_bytes(regs, sig);
		for (int h = 0; h < PROBE_HV_COUNT; h++)
			if (hvs[h].sig[0] && !memcmp(sig, hvs[h].sig, 12))
				hv = (enum probe_hv)h;
		if (hv == PROBE_HV_OTHER && !looks_like_sig(regs, sig, base))
			continue;
		s->leaf = base;
		s->max_leaf = regs[0];
		s->hv = hv;
		printable(s->text, sig, sizeof(sig));
		res->nsigs++;
	}
}

static void probe_dom0(const struct probe_src *src, struct probe_result *res)
{
	char caps[128];

	res->dom0 = get_file(src, XEN_CAPS, caps, sizeof(caps)) &&
		    strstr(caps, "control_d");
}

/* Which signature is the L0's. A dom0's first Xen signature is this
 * node's own Xen. Hyper-V's interface is often emulated (Xen viridian, KVM
 * hv-*), the real hypervisor's leaves then following at 0x40000100: prefer
 * any other signature to Hyper-V's. */
static void pick_l0(struct probe_result *res)
{
	int first = res->sig0_own ? 1 : 0;

	if (!res->hv_bit) {
		res->l0 = PROBE_HV_NONE;
		return;
	}
	if (first >= res->nsigs) {
		res->l0 = res->dom0 ? PROBE_HV_HIDDEN : PROBE_HV_UNNAMED;
		return;
	}
	res->l0 = PROBE_HV_HYPERV;
	for (int i = first; i < res->nsigs; i++)
		if (res->sig[i].hv != PROBE_HV_HYPERV) {
			res->l0 = res->sig[i].hv;
			return;
		}
}

static bool dmi_holds(const struct probe_result *res, enum probe_dmi field,
		      enum dmi_match how, const char *text)
{
	if (!res->dmi_present[field])
		return false;
	return how == DMI_EQUALS ? !strcmp(res->dmi[field], text)
				 : strcasestr(res->dmi[field], text) != NULL;
}

static void probe_dmi(const struct probe_src *src, struct probe_result *res)
{
	char path[64], buf[PROBE_DMI_LEN];

	for (int d = 0; d < PROBE_DMI_COUNT; d++) {
		snprintf(path, sizeof(path), DMI_DIR "%s", dmi_ids[d]);
		res->dmi_present[d] = get_file(src, path, buf, sizeof(buf));
		if (res->dmi_present[d])
			printable(res->dmi[d], buf, strlen(buf));
	}
	res->cloud = PROBE_CLOUD_UNKNOWN;
	for (size_t i = 0; i < N_CLOUD_RULES; i++) {
		const struct cloud_rule *cr = &cloud_rules[i];
		bool all = true;

		for (size_t k = 0; k < 2 && cr->need[k].text; k++)
			all =
			    all && dmi_holds(res, cr->need[k].field,
					     cr->need[k].how, cr->need[k].text);
		if (all) {
			res->cloud = cr->cloud;
			return;
		}
	}
}

/* "dddd:bb:dd.f" with a 4 to 8 digit domain, as Linux names PCI devices. */
static bool pci_slot_ok(const char *s)
{
	size_t dom = strspn(s, "0123456789abcdef");
	const char *p = s + dom;

	return dom >= 4 && dom <= 8 && p[0] == ':' &&
	       strspn(p + 1, "0123456789abcdef") == 2 && p[3] == ':' &&
	       strspn(p + 4, "0123456789abcdef") == 2 && p[6] == '.' &&
	       p[7] >= '0' && p[7] <= '7' && p[8] == '\0';
}

static int collect_slot(void *arg, const char *name)
{
	struct probe_result *res = arg;

	if (!pci_slot_ok(name))
		return BL_OK;
	if (res->npci == PROBE_MAX_PCI)
		res->pci_unread++;
	else
		snprintf(res->pci[res->npci++].slot, PCI_SLOT_LEN, "%s", name);
	return BL_OK;
}

static int count_entry(void *arg, const char *name)
{
	(void)name;
	(*(int *)arg)++;
	return BL_OK;
}

/* A sysfs hex attribute ("0x1af4"), at most max. */
static bool read_hex(const struct probe_src *src, const char *slot,
		     const char *attr, uint32_t max, uint32_t *v_r)
{
	char path[96], buf[32];
	unsigned long v;
	size_t digits;

	snprintf(path, sizeof(path), PCI_DIR "/%s/%s", slot, attr);
	if (!get_file(src, path, buf, sizeof(buf)) || strncmp(buf, "0x", 2))
		return false;
	digits = strspn(buf + 2, "0123456789abcdefABCDEF");
	if (digits == 0 || digits > 8 || buf[2 + digits])
		return false;
	v = strtoul(buf + 2, NULL, 16);
	if (v > max)
		return false;
	*v_r = (uint32_t)v;
	return true;
}

static bool dev_matches(const struct dev_rule *dr, const struct probe_pci *p)
{
	switch (dr->by) {
	case PCI_BY_VENDOR:
		return p->vendor == dr->vendor;
	case PCI_BY_ID:
		return p->vendor == dr->vendor && p->device == dr->device;
	case PCI_BY_CLASS:
		return p->class_code == dr->class_code;
	}
	return false;
}

static int slot_cmp(const void *a, const void *b)
{
	return strcmp(((const struct probe_pci *)a)->slot,
		      ((const struct probe_pci *)b)->slot);
}

static void probe_devices(const struct probe_src *src, struct probe_result *res)
{
	/* Errors and a missing bus both leave what was listed: no devices. */
	(void)src->ops->list_dir(src->ctx, PCI_DIR, collect_slot, res);
	qsort(res->pci, (size_t)res->npci, sizeof(res->pci[0]), slot_cmp);
	for (int i = 0; i < res->npci; i++) {
		struct probe_pci *p = &res->pci[i];
		bool seen[PROBE_DEV_COUNT] = {false};
		uint32_t v;

		if (read_hex(src, p->slot, "vendor", 0xffff, &v))
			p->vendor = (uint16_t)v;
		if (read_hex(src, p->slot, "device", 0xffff, &v))
			p->device = (uint16_t)v;
		if (read_hex(src, p->slot, "class", 0xffffff, &v))
			p->class_code = v;
		for (size_t k = 0; k < N_DEV_RULES; k++)
			if (dev_matches(&dev_rules[k], p))
				seen[dev_rules[k].dev] = true;
		for (int d = 0; d < PROBE_DEV_COUNT; d++)
			res->devices[d] += seen[d];
	}
	/* VMBus devices (Hyper-V, Azure) are not on the PCI bus. */
	(void)src->ops->list_dir(src->ctx, VMBUS_DIR, count_entry,
				 &res->devices[PROBE_DEV_VMBUS]);
}

/* Online CPUs from a Linux CPU list ("0-3,8,10-11"); 0 when malformed. */
static int count_cpus(const char *s)
{
	long n = 0, lo, hi;
	char *end;

	for (;;) {
		if (*s < '0' || *s > '9')
			return 0;
		lo = hi = strtol(s, &end, 10);
		if (*end == '-') {
			s = end + 1;
			if (*s < '0' || *s > '9')
				return 0;
			hi = strtol(s, &end, 10);
		}
		if (lo > hi || hi > 65535)
			return 0;
		n += hi - lo + 1;
		if (n > 65536)
			return 0;
		if (*end == '\0')
			return (int)n;
		if (*end != ',')
			return 0;
		s = end + 1;
	}
}

static void probe_size(const struct probe_src *src, struct probe_result *res)
{
	char buf[128], *p, *end;
	unsigned long long kb;

	/* The first line of /proc/meminfo: "MemTotal:   4026532 kB". */
	if (get_file(src, MEMINFO, buf, sizeof(buf)) &&
	    !strncmp(buf, "MemTotal:", 9)) {
		p = buf + 9 + strspn(buf + 9, " ");
		if (*p >= '0' && *p <= '9') {
			kb = strtoull(p, &end, 10);
			if (!strcmp(end, " kB") && kb / 1024 <= (1ull << 31))
				res->memory_mb = (long)(kb / 1024);
		}
	}
	if (get_file(src, CPUS_ONLINE, buf, sizeof(buf)))
		res->cpus = count_cpus(buf);
}

void probe_run(const struct probe_src *src, struct probe_result *res)
{
	memset(res, 0, sizeof(*res));
	probe_cpuid(src, res);
	probe_dom0(src, res);
	res->sig0_own =
	    res->dom0 && res->nsigs && res->sig[0].hv == PROBE_HV_XEN;
	pick_l0(res);
	probe_dmi(src, res);
	probe_devices(src, res);
	probe_size(src, res);
}
