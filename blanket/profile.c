/* Boot profiles. profile_build() sizes dom0, then applies every rule of
 * profile_rules[] whose condition holds, in table order, then renders the
 * GRUB entry. All the knowledge is in that one table; each rule says why,
 * and whether that is documented, measured in our lab, or assumed. */
#include "blanket/profile.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "toolstack/common/json.h"

/* What the rules look at. */
struct profile_in {
	const struct probe_result *p;
	const struct profile *pf;
};

/* ---- conditions ---- */

static bool always(const struct profile_in *in)
{
	(void)in;
	return true;
}

/* Clouds whose serial console is the first UART (ttyS0, COM1); see the
 * console rule below for the sources. */
static const bool com1_console[PROBE_CLOUD_COUNT] = {
    [PROBE_CLOUD_EC2] = true,	[PROBE_CLOUD_GCE] = true,
    [PROBE_CLOUD_AZURE] = true, [PROBE_CLOUD_OPENSTACK] = true,
    [PROBE_CLOUD_QEMU] = true,
};

static bool serial_com1(const struct profile_in *in)
{
	return com1_console[in->p->cloud];
}

static bool no_serial_com1(const struct profile_in *in)
{
	return !serial_com1(in);
}

static bool plain_qemu(const struct profile_in *in)
{
	return in->p->cloud == PROBE_CLOUD_QEMU;
}

static bool unknown_cloud(const struct profile_in *in)
{
	return in->p->cloud == PROBE_CLOUD_UNKNOWN;
}

/* A Xen L0, seen directly or, from dom0, through its platform device. */
static bool xen_l0(const struct profile_in *in)
{
	return in->p->l0 == PROBE_HV_XEN ||
	       in->p->devices[PROBE_DEV_XEN_PLATFORM];
}

static bool has_vmbus(const struct profile_in *in)
{
	return in->p->devices[PROBE_DEV_VMBUS];
}

static bool has_nvme(const struct profile_in *in)
{
	return in->p->devices[PROBE_DEV_NVME];
}

static bool has_ena(const struct profile_in *in)
{
	return in->p->devices[PROBE_DEV_ENA];
}

static bool has_gvnic(const struct profile_in *in)
{
	return in->p->devices[PROBE_DEV_GVNIC];
}

static bool little_left(const struct profile_in *in)
{
	return in->pf->memory_mb - in->pf->dom0_mb < 1024;
}

/* ---- computed words ---- */

static void dom0_mem_words(const struct profile_in *in, char *buf, size_t len)
{
	snprintf(buf, len, "dom0_mem=%ldM,max:%ldM", in->pf->dom0_mb,
		 in->pf->dom0_mb);
}

static void dom0_vcpus_words(const struct profile_in *in, char *buf, size_t len)
{
	snprintf(buf, len, "dom0_max_vcpus=%d", in->pf->dom0_vcpus);
}

/* dom0's share: an eighth of RAM, at least 512 MiB, at most 4 GiB. */
#define DOM0_MIN_MB  512
#define DOM0_MAX_MB  4096
#define DOM0_RAM_DIV 8
/* dom0's vCPUs: all of a small instance's, at most 4. */
#define DOM0_MAX_VCPUS 4

static const struct profile_rule {
	bool (*when)(const struct profile_in *in);
	const char *xen;  /* words for Xen's command line */
	const char *dom0; /* words for dom0's kernel command line */
	void (*xen_words)(const struct profile_in *in, char *buf, size_t len);
	const char *note;
} profile_rules[] = {
    /* Documented: EC2 (serial console on Nitro; console output of Xen
     * instances), GCE (serial port 1) and Azure (serial console) all use
     * ttyS0; QEMU VMs have a 16550 there (the lab's serial log). Assumed
     * for OpenStack: Nova's console log reads the same port. Xen drives
     * the UART from then on; dom0 writes through Xen (hvc0, below). */
    {.when = serial_com1, .xen = "console=com1 com1=115200,8n1"},
    /* Elsewhere Xen's own default (console=com1,vga), with a speed. */
    {.when = no_serial_com1, .xen = "console=com1,vga com1=115200,8n1"},
    /* Documented (xen-command-line, dom0_mem): a fixed size with max:
     * keeps dom0 from ballooning (and xl's autoballoon=auto then stays
     * off). The size is our choice: an eighth of RAM, at least 512 MiB
     * (measured: the lab's dom0 runs its backends in that), at most 4 GiB
     * (dom0's kernel overhead grows with its maximum; Qubes caps dom0 at
     * 4 GB for that reason). */
    {.when = always, .xen_words = dom0_mem_words},
    /* Xen's default gives dom0 a vCPU per CPU. Our choice, not measured:
     * 4 serve its backends and the toolstack and leave the other CPUs'
     * time to guests. */
    {.when = always, .xen_words = dom0_vcpus_words},
    /* Known from Xen's source (common/page_alloc.c): with scrub-domheap
     * the pages a running domain frees are scrubbed too, so every page Xen
     * populates a guest with is zero, and a migration's destination need
     * not write zero pages (docs/specs/migration-stream.md, "Zero pages at
     * the destination"; measured in the lab: 70 MB of the idle guest's
     * 136 MB left out). bootscrub keeps Xen's default (idle). */
    {.when = always, .xen = "scrub-domheap"},
    /* Documented: a PV dom0's console is Xen's (hvc0); ttyS0 is Xen's. */
    {.when = always, .dom0 = "console=hvc0"},
    /* Developers' QEMU VMs and the lab's installed node (tests/install):
     * dom0's first messages show before hvc0 exists. No noreboot, as on
     * any instance: a hypervisor or dom0 that fails must reboot, so that
     * GRUB falls back to plain Linux (docs/install.md). QEMU TCG needs
     * nothing more from Xen: the lab masks smep/smap on QEMU's side. */
    {.when = plain_qemu, .dom0 = "earlyprintk=xen"},
    /* Known from Xen's source (arch/x86/guest/xen): with CONFIG_XEN_GUEST
     * Xen finds an L0 Xen's CPUID leaves and uses its event channels by
     * itself. Measured in our lab (make l0-xen-test, an emulated L0 Xen):
     * the blanket hypervisor's forwarding and the blanket-l0 module give
     * dom0 the L0's PV disks and NICs. Untested on EC2. */
    {.when = xen_l0,
     .note = "The L0 is Xen (EC2's Xen-based instances): the blanket "
	     "hypervisor finds it by itself (CONFIG_XEN_GUEST), no option "
	     "needed. dom0 reaches the L0's PV disks and NICs (behind the Xen "
	     "platform device, 5853:0001) only through the blanket drivers' "
	     "module blanket-l0 (drivers/l0, as l0xvdX and l0ethN), which no "
	     "package installs yet; without it dom0 has only the emulated or "
	     "SR-IOV devices the instance also offers. Untested on EC2."},
    /* Known from Linux: it finds VMBus through Hyper-V's CPUID leaves,
     * which Xen replaces with its own in dom0. Untested on Azure. */
    {.when = has_vmbus,
     .note = "Hyper-V/Azure: dom0 cannot use VMBus devices (storvsc disks, "
	     "netvsc NICs): Linux finds VMBus through Hyper-V's CPUID leaves, "
	     "which Xen hides from dom0. dom0 has only PCI devices (Gen1 VMs' "
	     "emulated IDE disk, accelerated networking's VF). Untested on "
	     "Azure."},
    /* Documented by AWS: EBS and instance store are NVMe on Nitro. */
    {.when = has_nvme,
     .note = "The disks are NVMe: the initramfs must hold the nvme module "
	     "or dom0 cannot find its root (Debian's initramfs-tools includes "
	     "it with MODULES=most, its default)."},
    /* Documented by AWS: Nitro's NIC is ENA (driver ena, in Debian's
     * kernel). */
    {.when = has_ena,
     .note = "The NIC is ENA: dom0 needs the ena module (in Debian's "
	     "kernel) for the node's network."},
    /* Documented by Google: gVNIC's driver is gve. */
    {.when = has_gvnic,
     .note = "The NIC is gVNIC: dom0 needs the gve module (in Debian's "
	     "kernel) for the node's network."},
    /* Our threshold: a guest of 1 GiB should fit beside dom0. */
    {.when = little_left,
     .note = "Less than 1 GiB is left for guests once dom0 has its share."},
    /* No DMI rule named the L0: the console rule above fell back. */
    {.when = unknown_cloud,
     .note = "Unknown L0: the console is Xen's default (COM1 and VGA); "
	     "check it against the provider's serial console."},
};

#define N_RULES (sizeof(profile_rules) / sizeof(profile_rules[0]))

/* Append words to a command line, a space apart. */
static void append(char *line, const char *words)
{
	size_t n = strlen(line);

	snprintf(line + n, PROFILE_CMDLINE_MAX - n, "%s%s", n ? " " : "",
		 words);
}

/* The x86 vendors Xen 4.17 runs on (xen/arch/x86/cpu/). */
static bool vendor_known(const char *vendor)
{
	static const char *const known[] = {
	    "GenuineIntel", "AuthenticAMD", "HygonGenuine",
	    "CentaurHauls", "  Shanghai  ",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(vendor, known[i]))
			return true;
	return false;
}

/* Why no blanket node can be made of this instance, or NULL. */
static const char *problem(const struct probe_result *p, long memory_mb,
			   int cpus)
{
	if (p->dom0 && (!memory_mb || !cpus))
		return "probed from a dom0, whose memory and CPUs are not the "
		       "instance's: pass --memory-mb and --cpus";
	if (!memory_mb || !cpus)
		return "the instance's size is unknown: pass --memory-mb and "
		       "--cpus";
	if (memory_mb < PROFILE_MIN_MEMORY_MB)
		return "too little memory for a blanket node (768 MiB at "
		       "least)";
	if (!vendor_known(p->cpu_vendor))
		return "the CPU's vendor is none Xen knows (Intel, AMD, Hygon, "
		       "Centaur, Zhaoxin)";
	return NULL;
}

static void render_grub(struct profile *pf)
{
	/* GRUB finds the file system holding the hypervisor (blanket-xen's
	 * path) and passes its UUID as root: this holds when /boot is on the
	 * root file system, as on Debian's and Ubuntu's cloud images. The id
	 * is what `blanket node install` boots once (grub-reboot). */
	snprintf(
	    pf->grub_entry, sizeof(pf->grub_entry),
	    "menuentry 'Blanket node (Xen) on %s' --id " PROFILE_GRUB_ID " {\n"
	    "\tinsmod part_gpt\n"
	    "\tinsmod part_msdos\n"
	    "\tinsmod ext2\n"
	    "\tinsmod xfs\n"
	    "\tinsmod probe\n"
	    "\tsearch --no-floppy --set=root --file " PROFILE_XEN_PATH "\n"
	    "\tprobe --set=rootuuid --fs-uuid $root\n"
	    "\tmultiboot2 " PROFILE_XEN_PATH " %s\n"
	    "\tmodule2 /vmlinuz root=UUID=$rootuuid ro %s\n"
	    "\tmodule2 /initrd.img\n"
	    "}\n",
	    probe_cloud_name(pf->cloud), pf->xen_cmdline, pf->dom0_cmdline);
}

int profile_build(const struct probe_result *p, long memory_mb, int cpus,
		  struct profile *pf, const char **why_r)
{
	struct profile_in in = {p, pf};
	const char *why;

	memory_mb = memory_mb ? memory_mb : p->dom0 ? 0 : p->memory_mb;
	cpus = cpus ? cpus : p->dom0 ? 0 : p->cpus;
	why = problem(p, memory_mb, cpus);
	if (why) {
		*why_r = why;
		return BL_ERR_INVAL;
	}
	memset(pf, 0, sizeof(*pf));
	pf->cloud = p->cloud;
	pf->l0 = p->l0;
	pf->memory_mb = memory_mb;
	pf->cpus = cpus;
	pf->dom0_mb = memory_mb / DOM0_RAM_DIV;
	pf->dom0_mb = pf->dom0_mb < DOM0_MIN_MB	  ? DOM0_MIN_MB
		      : pf->dom0_mb > DOM0_MAX_MB ? DOM0_MAX_MB
						  : pf->dom0_mb;
	pf->dom0_vcpus = cpus < DOM0_MAX_VCPUS ? cpus : DOM0_MAX_VCPUS;
	for (size_t i = 0; i < N_RULES; i++) {
		const struct profile_rule *rule = &profile_rules[i];
		char words[128];

		if (!rule->when(&in))
			continue;
		if (rule->xen)
			append(pf->xen_cmdline, rule->xen);
		if (rule->xen_words) {
			rule->xen_words(&in, words, sizeof(words));
			append(pf->xen_cmdline, words);
		}
		if (rule->dom0)
			append(pf->dom0_cmdline, rule->dom0);
		if (rule->note && pf->nnotes < PROFILE_MAX_NOTES)
			pf->notes[pf->nnotes++] = rule->note;
	}
	render_grub(pf);
	return BL_OK;
}

/* Words a user may add to a command line: they go into grub.cfg, where
 * quotes, ';', '$', braces or a newline would be GRUB script. */
static bool args_safe(const char *s)
{
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(" ,.=:/_+-@", *s))
			return false;
	return true;
}

int profile_add_args(struct profile *pf, const char *xen_args,
		     const char *dom0_args, const char **why_r)
{
	static const char *const bad_chars[] = {
	    "--xen-args: only letters, digits, spaces and , . = : / _ + - @",
	    "--dom0-args: only letters, digits, spaces and , . = : / _ + - @",
	};
	static const char *const too_long[] = {
	    "--xen-args: the command line gets too long",
	    "--dom0-args: the command line gets too long",
	};
	const char *args[] = {xen_args, dom0_args};
	char *lines[] = {pf->xen_cmdline, pf->dom0_cmdline};

	for (int i = 0; i < 2; i++) {
		if (!args[i] || !args[i][0])
			continue;
		if (!args_safe(args[i])) {
			*why_r = bad_chars[i];
			return BL_ERR_INVAL;
		}
		if (strlen(lines[i]) + 1 + strlen(args[i]) >=
		    PROFILE_CMDLINE_MAX) {
			*why_r = too_long[i];
			return BL_ERR_INVAL;
		}
	}
	for (int i = 0; i < 2; i++)
		if (args[i] && args[i][0])
			append(lines[i], args[i]);
	render_grub(pf);
	return BL_OK;
}

void profile_print(FILE *out, const struct profile *pf)
{
	fprintf(out, "Boot profile: %s, L0 %s, %ld MiB, %d CPU%s\n\n",
		probe_cloud_name(pf->cloud), probe_hv_name(pf->l0),
		pf->memory_mb, pf->cpus, pf->cpus == 1 ? "" : "s");
	fprintf(out, "Xen command line:\n  %s\n", pf->xen_cmdline);
	fprintf(out, "dom0 kernel command line:\n  %s\n\n", pf->dom0_cmdline);
	fprintf(out,
		"GRUB menu entry (`blanket node install` writes it "
		"to " PROFILE_GRUB_FILE "; /boot on the root file system):\n%s",
		pf->grub_entry);
	if (pf->nnotes)
		fprintf(out, "\nNotes:\n");
	for (int i = 0; i < pf->nnotes; i++)
		fprintf(out, "- %s\n", pf->notes[i]);
}

void profile_print_json(FILE *out, const struct profile *pf)
{
	fprintf(out,
		"{\n  \"cloud\": \"%s\",\n  \"l0_hypervisor\": \"%s\",\n"
		"  \"memory_mb\": %ld,\n  \"cpus\": %d,\n"
		"  \"dom0_memory_mb\": %ld,\n  \"dom0_vcpus\": %d,\n"
		"  \"xen_cmdline\": ",
		probe_cloud_id(pf->cloud), probe_hv_id(pf->l0), pf->memory_mb,
		pf->cpus, pf->dom0_mb, pf->dom0_vcpus);
	json_string(out, pf->xen_cmdline);
	fprintf(out, ",\n  \"dom0_cmdline\": ");
	json_string(out, pf->dom0_cmdline);
	fprintf(out, ",\n  \"grub_entry\": ");
	json_string(out, pf->grub_entry);
	fprintf(out, ",\n  \"notes\": [");
	for (int i = 0; i < pf->nnotes; i++) {
		fprintf(out, "%s\n    ", i ? "," : "");
		json_string(out, pf->notes[i]);
	}
	fprintf(out, "%s]\n}\n", pf->nnotes ? "\n  " : "");
}
