# Each node is a real Xen 4.17 dom0 on its own emulated L0, booted into the
# blanket hypervisor that `make xen` built (shadow paging, no HVM).
. "$(dirname "$0")/../../lab/lib.sh"

blanket-lab status
json=$(blanket-lab status --json)
[ "$(grep -o '"state": "ready"' <<<"$json" | wc -l)" -eq 2 ]

for node in node1 node2; do
	info=$(on "$node" xl info)
	grep -q '^xen_major *: 4$' <<<"$info"
	grep -q '^xen_minor *: 17$' <<<"$info"
	grep -q '^xen_extra *: \.[0-9]*-blanket$' <<<"$info"
	# PV live migration needs shadow paging (PV log-dirty); no hardware
	# virtualization reaches the node.
	grep -q '^virt_caps *:.*\bpv\b.*\bshadow\b' <<<"$info"
	fails grep -q '^virt_caps *:.*\bhvm\b' <<<"$info"
	fails on "$node" grep -qwE 'vmx|svm' /proc/cpuinfo
	for d in xenstored xenconsoled; do on "$node" pidof "$d"; done
	on "$node" test -d /proc/xen/
done

# Different L0s: NIC drivers and CPU models differ.
[ "$(on node1 readlink /sys/class/net/eth0/device/driver)" != "" ]
on node1 sh -c 'basename $(readlink /sys/class/net/eth0/device/driver)' | grep -qx virtio_net
on node2 sh -c 'basename $(readlink /sys/class/net/eth0/device/driver)' | grep -qx e1000
m1=$(on node1 sed -n 's/^model name\t*: //p;T;q' /proc/cpuinfo)
m2=$(on node2 sed -n 's/^model name\t*: //p;T;q' /proc/cpuinfo)
echo "node1 CPU: $m1; node2 CPU: $m2"
[ -n "$m1" ]
[ -n "$m2" ]
[ "$m1" != "$m2" ]

# The private link joins the nodes.
on node1 ping -c 2 -W 5 "$(node_addr node2)"
on node2 ping -c 2 -W 5 "$(node_addr node1)"
