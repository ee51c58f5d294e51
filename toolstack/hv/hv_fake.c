/*
 * A test hypervisor (like libvirt's test driver), for the unit and host
 * tiers only: guests are lines in a state file, so the forked connection
 * handlers of a blanketd share them. Configs go through the real xl.cfg
 * parser, so a config the fake accepts is one libxl would be given.
 * The file is $BLANKET_FAKE_HV (required): an optional first line "next
 * DOMID" (domids are never reused, as Xen's are not until they wrap), then
 * a line a guest: "name domid state mem_kib vcpus [generation
 * [ready_at_ms]]", ready_at_ms the realtime (ms) from which the guest
 * answers a suspend request (0: it does; a test may write a guest that is
 * still booting).
 * A guest's configuration, as hv_xlcfg_write() gives it once the policy
 * passed it, is kept in $BLANKET_FAKE_HV.d/DOMID.cfg for config_text.
 * A guest still booting answers neither suspend nor shutdown requests.
 * $BLANKET_FAKE_BOOT_MS: how long a created guest boots before it answers
 * (default 0). $BLANKET_FAKE_SAVE_KIB: the size of a saved guest (default
 * 4096).
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "toolstack/common/fdio.h"
#include "toolstack/hv/hv.h"
#include "toolstack/hv/hv_xlcfg.h"

#include <libxl_utils.h>

#define FAKE_MAX_GUESTS 64
#define FAKE_TOTAL_KIB	(4ull << 20) /* a 4 GiB node */

struct fake {
	int fd; /* the state file, locked for each call */
	struct hv_guest g[FAKE_MAX_GUESTS];
	int64_t ready_at_ms[FAKE_MAX_GUESTS];
	size_t n;
	uint32_t next_domid;
};

static int64_t realtime_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static uint64_t env_u64(const char *name, uint64_t dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtoull(v, NULL, 10) : dflt;
}

static int fake_open(void **ctx_r)
{
	const char *path = getenv("BLANKET_FAKE_HV");
	struct fake *f;

	if (!path || !*path)
		return BL_ERR_INVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return BL_ERR_NOMEM;
	f->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f->fd < 0) {
		free(f);
		return BL_ERR_IO;
	}
	*ctx_r = f;
	return BL_OK;
}

static void fake_close(void *ctx)
{
	struct fake *f = ctx;

	if (!f)
		return;
	close(f->fd);
	free(f);
}

/* Lock and read the guests. Every call pairs it with save() or unlock(). */
static int load(struct fake *f)
{
	char line[256];
	FILE *in;
	int fd;

	if (flock(f->fd, LOCK_EX) < 0)
		return BL_ERR_IO;
	f->n = 0;
	fd = dup(f->fd);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0 || !(in = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return BL_ERR_IO;
	}
	f->next_domid = 1;
	while (f->n < FAKE_MAX_GUESTS && fgets(line, sizeof(line), in)) {
		struct hv_guest *g = &f->g[f->n];
		long long ready_at = 0;
		unsigned int state;
		int fields;

		if (sscanf(line, "next %" SCNu32, &f->next_domid) == 1)
			continue;
		memset(g, 0, sizeof(*g));
		g->generation = 1;
		fields = sscanf(line,
				"%63s %" SCNu32 " %u %" SCNu64 " %" SCNu32
				" %" SCNu64 " %lld",
				g->name, &g->domid, &state, &g->mem_kib,
				&g->vcpus, &g->generation, &ready_at);
		if (fields >= 5 && state <= HV_STATE_SUSPENDED) {
			g->state = (enum hv_guest_state)state;
			f->ready_at_ms[f->n] = ready_at;
			f->n++;
		}
	}
	fclose(in);
	for (size_t i = 0; i < f->n; i++)
		if (f->g[i].domid >= f->next_domid)
			f->next_domid = f->g[i].domid + 1;
	return BL_OK;
}

static void unlock(struct fake *f)
{
	flock(f->fd, LOCK_UN);
}

static int save(struct fake *f)
{
	char buf[FAKE_MAX_GUESTS * 160];
	size_t off;
	int rc = BL_OK;

	off = (size_t)snprintf(buf, sizeof(buf), "next %u\n", f->next_domid);
	for (size_t i = 0; i < f->n; i++)
		off += (size_t)snprintf(
		    buf + off, sizeof(buf) - off,
		    "%s %u %u %llu %u %llu %lld\n", f->g[i].name, f->g[i].domid,
		    (unsigned int)f->g[i].state,
		    (unsigned long long)f->g[i].mem_kib, f->g[i].vcpus,
		    (unsigned long long)f->g[i].generation,
		    (long long)f->ready_at_ms[i]);
	if (ftruncate(f->fd, 0) < 0 ||
	    pwrite(f->fd, buf, off, 0) != (ssize_t)off)
		rc = BL_ERR_IO;
	unlock(f);
	return rc;
}

static struct hv_guest *lookup(struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->g[i].name, name) == 0)
			return &f->g[i];
	return NULL;
}

static struct hv_guest *lookup_domid(struct fake *f, uint32_t domid)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->g[i].domid == domid)
			return &f->g[i];
	return NULL;
}

/* Load the state file (locked) and find name in it. BL_OK: *g_r is it,
 * and the caller unlocks. Otherwise the file is unlocked again, and err
 * says so when there is no such guest. */
static int load_guest(struct fake *f, const char *name, struct hv_guest **g_r,
		      char *err, size_t errlen)
{
	int rc = load(f);

	if (rc)
		return rc;
	*g_r = lookup(f, name);
	if (!*g_r) {
		unlock(f);
		snprintf(err, errlen, "no guest named \"%s\"", name);
		return BL_ERR_NOTFOUND;
	}
	return BL_OK;
}

/* A new guest, with the next domid; NULL when the node is full. */
static struct hv_guest *add_guest(struct fake *f, const char *name,
				  enum hv_guest_state state, uint64_t mem_kib,
				  uint32_t vcpus, int64_t ready_at_ms)
{
	struct hv_guest *g;

	if (f->n == FAKE_MAX_GUESTS)
		return NULL;
	g = &f->g[f->n];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->domid = f->next_domid++;
	g->state = state;
	g->mem_kib = mem_kib;
	g->vcpus = vcpus;
	g->generation = 1;
	f->ready_at_ms[f->n++] = ready_at_ms;
	return g;
}

static uint64_t used_kib(const struct fake *f)
{
	uint64_t used = 0;

	for (size_t i = 0; i < f->n; i++)
		used += f->g[i].mem_kib;
	return used;
}

static int fake_node_info(void *ctx, struct hv_node_info *info_r)
{
	struct fake *f = ctx;
	int rc = load(f);

	if (rc)
		return rc;
	memset(info_r, 0, sizeof(*info_r));
	snprintf(info_r->xen_version, sizeof(info_r->xen_version),
		 "4.17.0-fake");
	snprintf(info_r->virt_caps, sizeof(info_r->virt_caps),
		 "pv shadow gnttab-v1 gnttab-v2");
	info_r->total_kib = FAKE_TOTAL_KIB;
	info_r->free_kib = FAKE_TOTAL_KIB - used_kib(f);
	info_r->nr_cpus = 2;
	unlock(f);
	return BL_OK;
}

static int fake_list(void *ctx, struct hv_guest **guests_r, size_t *n_r)
{
	struct fake *f = ctx;
	int rc = load(f);

	if (rc)
		return rc;
	*guests_r = calloc(f->n + 1, sizeof(struct hv_guest));
	if (!*guests_r) {
		unlock(f);
		return BL_ERR_NOMEM;
	}
	memcpy(*guests_r, f->g, f->n * sizeof(struct hv_guest));
	*n_r = f->n;
	unlock(f);
	return BL_OK;
}

/* A copy of the guest called name (or, name NULL, of domain domid), and
 * when it answers suspend requests, read under the lock. */
static int peek(struct fake *f, const char *name, uint32_t domid,
		struct hv_guest *guest_r, int64_t *ready_at_r)
{
	struct hv_guest *g;
	int rc = load(f);

	if (rc)
		return rc;
	g = name ? lookup(f, name) : lookup_domid(f, domid);
	if (g) {
		*guest_r = *g;
		*ready_at_r = f->ready_at_ms[g - f->g];
	}
	unlock(f);
	return g ? BL_OK : BL_ERR_NOTFOUND;
}

static int fake_info(void *ctx, const char *name, struct hv_guest *guest_r)
{
	int64_t ready_at;

	return peek(ctx, name, 0, guest_r, &ready_at);
}

/* Where domain domid's configuration is kept. */
static void config_path(uint32_t domid, char *path, size_t size)
{
	snprintf(path, size, "%s.d/%" PRIu32 ".cfg", getenv("BLANKET_FAKE_HV"),
		 domid);
}

static int keep_config(uint32_t domid, const libxl_domain_config *cfg,
		       char *err, size_t errlen)
{
	char path[PATH_MAX];
	FILE *out;
	int rc;

	snprintf(path, sizeof(path), "%s.d", getenv("BLANKET_FAKE_HV"));
	mkdir(path, 0700);
	config_path(domid, path, sizeof(path));
	out = fopen(path, "we");
	if (!out)
		return BL_ERR_IO;
	rc = hv_xlcfg_write(cfg, out, err, errlen);
	return fclose(out) && !rc ? BL_ERR_IO : rc;
}

/* A guest just added, and the state file: both, or neither. */
static int keep_and_save(struct fake *f, uint32_t domid,
			 const libxl_domain_config *cfg, char *err,
			 size_t errlen)
{
	int rc = keep_config(domid, cfg, err, errlen);

	if (rc) {
		unlock(f);
		return rc;
	}
	return save(f);
}

static int fake_create(void *ctx, const struct hv_policy *policy,
		       const char *source, const char *config, size_t len,
		       struct hv_guest *guest_r, char *err, size_t errlen)
{
	struct fake *f = ctx;
	libxl_domain_config cfg;
	struct hv_guest *g;
	int rc;

	libxl_domain_config_init(&cfg);
	rc = hv_config_load(policy, source, config, len, &cfg, err, errlen);
	if (rc)
		goto out;
	rc = load(f);
	if (rc)
		goto out;
	if (lookup(f, cfg.c_info.name)) {
		snprintf(err, errlen, "a guest named \"%s\" already exists",
			 cfg.c_info.name);
		rc = BL_ERR_BUSY;
	} else if (f->n == FAKE_MAX_GUESTS ||
		   used_kib(f) + cfg.b_info.target_memkb > FAKE_TOTAL_KIB) {
		snprintf(err, errlen,
			 "not enough free memory for \"%s\" (%llu KiB)",
			 cfg.c_info.name,
			 (unsigned long long)cfg.b_info.target_memkb);
		rc = BL_ERR_BUSY;
	}
	if (rc) {
		unlock(f);
		goto out;
	}
	g = add_guest(
	    f, cfg.c_info.name, HV_STATE_RUNNING, cfg.b_info.target_memkb,
	    (uint32_t)libxl_bitmap_count_set(&cfg.b_info.avail_vcpus),
	    realtime_ms() + (int64_t)env_u64("BLANKET_FAKE_BOOT_MS", 0));
	*guest_r = *g;
	rc = keep_and_save(f, g->domid, &cfg, err, errlen);
out:
	libxl_domain_config_dispose(&cfg);
	return rc;
}

/* Load, find name (or explain), apply fn, save. */
static int with_guest(void *ctx, const char *name, char *err, size_t errlen,
		      void (*fn)(struct fake *f, struct hv_guest *g))
{
	struct fake *f = ctx;
	struct hv_guest *g;
	int rc = load_guest(f, name, &g, err, errlen);

	if (rc)
		return rc;
	fn(f, g);
	return save(f);
}

static void remove_guest(struct fake *f, struct hv_guest *g)
{
	size_t i = (size_t)(g - f->g);

	f->n--;
	*g = f->g[f->n];
	f->ready_at_ms[i] = f->ready_at_ms[f->n];
}

static void set_paused(struct fake *f, struct hv_guest *g)
{
	(void)f;
	g->state = HV_STATE_PAUSED;
}

static void set_running(struct fake *f, struct hv_guest *g)
{
	(void)f;
	g->state = HV_STATE_RUNNING;
}

static int fake_destroy(void *ctx, const char *name, char *err, size_t errlen)
{
	return with_guest(ctx, name, err, errlen, remove_guest);
}

static int fake_destroy_domid(void *ctx, uint32_t domid, char *err,
			      size_t errlen)
{
	struct fake *f = ctx;
	struct hv_guest *g;
	int rc = load(f);

	if (rc)
		return rc;
	g = lookup_domid(f, domid);
	if (g) {
		remove_guest(f, g);
		return save(f);
	}
	unlock(f);
	snprintf(err, errlen, "no domain %u", domid);
	return BL_ERR_NOTFOUND;
}

/* A fake guest obeys at once: shut down means gone. */
/* A guest shuts down when asked, unless it is still booting (its kernel
 * does not watch for the request yet): then only force removes it. */
static int fake_shutdown(void *ctx, const char *name, int timeout_s, bool force,
			 char *err, size_t errlen)
{
	struct fake *f = ctx;
	struct hv_guest *g;
	int rc = load_guest(f, name, &g, err, errlen);

	(void)timeout_s;
	if (rc)
		return rc;
	if (realtime_ms() < f->ready_at_ms[g - f->g] && !force) {
		unlock(f);
		if (timeout_s)
			snprintf(err, errlen, "\"%s\" did not shut down", name);
		return timeout_s ? BL_ERR_TIMEOUT : BL_OK;
	}
	remove_guest(f, g);
	return save(f);
}

static int fake_reboot(void *ctx, const char *name, char *err, size_t errlen)
{
	return with_guest(ctx, name, err, errlen, set_running);
}

static int fake_pause(void *ctx, const char *name, char *err, size_t errlen)
{
	return with_guest(ctx, name, err, errlen, set_paused);
}

static int fake_unpause(void *ctx, const char *name, char *err, size_t errlen)
{
	return with_guest(ctx, name, err, errlen, set_running);
}

static int fake_console_path(void *ctx, const char *name, char *path,
			     size_t len, char *err, size_t errlen)
{
	(void)ctx;
	(void)path;
	(void)len;
	snprintf(err, errlen, "the test hypervisor has no console for \"%s\"",
		 name);
	return BL_ERR_NOTFOUND;
}

static int fake_reap(void *ctx)
{
	(void)ctx;
	return BL_OK;
}

/* Migration: a fake guest's saved state is guest-like memory (mostly zero
 * pages, some text), 4 MiB unless $BLANKET_FAKE_SAVE_KIB says otherwise,
 * so the stream codec and the handover run for real between two fake
 * nodes. */
static size_t save_bytes(void)
{
	return (size_t)env_u64("BLANKET_FAKE_SAVE_KIB", 4096) * 1024;
}

static int fake_suspendable(void *ctx, const char *name, bool *ready_r)
{
	struct hv_guest g;
	int64_t ready_at;
	int rc = peek(ctx, name, 0, &g, &ready_at);

	if (!rc)
		*ready_r = realtime_ms() >= ready_at;
	return rc;
}

static int fake_suspended(void *ctx, uint32_t domid, bool *suspended_r)
{
	struct hv_guest g;
	int64_t ready_at;
	int rc = peek(ctx, NULL, domid, &g, &ready_at);

	if (!rc)
		*suspended_r = g.state == HV_STATE_SUSPENDED;
	return rc;
}

static int fake_config_text(void *ctx, const char *name, char **text_r,
			    char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct hv_guest g;
	size_t len;
	int rc;

	if (fake_info(ctx, name, &g)) {
		snprintf(err, errlen, "no guest named \"%s\"", name);
		return BL_ERR_NOTFOUND;
	}
	config_path(g.domid, path, sizeof(path));
	rc = fdio_read_file(path, 1u << 20, text_r, &len);
	if (rc)
		snprintf(err, errlen, "no configuration kept for \"%s\"", name);
	return rc;
}

/* The disks its configuration names; no backend serves them here. */
static int fake_disks(void *ctx, const char *name, struct hv_disk_state *disks,
		      size_t *n_r, char *err, size_t errlen)
{
	static struct hv_disk conf[HV_DISKS_MAX];
	char *text = NULL;
	int rc = fake_config_text(ctx, name, &text, err, errlen);

	*n_r = 0;
	if (!rc)
		rc =
		    hv_config_disks(text, strlen(text), conf, n_r, err, errlen);
	free(text);
	for (size_t i = 0; !rc && i < *n_r; i++) {
		memset(&disks[i], 0, sizeof(disks[i]));
		disks[i].disk = conf[i];
		snprintf(disks[i].backend, sizeof(disks[i].backend), "none");
	}
	return rc;
}

/* The vifs its configuration names; no backend serves them here. */
static int fake_vifs(void *ctx, const char *name, struct hv_vif_state *vifs,
		     size_t *n_r, char *err, size_t errlen)
{
	char *text = NULL;
	int rc = fake_config_text(ctx, name, &text, err, errlen);

	*n_r = 0;
	if (!rc)
		rc = hv_config_vifs(text, strlen(text), vifs, n_r, err, errlen);
	free(text);
	for (size_t i = 0; !rc && i < *n_r; i++)
		snprintf(vifs[i].state, sizeof(vifs[i].state), "none");
	return rc;
}

static void set_suspended(struct fake *f, struct hv_guest *g)
{
	(void)f;
	g->state = HV_STATE_SUSPENDED;
}

static int fake_save_live(void *ctx, const char *name, int fd, char *err,
			  size_t errlen)
{
	static char page[4096];
	int rc = with_guest(ctx, name, err, errlen, set_suspended);

	for (size_t off = 0; !rc && off < save_bytes(); off += sizeof(page)) {
		/* One page in eight is full of text (512 KiB in all, which
		 * deflate shrinks); the rest are zero. */
		memset(page, 0, sizeof(page));
		for (size_t i = 0;
		     (off / sizeof(page)) % 8 == 0 && i < sizeof(page) - 1;)
			i += (size_t)snprintf(page + i, sizeof(page) - i,
					      "page %zu of %s ", off, name);
		if (fdio_write(fd, page, sizeof(page), -1))
			rc = BL_ERR_IO;
	}
	return rc;
}

static int fake_resume(void *ctx, const char *name, char *err, size_t errlen)
{
	return with_guest(ctx, name, err, errlen, set_running);
}

static int fake_rename(void *ctx, const char *name, const char *new_name,
		       char *err, size_t errlen)
{
	struct fake *f = ctx;
	struct hv_guest *g;
	int rc = load(f);

	if (rc)
		return rc;
	g = lookup(f, name);
	if (!g || lookup(f, new_name) || strlen(new_name) >= sizeof(g->name)) {
		snprintf(err, errlen, "cannot rename \"%s\" to \"%s\"", name,
			 new_name);
		unlock(f);
		return BL_ERR_INVAL;
	}
	snprintf(g->name, sizeof(g->name), "%s", new_name);
	return save(f);
}

static int fake_restore(void *ctx, const struct hv_policy *policy,
			const char *config, const char *name, int fd, char *err,
			size_t errlen)
{
	struct fake *f = ctx;
	libxl_domain_config cfg;
	struct hv_guest *g;
	char buf[65536];
	size_t total = 0;
	ssize_t r;
	int rc;

	libxl_domain_config_init(&cfg);
	rc = hv_config_load(policy, "the guest's configuration", config,
			    strlen(config), &cfg, err, errlen);
	while (!rc && (r = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)r;
	if (!rc && total != save_bytes()) {
		snprintf(err, errlen, "restore got %zu bytes, not %zu", total,
			 save_bytes());
		rc = BL_ERR_PROTO;
	}
	if (!rc)
		rc = load(f);
	if (rc)
		goto out;
	g = lookup(f, name)
		? NULL
		: add_guest(
		      f, name, HV_STATE_PAUSED, cfg.b_info.target_memkb,
		      (uint32_t)libxl_bitmap_count_set(&cfg.b_info.avail_vcpus),
		      0);
	if (!g) {
		unlock(f);
		snprintf(err, errlen, "cannot restore \"%s\"", name);
		rc = BL_ERR_BUSY;
		goto out;
	}
	/* The generation is the destination's to set, at adopt. */
	g->generation = 0;
	rc = keep_and_save(f, g->domid, &cfg, err, errlen);
out:
	libxl_domain_config_dispose(&cfg);
	return rc;
}

static int fake_adopt(void *ctx, const char *name, uint64_t generation,
		      char *err, size_t errlen)
{
	struct fake *f = ctx;
	struct hv_guest *g;
	int rc = load_guest(f, name, &g, err, errlen);

	if (rc)
		return rc;
	g->generation = generation;
	g->state = HV_STATE_RUNNING;
	return save(f);
}

const struct hv_ops hv_fake_ops = {
    .name = "fake",
    .open = fake_open,
    .close = fake_close,
    .node_info = fake_node_info,
    .list = fake_list,
    .info = fake_info,
    .create = fake_create,
    .destroy = fake_destroy,
    .destroy_domid = fake_destroy_domid,
    .shutdown = fake_shutdown,
    .reboot = fake_reboot,
    .pause = fake_pause,
    .unpause = fake_unpause,
    .console_path = fake_console_path,
    .reap = fake_reap,
    .config_text = fake_config_text,
    .suspendable = fake_suspendable,
    .suspended = fake_suspended,
    /* no cap, set_cap: its save has no pre-copy rounds to throttle */
    .save_live = fake_save_live,
    .resume = fake_resume,
    .rename = fake_rename,
    .restore = fake_restore,
    .adopt = fake_adopt,
    .disks = fake_disks,
    .vifs = fake_vifs,
};
