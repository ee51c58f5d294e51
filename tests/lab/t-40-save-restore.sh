# `xl save` then `xl restore` on one node: the counter goes on where it
# stopped, with no gap and no repeat.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-save
log=$(console_log "$guest")

create_heartbeat node1 "$guest"
wait_beats node1 "$log" 10
on node1 xl save "$guest" /tmp/$guest.save
fails has_guest node1 "$guest"
saved=$(last_counter node1 "$log")
on node1 xl restore /tmp/$guest.save
has_guest node1 "$guest"
wait_beats node1 "$log" $((saved + 1 + 10))
# Every counter in the log follows the one before it.
counters node1 "$log" | awk 'NR > 1 && $1 != prev + 1 { print "gap: " prev " -> " $1; bad = 1 } { prev = $1 } END { exit bad }'
[ "$(last_counter node1 "$log")" -gt "$saved" ]
on node1 xl destroy "$guest"
on node1 rm -f /tmp/$guest.save
