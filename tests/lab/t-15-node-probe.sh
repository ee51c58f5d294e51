# `blanket node probe` and `node check` inside each node's dom0 say what the
# node really is: a Xen dom0 on QEMU with no VT-x/SVM, its own NIC model,
# booted into the blanket hypervisor with shadow paging.
. "$(dirname "$0")/../../lab/lib.sh"

for node in node1 node2; do
	probe=$(on "$node" blanket node probe)
	echo "$probe"
	grep -q '^dom0 *yes' <<<"$probe"
	grep -q '^cloud *QEMU' <<<"$probe"
	json=$(on "$node" blanket node probe --json)
	grep -q '"dom0": true' <<<"$json"
	check=$(on "$node" blanket node check)
	echo "$check"
	grep -q '^live migration *yes' <<<"$check"
	grep -q '^verdict *ready' <<<"$check"
	grep -q 'Xen 4\.17\.[0-9]*-blanket (virt_caps: pv shadow' <<<"$check"
	on "$node" blanket node check --json |
		grep -q '"check": "hvm", "ok": false'
done
# Each node's own NIC model.
on node1 blanket node probe | grep -q '^devices .*virtio'
on node2 blanket node probe | grep -q '^devices .*e1000'
lacks '^devices .*virtio' on node2 blanket node probe
