/*
 * What blanketd does at start about migrations that were cut off
 * (docs/specs/migration-stream.md, the restart rows of the handover
 * tables).
 *
 * Entry point: migrate_recover (blanketd's start, before it serves).
 */
#include "toolstack/blanketd/migrate_recover.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "toolstack/blanketd/handover.h"
#include "toolstack/common/log.h"

/* No migration survives a restart: their locks go. */
static void remove_locks(const struct server_opts *o)
{
	DIR *d = opendir(o->state_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (!strncmp(e->d_name, "migrating-", 10) &&
		    unlinkat(dirfd(d), e->d_name, 0) < 0)
			log_warn("%s/%s", o->state_dir, e->d_name);
	closedir(d);
}

static bool has_suffix(const char *s, const char *suffix, size_t *base_r)
{
	size_t l = strlen(s), n = strlen(suffix);

	*base_r = l - n;
	return l > n && !strcmp(s + l - n, suffix);
}

void migrate_recover(const struct server_opts *o, void *hv)
{
	struct hv_guest *g = NULL;
	char why[BL_ERRMSG_MAX], name[HV_NAME_MAX];
	size_t n = 0, base;

	remove_locks(o);
	if (o->hv->list(hv, &g, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		if (has_suffix(g[i].name, MIGRATE_INCOMING, &base)) {
			log_warnx("destroying %s, left by a migration that "
				  "did not finish",
				  g[i].name);
			if (o->hv->destroy(hv, g[i].name, why, sizeof(why)))
				log_warnx("%s: %s", g[i].name, why);
		} else if (has_suffix(g[i].name, MIGRATE_AWAY, &base)) {
			snprintf(name, sizeof(name), "%.*s", (int)base,
				 g[i].name);
			handover_resolve_later(o, name);
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
