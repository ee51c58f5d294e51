/* `blanket node boot-profile`: how to boot a blanket node on the L0 a probe
 * found. From the probe and the instance's size it derives Xen's command
 * line, dom0's kernel command line, a GRUB menu entry, and notes on what
 * the boot needs that no command line gives (drivers, known limits). */
#ifndef BL_PROFILE_H
#define BL_PROFILE_H

#include <stdio.h>

#include "toolstack/common/err.h"
#include "blanket/probe.h"

#define PROFILE_CMDLINE_MAX 512
#define PROFILE_GRUB_MAX    2048
#define PROFILE_MAX_NOTES   16
/* Where blanket-xen puts the hypervisor, the GRUB entry's id, and the file
 * `blanket node install` writes the entry to (config/grub/25_blanket reads
 * it). */
#define PROFILE_XEN_PATH  "/boot/blanket/xen.gz"
#define PROFILE_GRUB_ID	  "blanket-node"
#define PROFILE_GRUB_FILE "/etc/blanket/grub-entry.cfg"

struct profile {
	enum probe_cloud cloud;
	enum probe_hv l0;
	long memory_mb; /* the instance's */
	int cpus;
	long dom0_mb;
	int dom0_vcpus;
	char xen_cmdline[PROFILE_CMDLINE_MAX];
	char dom0_cmdline[PROFILE_CMDLINE_MAX];
	char grub_entry[PROFILE_GRUB_MAX];
	int nnotes;
	const char *notes[PROFILE_MAX_NOTES]; /* static text */
};

/* The smallest instance a profile is made for: dom0's 512 MiB and room
 * for Xen and a small guest. */
#define PROFILE_MIN_MEMORY_MB 768

/* Build the profile for p. memory_mb and cpus are the instance's size; 0
 * takes the probe's, which a dom0 cannot give (its /proc/meminfo and CPUs
 * are dom0's). BL_ERR_INVAL with *why_r (static text) when the size is
 * unknown or too small. */
int profile_build(const struct probe_result *p, long memory_mb, int cpus,
		  struct profile *pf, const char **why_r) BL_MUST_CHECK;

/* Append words to Xen's and dom0's command lines (either may be NULL) and
 * render the GRUB entry again. BL_ERR_INVAL with *why_r naming the option
 * (--xen-args, --dom0-args) for a character GRUB would read as script, or
 * a line grown too long; pf is then unchanged. */
int profile_add_args(struct profile *pf, const char *xen_args,
		     const char *dom0_args, const char **why_r) BL_MUST_CHECK;

void profile_print(FILE *out, const struct profile *pf);
void profile_print_json(FILE *out, const struct profile *pf);

#endif
