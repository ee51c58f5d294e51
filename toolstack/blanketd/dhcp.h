/* The node's DHCP service for its guests (docs/network.md): each vif of a
 * guest on this node whose configuration gives it an ip= in the guests'
 * subnet is handed that address, and the overlay's MTU, by dnsmasq on the
 * guests' bridge. It answers no other MAC, so the nodes of a cluster, one
 * L2 segment, never answer one guest differently; the address is in the
 * guest's configuration, which a migration carries. */
#ifndef BL_BLANKETD_DHCP_H
#define BL_BLANKETD_DHCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "toolstack/common/err.h"
#include "toolstack/common/prefix.h"
#include "toolstack/hv/hv.h"

#define DHCP_HOSTS_FILE "dhcp-hosts" /* in the state folder: MAC,IP lines */
/* Where the script keeps dnsmasq's files (readable by its user). */
#define DHCP_RUN_DIR "/run/blanket-dhcp"

struct server_opts;

struct dhcp {
	char addr[PREFIX_ADDR_MAX]; /* the service's, on the guests' bridge */
	int prefix;		    /* the guests' subnet */
	const char *script;	    /* drivers/net/blanket-dhcp */
	char *hosts;		    /* the hosts file as last written */
	uint64_t guests_seen;	    /* a hash of the guests' names, domids */
	int rereads;		    /* ticks that found one unreadable */
	bool changed;		    /* hosts written, the script not run */
	pid_t run;		    /* the script running, 0: none */
	int64_t rerun_ms;	    /* when it runs again, changed or not */
};

/* "A.B.C.D/LEN" (LEN 8 to 30) into d; err names what is wrong. */
int dhcp_parse(const char *spec, struct dhcp *d, char *err,
	       size_t errlen) BL_MUST_CHECK;
/* The hosts file's lines for n vifs: "MAC,IP\n" for each vif with a MAC
 * and an ip= inside d's subnet that is not the service's own, once each;
 * "" for none. malloc'd; NULL when out of memory. */
char *dhcp_hosts_lines(const struct dhcp *d, const struct hv_vif_state *vifs,
		       size_t n);
/* From the server's loop, with its hypervisor handle: when the guests
 * changed, write the hosts file from their configurations; run the script
 * when it changed, and every 20 s anyway (it starts dnsmasq when it is not
 * running, gives the bridge the service's address, tells dnsmasq the
 * hosts and the MTU). */
void dhcp_tick(const struct server_opts *o, struct dhcp *d, void *hv);
/* The loop reaped pid, which ended with status (waitpid's): true when it
 * was the script. */
bool dhcp_reaped(struct dhcp *d, pid_t pid, int status);

#endif
