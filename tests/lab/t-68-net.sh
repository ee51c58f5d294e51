# Guests' network through their vifs against real Xen: two network guests,
# created with blanket from an xl.cfg whose vif names a MAC and the node's
# bridge, one on each node. The one on node1 has its address from its vif's
# ip= and asks for it by DHCP: its node's service hands it that address and
# the overlay's MTU (wg0's less 50). The one on node2 sends a 1,400-byte UDP
# datagram every 10 ms to the one on node1, which echoes it back, across
# the cluster overlay (t-69 tests the overlay itself). Each vif is on its
# node's bridge. Then the echoing guest migrates to node2 while the other
# counts: its echoes carry on there, with the count and the longest gap
# printed, and node2's DHCP service has taken its address over. Last, 8,000-byte datagrams (IP fragments on a 1,500 link) from
# a third guest on node1 come back whole.
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/netecho.cfg
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The guest's file under another name, MAC and address (and peer); with
# VIF_IP set, its vif has that ip=.
netecho_cfg() { # name mac-last-byte address|dhcp [peer [size]]
	sed -e "s/^name = .*/name = \"$1\"/" \
		-e "s/00:16:3e:00:00:01/00:16:3e:00:00:$2/" \
		-e "s/bridge=xenbr0'/bridge=xenbr0${VIF_IP:+,ip=$VIF_IP}'/" \
		-e "s|net_addr=[^ \"]*|net_addr=$3${4:+ net_peer=$4}${5:+ net_size=$5}|" \
		"$cfg" >"$tmp/$1.cfg"
	echo "$tmp/$1.cfg"
}

# The echo counts the sending guest last printed: "SENT ECHOED GAP-MS".
counts() { # node log
	on "$1" sed -n 's/^net sent \([0-9]*\) echoed \([0-9]*\) gap-ms \([0-9]*\).*/\1 \2 \3/p' \
		"$2" | tail -n 1
}
echoed() { counts "$1" "$2" | awk '{print $2}'; }
echoed_past() { local n; n=$(echoed "$1" "$2"); [ "${n:-0}" -ge "$3" ]; }
net_up() { on "$1" grep -q '^net up ' "$2"; }
# The node's DHCP service answers the MAC with the address (or does not).
dhcp_serves() { on "$1" grep -qx "$2,$3" /run/blanket-dhcp/hosts; }
dhcp_forgot() { ! dhcp_serves "$@"; }

on node1 rm -f "$(console_log net-echo)" "$(console_log net-echo incoming)"
on node2 rm -f "$(console_log net-echo)" "$(console_log net-echo incoming)" \
	"$(console_log net-count)"
VIF_IP=10.98.0.10 netecho_cfg net-echo 0a dhcp >/dev/null
blanket create -n node1 "$tmp/net-echo.cfg" | grep -q 'created net-echo'
blanket create -n node2 "$(netecho_cfg net-count 0b 10.98.0.11/24 10.98.0.10 1400)" |
	grep -q 'created net-count'
wait_for 120 "the echoing guest's network" net_up node1 "$(console_log net-echo)"
# Its lease: the vif's address, and the overlay's MTU.
up=$(on node1 grep '^net up ' "$(console_log net-echo)" | tr -d '\r')
want_mtu=$(($(on node1 cat /sys/class/net/wg0/mtu) - 50))
echo "by DHCP: $up"
if [ "$up" != "net up 10.98.0.10/24 mtu $want_mtu" ]; then
	echo "DHCP gave \"$up\", want 10.98.0.10/24 and MTU $want_mtu" >&2
	exit 1
fi
dhcp_serves node1 00:16:3e:00:00:0a 10.98.0.10
log=$(console_log net-count)
wait_for 120 "100 echoes across the nodes" echoed_past node2 "$log" 100
echo "before: sent, echoed, longest gap (ms): $(counts node2 "$log")"
# Each vif on its node's bridge, named as libxl names it, and in blanket
# info as its node sees it.
vif_shown() { # guest mac node [ip]
	local domid
	domid=$(on "$3" xl domid "$1")
	on "$3" ip -o link show master xenbr0 | grep -q "vif$domid\.0" &&
		blanket info "$1" |
		grep -q "^vif: *0 $2${4:+ $4}, bridge xenbr0, vif$domid\.0, Connected$"
}
vif_shown net-echo 00:16:3e:00:00:0a node1 10.98.0.10
vif_shown net-count 00:16:3e:00:00:0b node2

# The echoing guest moves to node2; the echoes carry on from there.
blanket migrate net-echo node2
before=$(echoed node2 "$log")
wait_for 120 "100 echoes after the move" echoed_past node2 "$log" $((before + 100))
vif_shown net-echo 00:16:3e:00:00:0a node2 10.98.0.10
# The address went with the guest: node2's DHCP service answers for it now,
# node1's no longer.
wait_for 30 "node2's DHCP service to take net-echo's address" \
	dhcp_serves node2 00:16:3e:00:00:0a 10.98.0.10
wait_for 30 "node1's DHCP service to let it go" \
	dhcp_forgot node1 00:16:3e:00:00:0a 10.98.0.10
read -r sent got gap <<<"$(counts node2 "$log")"
echo "after: sent $sent, echoed $got, lost $((sent - got)), longest gap $gap ms"

blanket destroy net-count

# Datagrams five times the link's MTU, node1 to the guest now on node2.
on node1 rm -f "$(console_log net-big)"
blanket create -n node1 "$(netecho_cfg net-big 0c 10.98.0.12/24 10.98.0.10 8000)" |
	grep -q 'created net-big'
big=$(console_log net-big)
wait_for 120 "50 whole echoes of 8,000 bytes" echoed_past node1 "$big" 50
echo "8,000 bytes: sent, echoed, longest gap (ms): $(counts node1 "$big")"
blanket destroy net-big
blanket destroy net-echo
