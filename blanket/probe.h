/* L0 detection: what a blanket node runs on. The probe reads CPUID, DMI,
 * /proc/xen and the PCI bus through a probe source (probe_src.h) and says
 * which hypervisor and cloud the L0 is, whether it offers nested VT-x/SVM,
 * whether this is a Xen dom0, and which device classes the node has.
 *
 * Entry points: probe_run() fills a probe_result; probe_print() and
 * probe_print_json() show it. */
#ifndef BL_PROBE_H
#define BL_PROBE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "blanket/probe_src.h"

/* Hypervisors named by CPUID signatures, and what the L0 can be when none
 * names it. */
enum probe_hv {
	PROBE_HV_NONE,	  /* no hypervisor bit: bare metal */
	PROBE_HV_UNNAMED, /* hypervisor bit, but no signature leaf */
	PROBE_HV_HIDDEN,  /* dom0: only this node's own Xen is visible */
	PROBE_HV_OTHER,	  /* a signature we do not know */
	PROBE_HV_KVM,
	PROBE_HV_XEN,
	PROBE_HV_HYPERV,
	PROBE_HV_VMWARE,
	PROBE_HV_TCG,
	PROBE_HV_BHYVE,
	PROBE_HV_COUNT
};

/* The DMI (SMBIOS) strings the probe reads from /sys/class/dmi/id. */
enum probe_dmi {
	PROBE_DMI_SYS_VENDOR,
	PROBE_DMI_PRODUCT_NAME,
	PROBE_DMI_PRODUCT_VERSION,
	PROBE_DMI_BIOS_VENDOR,
	PROBE_DMI_BIOS_VERSION,
	PROBE_DMI_BOARD_VENDOR,
	PROBE_DMI_CHASSIS_ASSET_TAG,
	PROBE_DMI_COUNT
};

enum probe_cloud {
	PROBE_CLOUD_UNKNOWN,
	PROBE_CLOUD_EC2,
	PROBE_CLOUD_GCE,
	PROBE_CLOUD_AZURE,
	PROBE_CLOUD_OPENSTACK,
	PROBE_CLOUD_QEMU,
	PROBE_CLOUD_XEN,
	PROBE_CLOUD_VMWARE,
	PROBE_CLOUD_COUNT
};

/* Device classes that matter to a node's boot and its dom0's drivers. */
enum probe_dev {
	PROBE_DEV_VIRTIO,
	PROBE_DEV_E1000,
	PROBE_DEV_E1000E,
	PROBE_DEV_NVME,
	PROBE_DEV_ENA,
	PROBE_DEV_GVNIC,
	PROBE_DEV_XEN_PLATFORM,
	PROBE_DEV_VMBUS,
	PROBE_DEV_COUNT
};

/* 0x40000000 to 0x4000ff00 in steps of 0x100. */
#define PROBE_MAX_SIGS 256
#define PROBE_MAX_PCI  256
#define PROBE_DMI_LEN  128

struct probe_sig {
	uint32_t leaf;	   /* where the signature was found */
	uint32_t max_leaf; /* EAX: the range's highest leaf */
	enum probe_hv hv;
	char text[13]; /* the 12 bytes, NULs dropped, unprintables as '?' */
};

struct probe_pci {
	char slot[20]; /* domain:bus:device.function */
	uint16_t vendor, device;
	uint32_t class_code;
};

struct probe_result {
	char cpu_vendor[13];
	bool hv_bit; /* CPUID.1:ECX bit 31: running under a hypervisor */
	bool vmx;    /* CPUID.1:ECX bit 5 */
	bool svm;    /* CPUID.80000001:ECX bit 2 */
	int nsigs;
	struct probe_sig sig[PROBE_MAX_SIGS];
	bool sig0_own; /* sig[0] is this node's own Xen, seen from dom0 */
	enum probe_hv l0;
	bool dom0;
	bool dmi_present[PROBE_DMI_COUNT];
	char dmi[PROBE_DMI_COUNT][PROBE_DMI_LEN]; /* unprintables as '?' */
	enum probe_cloud cloud;
	int npci;
	struct probe_pci pci[PROBE_MAX_PCI]; /* sorted by slot */
	int pci_unread; /* devices past PROBE_MAX_PCI, not examined */
	int devices[PROBE_DEV_COUNT];
	long memory_mb; /* MemTotal; 0 when unknown */
	int cpus;	/* online CPUs; 0 when unknown */
};

/* Probe the machine behind src. Nothing here fails: what cannot be read is
 * reported as unknown or absent. */
void probe_run(const struct probe_src *src, struct probe_result *res);

/* Whether the L0's VT-x/SVM is known: not from a PV dom0, whose CPUID is
 * Xen's policy, not the L0's. */
bool probe_nested_known(const struct probe_result *res);

/* Names: a short id for JSON and a name for people. */
const char *probe_hv_id(enum probe_hv hv);
const char *probe_hv_name(enum probe_hv hv);
const char *probe_cloud_id(enum probe_cloud c);
const char *probe_cloud_name(enum probe_cloud c);
const char *probe_dev_id(enum probe_dev d);
const char *probe_dev_name(enum probe_dev d);
const char *probe_dmi_id(enum probe_dmi d);

/* One short line for tables ("QEMU, virtio", "Amazon EC2, ena+nvme"):
 * the cloud (else the L0 hypervisor) and the device classes present. */
void probe_summary(const struct probe_result *r, char *buf, size_t len);
/* One line per fact, for people. */
void probe_print(FILE *out, const struct probe_result *res);
void probe_print_json(FILE *out, const struct probe_result *res);

#endif
