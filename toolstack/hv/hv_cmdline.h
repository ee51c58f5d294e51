/* Xen's command line, read as Xen reads it (xen/common/kernel.c,
 * parse_params and parse_bool): what blanket needs to know of how the
 * hypervisor it runs on was booted. */
#ifndef BL_HV_CMDLINE_H
#define BL_HV_CMDLINE_H

#include <stdbool.h>

/* The setting of boolean option name: the last of NAME, no-NAME and
 * NAME=BOOL (1/0, on/no, yes/off, true/false, enable/disable) with a value
 * Xen accepts; def if there is none. */
int hv_cmdline_bool(const char *cmdline, const char *name, int def);

/* Whether every page Xen populates a guest with is zero: a blanket build
 * (xen_version ends in "-blanket": no debug build, whose scrub pattern is
 * 0xc2), with scrub-domheap on (pages a running domain frees are scrubbed;
 * a dying one's always are) and bootscrub not off (the pages free at boot
 * are). */
bool hv_zeroed_pages(const char *xen_version, const char *cmdline);

#endif
