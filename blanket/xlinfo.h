/* `xl info`: Xen's own view of a node (version, what guests it can run,
 * memory), read from the output of plain `xl info` (not `xl info -n`).
 * The text is parsed strictly: every line must be "key : value"; the keys
 * below must each appear once; other keys are skipped, as newer Xens add
 * some. */
#ifndef BL_XLINFO_H
#define BL_XLINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"

#define XLINFO_MAX_BYTES (64 * 1024)
#define XLINFO_MAX_LINE	 4096 /* bytes, newline included */
#define XLINFO_MAX_CAPS	 16   /* hw_caps words */

struct xl_info {
	long xen_major, xen_minor;
	char xen_extra[32];  /* ".5", "-pre", ... */
	char virt_caps[256]; /* words, one space apart: "pv shadow ..." */
	long total_memory, free_memory; /* MiB */
	long nr_cpus;
	int nhw_caps; /* 0: no hw_caps line (optional) */
	uint32_t hw_caps[XLINFO_MAX_CAPS];
};

/* Parse len bytes of `xl info` output. On error *line_r is the offending
 * line (one past the last for a missing key), *why_r a static reason, the rc
 * BL_ERR_INVAL; *xi is then unspecified. */
int xlinfo_parse(const char *text, size_t len, struct xl_info *xi, int *line_r,
		 const char **why_r) BL_MUST_CHECK;
/* Read and parse a saved `xl info` output; errors are logged. */
int xlinfo_load(const char *path, struct xl_info *xi) BL_MUST_CHECK;
/* Run `xl info` and parse its output; errors are logged. */
int xlinfo_run(struct xl_info *xi) BL_MUST_CHECK;

/* Whether virt_caps lists cap ("pv", "shadow", "hvm", ...). */
bool xlinfo_has_cap(const struct xl_info *xi, const char *cap);
/* Whether Xen found VT-x or SVM on its CPU (hw_caps); false without
 * hw_caps. */
bool xlinfo_cpu_has_hvm(const struct xl_info *xi);

#endif
