/*
 * The node's DHCP service for its guests (dhcp.h, docs/network.md).
 *
 * Entry points: dhcp_parse (blanketd's start), dhcp_tick and dhcp_reaped
 * (the server's loop).
 * Order of a tick: list the guests -> when their names or domids changed,
 * read each one's configuration (a migration's source copy, --migratedaway,
 * is left out: the guest runs elsewhere; one that cannot be read yet, being
 * built, is read again next tick, for REREADS_MAX ticks) -> the hosts
 * file's lines for their vifs -> written when they differ -> the script
 * runs when they did, or the last run is RERUN_MS old, in a process of its
 * own; the loop reaps it.
 */
#include "toolstack/blanketd/dhcp.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "toolstack/blanketd/overlay.h"
#include "toolstack/blanketd/server.h"
#include "toolstack/common/durable.h"
#include "toolstack/common/fdio.h"
#include "toolstack/common/log.h"

#define RERUN_MS    20000 /* the script runs at least this often */
#define REREADS_MAX 30	  /* ticks a configuration is awaited */

int dhcp_parse(const char *spec, struct dhcp *d, char *err, size_t errlen)
{
	return prefix_parse(spec, 8, 30, d->addr, &d->prefix, err, errlen);
}

static bool listed(const struct hv_vif_state *vifs, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (!strcmp(vifs[j].mac, vifs[i].mac) &&
		    !strcmp(vifs[j].ip, vifs[i].ip))
			return true;
	return false;
}

char *dhcp_hosts_lines(const struct dhcp *d, const struct hv_vif_state *vifs,
		       size_t n)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const struct hv_vif_state *v = &vifs[i];

		if (!*v->mac || !prefix_holds(d->addr, d->prefix, v->ip) ||
		    !strcmp(v->ip, d->addr) || listed(vifs, i))
			continue;
		fprintf(out, "%s,%s\n", v->mac, v->ip);
	}
	if (fclose(out)) {
		free(text);
		return NULL;
	}
	return text;
}

/* FNV-1a of the guests' names and domids: whether they changed. */
static uint64_t guests_hash(const struct hv_guest *g, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		for (const char *c = g[i].name; *c; c++)
			h = (h ^ (unsigned char)*c) * 0x100000001b3ull;
		h = (h ^ g[i].domid) * 0x100000001b3ull;
	}
	return h ^ n;
}

static bool away(const char *name)
{
	size_t n = strlen(name), s = strlen(HV_SUFFIX_AWAY);

	return n > s && !strcmp(name + n - s, HV_SUFFIX_AWAY);
}

/* The vifs of the guests' configurations, malloc'd in *vifs_r (*n_r); a
 * guest whose configuration cannot be read (one being built) is left out,
 * and *whole_r false. */
static int guests_vifs(const struct server_opts *o, void *hv,
		       const struct hv_guest *g, size_t n,
		       struct hv_vif_state **vifs_r, size_t *n_r, bool *whole_r)
{
	struct hv_vif_state *vifs = calloc(n * HV_VIFS_MAX + 1, sizeof(*vifs));
	char err[BL_ERRMSG_MAX];

	*n_r = 0;
	*whole_r = true;
	if (!vifs)
		return BL_ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		char *config = NULL;
		size_t got = 0;

		if (away(g[i].name))
			continue;
		if (o->hv->config_text(hv, g[i].name, &config, err,
				       sizeof(err)) ||
		    hv_config_vifs(config, strlen(config), vifs + *n_r, &got,
				   err, sizeof(err))) {
			log_debug("dhcp: %s's vifs: %s", g[i].name, err);
			*whole_r = false;
		} else {
			*n_r += got;
		}
		free(config);
	}
	*vifs_r = vifs;
	return BL_OK;
}

/* The hosts file from the guests, when they changed. */
static void refresh_hosts(const struct server_opts *o, struct dhcp *d, void *hv)
{
	struct hv_guest *guests = NULL;
	struct hv_vif_state *vifs = NULL;
	size_t n = 0, n_vifs = 0;
	uint64_t seen;
	bool whole;
	char *text;

	if (o->hv->list(hv, &guests, &n)) {
		log_debug("dhcp: cannot list the guests");
		return;
	}
	seen = guests_hash(guests, n);
	if (seen == d->guests_seen ||
	    guests_vifs(o, hv, guests, n, &vifs, &n_vifs, &whole)) {
		free(guests);
		return;
	}
	free(guests);
	text = dhcp_hosts_lines(d, vifs, n_vifs);
	free(vifs);
	if (!text)
		return;
	/* Read again next tick until every guest's configuration was, for
	 * a while (a domain blanket did not make may have none). */
	if (whole || ++d->rereads > REREADS_MAX)
		d->rereads = 0;
	else
		seen = 0;
	if (d->hosts && !strcmp(text, d->hosts)) {
		d->guests_seen = seen;
		free(text);
		return;
	}
	if (durable_write(o->state_dir, DHCP_HOSTS_FILE, text)) {
		log_warnx("dhcp: cannot write %s/%s", o->state_dir,
			  DHCP_HOSTS_FILE);
		free(text);
		return;
	}
	d->guests_seen = seen;
	free(d->hosts);
	d->hosts = text;
	d->changed = true;
}

/* script sync HOSTSFILE RUNDIR ADDR/LEN BRIDGE, in the background. */
static void run_script(const struct server_opts *o, struct dhcp *d)
{
	char hosts[PATH_MAX], spec[PREFIX_ADDR_MAX + 4];
	pid_t pid;

	snprintf(hosts, sizeof(hosts), "%s/%s", o->state_dir, DHCP_HOSTS_FILE);
	snprintf(spec, sizeof(spec), "%s/%d", d->addr, d->prefix);
	pid = fork();
	if (pid < 0) {
		log_warn("dhcp: fork");
		return;
	}
	if (pid == 0) {
		execl(d->script, d->script, "sync", hosts, DHCP_RUN_DIR, spec,
		      OVERLAY_BRIDGE, (char *)NULL);
		log_warn("dhcp: %s", d->script);
		_exit(127);
	}
	d->run = pid;
	d->changed = false;
	d->rerun_ms = fdio_now_ms() + RERUN_MS;
}

void dhcp_tick(const struct server_opts *o, struct dhcp *d, void *hv)
{
	if (!d || !hv)
		return;
	refresh_hosts(o, d, hv);
	if (!d->run && (d->changed || fdio_now_ms() >= d->rerun_ms))
		run_script(o, d);
}

bool dhcp_reaped(struct dhcp *d, pid_t pid, int status)
{
	if (!d || !d->run || pid != d->run)
		return false;
	d->run = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		log_warnx("dhcp: %s sync failed (status %d): guests may get "
			  "no address",
			  d->script, status);
	return true;
}
