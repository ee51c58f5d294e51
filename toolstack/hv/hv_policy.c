/* The node policy of hv_policy.h: node.conf(5) and the checks every guest
 * configuration passes. A file a guest may read is one that resolves, links
 * and all, to a regular file inside an images folder: a link out of the
 * folder resolves outside it and is refused, and libxl is handed the
 * resolved path, not the one the user wrote. */
#include "toolstack/hv/hv_policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "toolstack/common/array.h"
#include "toolstack/hv/hv.h"
#include "toolstack/common/log.h"

#define MAN "node.conf(5)"

/* Xen's hotplug scripts (/etc/xen/scripts), by name: a guest's device may
 * name one of these and nothing else. */
static const char *const disk_scripts[] = {"block", HV_DISK_HOTPLUG};
static const char *const vif_scripts[] = {"vif-bridge", "vif-route", "vif-nat",
					  "vif-openvswitch", HV_VIF_HOTPLUG};

void hv_policy_default(struct hv_policy *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->images[0], sizeof(p->images[0]), "%s",
		 POLICY_DEFAULT_IMAGES);
	p->n_images = 1;
	p->max_memory_mb = POLICY_MEMORY_MB;
	p->max_vcpus = POLICY_VCPUS;
}

static int refuse(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return BL_ERR_DENIED;
}

/* One "key value" line into *p; BL_ERR_INVAL with err naming it. */
static int load_line(const char *path, int line, char *key, char *value,
		     bool *images_seen, struct hv_policy *p, char *err,
		     size_t errlen)
{
	char *end;
	long long n;

	if (!strcmp(key, "images") || !strcmp(key, "bootloader")) {
		bool images = key[0] == 'i';
		int *count = images ? &p->n_images : &p->n_bootloaders;
		char(*list)[PATH_MAX] = images ? p->images : p->bootloaders;

		if (images && !*images_seen) {
			*images_seen = true; /* the file's list replaces the
						default */
			p->n_images = 0;
		}
		if (value[0] != '/' || strlen(value) >= PATH_MAX) {
			snprintf(err, errlen,
				 "%s:%d: %s \"%s\": want an absolute path",
				 path, line, key, value);
			return BL_ERR_INVAL;
		}
		if (*count == POLICY_LIST_MAX) {
			snprintf(err, errlen, "%s:%d: more than %d %s lines",
				 path, line, POLICY_LIST_MAX, key);
			return BL_ERR_INVAL;
		}
		snprintf(list[(*count)++], PATH_MAX, "%s", value);
		return BL_OK;
	}
	errno = 0;
	n = strtoll(value, &end, 10);
	if (!strcmp(key, "max-memory-mb") || !strcmp(key, "max-vcpus")) {
		long long max = key[4] == 'm' ? 1LL << 20 : 128;

		if (errno || *end || n < 1 || n > max) {
			snprintf(err, errlen,
				 "%s:%d: %s \"%s\": want a number from 1 to "
				 "%lld",
				 path, line, key, value, max);
			return BL_ERR_INVAL;
		}
		if (key[4] == 'm')
			p->max_memory_mb = (uint64_t)n;
		else
			p->max_vcpus = (int)n;
		return BL_OK;
	}
	snprintf(err, errlen,
		 "%s:%d: unknown setting \"%s\" (" MAN
		 ": images, bootloader, max-memory-mb, max-vcpus)",
		 path, line, key);
	return BL_ERR_INVAL;
}

int hv_policy_load(const char *path, bool missing_ok, struct hv_policy *p,
		   char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	struct hv_policy next;
	bool images_seen = false;
	char buf[PATH_MAX + 64], shown[PATH_MAX + 64];
	int line = 0, rc = BL_OK;

	hv_policy_default(&next);
	if (!f && errno == ENOENT && missing_ok) {
		*p = next;
		return BL_OK;
	}
	if (!f) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	}
	snprintf(next.file, sizeof(next.file), "%s", path);
	while (!rc && fgets(buf, sizeof(buf), f)) {
		char key[32], value[PATH_MAX], extra;
		char *hash = strchr(buf, '#');
		int n;

		line++;
		if (!strchr(buf, '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%d: line too long", path,
				 line);
			rc = BL_ERR_INVAL;
			break;
		}
		if (hash)
			*hash = '\0';
		n = sscanf(buf, " %31s %4095s %c", key, value, &extra);
		if (n <= 0)
			continue;
		if (n != 2) {
			snprintf(err, errlen,
				 "%s:%d: want \"SETTING VALUE\": %s", path,
				 line, log_escape(buf, shown, sizeof(shown)));
			rc = BL_ERR_INVAL;
			break;
		}
		rc = load_line(path, line, key, value, &images_seen, &next, err,
			       errlen);
	}
	fclose(f);
	if (!rc)
		*p = next;
	return rc;
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, list[i]))
			return true;
	return false;
}

/* Whether resolved (a realpath) is inside one of p's images folders. */
static bool in_images(const struct hv_policy *p, const char *resolved)
{
	char dir[PATH_MAX];

	for (int i = 0; i < p->n_images; i++) {
		size_t n;

		if (!realpath(p->images[i], dir))
			continue;
		n = strlen(dir);
		if (!strncmp(resolved, dir, n) &&
		    (resolved[n] == '/' || (n == 1 && dir[0] == '/')))
			return true;
	}
	return false;
}

/* The file a guest setting names (setting: "kernel", "disk 0 target"):
 * a regular file in an images folder, reached however it is linked. On
 * success *value (malloc'd, libxl's) is the resolved path. */
static int check_file(const struct hv_policy *p, const char *setting,
		      char **value, char *err, size_t errlen)
{
	char resolved[PATH_MAX], shown[PATH_MAX];
	struct stat st;
	bool found;
	char *copy;
	int why;

	log_escape(*value, shown, sizeof(shown));
	if ((*value)[0] != '/')
		return refuse(err, errlen,
			      "%s \"%s\": want an absolute path in an images "
			      "folder of this node (" MAN ", \"images\")",
			      setting, shown);
	if (stat(*value, &st) == 0 && S_ISBLK(st.st_mode))
		return refuse(err, errlen,
			      "%s \"%s\": a block device of dom0's; guests "
			      "get image files from an images folder (" MAN
			      ", \"images\")",
			      setting, shown);
	/* A file that is not there is refused for where it would be first. */
	found = realpath(*value, resolved) != NULL;
	why = errno;
	if (!found && in_images(p, *value))
		return refuse(err, errlen, "%s \"%s\": %s on this node",
			      setting, shown, strerror(why));
	if (!found || !in_images(p, resolved))
		return refuse(err, errlen,
			      "%s \"%s\": not in an images folder of this "
			      "node (%s%s; " MAN ", \"images\")",
			      setting, shown,
			      p->n_images ? p->images[0] : "none",
			      p->n_images > 1 ? ", ..." : "");
	if (stat(resolved, &st) < 0 || !S_ISREG(st.st_mode))
		return refuse(err, errlen,
			      "%s \"%s\": not a regular file (" MAN
			      ", \"images\")",
			      setting, shown);
	copy = strdup(resolved);
	if (!copy)
		return BL_ERR_NOMEM;
	free(*value);
	*value = copy;
	return BL_OK;
}

int hv_policy_new_image(const struct hv_policy *p, const char *path, char *err,
			size_t errlen)
{
	char dir[PATH_MAX], resolved[PATH_MAX + 1], shown[PATH_MAX];
	const char *base = strrchr(path, '/');
	struct stat st;

	log_escape(path, shown, sizeof(shown));
	if (path[0] != '/' || !base || !base[1] || !strcmp(base, "/.") ||
	    !strcmp(base, "/..") || (size_t)(base - path) >= sizeof(dir))
		return refuse(err, errlen,
			      "image \"%s\": want an absolute path to a file",
			      shown);
	memcpy(dir, path, (size_t)(base - path));
	dir[base - path] = '\0';
	if (!realpath(dir[0] ? dir : "/", resolved) ||
	    strlen(resolved) + strlen(base) >= sizeof(resolved))
		return refuse(err, errlen, "image \"%s\": %s on this node",
			      shown, strerror(errno));
	strcat(resolved, base);
	if (!in_images(p, resolved))
		return refuse(err, errlen,
			      "image \"%s\": not in an images folder of this "
			      "node (%s%s; " MAN ", \"images\")",
			      shown, p->n_images ? p->images[0] : "none",
			      p->n_images > 1 ? ", ..." : "");
	if (lstat(resolved, &st) == 0) {
		snprintf(err, errlen, "image \"%s\": there is one already",
			 shown);
		return BL_ERR_BUSY;
	}
	return BL_OK;
}

static int check_script(const char *setting, const char *script,
			const char *const *allowed, size_t n, char *err,
			size_t errlen)
{
	char shown[PATH_MAX];

	if (!script || in_list(script, allowed, n))
		return BL_OK;
	return refuse(err, errlen,
		      "%s \"%s\": hotplug scripts are Xen's, by name (%s%s)",
		      setting, log_escape(script, shown, sizeof(shown)),
		      allowed[0], n > 1 ? ", ..." : "");
}

static int check_disk(const struct hv_policy *p, int i, libxl_device_disk *d,
		      char *err, size_t errlen)
{
	char setting[32];
	int rc;

	if (d->backend_domname || d->backend_domid)
		return refuse(err, errlen,
			      "disk %d backend: disks are served by dom0", i);
	if (d->colo_host || d->colo_export || d->active_disk || d->hidden_disk)
		return refuse(err, errlen, "disk %d: COLO is not supported", i);
	snprintf(setting, sizeof(setting), "disk %d script", i);
	rc = check_script(setting, d->script, disk_scripts,
			  ARRAY_LEN(disk_scripts), err, errlen);
	if (rc || !d->pdev_path || !d->pdev_path[0])
		return rc; /* an empty CD-ROM drive */
	snprintf(setting, sizeof(setting), "disk %d target", i);
	return check_file(p, setting, &d->pdev_path, err, errlen);
}

int hv_policy_check(const struct hv_policy *p, libxl_domain_config *cfg,
		    char *err, size_t errlen)
{
	libxl_domain_build_info *b = &cfg->b_info;
	uint64_t memory_mb = b->max_memkb / 1024;
	char shown[PATH_MAX], setting[32];
	int rc = BL_OK;

	if (memory_mb > p->max_memory_mb)
		return refuse(err, errlen,
			      "memory %llu MiB: more than this node's largest "
			      "guest, %llu MiB (" MAN ", \"max-memory-mb\")",
			      (unsigned long long)memory_mb,
			      (unsigned long long)p->max_memory_mb);
	if (b->max_vcpus > p->max_vcpus)
		return refuse(err, errlen,
			      "vcpus %d: more than this node's largest guest, "
			      "%d (" MAN ", \"max-vcpus\")",
			      b->max_vcpus, p->max_vcpus);
	if (b->u.pv.bootloader) {
		bool allowed = false;

		for (int i = 0; i < p->n_bootloaders; i++)
			allowed |=
			    !strcmp(b->u.pv.bootloader, p->bootloaders[i]);
		if (!allowed)
			return refuse(
			    err, errlen,
			    "bootloader \"%s\": not allowed on this node (" MAN
			    ", \"bootloader\": %s)",
			    log_escape(b->u.pv.bootloader, shown,
				       sizeof(shown)),
			    p->n_bootloaders ? "not in the list" : "none is");
	}
	if (b->kernel)
		rc = check_file(p, "kernel", &b->kernel, err, errlen);
	if (!rc && b->ramdisk)
		rc = check_file(p, "ramdisk", &b->ramdisk, err, errlen);
	for (int i = 0; !rc && i < cfg->num_disks; i++)
		rc = check_disk(p, i, &cfg->disks[i], err, errlen);
	for (int i = 0; !rc && i < cfg->num_nics; i++) {
		snprintf(setting, sizeof(setting), "vif %d script", i);
		rc = check_script(setting, cfg->nics[i].script, vif_scripts,
				  ARRAY_LEN(vif_scripts), err, errlen);
	}
	return rc;
}
