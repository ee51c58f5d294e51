/*
 * The migration ledger in the state folder (ledger.h).
 *
 * Files, one line each:
 *   instance            ID
 *   away-NAME           MIGRATION NODE HOST PORT INSTANCE GENERATION
 *   receipt-MIGRATION   NAME DOMID GENERATION
 *   reserved-NAME       MIGRATION DOMID   (flock'd by its session)
 *   incoming-images-NAME  PATH, one a line: the images a reservation makes
 *   handed-images-NAME    PATH, one a line: the images of a guest handed
 *                         over, removed with its copy (or, after a first
 *                         line "keep SUFFIX", renamed PATH + SUFFIX)
 * IDs are 32 hex digits. Names are guest names, checked before they get
 * here; the file names stay inside the state folder.
 */
#include "toolstack/blanketd/ledger.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "toolstack/common/durable.h"
#include "toolstack/common/log.h"
#include "toolstack/common/path.h"

#define LINE_MAX_LEN   512
#define IMAGES_MAX_LEN (HV_DISKS_MAX * 4097 + 1)

int ledger_instance(const struct server_opts *o, struct bl_id *id_r)
{
	char line[LINE_MAX_LEN], hex[BL_ID_STR_LEN + 1];
	int rc = durable_read(o->state_dir, "instance", line, sizeof(line));

	if (!rc && sscanf(line, "%32s", hex) == 1 && !bl_id_parse(hex, id_r))
		return BL_OK;
	if (rc != BL_ERR_NOTFOUND)
		log_warnx("%s/instance is unreadable: this node starts as a "
			  "new instance",
			  o->state_dir);
	rc = bl_id_new(id_r);
	if (!rc) {
		snprintf(line, sizeof(line), "%s\n", bl_id_str(id_r, hex));
		rc = durable_write(o->state_dir, "instance", line);
	}
	return rc;
}

static void file_name(char *buf, size_t len, const char *prefix,
		      const char *name)
{
	snprintf(buf, len, "%s-%s", prefix, name);
}

/* --- images being received --- */

static const char *const images_prefix[] = {
    [LEDGER_IMAGES_INCOMING] = "incoming-images",
    [LEDGER_IMAGES_HANDED] = "handed-images",
};

int ledger_images_write(const struct server_opts *o, enum ledger_images kind,
			const char *name, const char *const *paths, size_t n,
			const char *keep_suffix)
{
	char file[128], *text = malloc(IMAGES_MAX_LEN);
	size_t len = 0;
	int rc = BL_OK;

	if (!text)
		return BL_ERR_NOMEM;
	text[0] = '\0';
	if (keep_suffix && (strchr(keep_suffix, '\n') ||
			    strchr(keep_suffix, '/') || !keep_suffix[0]))
		rc = BL_ERR_INVAL;
	else if (keep_suffix)
		len = (size_t)snprintf(text, IMAGES_MAX_LEN, "keep %s\n",
				       keep_suffix);
	for (size_t i = 0; !rc && i < n; i++) {
		if (strchr(paths[i], '\n') ||
		    strlen(paths[i]) + 2 > IMAGES_MAX_LEN - len)
			rc = BL_ERR_INVAL;
		else
			len += (size_t)snprintf(
			    text + len, IMAGES_MAX_LEN - len, "%s\n", paths[i]);
	}
	file_name(file, sizeof(file), images_prefix[kind], name);
	if (!rc)
		rc = durable_write(o->state_dir, file, text);
	free(text);
	return rc;
}

/* One image of a record, as it goes: removed, or renamed path + keep. */
static void image_goes(const char *name, const char *path, const char *keep)
{
	char kept[IMAGES_MAX_LEN];

	if (keep) {
		snprintf(kept, sizeof(kept), "%s%s", path, keep);
		if (rename(path, kept) < 0 && errno != ENOENT)
			log_warn("\"%s\": keeping its image %s", name, path);
		else
			log_info("\"%s\": its image %s is kept as %s", name,
				 path, kept);
	} else if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("\"%s\": removing its image %s", name, path);
	} else {
		log_info("\"%s\": its image %s is removed", name, path);
	}
}

void ledger_images_drop(const struct server_opts *o, enum ledger_images kind,
			const char *name, bool remove_images)
{
	char file[128], *text = malloc(IMAGES_MAX_LEN), *line, *save;
	const char *keep = NULL;

	file_name(file, sizeof(file), images_prefix[kind], name);
	if (!text || durable_read(o->state_dir, file, text, IMAGES_MAX_LEN)) {
		free(text);
		return;
	}
	for (line = strtok_r(text, "\n", &save); remove_images && line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "keep ", 5))
			keep = line + 5;
		else if (line[0] == '/')
			image_goes(name, line, keep);
	}
	if (durable_remove(o->state_dir, file))
		log_warnx("%s/%s stays", o->state_dir, file);
	free(text);
}

/* --- away records --- */

int ledger_away_write(const struct server_opts *o, const char *name,
		      const struct ledger_away *a)
{
	char file[128], line[LINE_MAX_LEN], mig[BL_ID_STR_LEN],
	    inst[BL_ID_STR_LEN];

	file_name(file, sizeof(file), "away", name);
	snprintf(line, sizeof(line), "%s %s %s %d %s %" PRIu64 "\n",
		 bl_id_str(&a->migration, mig), a->dest.name, a->dest.host,
		 a->dest.port, bl_id_str(&a->instance, inst), a->generation);
	return durable_write(o->state_dir, file, line);
}

int ledger_away_read(const struct server_opts *o, const char *name,
		     struct ledger_away *a_r)
{
	char file[128], line[LINE_MAX_LEN], mig[BL_ID_STR_LEN + 1],
	    inst[BL_ID_STR_LEN + 1];
	int rc;

	file_name(file, sizeof(file), "away", name);
	rc = durable_read(o->state_dir, file, line, sizeof(line));
	if (rc)
		return rc;
	memset(a_r, 0, sizeof(*a_r));
	if (sscanf(line, "%32s %63s %255s %d %32s %" SCNu64, mig,
		   a_r->dest.name, a_r->dest.host, &a_r->dest.port, inst,
		   &a_r->generation) != 6 ||
	    bl_id_parse(mig, &a_r->migration) ||
	    bl_id_parse(inst, &a_r->instance) || a_r->dest.port <= 0 ||
	    a_r->dest.port > 65535)
		return BL_ERR_PROTO;
	return BL_OK;
}

int ledger_away_remove(const struct server_opts *o, const char *name)
{
	char file[128];

	file_name(file, sizeof(file), "away", name);
	return durable_remove(o->state_dir, file);
}

/* --- receipts --- */

static void receipt_file(char *buf, size_t len, const struct bl_id *migration)
{
	char hex[BL_ID_STR_LEN];

	file_name(buf, len, "receipt", bl_id_str(migration, hex));
}

int ledger_receipt_write(const struct server_opts *o,
			 const struct bl_id *migration,
			 const struct ledger_receipt *r)
{
	char file[128], line[LINE_MAX_LEN];

	receipt_file(file, sizeof(file), migration);
	snprintf(line, sizeof(line), "%s %" PRIu32 " %" PRIu64 "\n", r->name,
		 r->domid, r->generation);
	return durable_write(o->state_dir, file, line);
}

int ledger_receipt_read(const struct server_opts *o,
			const struct bl_id *migration,
			struct ledger_receipt *r_r)
{
	char file[128], line[LINE_MAX_LEN];
	int rc;

	receipt_file(file, sizeof(file), migration);
	rc = durable_read(o->state_dir, file, line, sizeof(line));
	if (rc)
		return rc;
	memset(r_r, 0, sizeof(*r_r));
	if (sscanf(line, "%63s %" SCNu32 " %" SCNu64, r_r->name, &r_r->domid,
		   &r_r->generation) != 3)
		return BL_ERR_PROTO;
	return BL_OK;
}

int ledger_receipt_remove(const struct server_opts *o,
			  const struct bl_id *migration)
{
	char file[128];

	receipt_file(file, sizeof(file), migration);
	return durable_remove(o->state_dir, file);
}

/* --- reservations --- */

static int reservation_path(const struct server_opts *o, const char *name,
			    char *path, size_t len)
{
	char file[128];

	file_name(file, sizeof(file), "reserved", name);
	return path_join(path, len, o->state_dir, file);
}

/* The reservation's line, in place: the file's lock is on its inode. */
static int reservation_put(int fd, const struct bl_id *migration,
			   uint32_t domid)
{
	char line[LINE_MAX_LEN], hex[BL_ID_STR_LEN];
	int len = snprintf(line, sizeof(line), "%s %" PRIu32 "\n",
			   bl_id_str(migration, hex), domid);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len ||
	    fsync(fd) < 0)
		return BL_ERR_IO;
	return BL_OK;
}

int ledger_reserve(const struct server_opts *o, const char *name,
		   const struct bl_id *migration, int *fd_r)
{
	char path[PATH_MAX];
	int fd, rc;

	rc = path_mkdirs(o->state_dir, 0700);
	if (!rc)
		rc = reservation_path(o, name, path, sizeof(path));
	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		log_warn("cannot open %s", path);
		return BL_ERR_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		close(fd);
		return BL_ERR_BUSY;
	}
	rc = reservation_put(fd, migration, 0);
	if (rc) {
		close(fd);
		return rc;
	}
	*fd_r = fd;
	return BL_OK;
}

int ledger_reserve_domid(const struct server_opts *o, const char *name, int fd,
			 const struct bl_id *migration, uint32_t domid)
{
	(void)o;
	(void)name;
	return reservation_put(fd, migration, domid);
}

void ledger_release(const struct server_opts *o, const char *name, int fd)
{
	struct stat held, named;
	char path[PATH_MAX];

	/* Unlinked while locked, and only if the name is still the file we
	 * hold: whoever opens the name next finds no reservation, or a new
	 * one that is not ours to remove. */
	if (fd >= 0 && !reservation_path(o, name, path, sizeof(path)) &&
	    fstat(fd, &held) == 0 && stat(path, &named) == 0 &&
	    held.st_ino == named.st_ino && held.st_dev == named.st_dev &&
	    unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s", path);
	if (fd >= 0)
		close(fd);
}

int ledger_reserved(const struct server_opts *o, const char *name,
		    struct bl_id *migration_r, uint32_t *domid_r, bool *live_r,
		    int *fd_r)
{
	char path[PATH_MAX], line[LINE_MAX_LEN] = "", hex[BL_ID_STR_LEN + 1];
	ssize_t r;
	int fd, rc = reservation_path(o, name, path, sizeof(path));

	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? BL_ERR_NOTFOUND : BL_ERR_IO;
	*live_r = flock(fd, LOCK_EX | LOCK_NB) < 0;
	r = pread(fd, line, sizeof(line) - 1, 0);
	line[r > 0 ? r : 0] = '\0';
	*domid_r = 0;
	memset(migration_r, 0, sizeof(*migration_r));
	if (sscanf(line, "%32s %" SCNu32, hex, domid_r) != 2 ||
	    bl_id_parse(hex, migration_r))
		*domid_r = 0; /* cut short by a crash: no domain noted */
	if (*live_r) {
		close(fd);
		fd = -1;
	}
	*fd_r = fd;
	return BL_OK;
}

/* --- walking --- */

static void each(const struct server_opts *o, const char *prefix,
		 void (*fn)(const char *rest, void *arg), void *arg)
{
	DIR *d = opendir(o->state_dir);
	size_t len = strlen(prefix);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);

		/* Files being written (".new") are not records yet. */
		if (!strncmp(e->d_name, prefix, len) &&
		    (n < 4 || strcmp(e->d_name + n - 4, ".new")))
			fn(e->d_name + len, arg);
	}
	closedir(d);
}

void ledger_each_away(const struct server_opts *o,
		      void (*fn)(const char *name, void *arg), void *arg)
{
	each(o, "away-", fn, arg);
}

struct receipt_walk {
	void (*fn)(const struct bl_id *migration, void *arg);
	void *arg;
};

static void receipt_found(const char *hex, void *arg)
{
	struct receipt_walk *w = arg;
	struct bl_id id;

	if (!bl_id_parse(hex, &id))
		w->fn(&id, w->arg);
}

void ledger_each_receipt(const struct server_opts *o,
			 void (*fn)(const struct bl_id *migration, void *arg),
			 void *arg)
{
	struct receipt_walk w = {fn, arg};

	each(o, "receipt-", receipt_found, &w);
}

void ledger_each_reservation(const struct server_opts *o,
			     void (*fn)(const char *name, void *arg), void *arg)
{
	each(o, LEDGER_RESERVED_PREFIX, fn, arg);
}
