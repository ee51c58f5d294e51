/*
 * The hypervisor through libxl: the only file in Blanket that calls libxl.
 *
 * Every call resets a private log that libxl writes its errors to, so a
 * failure can be explained to the user with libxl's own last message.
 * Guests created here are marked with the "blanket" userdata; hv_reap acts
 * on marked guests only, as xl's per-domain monitor would (xl's own guests
 * keep theirs). A guest's generation is the "blanket-generation" userdata
 * (a decimal number), which lives and dies with the domain.
 * Whether a guest can be suspended is read from xenstore (its kernel's
 * control/feature-suspend), which libxl does not offer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <inttypes.h>
#include <libxl.h>
#include <libxl_utils.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "drivers/blk/blk_xenbus.h"
#include "toolstack/hv/hv.h"
#include "toolstack/hv/hv_cmdline.h"
#include "toolstack/hv/hv_xlcfg.h"
#include "toolstack/common/prefix.h"

#define USERDATA_KEY	    "blanket"
#define USERDATA_GENERATION "blanket-generation"
#define GENERATION_DIGITS   24

struct hv_libxl {
	libxl_ctx *ctx;
	xentoollog_logger_stdiostream *logger;
	FILE *log; /* libxl's messages since the last reset */
};

static void log_reset(struct hv_libxl *h)
{
	fflush(h->log);
	if (ftruncate(fileno(h->log), 0) == 0)
		rewind(h->log);
}

/* Put libxl's last message (or what) into err. */
static int explain(struct hv_libxl *h, int rc, const char *what, char *err,
		   size_t errlen)
{
	char line[BL_ERRMSG_MAX], last[BL_ERRMSG_MAX] = "";

	fflush(h->log);
	rewind(h->log);
	while (fgets(line, sizeof(line), h->log))
		if (line[0] != '\n')
			snprintf(last, sizeof(last), "%.*s",
				 (int)strcspn(line, "\n"), line);
	if (err)
		snprintf(err, errlen, "%s%s%s", what, last[0] ? ": " : "",
			 last);
	return rc;
}

static int hl_open(void **ctx_r)
{
	struct hv_libxl *h = calloc(1, sizeof(*h));

	if (!h)
		return BL_ERR_NOMEM;
	h->log = tmpfile();
	if (!h->log)
		goto fail;
	h->logger = xtl_createlogger_stdiostream(h->log, XTL_ERROR, 0);
	if (!h->logger)
		goto fail;
	if (libxl_ctx_alloc(&h->ctx, LIBXL_VERSION, 0,
			    (xentoollog_logger *)h->logger))
		goto fail;
	*ctx_r = h;
	return BL_OK;
fail:
	if (h->logger)
		xtl_logger_destroy((xentoollog_logger *)h->logger);
	if (h->log)
		fclose(h->log);
	free(h);
	return BL_ERR_FAIL;
}

static void hl_close(void *ctx)
{
	struct hv_libxl *h = ctx;

	if (!h)
		return;
	libxl_ctx_free(h->ctx);
	xtl_logger_destroy((xentoollog_logger *)h->logger);
	fclose(h->log);
	free(h);
}

static int hl_node_info(void *ctx, struct hv_node_info *info_r)
{
	struct hv_libxl *h = ctx;
	const libxl_version_info *v;
	libxl_physinfo pi;
	int rc = BL_OK;
	size_t len;

	log_reset(h);
	v = libxl_get_version_info(h->ctx);
	libxl_physinfo_init(&pi);
	if (!v || libxl_get_physinfo(h->ctx, &pi)) {
		rc = BL_ERR_FAIL;
		goto out;
	}
	memset(info_r, 0, sizeof(*info_r));
	snprintf(info_r->xen_version, sizeof(info_r->xen_version), "%d.%d%s",
		 v->xen_version_major, v->xen_version_minor,
		 v->xen_version_extra ? v->xen_version_extra : "");
	/* The words and order of `xl info`'s virt_caps. */
	snprintf(info_r->virt_caps, sizeof(info_r->virt_caps), "%s%s%s%s%s%s",
		 pi.cap_pv ? "pv " : "", pi.cap_hvm ? "hvm " : "",
		 pi.cap_hap ? "hap " : "", pi.cap_shadow ? "shadow " : "",
		 pi.cap_gnttab_v1 ? "gnttab-v1 " : "",
		 pi.cap_gnttab_v2 ? "gnttab-v2 " : "");
	len = strlen(info_r->virt_caps);
	if (len)
		info_r->virt_caps[len - 1] = '\0'; /* the trailing space */
	info_r->total_kib = pi.total_pages * 4;
	info_r->free_kib = pi.free_pages * 4;
	info_r->nr_cpus = pi.nr_cpus;
	info_r->zeroed_pages = hv_zeroed_pages(
	    info_r->xen_version, v->commandline ? v->commandline : "");
out:
	libxl_physinfo_dispose(&pi);
	return rc;
}

static enum hv_guest_state state_of(const libxl_dominfo *d)
{
	if (d->dying)
		return HV_STATE_DYING;
	if (d->shutdown && d->shutdown_reason == LIBXL_SHUTDOWN_REASON_CRASH)
		return HV_STATE_CRASHED;
	if (d->shutdown && d->shutdown_reason == LIBXL_SHUTDOWN_REASON_SUSPEND)
		return HV_STATE_SUSPENDED;
	if (d->shutdown)
		return HV_STATE_SHUTDOWN;
	if (d->paused)
		return HV_STATE_PAUSED;
	return d->running ? HV_STATE_RUNNING : HV_STATE_BLOCKED;
}

/* The domain's generation; 0 when none is recorded. */
static uint64_t generation_of(struct hv_libxl *h, uint32_t domid)
{
	char text[GENERATION_DIGITS] = "";
	uint8_t *data = NULL;
	int len = 0;

	if (libxl_userdata_retrieve(h->ctx, domid, USERDATA_GENERATION, &data,
				    &len) ||
	    len <= 0 || len >= (int)sizeof(text)) {
		free(data);
		return 0;
	}
	memcpy(text, data, (size_t)len);
	free(data);
	return strtoull(text, NULL, 10);
}

static int store_generation(struct hv_libxl *h, uint32_t domid,
			    uint64_t generation)
{
	char text[GENERATION_DIGITS];
	int len = snprintf(text, sizeof(text), "%" PRIu64, generation);

	return libxl_userdata_store(h->ctx, domid, USERDATA_GENERATION,
				    (const uint8_t *)text, len)
		   ? BL_ERR_FAIL
		   : BL_OK;
}

static void fill_guest(struct hv_libxl *h, const libxl_dominfo *d,
		       struct hv_guest *g)
{
	char *name = libxl_domid_to_name(h->ctx, d->domid);

	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name ? name : "(unnamed)");
	free(name);
	g->domid = d->domid;
	g->state = state_of(d);
	g->mem_kib = d->current_memkb;
	g->vcpus = d->vcpu_online;
	g->cpu_time_ns = d->cpu_time;
	g->generation = generation_of(h, d->domid);
}

static int hl_list(void *ctx, struct hv_guest **guests_r, size_t *n_r)
{
	struct hv_libxl *h = ctx;
	struct hv_guest *g = NULL;
	libxl_dominfo *doms;
	size_t n = 0;
	int nb;

	log_reset(h);
	doms = libxl_list_domain(h->ctx, &nb);
	if (!doms)
		return BL_ERR_FAIL;
	g = calloc((size_t)nb + 1, sizeof(*g));
	if (!g) {
		libxl_dominfo_list_free(doms, nb);
		return BL_ERR_NOMEM;
	}
	for (int i = 0; i < nb; i++)
		if (doms[i].domid != 0)
			fill_guest(h, &doms[i], &g[n++]);
	libxl_dominfo_list_free(doms, nb);
	*guests_r = g;
	*n_r = n;
	return BL_OK;
}

/* A guest's domid by name; dom0 is never a guest. */
static int find(struct hv_libxl *h, const char *name, uint32_t *domid_r,
		char *err, size_t errlen)
{
	uint32_t domid;

	if (libxl_name_to_domid(h->ctx, name, &domid) || domid == 0) {
		if (err)
			snprintf(err, errlen, "no guest named \"%s\"", name);
		return BL_ERR_NOTFOUND;
	}
	*domid_r = domid;
	return BL_OK;
}

/* The start of a call on one guest: a fresh log, and its domid. */
static int begin(struct hv_libxl *h, const char *name, uint32_t *domid_r,
		 char *err, size_t errlen)
{
	log_reset(h);
	return find(h, name, domid_r, err, errlen);
}

static int hl_info(void *ctx, const char *name, struct hv_guest *guest_r)
{
	struct hv_libxl *h = ctx;
	libxl_dominfo d;
	uint32_t domid;
	int rc;

	log_reset(h);
	rc = find(h, name, &domid, NULL, 0);
	if (rc)
		return rc;
	libxl_dominfo_init(&d);
	if (libxl_domain_info(h->ctx, &d, domid)) {
		libxl_dominfo_dispose(&d);
		return BL_ERR_NOTFOUND;
	}
	fill_guest(h, &d, guest_r);
	libxl_dominfo_dispose(&d);
	return BL_OK;
}

/* Refuse up front what Xen would refuse halfway, with a clearer reason:
 * dom0's memory is fixed on blanket nodes, so nothing is ballooned. */
static int check_memory(struct hv_libxl *h, const libxl_domain_config *cfg,
			char *err, size_t errlen)
{
	libxl_physinfo pi;
	uint64_t free_kib;
	int r;

	libxl_physinfo_init(&pi);
	r = libxl_get_physinfo(h->ctx, &pi);
	free_kib = pi.free_pages * 4;
	libxl_physinfo_dispose(&pi);
	if (r)
		return explain(h, BL_ERR_FAIL, "cannot read the node's memory",
			       err, errlen);
	if (cfg->b_info.max_memkb > free_kib) {
		snprintf(err, errlen,
			 "not enough free memory: \"%s\" needs %llu MiB, the "
			 "node has %llu MiB free",
			 cfg->c_info.name,
			 (unsigned long long)(cfg->b_info.max_memkb / 1024),
			 (unsigned long long)(free_kib / 1024));
		return BL_ERR_BUSY;
	}
	return BL_OK;
}

/* *script, when the configuration named none: blanket's. */
static int default_script(char **script, const char *blankets, char *err,
			  size_t errlen)
{
	if (*script)
		return BL_OK;
	*script = strdup(blankets);
	if (!*script) {
		snprintf(err, errlen, "out of memory");
		return BL_ERR_NOMEM;
	}
	return BL_OK;
}

/* Devices with no hotplug script of their own get blanket's. Disks,
 * blanket-blk's (drivers/blk/blanket-blk-hotplug): blanket-blk opens the
 * image itself, and Xen's block script, which makes a loop device nobody
 * uses, costs the guest seconds at each start and each migration's
 * downtime. Vifs, blanket-vif (drivers/net/blanket-vif-hotplug): Xen's
 * vif-bridge uses brctl where there is one, whose sockets a migration's
 * restore worker may not open. */
static int use_blanket_hotplug(libxl_domain_config *cfg, char *err,
			       size_t errlen)
{
	int rc = BL_OK;

	for (int i = 0; !rc && i < cfg->num_disks; i++)
		rc = default_script(&cfg->disks[i].script, HV_DISK_HOTPLUG, err,
				    errlen);
	for (int i = 0; !rc && i < cfg->num_nics; i++)
		rc = default_script(&cfg->nics[i].script, HV_VIF_HOTPLUG, err,
				    errlen);
	return rc;
}

static int hl_create(void *ctx, const struct hv_policy *policy,
		     const char *source, const char *config, size_t len,
		     struct hv_guest *guest_r, char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_domain_config cfg;
	uint32_t domid = 0;
	int rc;

	log_reset(h);
	libxl_domain_config_init(&cfg);
	rc = hv_config_load(policy, source, config, len, &cfg, err, errlen);
	if (!rc)
		rc = use_blanket_hotplug(&cfg, err, errlen);
	if (rc)
		goto out;
	if (libxl_name_to_domid(h->ctx, cfg.c_info.name, &domid) == 0) {
		snprintf(err, errlen, "a guest named \"%s\" already exists",
			 cfg.c_info.name);
		rc = BL_ERR_BUSY;
		goto out;
	}
	domid = 0;
	rc = check_memory(h, &cfg, err, errlen);
	if (rc)
		goto out;
	/* libxl destroys what it built when creation fails. */
	if (libxl_domain_create_new(h->ctx, &cfg, &domid, NULL, NULL)) {
		rc = explain(h, BL_ERR_FAIL, "creating the guest failed", err,
			     errlen);
		goto out;
	}
	if (libxl_userdata_store(h->ctx, domid, USERDATA_KEY,
				 (const uint8_t *)source,
				 (int)strlen(source)) ||
	    store_generation(h, domid, 1) ||
	    libxl_domain_unpause(h->ctx, domid, NULL)) {
		rc = explain(h, BL_ERR_FAIL, "starting the guest failed", err,
			     errlen);
		libxl_domain_destroy(h->ctx, domid, NULL);
		goto out;
	}
	rc = hl_info(h, cfg.c_info.name, guest_r);
out:
	libxl_domain_config_dispose(&cfg);
	return rc;
}

/* Whether domid is gone or has shut down. */
static bool is_down(struct hv_libxl *h, uint32_t domid)
{
	libxl_dominfo d;
	bool down;

	libxl_dominfo_init(&d);
	down =
	    libxl_domain_info(h->ctx, &d, domid) != 0 || d.shutdown || d.dying;
	libxl_dominfo_dispose(&d);
	return down;
}

static void reap_one(struct hv_libxl *h, const libxl_dominfo *d);

/* A guest that has just shut down gets its on_poweroff (or on_reboot...)
 * action now, not at the next reap: the caller waits for it to be gone. */
static void settle(struct hv_libxl *h, uint32_t domid)
{
	libxl_dominfo d;

	libxl_dominfo_init(&d);
	if (libxl_domain_info(h->ctx, &d, domid) == 0 && d.shutdown && !d.dying)
		reap_one(h, &d);
	libxl_dominfo_dispose(&d);
}

static int hl_shutdown(void *ctx, const char *name, int timeout_s, bool force,
		       char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (rc)
		return rc;
	if (libxl_domain_shutdown(h->ctx, domid, NULL))
		return explain(h, BL_ERR_FAIL, "shutdown failed", err, errlen);
	for (int i = 0; i < timeout_s * 10; i++) {
		if (is_down(h, domid)) {
			settle(h, domid);
			return BL_OK;
		}
		usleep(100000);
	}
	if (timeout_s == 0)
		return BL_OK;
	if (!force) {
		snprintf(err, errlen,
			 "\"%s\" did not shut down within %d s (--force "
			 "destroys it)",
			 name, timeout_s);
		return BL_ERR_TIMEOUT;
	}
	if (libxl_domain_destroy(h->ctx, domid, NULL))
		return explain(h, BL_ERR_FAIL, "destroy after timeout failed",
			       err, errlen);
	return BL_OK;
}

typedef int (*domid_op)(libxl_ctx *ctx, uint32_t domid,
			const libxl_asyncop_how *ao_how);

static int simple_op(void *ctx, const char *name, domid_op op, const char *what,
		     char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (!rc && op(h->ctx, domid, NULL))
		rc = explain(h, BL_ERR_FAIL, what, err, errlen);
	return rc;
}

static int hl_destroy(void *ctx, const char *name, char *err, size_t errlen)
{
	return simple_op(ctx, name, libxl_domain_destroy, "destroy failed", err,
			 errlen);
}

static int hl_destroy_domid(void *ctx, uint32_t domid, char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_dominfo d;
	int r;

	log_reset(h);
	libxl_dominfo_init(&d);
	r = libxl_domain_info(h->ctx, &d, domid);
	libxl_dominfo_dispose(&d);
	if (r || domid == 0) {
		snprintf(err, errlen, "no domain %" PRIu32, domid);
		return BL_ERR_NOTFOUND;
	}
	if (libxl_domain_destroy(h->ctx, domid, NULL))
		return explain(h, BL_ERR_FAIL, "destroy failed", err, errlen);
	return BL_OK;
}

static int hl_reboot(void *ctx, const char *name, char *err, size_t errlen)
{
	return simple_op(ctx, name, libxl_domain_reboot, "reboot failed", err,
			 errlen);
}

static int hl_pause(void *ctx, const char *name, char *err, size_t errlen)
{
	return simple_op(ctx, name, libxl_domain_pause, "pause failed", err,
			 errlen);
}

static int hl_unpause(void *ctx, const char *name, char *err, size_t errlen)
{
	return simple_op(ctx, name, libxl_domain_unpause, "unpause failed", err,
			 errlen);
}

static int hl_console_path(void *ctx, const char *name, char *path, size_t len,
			   char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	char *tty = NULL;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (rc)
		return rc;
	if (libxl_console_get_tty(h->ctx, domid, 0, LIBXL_CONSOLE_TYPE_PV,
				  &tty))
		return explain(h, BL_ERR_FAIL, "no console", err, errlen);
	snprintf(path, len, "%s", tty);
	free(tty);
	return BL_OK;
}

/* Apply a blanket guest's on_poweroff/on_reboot/on_crash action once it
 * has shut down. */
static void reap_one(struct hv_libxl *h, const libxl_dominfo *d)
{
	libxl_domain_config cfg;
	libxl_action_on_shutdown action;
	uint64_t generation = generation_of(h, d->domid);
	uint8_t *data = NULL;
	int len = 0;
	uint32_t domid;

	if (libxl_userdata_retrieve(h->ctx, d->domid, USERDATA_KEY, &data,
				    &len) ||
	    !len) {
		free(data);
		return; /* not ours */
	}
	free(data);
	libxl_domain_config_init(&cfg);
	if (libxl_retrieve_domain_configuration(h->ctx, d->domid, &cfg, NULL))
		goto out;
	switch (d->shutdown_reason) {
	case LIBXL_SHUTDOWN_REASON_SUSPEND:
	case LIBXL_SHUTDOWN_REASON_SOFT_RESET:
		/* Being saved or migrated: the toolstack doing it decides. */
		goto out;
	case LIBXL_SHUTDOWN_REASON_REBOOT:
		action = cfg.on_reboot;
		break;
	case LIBXL_SHUTDOWN_REASON_CRASH:
		action = cfg.on_crash;
		break;
	default:
		action = cfg.on_poweroff;
		break;
	}
	if (action == LIBXL_ACTION_ON_SHUTDOWN_PRESERVE)
		goto out;
	libxl_domain_destroy(h->ctx, d->domid, NULL);
	if (action == LIBXL_ACTION_ON_SHUTDOWN_RESTART) {
		domid = 0;
		cfg.c_info.domid = 0;
		if (libxl_domain_create_new(h->ctx, &cfg, &domid, NULL, NULL) ==
			0 &&
		    libxl_userdata_store(h->ctx, domid, USERDATA_KEY,
					 (const uint8_t *)"restart", 7) == 0 &&
		    (!generation ||
		     store_generation(h, domid, generation) == BL_OK))
			libxl_domain_unpause(h->ctx, domid, NULL);
	}
out:
	libxl_domain_config_dispose(&cfg);
}

static int hl_reap(void *ctx)
{
	struct hv_libxl *h = ctx;
	libxl_dominfo *doms;
	int nb;

	log_reset(h);
	doms = libxl_list_domain(h->ctx, &nb);
	if (!doms)
		return BL_ERR_FAIL;
	for (int i = 0; i < nb; i++)
		if (doms[i].domid != 0 && doms[i].shutdown && !doms[i].dying)
			reap_one(h, &doms[i]);
	libxl_dominfo_list_free(doms, nb);
	return BL_OK;
}

static int hl_config_text(void *ctx, const char *name, char **text_r, char *err,
			  size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_domain_config cfg;
	size_t len = 0;
	uint32_t domid;
	FILE *out;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (rc)
		return rc;
	libxl_domain_config_init(&cfg);
	if (libxl_retrieve_domain_configuration(h->ctx, domid, &cfg, NULL)) {
		rc = explain(h, BL_ERR_FAIL,
			     "cannot read the guest's configuration", err,
			     errlen);
	} else {
		*text_r = NULL;
		out = open_memstream(text_r, &len);
		rc =
		    out ? hv_xlcfg_write(&cfg, out, err, errlen) : BL_ERR_NOMEM;
		if (out)
			fclose(out);
		if (rc) {
			free(*text_r);
			*text_r = NULL;
		}
	}
	libxl_domain_config_dispose(&cfg);
	return rc;
}

/* Whether the domain came in by migration (adopt's mark). */
static bool migrated_in(struct hv_libxl *h, uint32_t domid)
{
	uint8_t *data = NULL;
	int len = 0;
	bool migrated;

	if (libxl_userdata_retrieve(h->ctx, domid, USERDATA_KEY, &data, &len))
		return false;
	migrated = len == 8 && !memcmp(data, "migrated", 8);
	free(data);
	return migrated;
}

static int hl_suspended(void *ctx, uint32_t domid, bool *suspended_r)
{
	struct hv_libxl *h = ctx;
	libxl_dominfo d;

	libxl_dominfo_init(&d);
	if (libxl_domain_info(h->ctx, &d, domid)) {
		libxl_dominfo_dispose(&d);
		return BL_ERR_NOTFOUND;
	}
	*suspended_r =
	    d.shutdown && d.shutdown_reason == LIBXL_SHUTDOWN_REASON_SUSPEND;
	libxl_dominfo_dispose(&d);
	return BL_OK;
}

static int hl_cap(void *ctx, uint32_t domid, int *cap_r)
{
	struct hv_libxl *h = ctx;
	libxl_domain_sched_params p;
	int rc;

	libxl_domain_sched_params_init(&p);
	rc = libxl_domain_sched_params_get(h->ctx, domid, &p);
	if (!rc)
		*cap_r = p.cap;
	libxl_domain_sched_params_dispose(&p);
	return rc ? BL_ERR_FAIL : BL_OK;
}

/* The scheduler's other parameters left as they are (libxl's defaults
 * mean "unchanged"). */
static int hl_set_cap(void *ctx, uint32_t domid, int cap)
{
	struct hv_libxl *h = ctx;
	libxl_domain_sched_params p;
	int rc;

	libxl_domain_sched_params_init(&p);
	p.cap = cap;
	rc = libxl_domain_sched_params_set(h->ctx, domid, &p);
	libxl_domain_sched_params_dispose(&p);
	return rc ? BL_ERR_FAIL : BL_OK;
}

/* A PV kernel writes control/feature-suspend once it watches
 * control/shutdown, the node libxl's suspend request goes through; it does
 * not write it again after a resume, so a guest that came in by migration
 * (it answered a suspend already) is taken as ready. */
static int hl_suspendable(void *ctx, const char *name, bool *ready_r)
{
	struct hv_libxl *h = ctx;
	struct xs_handle *xs;
	char path[64], *v;
	unsigned int len;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, NULL, 0);
	if (rc)
		return rc;
	if (migrated_in(h, domid)) {
		*ready_r = true;
		return BL_OK;
	}
	xs = xs_open(XS_OPEN_READONLY);
	if (!xs)
		return BL_ERR_IO;
	snprintf(path, sizeof(path),
		 "/local/domain/%" PRIu32 "/control/feature-suspend", domid);
	v = xs_read(xs, XBT_NULL, path, &len);
	*ready_r = v && len == 1 && v[0] == '1';
	free(v);
	xs_close(xs);
	return BL_OK;
}

static int hl_save_live(void *ctx, const char *name, int fd, char *err,
			size_t errlen)
{
	struct hv_libxl *h = ctx;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (!rc &&
	    libxl_domain_suspend(h->ctx, domid, fd, LIBXL_SUSPEND_LIVE, NULL))
		rc = explain(h, BL_ERR_FAIL, "live save failed", err, errlen);
	return rc;
}

static int hl_resume(void *ctx, const char *name, char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	/* suspend_cancel: the guest goes on from its suspend point. */
	if (!rc && libxl_domain_resume(h->ctx, domid, 1, NULL))
		rc = explain(h, BL_ERR_FAIL, "resume failed", err, errlen);
	return rc;
}

static int hl_rename(void *ctx, const char *name, const char *new_name,
		     char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (!rc && libxl_domain_rename(h->ctx, domid, name, new_name))
		rc = explain(h, BL_ERR_FAIL, "rename failed", err, errlen);
	return rc;
}

static int hl_restore(void *ctx, const struct hv_policy *policy,
		      const char *config, const char *name, int fd, char *err,
		      size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_domain_restore_params params;
	libxl_domain_config cfg;
	uint32_t domid = 0;
	int rc;

	log_reset(h);
	libxl_domain_config_init(&cfg);
	libxl_domain_restore_params_init(&params);
	rc = hv_config_load(policy, "the guest's configuration", config,
			    strlen(config), &cfg, err, errlen);
	if (!rc)
		rc = use_blanket_hotplug(&cfg, err, errlen);
	if (rc)
		goto out;
	free(cfg.c_info.name);
	cfg.c_info.name = strdup(name);
	params.checkpointed_stream = LIBXL_CHECKPOINTED_STREAM_NONE;
	params.stream_version = 2;
	/* libxl destroys what it built when the restore fails. */
	if (!cfg.c_info.name ||
	    libxl_domain_create_restore(h->ctx, &cfg, &domid, fd, -1, &params,
					NULL, NULL))
		rc = explain(h, BL_ERR_FAIL, "restore failed", err, errlen);
out:
	libxl_domain_restore_params_dispose(&params);
	libxl_domain_config_dispose(&cfg);
	return rc;
}

static int hl_adopt(void *ctx, const char *name, uint64_t generation, char *err,
		    size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_dominfo d;
	uint32_t domid;
	int rc;

	rc = begin(h, name, &domid, err, errlen);
	if (rc)
		return rc;
	if (libxl_userdata_store(h->ctx, domid, USERDATA_KEY,
				 (const uint8_t *)"migrated", 8) ||
	    store_generation(h, domid, generation))
		return explain(h, BL_ERR_FAIL, "starting the guest failed", err,
			       errlen);
	if (!libxl_domain_unpause(h->ctx, domid, NULL))
		return BL_OK;
	/* A source resolving an interrupted handover may have unpaused it
	 * first (docs/specs/migration-stream.md, Resolving UNKNOWN). */
	libxl_dominfo_init(&d);
	if (!libxl_domain_info(h->ctx, &d, domid) && !d.paused)
		rc = BL_OK;
	else
		rc = explain(h, BL_ERR_FAIL, "starting the guest failed", err,
			     errlen);
	libxl_dominfo_dispose(&d);
	return rc;
}

static int hl_disks(void *ctx, const char *name, struct hv_disk_state *disks,
		    size_t *n_r, char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_device_disk *list;
	libxl_diskinfo info;
	uint32_t domid;
	int n = 0, rc;

	*n_r = 0;
	rc = begin(h, name, &domid, err, errlen);
	if (rc)
		return rc;
	list = libxl_device_disk_list(h->ctx, domid, &n);
	for (int i = 0; i < n && *n_r < HV_DISKS_MAX; i++) {
		struct hv_disk_state *d = &disks[*n_r];

		memset(d, 0, sizeof(*d));
		snprintf(d->disk.vdev, sizeof(d->disk.vdev), "%s",
			 list[i].vdev ? list[i].vdev : "");
		snprintf(d->disk.path, sizeof(d->disk.path), "%s",
			 list[i].pdev_path ? list[i].pdev_path : "");
		d->disk.readonly = !list[i].readwrite;
		snprintf(d->backend, sizeof(d->backend), "vbd");
		libxl_diskinfo_init(&info);
		if (!libxl_device_disk_getinfo(h->ctx, domid, &list[i],
					       &info)) {
			d->disk.devid = (uint32_t)info.devid;
			snprintf(d->state, sizeof(d->state), "%s",
				 blk_xb_state_name(info.state));
		}
		libxl_diskinfo_dispose(&info);
		(*n_r)++;
	}
	for (int i = 0; i < n; i++)
		libxl_device_disk_dispose(&list[i]);
	free(list);
	return BL_OK;
}

static int hl_vifs(void *ctx, const char *name, struct hv_vif_state *vifs,
		   size_t *n_r, char *err, size_t errlen)
{
	struct hv_libxl *h = ctx;
	libxl_device_nic *list;
	libxl_nicinfo info;
	uint32_t domid;
	int n = 0, rc;

	*n_r = 0;
	rc = begin(h, name, &domid, err, errlen);
	if (rc)
		return rc;
	list = libxl_device_nic_list(h->ctx, domid, &n);
	for (int i = 0; i < n && *n_r < HV_VIFS_MAX; i++) {
		const libxl_device_nic *nic = &list[i];
		struct hv_vif_state *v = &vifs[(*n_r)++];

		memset(v, 0, sizeof(*v));
		v->devid = (uint32_t)nic->devid;
		hv_mac_text(nic->mac, v->mac, sizeof(v->mac));
		snprintf(v->bridge, sizeof(v->bridge), "%s",
			 nic->bridge ? nic->bridge : "");
		/* one IPv4 address, as blanket's parser allows; a domain made
		 * otherwise (xl's) may have anything there */
		if (nic->ip && ipv4_addr_valid(nic->ip))
			snprintf(v->ip, sizeof(v->ip), "%s", nic->ip);
		if (nic->ifname)
			snprintf(v->ifname, sizeof(v->ifname), "%s",
				 nic->ifname);
		else
			snprintf(v->ifname, sizeof(v->ifname), "vif%u.%u",
				 domid, v->devid);
		libxl_nicinfo_init(&info);
		if (!libxl_device_nic_getinfo(h->ctx, domid, &list[i], &info))
			snprintf(v->state, sizeof(v->state), "%s",
				 blk_xb_state_name(info.state));
		libxl_nicinfo_dispose(&info);
	}
	for (int i = 0; i < n; i++)
		libxl_device_nic_dispose(&list[i]);
	free(list);
	return BL_OK;
}

const struct hv_ops hv_libxl_ops = {
    .name = "libxl",
    .open = hl_open,
    .close = hl_close,
    .node_info = hl_node_info,
    .list = hl_list,
    .info = hl_info,
    .create = hl_create,
    .destroy = hl_destroy,
    .destroy_domid = hl_destroy_domid,
    .shutdown = hl_shutdown,
    .reboot = hl_reboot,
    .pause = hl_pause,
    .unpause = hl_unpause,
    .console_path = hl_console_path,
    .reap = hl_reap,
    .config_text = hl_config_text,
    .suspendable = hl_suspendable,
    .suspended = hl_suspended,
    .cap = hl_cap,
    .set_cap = hl_set_cap,
    .save_live = hl_save_live,
    .resume = hl_resume,
    .rename = hl_rename,
    .restore = hl_restore,
    .adopt = hl_adopt,
    .disks = hl_disks,
    .vifs = hl_vifs,
};
