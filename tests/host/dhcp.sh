# The guests' DHCP service (docs/network.md), for real but for the
# hypervisor: blanketd with the test hypervisor in a network namespace of
# its own, with a bridge xenbr0, the real drivers/net/blanket-dhcp and
# dnsmasq; a guest's vif is a veth from that bridge into a namespace of its
# own, with the vif's MAC, where busybox udhcpc asks for an address.
# Sourced by tests/host/run.

t_guest_dhcp() {
	# dnsmasq's files where its user, nobody, reads them (not in $tmp, 0700)
	# (not local: the trap that cleans up runs when the test's shell ends)
	ns=bl-dhcp-$$ g=bl-dhcp-g-$$ run=/run/blanket-host-dhcp.$$ dhcpd_pid=
	local c=$tmp/dhcp.cfg lease
	inns() { ip netns exec "$ns" "$@"; }
	# what the guest's DHCP client got ("" when nothing)
	ask() {
		rm -f "$tmp/lease"
		ip netns exec "$g" busybox udhcpc -i eth0 -f -q -n -t "$1" -T 1 \
			-O mtu -s "$tmp/dhcp-event" >/dev/null 2>&1 || true
		cat "$tmp/lease" 2>/dev/null || true
	}
	serves() { grep -qx "$1" "$run/hosts" 2>/dev/null; }
	forgot() { ! serves "$1"; }
	# dnsmasq reads its hosts again on SIGHUP, after blanket-dhcp wrote
	# them: the lease stops a moment after the file changes.
	no_lease() { [ -z "$(ask 3)" ]; }
	dnsmasq_up() { [ "$(cat "/proc/$(cat "$run/pid" 2>/dev/null)/comm" 2>/dev/null)" = dnsmasq ]; }
	trap 'kill $dhcpd_pid $(cat "$run/pid" 2>/dev/null) 2>/dev/null;
		ip netns del "$ns"; ip netns del "$g"; rm -rf "$run"' EXIT

	ip netns add "$ns"
	ip netns add "$g"
	inns ip link set lo up
	inns ip link add xenbr0 type bridge
	inns ip link set xenbr0 mtu 1400 up
	ip link add gv0 netns "$ns" type veth peer name eth0 netns "$g"
	inns ip link set gv0 master xenbr0 up
	ip netns exec "$g" ip link set eth0 address 00:16:3e:00:00:d1 up
	# The script as blanketd runs it, its dnsmasq files in $run.
	printf '#!/bin/bash\nexec %q "$1" "$2" %q "$4" "$5"\n' \
		"$top/drivers/net/blanket-dhcp" "$run" >"$tmp/dhcp-script"
	printf '#!/bin/sh\n[ "$1" != bound ] || echo "ip=$ip mask=$mask mtu=$mtu router=$router dns=$dns" >%q\n' \
		"$tmp/lease" >"$tmp/dhcp-event"
	chmod 755 "$tmp/dhcp-script" "$tmp/dhcp-event"
	# (not through inns: $! must be blanketd's own, for the trap to stop it)
	ip netns exec "$ns" env BLANKET_FAKE_HV="$tmp/dhcp.hv" blanketd --foreground --hv fake \
		--name na --listen "127.0.0.1:$port_a" --socket none \
		--state-dir "$tmp/dhcp.state" --peers none --policy "$tmp/node.conf" \
		--crl none --ca "$tmp/na/ca.crt" --cert "$tmp/na/na.crt" \
		--key "$tmp/na/na.key" --guest-dhcp 10.97.0.251/24 \
		--dhcp-script "$tmp/dhcp-script" 2>>"$tmp/dhcp.log" &
	dhcpd_pid=$!
	wait_for 30 "blanketd in its namespace to answer" inns blanket node info na

	# No guest: the service runs, on the bridge's address, and answers no one.
	wait_for 30 "dnsmasq to start" dnsmasq_up
	inns ip -4 -o addr show dev xenbr0 | grep -q ' inet 10.97.0.251/32 '
	[ -z "$(ask 2)" ]

	# A guest whose vif says ip=: that address, the bridge's MTU, no router.
	sed 's/^name = .*/name = "dhcp"/' "$cfg" >"$c"
	echo "vif = [ 'mac=00:16:3e:00:00:d1,bridge=xenbr0,ip=10.97.0.5', 'mac=00:16:3e:00:00:d2,ip=10.96.0.5' ]" >>"$c"
	inns blanket create -n na "$c" | grep -q 'created dhcp'
	wait_for 30 "the service to know the guest" serves 00:16:3e:00:00:d1,10.97.0.5
	lease=$(ask 10)
	echo "lease: $lease"
	[ "$lease" = "ip=10.97.0.5 mask=24 mtu=1400 router= dns=" ]
	# The vif whose address is outside the subnet is not served.
	[ "$(wc -l <"$run/hosts")" = 1 ]

	# Destroyed, the guest's address is no longer given out.
	inns blanket destroy -n na dhcp
	wait_for 30 "the service to forget the guest" forgot 00:16:3e:00:00:d1,10.97.0.5
	wait_for 30 "dnsmasq to stop giving out 10.97.0.5" no_lease
	grep -q 'DHCPACK(xenbr0) 10.97.0.5 00:16:3e:00:00:d1' "$run/log"
}
