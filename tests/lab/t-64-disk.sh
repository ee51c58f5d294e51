# A guest's disk served by blanket-blk against real Xen (no xen-blkback in
# the lab's dom0): the disk guest, created with blanket from its xl.cfg,
# writes records through blkfront, each one fsync'd and acknowledged on its
# console; destroyed, its image holds every acknowledged record, intact and
# in its place; the disk's backend process has ended and libxl has removed
# its nodes. (Numbered before t-78, which leaves node2 down: a create
# holds its name on every node.)
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/diskwriter.cfg
image=/var/lib/blanket/images/diskwriter.img

backend() { on node1 xenstore-read "/local/domain/0/backend/vbd/$domid/51712/$1"; }

blk_processes() { on node1 pidof blanket-blk | wc -w; }
only_the_watcher() { [ "$(blk_processes)" = 1 ]; }

fails on node1 grep -q '^xen_blkback ' /proc/modules
only_the_watcher
on node1 rm -f "$image" "$(console_log diskwriter)"
on node1 dd if=/dev/zero of="$image" bs=1M count=0 seek=64 2>/dev/null

blanket create -n node1 "$cfg" | grep -q 'created diskwriter'
domid=$(on node1 xl domid diskwriter)
log=$(console_log diskwriter)
wait_for 120 "the disk guest's 200th acknowledged record" \
	acked_past node1 "$log" 200
# The handshake as blkfront sees it: Connected, with what blanket-blk said.
[ "$(backend state)" = 4 ]
[ "$(backend sectors)" = $((64 * 2048)) ]
[ "$(backend feature-flush-cache)" = 1 ]
on node1 grep -q "backend/vbd/$domid/51712: connected" /var/log/blanket-blk.log

blanket destroy diskwriter
last=$(last_ack node1 "$log")
echo "last record acknowledged: $last"
disk_holds node1 "$image" "$last"
# Gone with the guest: the disk's process and its nodes.
wait_for 30 "the disk's backend process to end" only_the_watcher
wait_for 30 "libxl to remove the disk's backend nodes" \
	fails on node1 xenstore-read "/local/domain/0/backend/vbd/$domid/51712/state"
on node1 rm -f "$image"
