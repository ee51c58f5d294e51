/* A node's policy on what its guests may touch (/etc/blanket/node.conf,
 * node.conf(5)): where kernels, ramdisks and disk images may come from,
 * which bootloaders may run, which hotplug scripts, and the largest guest.
 * Every configuration a node builds a guest from, created or received by
 * migration, passes hv_policy_check() first. Part of the hv module (it
 * reads libxl types); blanketd loads the file, and again on SIGHUP. */
#ifndef BL_HV_POLICY_H
#define BL_HV_POLICY_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <libxl.h>

#include "toolstack/common/err.h"

#define POLICY_DEFAULT_FILE   "/etc/blanket/node.conf"
#define POLICY_DEFAULT_IMAGES "/var/lib/blanket/images"
#define POLICY_LIST_MAX	      16
#define POLICY_MEMORY_MB      32768 /* max-memory-mb's default */
#define POLICY_VCPUS	      16    /* max-vcpus' default */

struct hv_policy {
	/* Folders guest files may come from, each resolved (realpath) when
	 * the policy is loaded. */
	char images[POLICY_LIST_MAX][PATH_MAX];
	int n_images;
	/* Bootloaders that may run, as absolute paths; none by default. */
	char bootloaders[POLICY_LIST_MAX][PATH_MAX];
	int n_bootloaders;
	uint64_t max_memory_mb;
	int max_vcpus;
	char file[PATH_MAX]; /* where it was read from; "" for defaults */
};

/* The defaults: images in POLICY_DEFAULT_IMAGES, no bootloader, the
 * default largest guest. */
void hv_policy_default(struct hv_policy *p);

/* Read path (node.conf(5)) into *p: the defaults, then each line. A path
 * that does not exist gives the defaults, when missing_ok. On error
 * (BL_ERR_INVAL, BL_ERR_NOTFOUND, BL_ERR_IO) err names the file, the line
 * and the setting, and *p is untouched. */
int hv_policy_load(const char *path, bool missing_ok, struct hv_policy *p,
		   char *err, size_t errlen) BL_MUST_CHECK;

/* Whether cfg keeps to p. Paths are replaced by what they resolve to, so
 * that libxl opens the file that was checked. On refusal, BL_ERR_AUTH and
 * err names the setting, the value and the rule. */
int hv_policy_check(const struct hv_policy *p, libxl_domain_config *cfg,
		    char *err, size_t errlen) BL_MUST_CHECK;

/* Whether a new image may be made at path (a migration brings a disk):
 * absolute, its folder inside one of p's images folders once resolved,
 * and nothing there yet. BL_ERR_DENIED (err says why), or BL_ERR_BUSY
 * when something is there. */
int hv_policy_new_image(const struct hv_policy *p, const char *path, char *err,
			size_t errlen) BL_MUST_CHECK;

#endif
