/*
 * A test hypervisor (like libvirt's test driver), for the unit and host
 * tiers only: guests are lines in a state file, so the forked connection
 * handlers of a blanketd share them. Configs go through the real xl.cfg
 * parser, so a config the fake accepts is one libxl would be given.
 * The file is $BLANKET_FAKE_HV (required): "name domid state mem_kib vcpus".
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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
	size_t n;
};

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
	while (f->n < FAKE_MAX_GUESTS && fgets(line, sizeof(line), in)) {
		struct hv_guest *g = &f->g[f->n];
		unsigned int state;

		memset(g, 0, sizeof(*g));
		if (sscanf(line, "%63s %" SCNu32 " %u %" SCNu64 " %" SCNu32,
			   g->name, &g->domid, &state, &g->mem_kib,
			   &g->vcpus) == 5 &&
		    state <= HV_STATE_SUSPENDED) {
			g->state = (enum hv_guest_state)state;
			f->n++;
		}
	}
	fclose(in);
	return BL_OK;
}

static void unlock(struct fake *f)
{
	flock(f->fd, LOCK_UN);
}

static int save(struct fake *f)
{
	char buf[FAKE_MAX_GUESTS * 128];
	size_t off = 0;
	int rc = BL_OK;

	for (size_t i = 0; i < f->n; i++)
		off += (size_t)snprintf(
		    buf + off, sizeof(buf) - off, "%s %u %u %llu %u\n",
		    f->g[i].name, f->g[i].domid, (unsigned int)f->g[i].state,
		    (unsigned long long)f->g[i].mem_kib, f->g[i].vcpus);
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

static int fake_info(void *ctx, const char *name, struct hv_guest *guest_r)
{
	struct fake *f = ctx;
	struct hv_guest *g;
	int rc = load(f);

	if (rc)
		return rc;
	g = lookup(f, name);
	if (g)
		*guest_r = *g;
	unlock(f);
	return g ? BL_OK : BL_ERR_NOTFOUND;
}

static int fake_create(void *ctx, const char *source, const char *config,
		       size_t len, struct hv_guest *guest_r, char *err,
		       size_t errlen)
{
	struct fake *f = ctx;
	libxl_domain_config cfg;
	struct hv_guest *g;
	uint32_t domid = 1;
	int rc;

	libxl_domain_config_init(&cfg);
	rc = hv_xlcfg_parse(source, config, len, &cfg, err, errlen);
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
	for (size_t i = 0; i < f->n; i++)
		if (f->g[i].domid >= domid)
			domid = f->g[i].domid + 1;
	g = &f->g[f->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", cfg.c_info.name);
	g->domid = domid;
	g->state = HV_STATE_RUNNING;
	g->mem_kib = cfg.b_info.target_memkb;
	g->vcpus = (uint32_t)libxl_bitmap_count_set(&cfg.b_info.avail_vcpus);
	*guest_r = *g;
	rc = save(f);
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
	int rc = load(f);

	if (rc)
		return rc;
	g = lookup(f, name);
	if (!g) {
		snprintf(err, errlen, "no guest named \"%s\"", name);
		unlock(f);
		return BL_ERR_NOTFOUND;
	}
	fn(f, g);
	return save(f);
}

static void remove_guest(struct fake *f, struct hv_guest *g)
{
	*g = f->g[--f->n];
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

/* A fake guest obeys at once: shut down means gone. */
static int fake_shutdown(void *ctx, const char *name, int timeout_s, bool force,
			 char *err, size_t errlen)
{
	(void)timeout_s;
	(void)force;
	return with_guest(ctx, name, err, errlen, remove_guest);
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

/* Migration: a fake guest's saved state is its record plus 4 MiB of
 * guest-like memory (mostly zero pages, some text), so the stream codec and
 * the handover run for real between two fake nodes. */
#define FAKE_SAVE_BYTES (4u << 20)

static int fake_config_json(void *ctx, const char *name, char **json_r,
			    char *err, size_t errlen)
{
	struct hv_guest g;

	if (fake_info(ctx, name, &g)) {
		snprintf(err, errlen, "no guest named \"%s\"", name);
		return BL_ERR_NOTFOUND;
	}
	return asprintf(json_r,
			"{\"fake\": true, \"mem_kib\": %" PRIu64
			", \"vcpus\": %" PRIu32 "}",
			g.mem_kib, g.vcpus) < 0
		   ? BL_ERR_NOMEM
		   : BL_OK;
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

	for (uint32_t off = 0; !rc && off < FAKE_SAVE_BYTES;
	     off += sizeof(page)) {
		/* One page in eight is full of text (512 KiB in all, which
		 * deflate shrinks); the rest are zero. */
		memset(page, 0, sizeof(page));
		for (size_t i = 0;
		     (off / sizeof(page)) % 8 == 0 && i < sizeof(page) - 1;)
			i += (size_t)snprintf(page + i, sizeof(page) - i,
					      "page %u of %s ", off, name);
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

static int fake_restore(void *ctx, const char *json, const char *name, int fd,
			char *err, size_t errlen)
{
	struct fake *f = ctx;
	struct hv_guest *g;
	unsigned long long mem;
	unsigned int vcpus;
	char buf[65536];
	size_t total = 0;
	ssize_t r;
	int rc;

	if (sscanf(json, "{\"fake\": true, \"mem_kib\": %llu, \"vcpus\": %u}",
		   &mem, &vcpus) != 2) {
		snprintf(err, errlen,
			 "not a configuration of the test "
			 "hypervisor");
		return BL_ERR_PROTO;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)r;
	if (total != FAKE_SAVE_BYTES) {
		snprintf(err, errlen, "restore got %zu bytes, not %u", total,
			 FAKE_SAVE_BYTES);
		return BL_ERR_PROTO;
	}
	rc = load(f);
	if (rc)
		return rc;
	if (f->n == FAKE_MAX_GUESTS || lookup(f, name)) {
		unlock(f);
		snprintf(err, errlen, "cannot restore \"%s\"", name);
		return BL_ERR_BUSY;
	}
	g = &f->g[f->n++];
	memset(g, 0, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->domid = 100 + (uint32_t)f->n;
	g->state = HV_STATE_PAUSED;
	g->mem_kib = mem;
	g->vcpus = vcpus;
	return save(f);
}

static int fake_adopt(void *ctx, const char *name, char *err, size_t errlen)
{
	return with_guest(ctx, name, err, errlen, set_running);
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
    .shutdown = fake_shutdown,
    .reboot = fake_reboot,
    .pause = fake_pause,
    .unpause = fake_unpause,
    .console_path = fake_console_path,
    .reap = fake_reap,
    .config_json = fake_config_json,
    .save_live = fake_save_live,
    .resume = fake_resume,
    .rename = fake_rename,
    .restore = fake_restore,
    .adopt = fake_adopt,
};
