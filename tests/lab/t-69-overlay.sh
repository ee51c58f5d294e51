# The cluster overlay against real Xen (docs/network.md): guests on two
# nodes share one L2 segment through VXLAN inside WireGuard, which
# blanketd keeps in step with the peers file.
# - Each node has the other as its WireGuard peer and VXLAN flooding entry.
# - A guest on node2 pings one on node1, streams 4 MiB of TCP through its
#   echo and checks every byte, and sends it 1,400-byte UDP echoes.
# - A capture of node1's link shows WireGuard and blanketd's TLS, none of
#   the guests' frames, ports or bytes; the same capture on the guest's vif
#   does find them (the check can see what it looks for).
# - The link shrinks to a cloud's 1,500 bytes: wg0's MTU follows (the
#   link's less 60, within the script's 20 s), and nothing is lost for it: ov-b (MTU 1,500) sends
#   1,400-byte datagrams, which cross wg0 in fragments; ov-c, given the
#   overlay's 1,390 on its command line, streams 1 MiB of TCP and sends
#   8,000-byte datagrams (fragmented by the guest) that need none.
# - node2 leaves node1's peers file: node1 drops its peer and entry;
#   back in the file, it joins again and the echoes carry on.
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/netecho.cfg
tmp=$(mktemp -d)
peers=/etc/blanket/peers.conf
restore_peers() { on node1 sh -c "[ ! -s /tmp/peers.saved ] || cp /tmp/peers.saved $peers"; }
# The link's NIC on a node, and its MTU on both (the lab's is 9,000).
link_nic() {
	on "$1" sh -c 'for d in /sys/class/net/*; do
		case $(cat $d/address) in 52:54:00:99:*) echo ${d##*/} ;; esac
	done'
}
link_mtu() {
	on node1 ip link set "$(link_nic node1)" mtu "$1" &&
		on node2 ip link set "$(link_nic node2)" mtu "$1"
}
wg_mtu() { [ "$(on "$1" cat /sys/class/net/wg0/mtu)" = "$2" ]; }
lab_mtu=$(on node1 cat /sys/class/net/xenbr0/mtu)
# However it ends: the peers file and the link as they were, no guest left.
cleanup() {
	local g
	restore_peers
	link_mtu "$lab_mtu"
	for g in ov-a ov-b ov-c; do blanket destroy "$g" >/dev/null 2>&1 || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# The guest's file under another name, MAC and command line.
netecho_cfg() { # name mac-last-byte "net_addr=... net_peer=..."
	sed -e "s/^name = .*/name = \"$1\"/" \
		-e "s/00:16:3e:00:00:01/00:16:3e:00:00:$2/" \
		-e "s|net_addr=[^\"]*|$3|" "$cfg" >"$tmp/$1.cfg"
	echo "$tmp/$1.cfg"
}
# node's wg0 has a peer for the overlay address, and vx0 floods to it.
peered() { # node overlay-address
	on "$1" wg show wg0 allowed-ips 2>/dev/null | grep -q "[[:space:]]$2/32" &&
		on "$1" bridge fdb show dev vx0 2>/dev/null |
		grep -q "^00:00:00:00:00:00 dst $2 "
}
unpeered() { # node overlay-address
	! on "$1" wg show wg0 allowed-ips | grep -q "[[:space:]]$2/32" &&
		! on "$1" bridge fdb show dev vx0 | grep -q " dst $2 "
}
says() { on "$1" grep -q "$3" "$2"; }
echoed() { # node log
	on "$1" sed -n 's/^net sent [0-9]* echoed \([0-9]*\) .*/\1/p' "$2" | tail -n 1
}
echoed_past() { local n; n=$(echoed "$1" "$2"); [ "${n:-0}" -ge "$3" ]; }
# Runs of 32 bytes each one more than the one before: the echo datagrams'
# payload (lab/guest/netecho.c), which ciphertext never shows.
payload_runs() { # node pcap
	on "$1" sh -c "od -An -v -tu1 $2 | awk '{
		for (i = 1; i <= NF; i++) {
			if (\$i == (p + 1) % 256) r++; else r = 0
			if (r == 31) n++
			p = \$i
		} } END { print n + 0 }'"
}
# tcpdump on node1 as root (the image has no tcpdump user), quiet, for at
# most a minute.
dump() { on node1 timeout 60 tcpdump -Z root "$@" 2>/dev/null; }

wait_for 60 "node1 peered with node2" peered node1 10.200.0.2
wait_for 60 "node2 peered with node1" peered node2 10.200.0.1

on node1 rm -f "$(console_log ov-a)"
on node2 rm -f "$(console_log ov-b)"
blanket create -n node1 "$(netecho_cfg ov-a 14 'net_addr=10.98.0.20/24')" |
	grep -q 'created ov-a'
blanket create -n node2 "$(netecho_cfg ov-b 15 'net_addr=10.98.0.21/24 net_peer=10.98.0.20 net_size=1400 net_ping=10.98.0.20 net_tcp=10.98.0.20')" |
	grep -q 'created ov-b'
log_b=$(console_log ov-b)
wait_for 180 "ov-b's pings" says node2 "$log_b" '^ping sent '
on node2 grep '^ping sent ' "$log_b"
on node2 grep -q '^ping sent 20 replied [1-9]' "$log_b"
wait_for 180 "ov-b's TCP stream" says node2 "$log_b" '^tcp '
on node2 grep '^tcp ' "$log_b"
on node2 grep -q '^tcp sent 4194304 echoed 4194304 ok' "$log_b"
wait_for 120 "100 echoes across the overlay" echoed_past node2 "$log_b" 100

# The link carries WireGuard (and blanketd's TLS), nothing of the guests.
nic=$(link_nic node1)
dump -i "$nic" -c 400 -s 512 -w /tmp/link.pcap
wg=$(dump -r /tmp/link.pcap -nn 'udp port 51820' | wc -l)
clear=$(dump -r /tmp/link.pcap -nn 'udp port 4789 or port 7 or icmp or
	ether host 00:16:3e:00:00:14 or ether host 00:16:3e:00:00:15' | wc -l)
runs=$(payload_runs node1 /tmp/link.pcap)
domid=$(on node1 xl domid ov-a)
dump -i "vif$domid.0" -c 100 -s 512 -w /tmp/vif.pcap
vif_runs=$(payload_runs node1 /tmp/vif.pcap)
echo "link: 400 frames, $wg WireGuard, $clear of the guests in clear, $runs payload runs; the guest's vif: $vif_runs payload runs in 100 frames"
[ "$wg" -ge 300 ]
[ "$clear" -eq 0 ]
[ "$runs" -eq 0 ]
[ "$vif_runs" -gt 0 ]
on node1 rm -f /tmp/link.pcap /tmp/vif.pcap

# A cloud's link: 1,500 bytes.
link_mtu 1500
wait_for 60 "node1's wg0 at 1,440" wg_mtu node1 1440
wait_for 60 "node2's wg0 at 1,440" wg_mtu node2 1440
now=$(echoed node2 "$log_b")
wait_for 120 "ov-b's echoes over the 1,500 link" echoed_past node2 "$log_b" $((now + 50))
on node2 rm -f "$(console_log ov-c)"
blanket create -n node2 "$(netecho_cfg ov-c 16 'net_addr=10.98.0.22/24 net_mtu=1390 net_peer=10.98.0.20 net_size=8000 net_tcp=10.98.0.20 net_tcp_kib=1024')" |
	grep -q 'created ov-c'
log_c=$(console_log ov-c)
wait_for 120 "ov-c's network" says node2 "$log_c" '^net up 10.98.0.22/24 mtu 1390'
wait_for 180 "ov-c's TCP stream" says node2 "$log_c" '^tcp '
on node2 grep '^tcp ' "$log_c"
on node2 grep -q '^tcp sent 1048576 echoed 1048576 ok' "$log_c"
wait_for 120 "50 whole echoes of 8,000 bytes" echoed_past node2 "$log_c" 50
blanket destroy ov-c
link_mtu "$lab_mtu"
wait_for 60 "node1's wg0 back" wg_mtu node1 $((lab_mtu - 60))
wait_for 60 "node2's wg0 back" wg_mtu node2 $((lab_mtu - 60))

# node2 leaves node1's cluster, and joins it again.
on node1 cp "$peers" /tmp/peers.saved
on node1 sed -i '/^node node2 /d' "$peers"
wait_for 60 "node1 to drop node2" unpeered node1 10.200.0.2
stopped=$(echoed node2 "$log_b")
restore_peers
wait_for 60 "node1 to take node2 back" peered node1 10.200.0.2
wait_for 120 "echoes again" echoed_past node2 "$log_b" $((stopped + 50))
on node1 rm -f /tmp/peers.saved

blanket destroy ov-b
blanket destroy ov-a
