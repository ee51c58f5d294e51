# Plain `xl migrate` of the heartbeat guest from node1 to node2 over the
# emulated link: the counter continues on node2, node1 no longer has it.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-migrate

create_heartbeat node1 "$guest"
wait_beats node1 "$(console_log "$guest")" 10
xl_migrate node1 "$guest" node2

fails has_guest node1 "$guest"
has_guest node2 "$guest"
wait_beats node2 "$(console_log "$guest" incoming)" 10
last=$(last_counter node1 "$(console_log "$guest")")
first=$(first_counter node2 "$(console_log "$guest" incoming)")
echo "last on node1: $last, first on node2: $first"
[ "$first" -eq $((last + 1)) ]
# Still beating on node2.
log=$(console_log "$guest" incoming)
wait_beats_past node2 "$log" "$(last_counter node2 "$log")"
on node2 xl destroy "$guest"
