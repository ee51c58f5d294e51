# A guest's disk moves with it, live: the disk guest appends records
# (each fsync'd, then acknowledged on its console) while it migrates
# node1 -> node2 -> node1; `blanket info` shows its disk served by
# blanket-blk on each node, and the migration reports its disk bytes. The
# way back keeps node2's image (--keep-source), renamed, holding every
# record acknowledged there. It writes on at each destination; each source's
# backend was quiesced for the handover and its image is removed after it;
# destroyed on node1 at last, its image holds every record acknowledged on
# any node, intact, in order, none twice. (Before t-78, which leaves node2
# down.)
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/diskwriter.cfg
image=/var/lib/blanket/images/diskwriter.img
guest=diskwriter

quiesced() { on "$1" grep -q "quiesced for a migration" /var/log/blanket-blk.log; }

for n in node1 node2; do
	on "$n" rm -f "$image" "$(console_log $guest)" \
		"$(console_log $guest incoming)"
done
on node1 dd if=/dev/zero of="$image" bs=1M count=0 seek=64 2>/dev/null

blanket create -n node1 "$cfg" | grep -q "created $guest"
log1=$(console_log $guest)
wait_for 120 "100 acknowledged records on node1" acked_past node1 "$log1" 100
served_here() { # node
	local info
	info=$(blanket info $guest)
	echo "$info"
	grep -q "^node: *$1\$" <<<"$info"
	grep -q "^disk: *xvda $image, read-write, blanket-blk, Connected\$" <<<"$info"
}
served_here node1
blanket info --json $guest |
	grep -q "\"disks\": \[{\"vdev\": \"xvda\", \"devid\": 51712, \"path\": \"$image\", \"readonly\": false, \"backend\": \"blanket-blk\", \"state\": \"Connected\"}\]"

out=$(blanket migrate --json $guest node2)
echo "$out"
grep -q "\"event\": \"done\", \"guest\": \"$guest\", \"from\": \"node1\", \"to\": \"node2\"" <<<"$out"
grep -q '"phase": "disk"' <<<"$out"
grep -q '"event": "done".*"disk_bytes": [1-9][0-9]*, "disk_wire_bytes": [1-9][0-9]*, "disk_writes_held": [1-9]' <<<"$out"
quiesced node1
wait_for 30 "node2's backend to connect the disk" served_here node2
log2=$(console_log $guest incoming)
a1=$(last_ack node1 "$log1")
wait_for 120 "50 more records acknowledged on node2" \
	acked_past node2 "$log2" $((a1 + 50))
f2=$(first_ack node2 "$log2")
echo "node1 -> node2: last ack $a1, first on node2 $f2"
[ "$f2" -le $((a1 + 1)) ]
wait_for 30 "node1 to remove the image it handed over" \
	fails on node1 test -e "$image"

out=$(blanket migrate --keep-source $guest node1)
echo "$out"
grep -q "bytes of guest state and [1-9][0-9]* of disks" <<<"$out"
quiesced node2
a2=$(last_ack node2 "$log2")
wait_for 120 "50 more records acknowledged on node1" \
	acked_past node1 "$log2" $((a2 + 50))
wait_for 30 "node2 to rename the image it handed over" \
	fails on node2 test -e "$image"
kept=$(on node2 sh -c "ls $image--moved-*")
disk_holds node2 "$kept" "$a2"
on node2 rm -f "$kept"

blanket destroy $guest
last=$(last_ack node1 "$log2")
echo "last record acknowledged: $last"
disk_holds node1 "$image" "$last"
on node1 rm -f "$image"
