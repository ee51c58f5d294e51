# blanket migrate: node1 -> node2 -> node1 through the daemons' encrypted
# channel; the heartbeat continues at last + 1 each time, the guest's check
# pages come through intact (its zero pages too: docs/specs/
# migration-stream.md, "Zero pages at the destination"), exactly one copy
# runs, and nothing is left behind (no NAME--incoming, NAME--migratedaway or
# lock). Bad requests are refused up front with the guest untouched.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-move
blanket_create_heartbeat node1 "$guest"

# Refusals, guest untouched.
msg=$(blanket migrate no-such-guest node2 2>&1) && exit 1
grep -q 'no guest named "no-such-guest"' <<<"$msg"
msg=$(blanket migrate "$guest" node9 2>&1) && exit 1
grep -q 'no node "node9"' <<<"$msg"
msg=$(blanket migrate "$guest" node1 2>&1) && exit 1
echo "$msg"
grep -q 'already runs on node1' <<<"$msg"
has_guest node1 "$guest"

out=$(blanket migrate --json "$guest" node2)
echo "$out"
grep -q '"event": "progress"' <<<"$out"
grep -q '"event": "done", "guest": "hb-move", "from": "node1", "to": "node2"' <<<"$out"
# Where the downtime went: its parts add up to it.
field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<<"$out" | tail -n 1; }
echo "downtime $(field downtime_ms) ms: last round $(field last_round_ms)," \
	"restore $(field restore_ms), start $(field start_ms)"
[ "$(field downtime_ms)" -eq $(($(field last_round_ms) + $(field restore_ms) + \
	$(field start_ms))) ]
arrived "$guest" node1 node2 2 created

blanket migrate --no-compress "$guest" node1
arrived "$guest" node2 node1 3 incoming
log=$(console_log "$guest" incoming)
wait_beats_past node1 "$log" "$(last_counter node1 "$log")"
blanket destroy "$guest"
