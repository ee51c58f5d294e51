# Faults while a guest's disk moves, before the handover: the destination's
# blanketd is killed mid-migration, then the destination's link goes down
# mid-migration. Each time the disk guest runs on at the source, once, and
# writes on; the destination removes the image it was making; the source's
# image is untouched: destroyed at last, the guest leaves every record it
# acknowledged there. (Before t-78, which leaves node2 down.)
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/diskwriter.cfg
image=/var/lib/blanket/images/diskwriter.img
guest=diskwriter
out=$LAB_TEST_TMP/$guest.out
log=$(console_log $guest)

for n in node1 node2; do on "$n" rm -f "$image"; done
on node1 rm -f "$log"
on node1 dd if=/dev/zero of="$image" bs=1M count=0 seek=64 2>/dev/null
blanket create -n node1 "$cfg" | grep -q "created $guest"
wait_for 120 "50 acknowledged records" acked_past node1 "$log" 50

# Start a migration and wait until guest memory is on its way: the disk
# went first, and its backend tracks the guest's writes.
start_migration() {
	>"$out"
	blanket migrate --json $guest node2 >"$out" 2>&1 &
	migration=$!
	wait_for 60 "the migration to send guest memory" \
		grep -q '"raw_bytes": [1-9]' "$out"
	on node2 test -e "$image"
}

# The migration failed; the guest runs once, at node1, and writes on; node2
# keeps nothing of it.
check_survived() {
	local n
	fails wait "$migration"
	cat "$out"
	grep -q "runs on at node1" "$out"
	on node1 xl list $guest | grep -q $guest
	n=$(last_ack node1 "$log")
	wait_for 60 "records acknowledged past $n on node1" \
		acked_past node1 "$log" $((n + 10))
	gone_from_node2() { ! on node2 xl list | grep -q "$guest"; }
	wait_for 60 "node2 to drop its copy" gone_from_node2
	wait_for 60 "node2 to remove the image it was receiving" \
		fails on node2 test -e "$image"
	on node1 test -e "$image"
	lacks "--migratedaway" on node1 xl list
	wait_daemon_alone node1
	wait_daemon_alone node2
}

destination_faults

blanket destroy $guest
last=$(last_ack node1 "$log")
echo "last record acknowledged: $last"
disk_holds node1 "$image" "$last"
on node1 rm -f "$image"
