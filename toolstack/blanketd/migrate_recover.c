/*
 * What blanketd does at start about migrations that were cut off
 * (docs/specs/migration-stream.md, the restart rows of the handover
 * tables).
 *
 * Entry point: migrate_recover (blanketd's start, before it serves).
 */
#include "toolstack/blanketd/migrate_recover.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanketd/handover.h"
#include "toolstack/blanketd/ledger.h"
#include "toolstack/blanketd/migrate.h"
#include "toolstack/common/log.h"

static bool has_suffix(const char *s, const char *suffix, size_t *base_r)
{
	size_t l = strlen(s), n = strlen(suffix);

	*base_r = l - n;
	return l > n && !strcmp(s + l - n, suffix);
}

/* A migration's lock, migrating-NAME, holds "cap N" while auto-converge
 * throttles NAME (migrate_send.c): N, its cap before, goes back. */
static void unthrottle(const struct server_opts *o, void *hv, int dir,
		       const char *lock)
{
	const char *name = lock + strlen(MIGRATE_LOCK_PREFIX);
	struct hv_guest g;
	FILE *in;
	int fd = openat(dir, lock, O_RDONLY | O_CLOEXEC), cap;

	if (fd < 0 || !(in = fdopen(fd, "r"))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fscanf(in, "cap %d", &cap) == 1 && cap >= 0 &&
	    !o->hv->info(hv, name, &g)) {
		log_warnx(
		    "putting back %s's cap (%d), throttled by a migration "
		    "that did not finish",
		    name, cap);
		if (o->hv->set_cap(hv, g.domid, cap))
			log_warnx("%s: setting its cap failed", name);
	}
	fclose(in);
}

/* No migration survives a restart: their locks go, with any throttle they
 * left, and so do the files a write cut short left aside (NAME.new: never
 * read as records). */
static void remove_leftovers(const struct server_opts *o, void *hv)
{
	DIR *d = opendir(o->state_dir);
	struct dirent *e;
	size_t base;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strncmp(e->d_name, MIGRATE_LOCK_PREFIX,
			     strlen(MIGRATE_LOCK_PREFIX)) &&
		    o->hv->set_cap)
			unthrottle(o, hv, dirfd(d), e->d_name);
		if ((!strncmp(e->d_name, MIGRATE_LOCK_PREFIX,
			      strlen(MIGRATE_LOCK_PREFIX)) ||
		     has_suffix(e->d_name, ".new", &base)) &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0)
			log_warn("%s/%s", o->state_dir, e->d_name);
	}
	closedir(d);
}

#define KEPT_MAX 256

struct recovery {
	const struct server_opts *o;
	void *hv;
	uint32_t kept[KEPT_MAX]; /* domains receipts say are this node's */
	size_t n_kept;
};

static bool kept(const struct recovery *r, uint32_t domid)
{
	for (size_t i = 0; i < r->n_kept; i++)
		if (r->kept[i] == domid)
			return true;
	return false;
}

/* A receipt says go was acted on: the guest is this node's, whatever its
 * daemon was doing when it died (renaming, unpausing). */
static void keep_promise(const struct bl_id *migration, void *arg)
{
	struct recovery *r = arg;
	char incoming[HV_NAME_MAX + 16], why[BL_ERRMSG_MAX], id[BL_ID_STR_LEN];
	struct ledger_receipt rc;
	struct hv_guest g;

	if (ledger_receipt_read(r->o, migration, &rc))
		return;
	bl_id_str(migration, id);
	if (r->n_kept < KEPT_MAX)
		r->kept[r->n_kept++] = rc.domid;
	snprintf(incoming, sizeof(incoming), "%s" HV_SUFFIX_INCOMING, rc.name);
	if (r->o->hv->info(r->hv, incoming, &g) == BL_OK &&
	    g.domid == rc.domid &&
	    r->o->hv->rename(r->hv, incoming, rc.name, why, sizeof(why)))
		log_warnx("migration %s: renaming %s: %s", id, incoming, why);
	if (r->o->hv->info(r->hv, rc.name, &g) || g.domid != rc.domid) {
		log_warnx("migration %s: \"%s\" was taken in, but its domain "
			  "%u is gone",
			  id, rc.name, rc.domid);
		return;
	}
	if (g.state == HV_STATE_PAUSED || g.generation != rc.generation) {
		log_warnx("migration %s: starting \"%s\", taken in before "
			  "blanketd stopped",
			  id, rc.name);
		if (r->o->hv->adopt(r->hv, rc.name, rc.generation, why,
				    sizeof(why)))
			log_warnx("%s: %s", rc.name, why);
	}
}

static void clear_reservation(const char *name, void *arg)
{
	struct recovery *r = arg;

	migrate_dest_clear(r->o, r->hv, name);
}

/* An away record: the copy here is settled by asking the destination; a
 * guest the record names that was never renamed never saw go. */
static void settle_away(const char *name, void *arg)
{
	struct recovery *r = arg;
	char why[BL_ERRMSG_MAX];
	struct hv_guest g;

	if (r->o->hv->info(r->hv, name, &g) == BL_OK &&
	    g.state == HV_STATE_SUSPENDED) {
		log_warnx("resuming %s: its migration stopped before go", name);
		if (r->o->hv->resume(r->hv, name, why, sizeof(why)))
			log_warnx("%s: %s", name, why);
		if (ledger_away_remove(r->o, name))
			log_warnx("%s: its away record stays", name);
		return;
	}
	handover_resolve_later(r->o, name);
}

void migrate_recover(const struct server_opts *o, void *hv)
{
	struct recovery r = {.o = o, .hv = hv};
	struct hv_guest *g = NULL;
	char why[BL_ERRMSG_MAX], name[HV_NAME_MAX];
	struct ledger_away a;
	size_t n = 0, base;

	remove_leftovers(o, hv);
	/* The destination's promises first: a receipt's guest is renamed
	 * before leftovers are destroyed. */
	ledger_each_receipt(o, keep_promise, &r);
	ledger_each_reservation(o, clear_reservation, &r);
	ledger_each_away(o, settle_away, &r);
	if (o->hv->list(hv, &g, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (has_suffix(g[i].name, HV_SUFFIX_INCOMING, &base) &&
		    !kept(&r, g[i].domid)) {
			log_warnx("destroying %s, left by a migration that "
				  "never acted on go",
				  g[i].name);
			if (o->hv->destroy_domid(hv, g[i].domid, why,
						 sizeof(why)))
				log_warnx("%s: %s", g[i].name, why);
		} else if (has_suffix(g[i].name, HV_SUFFIX_AWAY, &base)) {
			snprintf(name, sizeof(name), "%.*s", (int)base,
				 g[i].name);
			if (ledger_away_read(o, name, &a) != BL_OK)
				log_warnx("%s has no record of where it was "
					  "handed over: it stays, unresolved, "
					  "until `blanket migrate --resolve "
					  "%s` settles it",
					  g[i].name, name);
		} else if (g[i].state == HV_STATE_SUSPENDED) {
			log_warnx("resuming %s, left suspended by a migration "
				  "that did not finish",
				  g[i].name);
			if (o->hv->resume(hv, g[i].name, why, sizeof(why)))
				log_warnx("%s: %s", g[i].name, why);
		}
	}
	free(g);
}
