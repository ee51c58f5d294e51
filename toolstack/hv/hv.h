/* The hypervisor as blanketd sees it: a small ops struct. hv_libxl.c is the
 * only code in Blanket that calls libxl; hv_fake.c is a test driver (like
 * libvirt's) for the unit and host tiers only. */
#ifndef BL_HV_H
#define BL_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toolstack/common/err.h"
#include "toolstack/common/id.h"

#define HV_NAME_MAX 64 /* guest names, NUL included */

struct hv_policy; /* hv_policy.h */

enum hv_guest_state {
	HV_STATE_RUNNING,
	HV_STATE_BLOCKED,
	HV_STATE_PAUSED,
	HV_STATE_SHUTDOWN,
	HV_STATE_CRASHED,
	HV_STATE_DYING,
	HV_STATE_SUSPENDED, /* shut down by a save: resumable */
	/* blanketd's, never the hypervisor's: a suspended copy whose
	 * handover to another node is not settled (migration, handed_to) */
	HV_STATE_UNRESOLVED,
};

struct hv_guest {
	char name[HV_NAME_MAX];
	uint32_t domid;
	enum hv_guest_state state;
	uint64_t mem_kib;
	uint32_t vcpus;
	uint64_t cpu_time_ns;
	/* 1 when created, one more at each handover to another node; 0 for
	 * a domain blanket does not manage (xl's, dom0's tools'). */
	uint64_t generation;
	/* blanketd's, for an unresolved copy: the migration, and the node
	 * the guest was handed over to */
	struct bl_id migration;
	char handed_to[64];
};

struct hv_node_info {
	char xen_version[32]; /* "4.17.5-blanket" */
	char virt_caps[128];  /* "pv shadow gnttab-v1 gnttab-v2" */
	uint64_t total_kib;
	uint64_t free_kib;
	uint32_t nr_cpus;
	/* Every page the hypervisor populates a guest with is zero
	 * (hv_zeroed_pages); this node's alone, not sent in the RPC. */
	bool zeroed_pages;
};

/* A guest's disk, as its configuration names it. */
struct hv_disk {
	char vdev[16];	 /* "xvda" */
	uint32_t devid;	 /* xenstore's: backend/vbd/DOMID/DEVID */
	char path[4096]; /* the image */
	bool readonly;
};
#define HV_DISKS_MAX 16
/* The hotplug script blanket gives a guest's disks (in Xen's scripts
 * folder); a configuration may name it, or Xen's block. */
#define HV_DISK_HOTPLUG "blanket-blk"
/* The one it gives their vifs (drivers/net/blanket-vif-hotplug); a
 * configuration may name it, or one of Xen's vif scripts. */
#define HV_VIF_HOTPLUG "blanket-vif"

/* A running guest's disk, as its node sees it. */
struct hv_disk_state {
	struct hv_disk disk;
	char backend[16]; /* what serves it: "blanket-blk", "vbd" (xenstore's
			   * backend type, when nothing more is known) */
	char state[16];	  /* its backend's xenbus state: "connected", ... */
};

#define HV_VIFS_MAX 16
/* A running guest's vif, as its node sees it. */
struct hv_vif_state {
	uint32_t devid;
	char mac[18];	 /* "00:16:3e:..." */
	char bridge[32]; /* the bridge it joins, "" for none */
	char ifname[32]; /* dom0's interface: vifDOMID.DEVID or vifname */
	char ip[16];	 /* ip=, an IPv4 address or "" (configured only) */
	char state[16];	 /* its backend's xenbus state */
};

/* Every call returns BL_OK or a negative enum bl_err; calls that take an
 * err buffer fill it with a message for the user on failure. */
struct hv_ops {
	const char *name;
	int (*open)(void **ctx_r);
	void (*close)(void *ctx);
	int (*node_info)(void *ctx, struct hv_node_info *info_r);
	/* *guests_r: malloc'd array of *n_r guests (dom0 excluded); caller
	 * frees. */
	int (*list)(void *ctx, struct hv_guest **guests_r, size_t *n_r);
	int (*info)(void *ctx, const char *name, struct hv_guest *guest_r);
	/* config: the text of an xl.cfg(5) file; source names it in errors
	 * ("web.cfg:12: ..."). It must keep to policy (hv_policy.h). A failed
	 * create leaves nothing behind. */
	int (*create)(void *ctx, const struct hv_policy *policy,
		      const char *source, const char *config, size_t len,
		      struct hv_guest *guest_r, char *err, size_t errlen);
	int (*destroy)(void *ctx, const char *name, char *err, size_t errlen);
	/* Destroy domain domid, whatever its name: a migration destroys only
	 * the domain it created. BL_ERR_NOTFOUND when it is gone. */
	int (*destroy_domid)(void *ctx, uint32_t domid, char *err,
			     size_t errlen);
	/* Clean shutdown; after timeout_s (0: don't wait) destroy if force. */
	int (*shutdown)(void *ctx, const char *name, int timeout_s, bool force,
			char *err, size_t errlen);
	int (*reboot)(void *ctx, const char *name, char *err, size_t errlen);
	int (*pause)(void *ctx, const char *name, char *err, size_t errlen);
	int (*unpause)(void *ctx, const char *name, char *err, size_t errlen);
	/* The dom0 path of the guest's console (a pty). */
	int (*console_path)(void *ctx, const char *name, char *path, size_t len,
			    char *err, size_t errlen);
	/* Apply the configured on_poweroff/on_reboot/on_crash action to
	 * guests this toolstack created that have shut down (xl's per-guest
	 * monitor does this for xl's guests). */
	int (*reap)(void *ctx);

	/* Live migration (docs/specs/migration-stream.md). Source side: */
	/* The guest's configuration as an xl.cfg(5) text of blanket's subset
	 * (hv_xlcfg_write); *text_r is malloc'd, the caller's to free. */
	int (*config_text)(void *ctx, const char *name, char **text_r,
			   char *err, size_t errlen);
	/* Whether the guest's kernel answers a suspend request yet (a PV
	 * guest that is still booting does not). */
	int (*suspendable)(void *ctx, const char *name, bool *ready_r);
	/* Whether domain domid has suspended (a live save's last round has
	 * begun): one hypercall, cheap enough to poll while a save runs. */
	int (*suspended)(void *ctx, uint32_t domid, bool *suspended_r);
	/* Domain domid's scheduler cap, in % of one CPU (0: none), and
	 * setting it: how auto-converge slows a guest whose pre-copy does not
	 * keep up (NULL where the hypervisor has no pre-copy to throttle). */
	int (*cap)(void *ctx, uint32_t domid, int *cap_r);
	int (*set_cap)(void *ctx, uint32_t domid, int cap);
	/* Live-save the guest into fd: returns once it is suspended and its
	 * last pages are written. */
	int (*save_live)(void *ctx, const char *name, int fd, char *err,
			 size_t errlen);
	/* Resume a guest whose save was not handed over. */
	int (*resume)(void *ctx, const char *name, char *err, size_t errlen);
	int (*rename)(void *ctx, const char *name, const char *new_name,
		      char *err, size_t errlen);
	/* Destination side: restore the stream on fd, paused, as name, with
	 * the configuration config_text gave, read as a create's is (it must
	 * keep to policy). */
	int (*restore)(void *ctx, const struct hv_policy *policy,
		       const char *config, const char *name, int fd, char *err,
		       size_t errlen);
	/* Take a restored guest over: mark it as this toolstack's (for reap),
	 * with its generation, and unpause it. */
	int (*adopt)(void *ctx, const char *name, uint64_t generation,
		     char *err, size_t errlen);
	/* The guest's disks (at most HV_DISKS_MAX) and their backends'
	 * states, in disks[], *n_r of them. */
	int (*disks)(void *ctx, const char *name, struct hv_disk_state *disks,
		     size_t *n_r, char *err, size_t errlen);
	/* The guest's vifs (at most HV_VIFS_MAX) and their backends' states,
	 * in vifs[], *n_r of them. */
	int (*vifs)(void *ctx, const char *name, struct hv_vif_state *vifs,
		    size_t *n_r, char *err, size_t errlen);
};

extern const struct hv_ops hv_libxl_ops;
extern const struct hv_ops hv_fake_ops;

const char *hv_state_name(enum hv_guest_state state);

/* Suffixes blanketd gives a guest's name while it is moved
 * (docs/specs/migration-stream.md); no guest may be called so. */
#define HV_SUFFIX_INCOMING "--incoming"	    /* the destination's paused copy */
#define HV_SUFFIX_AWAY	   "--migratedaway" /* the source's copy after go */

/* Whether name is a guest name: [A-Za-z0-9][A-Za-z0-9_.-]{0,62}, not
 * ending in a reserved suffix. If not, BL_ERR_INVAL with err saying why,
 * the name shown escaped. */
int hv_check_name(const char *name, char *err, size_t errlen) BL_MUST_CHECK;

/* Whether config (a migration's, from config_text) is a configuration of
 * guest name that keeps to policy: checked before a node agrees to take a
 * guest in. Errors as hv_ops.create's. */
int hv_config_admit(const struct hv_policy *policy, const char *config,
		    size_t len, const char *name, char *err,
		    size_t errlen) BL_MUST_CHECK;

/* The disks an xl.cfg(5) text gives, in its order, in disks[HV_DISKS_MAX]
 * (*n_r of them). Each must be a raw file image on an xvd device
 * (docs/specs/blkif-backend.md): BL_ERR_INVAL with err naming the disk
 * otherwise, or for a configuration the parser refuses. */
int hv_config_disks(const char *config, size_t len, struct hv_disk *disks,
		    size_t *n_r, char *err, size_t errlen) BL_MUST_CHECK;
/* The vifs an xl.cfg(5) text gives, in its order, in vifs[HV_VIFS_MAX]
 * (*n_r of them): devid, mac ("" when libxl picks it), bridge, ifname
 * (vifname=) and ip as the file says; no state. */
int hv_config_vifs(const char *config, size_t len, struct hv_vif_state *vifs,
		   size_t *n_r, char *err, size_t errlen) BL_MUST_CHECK;
/* The devid of an xvd device name ("xvdb" -> 51728, "xvdq" -> 268439552):
 * Xen's docs/misc/vbd-interface. false for any other name. */
bool hv_xvd_devid(const char *vdev, uint32_t *devid_r);

/* The guest name an xl.cfg(5) text gives (hv_xlcfg.c): a create's name is
 * checked against what the node has reserved before anything is built.
 * Errors as hv_ops.create's. */
int hv_config_name(const char *source, const char *config, size_t len,
		   char *name_r, size_t namelen, char *err,
		   size_t errlen) BL_MUST_CHECK;

#endif
