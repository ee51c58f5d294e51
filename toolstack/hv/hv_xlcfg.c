/*
 * xl.cfg(5) -> libxl_domain_config for PV guests.
 *
 * libxlutil parses the syntax (and reports errors with file and line) and
 * parses disk specs; what xl's own parser does beyond that lives in xl, not in
 * a library, so the subset blanket supports is mapped here, key by key. A key
 * outside the subset is refused by name rather than silently dropped: a guest
 * must not come up without a device its file asked for.
 */
#include "toolstack/hv/hv_xlcfg.h"
#include "toolstack/hv/hv.h"
#include "toolstack/hv/hv_policy.h"
#include "toolstack/common/prefix.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <libxl_utils.h>
#include <libxlutil.h>

/* Keys blanket understands; everything else in a file is an error. */
static const char *const known_keys[] = {
    "name", "type",	   "kernel",	"ramdisk",  "extra",	"cmdline",
    "root", "memory",	   "maxmem",	"vcpus",    "maxvcpus", "disk",
    "vif",  "on_poweroff", "on_reboot", "on_crash", "uuid",	"bootloader",
};

#define N_KNOWN (sizeof(known_keys) / sizeof(known_keys[0]))

struct parse {
	const char *source;
	XLU_Config *xlu;
	char *err;
	size_t errlen;
};

static int fail(struct parse *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int fail(struct parse *p, const char *fmt, ...)
{
	int n = snprintf(p->err, p->errlen, "%s: ", p->source);
	va_list ap;

	if (n < 0 || (size_t)n >= p->errlen)
		return BL_ERR_INVAL;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return BL_ERR_INVAL;
}

static bool is_known(const char *key, size_t len)
{
	for (size_t i = 0; i < N_KNOWN; i++)
		if (strlen(known_keys[i]) == len &&
		    strncmp(known_keys[i], key, len) == 0)
			return true;
	return false;
}

/* Find "key =" at the start of each line (after blanks) and refuse keys
 * outside the table, naming the line. Continuation lines of lists start
 * with a quote or bracket, never with an identifier followed by '='. */
static int check_keys(struct parse *p, const char *text, size_t len)
{
	size_t i = 0;
	int line = 1;

	while (i < len) {
		size_t start, klen;

		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		start = i;
		while (i < len &&
		       (isalnum((unsigned char)text[i]) || text[i] == '_'))
			i++;
		klen = i - start;
		while (i < len && (text[i] == ' ' || text[i] == '\t'))
			i++;
		if (klen && i < len && text[i] == '=' &&
		    !isdigit((unsigned char)text[start]) &&
		    !is_known(text + start, klen)) {
			snprintf(p->err, p->errlen,
				 "%s:%d: setting \"%.*s\" is not supported by "
				 "blanket",
				 p->source, line, (int)klen, text + start);
			return BL_ERR_INVAL;
		}
		while (i < len && text[i] != '\n')
			i++;
		i++;
		line++;
	}
	return BL_OK;
}

/* Optional string: BL_OK with *v_r NULL when absent. */
static int get_string(struct parse *p, const char *key, const char **v_r)
{
	int r = xlu_cfg_get_string(p->xlu, key, v_r, 1);

	if (r == ESRCH) {
		*v_r = NULL;
		return BL_OK;
	}
	if (r)
		return fail(p, "%s must be a string", key);
	return BL_OK;
}

static int dup_string(struct parse *p, const char *key, char **dst)
{
	const char *v;
	int rc = get_string(p, key, &v);

	if (rc || !v)
		return rc;
	free(*dst);
	*dst = strdup(v);
	return *dst ? BL_OK : BL_ERR_NOMEM;
}

/* Optional positive number: *v_r untouched when absent. */
static int get_long(struct parse *p, const char *key, long max, long *v_r)
{
	long v;
	int r = xlu_cfg_get_long(p->xlu, key, &v, 1);

	if (r == ESRCH)
		return BL_OK;
	if (r || v <= 0 || v > max)
		return fail(p, "%s must be a number from 1 to %ld", key, max);
	*v_r = v;
	return BL_OK;
}

static int get_action(struct parse *p, const char *key,
		      libxl_action_on_shutdown *a)
{
	const char *v;
	int rc = get_string(p, key, &v);

	if (rc || !v)
		return rc;
	if (libxl_action_on_shutdown_from_string(v, a))
		return fail(p, "%s: unknown action \"%s\"", key, v);
	return BL_OK;
}

static int parse_basics(struct parse *p, libxl_domain_config *cfg)
{
	libxl_domain_create_info *c = &cfg->c_info;
	libxl_domain_build_info *b = &cfg->b_info;
	long memory = 128, maxmem = 0, vcpus = 1, maxvcpus = 0;
	const char *type, *uuid, *extra, *root;
	char *cmdline = NULL, why[BL_ERRMSG_MAX];
	int rc;

	rc = get_string(p, "type", &type);
	if (rc)
		return rc;
	if (type && strcmp(type, "pv") != 0)
		return fail(p,
			    "type \"%s\" is not supported: blanket nodes run "
			    "PV guests (no hardware virtualization on the L0)",
			    type);
	c->type = LIBXL_DOMAIN_TYPE_PV;
	libxl_domain_build_info_init_type(b, LIBXL_DOMAIN_TYPE_PV);
	rc = dup_string(p, "name", &c->name);
	if (rc)
		return rc;
	if (!c->name || !c->name[0])
		return fail(p, "name is required");
	rc = hv_check_name(c->name, why, sizeof(why));
	if (rc)
		return fail(p, "%s", why);
	rc = get_string(p, "uuid", &uuid);
	if (rc)
		return rc;
	if (uuid && libxl_uuid_from_string(&c->uuid, uuid))
		return fail(p, "uuid \"%s\" is not a UUID", uuid);
	if (!uuid)
		libxl_uuid_generate(&c->uuid);

	/* Sizes: MiB in the file, KiB in libxl; at most 1 TiB. */
	rc = get_long(p, "memory", 1L << 20, &memory);
	if (!rc)
		rc = get_long(p, "maxmem", 1L << 20, &maxmem);
	if (!rc)
		rc = get_long(p, "vcpus", 128, &vcpus);
	if (!rc)
		rc = get_long(p, "maxvcpus", 128, &maxvcpus);
	if (rc)
		return rc;
	if (maxmem && maxmem < memory)
		return fail(p, "maxmem (%ld) is less than memory (%ld)", maxmem,
			    memory);
	if (maxvcpus && maxvcpus < vcpus)
		return fail(p, "maxvcpus (%ld) is less than vcpus (%ld)",
			    maxvcpus, vcpus);
	b->target_memkb = (uint64_t)memory * 1024;
	b->max_memkb = (uint64_t)(maxmem ? maxmem : memory) * 1024;
	b->max_vcpus = (int)(maxvcpus ? maxvcpus : vcpus);
	/* libxl's allocator needs a ctx (a running Xen): parsing must work
	 * without one, so fill the bitmap (bytes, freed by dispose) here. */
	b->avail_vcpus.size = (uint32_t)(b->max_vcpus + 7) / 8;
	b->avail_vcpus.map = calloc(b->avail_vcpus.size, 1);
	if (!b->avail_vcpus.map)
		return BL_ERR_NOMEM;
	for (long i = 0; i < vcpus; i++)
		libxl_bitmap_set(&b->avail_vcpus, (int)i);

	rc = dup_string(p, "kernel", &b->kernel);
	if (!rc)
		rc = dup_string(p, "ramdisk", &b->ramdisk);
	if (!rc)
		rc = dup_string(p, "bootloader", &b->u.pv.bootloader);
	if (rc)
		return rc;
	if (!b->kernel && !b->u.pv.bootloader)
		return fail(p, "kernel (or bootloader) is required");
	/* xl's rule: cmdline wins; else "root=ROOT EXTRA". */
	rc = dup_string(p, "cmdline", &cmdline);
	if (!rc && !cmdline) {
		rc = get_string(p, "root", &root);
		if (!rc)
			rc = get_string(p, "extra", &extra);
		if (!rc && (root || extra) &&
		    asprintf(&cmdline, "%s%s%s%s", root ? "root=" : "",
			     root ? root : "", root && extra ? " " : "",
			     extra ? extra : "") < 0)
			rc = BL_ERR_NOMEM;
	}
	b->cmdline = cmdline;
	if (rc)
		return rc;
	/* xl's defaults. */
	cfg->on_poweroff = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	cfg->on_reboot = LIBXL_ACTION_ON_SHUTDOWN_RESTART;
	cfg->on_crash = LIBXL_ACTION_ON_SHUTDOWN_DESTROY;
	rc = get_action(p, "on_poweroff", &cfg->on_poweroff);
	if (!rc)
		rc = get_action(p, "on_reboot", &cfg->on_reboot);
	if (!rc)
		rc = get_action(p, "on_crash", &cfg->on_crash);
	return rc;
}

static int parse_disks(struct parse *p, libxl_domain_config *cfg)
{
	XLU_ConfigList *list;
	int n, r;

	r = xlu_cfg_get_list(p->xlu, "disk", &list, &n, 1);
	if (r == ESRCH)
		return BL_OK;
	if (r)
		return fail(p, "disk must be a list of disk specifications");
	cfg->disks = calloc((size_t)n, sizeof(*cfg->disks));
	if (n && !cfg->disks)
		return BL_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		const char *spec = xlu_cfg_get_listitem(list, i);

		libxl_device_disk_init(&cfg->disks[i]);
		cfg->num_disks = i + 1;
		if (!spec ||
		    xlu_disk_parse(p->xlu, 1, &spec, &cfg->disks[i]) != 0)
			return fail(p, "disk %d: invalid specification \"%s\"",
				    i, spec ? spec : "");
	}
	return BL_OK;
}

static int parse_mac(const char *s, libxl_mac mac)
{
	unsigned int b[6];
	char end;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &end) != 6)
		return BL_ERR_INVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)b[i];
	return BL_OK;
}

/* One vif spec: comma-separated key=value (mac, bridge, ip, script,
 * vifname, rate), as in xl-network-configuration(5). */
static int parse_vif(struct parse *p, int idx, const char *spec,
		     libxl_device_nic *nic)
{
	char *copy = strdup(spec), *save = NULL, *tok;
	int rc = BL_OK;

	if (!copy)
		return BL_ERR_NOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !rc;
	     tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		char **dst = NULL;

		while (*tok == ' ')
			tok++;
		if (!eq) {
			rc = fail(p, "vif %d: \"%s\" is not key=value", idx,
				  tok);
			break;
		}
		*eq = '\0';
		if (!strcmp(tok, "mac")) {
			if (parse_mac(eq + 1, nic->mac))
				rc = fail(p, "vif %d: bad mac \"%s\"", idx,
					  eq + 1);
			continue;
		}
		if (!strcmp(tok, "rate")) {
			if (xlu_vif_parse_rate(p->xlu, eq + 1, nic))
				rc = fail(p,
					  "vif %d: bad rate \"%s\" (a rate "
					  "such as 10Mb/s, or 10Mb/s@20ms)",
					  idx, eq + 1);
			continue;
		}
		if (!strcmp(tok, "ip") && !ipv4_addr_valid(eq + 1)) {
			rc = fail(p,
				  "vif %d: ip \"%s\" is not one IPv4 address "
				  "(A.B.C.D)",
				  idx, eq + 1);
			break;
		}
		if (!strcmp(tok, "bridge"))
			dst = &nic->bridge;
		else if (!strcmp(tok, "ip"))
			dst = &nic->ip;
		else if (!strcmp(tok, "script"))
			dst = &nic->script;
		else if (!strcmp(tok, "vifname"))
			dst = &nic->ifname;
		if (!dst) {
			rc = fail(p,
				  "vif %d: setting \"%s\" is not supported "
				  "(mac, bridge, ip, rate, script, vifname)",
				  idx, tok);
			break;
		}
		free(*dst);
		*dst = strdup(eq + 1);
		if (!*dst)
			rc = BL_ERR_NOMEM;
	}
	free(copy);
	return rc;
}

static int parse_vifs(struct parse *p, libxl_domain_config *cfg)
{
	XLU_ConfigList *list;
	int n, r, rc;

	r = xlu_cfg_get_list(p->xlu, "vif", &list, &n, 1);
	if (r == ESRCH)
		return BL_OK;
	if (r)
		return fail(p, "vif must be a list of network specifications");
	if (n > (int)HV_VIFS_MAX)
		return fail(p, "vif: %d network specifications (at most %d)", n,
			    HV_VIFS_MAX);
	cfg->nics = calloc((size_t)n, sizeof(*cfg->nics));
	if (n && !cfg->nics)
		return BL_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		const char *spec = xlu_cfg_get_listitem(list, i);

		libxl_device_nic_init(&cfg->nics[i]);
		cfg->nics[i].devid = i;
		cfg->num_nics = i + 1;
		rc = parse_vif(p, i, spec ? spec : "", &cfg->nics[i]);
		if (rc)
			return rc;
	}
	return BL_OK;
}

int hv_xlcfg_parse(const char *source, const char *text, size_t len,
		   libxl_domain_config *cfg, char *err, size_t errlen)
{
	struct parse p = {source, NULL, err, errlen};
	char *report_buf = NULL;
	size_t report_len = 0;
	FILE *report = NULL;
	int rc;

	if (len > 1u << 20)
		return fail(&p, "file is larger than 1 MiB");
	if (memchr(text, '\0', len))
		return fail(&p, "file contains a NUL byte");
	rc = check_keys(&p, text, len);
	if (rc)
		return rc;
	report = open_memstream(&report_buf, &report_len);
	if (!report)
		return BL_ERR_NOMEM;
	p.xlu = xlu_cfg_init(report, source);
	if (!p.xlu) {
		rc = BL_ERR_NOMEM;
		goto out;
	}
	if (xlu_cfg_readdata(p.xlu, text, (int)len)) {
		fflush(report);
		/* libxlutil's own "file:line: ..." message. */
		snprintf(err, errlen, "%.*s",
			 (int)strcspn(report_buf ? report_buf : "", "\n"),
			 report_buf ? report_buf : "syntax error");
		rc = BL_ERR_INVAL;
		goto out;
	}
	rc = parse_basics(&p, cfg);
	if (!rc)
		rc = parse_disks(&p, cfg);
	if (!rc)
		rc = parse_vifs(&p, cfg);
	fflush(report);
	/* xlu_disk_parse explains a bad spec in the report. */
	if (rc == BL_ERR_INVAL && report_len)
		snprintf(err + strlen(err), errlen - strlen(err), " (%.*s)",
			 (int)strcspn(report_buf, "\n"), report_buf);
out:
	if (p.xlu)
		xlu_cfg_destroy(p.xlu);
	fclose(report);
	free(report_buf);
	return rc;
}

static bool mac_is_set(const libxl_mac mac)
{
	for (int i = 0; i < 6; i++)
		if (mac[i])
			return true;
	return false;
}

void hv_mac_text(const libxl_mac mac, char *buf, size_t len)
{
	if (!mac_is_set(mac))
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
			 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static const char *or_none(const char *s)
{
	return s ? s : "(none)";
}

void hv_xlcfg_describe(const libxl_domain_config *cfg, FILE *out)
{
	const libxl_domain_build_info *b = &cfg->b_info;

	fprintf(out, "name = %s\ntype = pv\n", or_none(cfg->c_info.name));
	fprintf(out, "kernel = %s\nramdisk = %s\ncmdline = %s\n",
		or_none(b->kernel), or_none(b->ramdisk), or_none(b->cmdline));
	if (b->u.pv.bootloader)
		fprintf(out, "bootloader = %s\n", b->u.pv.bootloader);
	fprintf(out, "memory_kib = %llu\nmaxmem_kib = %llu\n",
		(unsigned long long)b->target_memkb,
		(unsigned long long)b->max_memkb);
	fprintf(out, "vcpus = %d\nmaxvcpus = %d\n",
		libxl_bitmap_count_set(&b->avail_vcpus), b->max_vcpus);
	fprintf(out, "on_poweroff = %s\non_reboot = %s\non_crash = %s\n",
		libxl_action_on_shutdown_to_string(cfg->on_poweroff),
		libxl_action_on_shutdown_to_string(cfg->on_reboot),
		libxl_action_on_shutdown_to_string(cfg->on_crash));
	for (int i = 0; i < cfg->num_disks; i++) {
		const libxl_device_disk *d = &cfg->disks[i];

		fprintf(
		    out, "disk[%d] = vdev=%s target=%s format=%s access=%s%s\n",
		    i, or_none(d->vdev), or_none(d->pdev_path),
		    libxl_disk_format_to_string(d->format),
		    d->readwrite ? "rw" : "ro", d->is_cdrom ? " cdrom" : "");
	}
	for (int i = 0; i < cfg->num_nics; i++) {
		const libxl_device_nic *n = &cfg->nics[i];
		char mac[18];

		hv_mac_text(n->mac, mac, sizeof(mac));
		fprintf(out, "vif[%d] = mac=%s", i, mac[0] ? mac : "(auto)");
		fprintf(out, " bridge=%s ip=%s script=%s vifname=%s",
			or_none(n->bridge), or_none(n->ip), or_none(n->script),
			or_none(n->ifname));
		if (n->rate_bytes_per_interval)
			fprintf(out, " rate=%lluB/%uus",
				(unsigned long long)n->rate_bytes_per_interval,
				n->rate_interval_usecs);
		fprintf(out, "\n");
	}
}

int hv_config_name(const char *source, const char *config, size_t len,
		   char *name_r, size_t namelen, char *err, size_t errlen)
{
	libxl_domain_config cfg;
	int rc;

	libxl_domain_config_init(&cfg);
	rc = hv_xlcfg_parse(source, config, len, &cfg, err, errlen);
	if (!rc)
		snprintf(name_r, namelen, "%s", cfg.c_info.name);
	libxl_domain_config_dispose(&cfg);
	return rc;
}

int hv_config_load(const struct hv_policy *policy, const char *source,
		   const char *text, size_t len, libxl_domain_config *cfg,
		   char *err, size_t errlen)
{
	int rc = hv_xlcfg_parse(source, text, len, cfg, err, errlen);

	return rc ? rc : hv_policy_check(policy, cfg, err, errlen);
}

int hv_config_admit(const struct hv_policy *policy, const char *text,
		    size_t len, const char *name, char *err, size_t errlen)
{
	libxl_domain_config cfg;
	int rc;

	libxl_domain_config_init(&cfg);
	rc = hv_config_load(policy, "the guest's configuration", text, len,
			    &cfg, err, errlen);
	if (!rc && strcmp(cfg.c_info.name, name)) {
		snprintf(err, errlen,
			 "the guest's configuration names another guest");
		rc = BL_ERR_INVAL;
	}
	libxl_domain_config_dispose(&cfg);
	return rc;
}

bool hv_xvd_devid(const char *vdev, uint32_t *devid_r)
{
	const char *p = vdev + 3;
	uint32_t disk = 0, part = 0;
	size_t letters = 0;

	if (strncmp(vdev, "xvd", 3))
		return false;
	/* Letters: a..z, aa..zz, aaa..: bijective base 26. */
	for (; *p >= 'a' && *p <= 'z' && letters < 3; p++, letters++)
		disk = disk * 26 + (uint32_t)(*p - 'a' + 1);
	if (!letters || (*p >= 'a' && *p <= 'z'))
		return false;
	disk--;
	if (*p) {
		if (*p == '0' || strlen(p) > 3 ||
		    strspn(p, "0123456789") != strlen(p))
			return false;
		part = (uint32_t)atoi(p);
	}
	if (disk < 16 && part < 16)
		*devid_r = (202u << 8) | (disk << 4) | part;
	else if (disk < (1u << 20) && part < 256)
		*devid_r = (1u << 28) | (disk << 8) | part;
	else
		return false;
	return true;
}

/* A running guest's configuration, as blanketd keeps it, into *cfg (which
 * the caller disposes of, parsed or not). */
static int parse_kept(const char *config, size_t len, libxl_domain_config *cfg,
		      char *err, size_t errlen)
{
	libxl_domain_config_init(cfg);
	return hv_xlcfg_parse("the guest's configuration", config, len, cfg,
			      err, errlen);
}

int hv_config_disks(const char *config, size_t len, struct hv_disk *disks,
		    size_t *n_r, char *err, size_t errlen)
{
	libxl_domain_config cfg;
	int rc;

	rc = parse_kept(config, len, &cfg, err, errlen);
	if (!rc && cfg.num_disks > (int)HV_DISKS_MAX) {
		snprintf(err, errlen, "%d disks: at most %d move with a guest",
			 cfg.num_disks, HV_DISKS_MAX);
		rc = BL_ERR_INVAL;
	}
	*n_r = 0;
	for (int i = 0; !rc && i < cfg.num_disks; i++) {
		const libxl_device_disk *d = &cfg.disks[i];
		struct hv_disk *o = &disks[i];

		memset(o, 0, sizeof(*o));
		if (!d->vdev || strlen(d->vdev) >= sizeof(o->vdev) ||
		    !hv_xvd_devid(d->vdev, &o->devid)) {
			snprintf(err, errlen,
				 "disk %d: vdev \"%.40s\": only xvd devices "
				 "(xvda, xvdb...) are served",
				 i, d->vdev ? d->vdev : "");
			rc = BL_ERR_INVAL;
		} else if (!d->pdev_path || d->pdev_path[0] != '/' ||
			   strlen(d->pdev_path) >= sizeof(o->path) ||
			   d->format != LIBXL_DISK_FORMAT_RAW || d->is_cdrom) {
			snprintf(err, errlen,
				 "disk %d (%s): only raw image files with an "
				 "absolute target move with a guest",
				 i, d->vdev);
			rc = BL_ERR_INVAL;
		} else {
			snprintf(o->vdev, sizeof(o->vdev), "%s", d->vdev);
			snprintf(o->path, sizeof(o->path), "%s", d->pdev_path);
			o->readonly = !d->readwrite;
			*n_r = (size_t)i + 1;
		}
	}
	libxl_domain_config_dispose(&cfg);
	return rc;
}

int hv_config_vifs(const char *config, size_t len, struct hv_vif_state *vifs,
		   size_t *n_r, char *err, size_t errlen)
{
	libxl_domain_config cfg;
	int rc;

	rc = parse_kept(config, len, &cfg, err, errlen);
	*n_r = 0;
	for (int i = 0; !rc && i < cfg.num_nics; i++) {
		const libxl_device_nic *n = &cfg.nics[i];
		struct hv_vif_state *o = &vifs[i];

		memset(o, 0, sizeof(*o));
		o->devid = (uint32_t)n->devid;
		hv_mac_text(n->mac, o->mac, sizeof(o->mac));
		snprintf(o->bridge, sizeof(o->bridge), "%s",
			 n->bridge ? n->bridge : "");
		snprintf(o->ifname, sizeof(o->ifname), "%s",
			 n->ifname ? n->ifname : "");
		snprintf(o->ip, sizeof(o->ip), "%s", n->ip ? n->ip : "");
		*n_r = (size_t)i + 1;
	}
	libxl_domain_config_dispose(&cfg);
	return rc;
}

/* s as an xl.cfg string between quote characters q: the escapes libxlutil
 * reads back (its numeric ones lose the character, so other control
 * characters are refused). */
static int put_quoted(FILE *out, char q, const char *s, const char *key,
		      char *err, size_t errlen)
{
	static const char plain[] = "\a\b\f\n\r\t\v", named[] = "abfnrtv";

	fputc(q, out);
	for (; *s; s++) {
		const char *e = strchr(plain, *s);

		if (*s && e) {
			fprintf(out, "\\%c", named[e - plain]);
		} else if (*s == '\\' || *s == '"' || *s == '\'') {
			fprintf(out, "\\%c", *s);
		} else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
			snprintf(err, errlen,
				 "%s holds a control character (0x%02x) that "
				 "an xl.cfg file cannot carry",
				 key, (unsigned char)*s);
			return BL_ERR_INVAL;
		} else {
			fputc(*s, out);
		}
	}
	fputc(q, out);
	return BL_OK;
}

static int put_string(FILE *out, const char *key, const char *value, char *err,
		      size_t errlen)
{
	int rc;

	if (!value)
		return BL_OK;
	fprintf(out, "%s = ", key);
	rc = put_quoted(out, '"', value, key, err, errlen);
	fputc('\n', out);
	return rc;
}

/* Whether a disk spec can carry value: no line breaks (the spec's reader
 * takes a line), and no comma unless last (target). */
static bool disk_value_ok(const char *value, bool last)
{
	for (const char *c = value; c && *c; c++)
		if ((unsigned char)*c < 0x20 || (*c == ',' && !last))
			return false;
	return true;
}

/* A disk as xlu_disk_parse reads it: target last, as it may hold commas. */
static int put_disk(FILE *out, int i, const libxl_device_disk *d, char *err,
		    size_t errlen)
{
	char *spec = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	if (!disk_value_ok(d->vdev, false) ||
	    !disk_value_ok(d->script, false) ||
	    !disk_value_ok(d->pdev_path, true)) {
		snprintf(err, errlen,
			 "disk %d holds a character a disk specification "
			 "cannot carry",
			 i);
		return BL_ERR_INVAL;
	}
	f = open_memstream(&spec, &len);
	if (!f)
		return BL_ERR_NOMEM;
	fprintf(f, "format=%s, vdev=%s, access=%s",
		libxl_disk_format_to_string(d->format), d->vdev,
		d->readwrite ? "rw" : "ro");
	if (d->backend != LIBXL_DISK_BACKEND_UNKNOWN)
		fprintf(f, ", backendtype=%s",
			libxl_disk_backend_to_string(d->backend));
	if (d->is_cdrom)
		fprintf(f, ", devtype=cdrom");
	if (d->script)
		fprintf(f, ", script=%s", d->script);
	fprintf(f, ", target=%s", d->pdev_path ? d->pdev_path : "");
	fclose(f);
	rc = spec ? put_quoted(out, '\'', spec, "disk", err, errlen)
		  : BL_ERR_NOMEM;
	free(spec);
	return rc;
}

/* ",rate=..." for a nic with a rate. libxlutil keeps bytes per interval,
 * floor(B/s * us / 10^6), from a rate of at most 2^32 - 1 units (B, KB,
 * MB, GB a second): the least such rate that gives the same bytes back,
 * which one exists for (the file's own). */
static void put_rate(FILE *f, const libxl_device_nic *n)
{
	static const char *const units[] = {"", "K", "M", "G"};
	unsigned __int128 us = n->rate_interval_usecs, lo, hi, unit = 1;

	if (!n->rate_bytes_per_interval || !us)
		return;
	lo =
	    ((unsigned __int128)n->rate_bytes_per_interval * 1000000 + us - 1) /
	    us;
	/* past the last rate that gives them */
	hi = ((unsigned __int128)(n->rate_bytes_per_interval + 1) * 1000000 +
	      us - 1) /
	     us;
	for (size_t i = 0; i < 4; i++, unit *= 1000) {
		unsigned __int128 x = (lo + unit - 1) / unit;

		if (x * unit < hi && x <= UINT32_MAX) {
			fprintf(f, ",rate=%llu%sB/s@%uus",
				(unsigned long long)x, units[i],
				n->rate_interval_usecs);
			return;
		}
	}
}

static int put_vif(FILE *out, const libxl_device_nic *n, char *err,
		   size_t errlen)
{
	const char *keys[] = {"bridge", "ip", "script", "vifname"};
	const char *values[] = {n->bridge, n->ip, n->script, n->ifname};
	char *spec = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&spec, &len);
	int rc;

	if (!f)
		return BL_ERR_NOMEM;
	fprintf(f, "mac=%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1],
		n->mac[2], n->mac[3], n->mac[4], n->mac[5]);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (values[i])
			fprintf(f, ",%s=%s", keys[i], values[i]);
	put_rate(f, n);
	fclose(f);
	rc = spec ? put_quoted(out, '\'', spec, "vif", err, errlen)
		  : BL_ERR_NOMEM;
	free(spec);
	return rc;
}

int hv_xlcfg_write(const libxl_domain_config *cfg, FILE *out, char *err,
		   size_t errlen)
{
	const libxl_domain_build_info *b = &cfg->b_info;
	char uuid[40];
	int rc;

	snprintf(uuid, sizeof(uuid), LIBXL_UUID_FMT,
		 LIBXL_UUID_BYTES(cfg->c_info.uuid));
	rc = put_string(out, "name", cfg->c_info.name, err, errlen);
	if (!rc) {
		fprintf(out, "type = \"pv\"\nuuid = \"%s\"\n", uuid);
		rc = put_string(out, "kernel", b->kernel, err, errlen);
	}
	if (!rc)
		rc = put_string(out, "ramdisk", b->ramdisk, err, errlen);
	if (!rc)
		rc = put_string(out, "cmdline", b->cmdline, err, errlen);
	if (!rc)
		rc = put_string(out, "bootloader", b->u.pv.bootloader, err,
				errlen);
	if (rc)
		return rc;
	fprintf(out, "memory = %llu\nmaxmem = %llu\n",
		(unsigned long long)(b->target_memkb / 1024),
		(unsigned long long)(b->max_memkb / 1024));
	fprintf(out, "vcpus = %d\nmaxvcpus = %d\n",
		libxl_bitmap_count_set(&b->avail_vcpus), b->max_vcpus);
	fprintf(out,
		"on_poweroff = \"%s\"\non_reboot = \"%s\"\n"
		"on_crash = \"%s\"\n",
		libxl_action_on_shutdown_to_string(cfg->on_poweroff),
		libxl_action_on_shutdown_to_string(cfg->on_reboot),
		libxl_action_on_shutdown_to_string(cfg->on_crash));
	fprintf(out, "disk = [");
	for (int i = 0; !rc && i < cfg->num_disks; i++) {
		fprintf(out, "%s", i ? ", " : " ");
		rc = put_disk(out, i, &cfg->disks[i], err, errlen);
	}
	fprintf(out, " ]\nvif = [");
	for (int i = 0; !rc && i < cfg->num_nics; i++) {
		fprintf(out, "%s", i ? ", " : " ");
		rc = put_vif(out, &cfg->nics[i], err, errlen);
	}
	fprintf(out, " ]\n");
	return rc;
}
