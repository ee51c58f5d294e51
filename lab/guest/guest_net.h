/* A guest's eth0 (netfront) brought up by hand: no ip(8) in a guest's
 * initramfs, so the address, netmask, MTU and link state go by ioctl. */
#ifndef BL_LAB_GUEST_NET_H
#define BL_LAB_GUEST_NET_H

#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lab/guest/guest_init.h"

/* netfront loaded and eth0 there, within 60 s; 1, or 0 after saying so. */
static inline int guest_net_wait_eth0(const char *prog)
{
	guest_load_frontend(prog, "xen-netfront");
	for (int i = 0; i < 600; i++) {
		if (if_nametoindex("eth0"))
			return 1;
		guest_sleep_ms(100);
	}
	printf("%s: no eth0 after 60 s\n", prog);
	return 0;
}

static inline int guest_net_ifreq(int s, const char *name, unsigned long req,
				  struct ifreq *ifr)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", name);
	return ioctl(s, req, ifr);
}

static inline int guest_net_set_addr(int s, const char *name, unsigned long req,
				     struct in_addr a)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = a};
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	return guest_net_ifreq(s, name, req, &ifr);
}

static inline int guest_net_link_up(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	if (guest_net_ifreq(s, name, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	return guest_net_ifreq(s, name, SIOCSIFFLAGS, &ifr);
}

static inline int guest_net_mtu(int s, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	return guest_net_ifreq(s, name, SIOCGIFMTU, &ifr) < 0 ? -1
							      : ifr.ifr_mtu;
}

static inline int guest_net_set_mtu(int s, const char *name, long mtu)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_mtu = (int)mtu;
	return guest_net_ifreq(s, name, SIOCSIFMTU, &ifr);
}

/* eth0 (and lo) up with spec, "A.B.C.D/LEN", and mtu unless 0; prints
 * "net up SPEC mtu N", or what failed naming prog. 0 or -1. */
static inline int guest_net_configure(const char *prog, const char *spec,
				      long mtu)
{
	char addr[32];
	const char *slash = strchr(spec, '/');
	long len = slash ? strtol(slash + 1, NULL, 10) : -1;
	struct in_addr a, mask;
	int s, rc;

	if (!slash || (size_t)(slash - spec) >= sizeof(addr) || len < 1 ||
	    len > 32) {
		printf("%s: net_addr \"%s\": not A.B.C.D/LEN\n", prog, spec);
		return -1;
	}
	memcpy(addr, spec, (size_t)(slash - spec));
	addr[slash - spec] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1) {
		printf("%s: net_addr \"%s\": not A.B.C.D/LEN\n", prog, spec);
		return -1;
	}
	mask.s_addr = htonl(len == 32 ? 0xffffffffu : ~(0xffffffffu >> len));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	rc = s < 0 || guest_net_link_up(s, "lo") < 0 ||
		     guest_net_set_addr(s, "eth0", SIOCSIFADDR, a) < 0 ||
		     guest_net_set_addr(s, "eth0", SIOCSIFNETMASK, mask) < 0 ||
		     (mtu && guest_net_set_mtu(s, "eth0", mtu) < 0) ||
		     guest_net_link_up(s, "eth0") < 0
		 ? -1
		 : 0;
	if (rc)
		printf("%s: configuring eth0: %s\n", prog, strerror(errno));
	else
		printf("net up %s mtu %d\n", spec, guest_net_mtu(s, "eth0"));
	if (s >= 0)
		close(s);
	return rc;
}

#endif
