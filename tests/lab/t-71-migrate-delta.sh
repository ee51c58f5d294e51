# Page deltas (blanket migrate --delta-cache; docs/specs/migration-stream.md,
# "Page deltas (XBZRLE)"): the heartbeat guest node1 -> node2 -> node1 with a
# 64 MiB delta cache. A running kernel re-dirties pages sparsely between
# libxc's rounds (timers, its stacks, the console ring), so some of the pages
# sent again go as deltas (delta_hits > 0) and save bytes; the destination
# rebuilds them byte for byte: the heartbeat continues at last + 1 and the
# guest's check pages come through intact. Nothing is left behind.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-delta
blanket_create_heartbeat node1 "$guest"

field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" <<<"$out" | tail -n 1; }
only_on() { # node other-node
	has_guest "$1" "$guest"
	fails has_guest "$2" "$guest"
	for n in node1 node2; do
		lacks "--incoming|--migratedaway" on "$n" xl list
		fails on "$n" ls /run/blanket/migrating-$guest 2>/dev/null
	done
}

out=$(blanket migrate --delta-cache 64 --json "$guest" node2)
echo "$out"
grep -q '"event": "done", "guest": "hb-delta", "from": "node1", "to": "node2"' <<<"$out"
echo "page deltas: $(field delta_hits) of $(field delta_pages) pages as" \
	"deltas, $(field delta_misses) misses, $(field delta_overflows)" \
	"overflows, $(field delta_saved_bytes) bytes saved;" \
	"rounds: $(grep -o '"round_pages": \[[^]]*\]' <<<"$out" | tail -n 1)"
[ "$(field delta_hits)" -gt 0 ]
[ "$(field delta_saved_bytes)" -gt 0 ]
[ "$(field delta_pages)" -ge "$(field delta_hits)" ]
only_on node2 node1
blanket info "$guest" | grep -q 'generation: 2'
wait_beats node2 "$(console_log "$guest" incoming)" 5
last=$(last_counter node1 "$(console_log "$guest")")
first=$(first_counter node2 "$(console_log "$guest" incoming)")
echo "node1 -> node2: last $last, first $first"
[ "$first" -eq $((last + 1)) ]
memory_intact node2 "$(console_log "$guest" incoming)"

# Back, with the summary for people.
out=$(blanket migrate --delta-cache 64 "$guest" node1)
echo "$out"
grep -q '; page deltas: [0-9]* of [0-9]* pages sent again went as deltas, [0-9.]* MiB saved$' <<<"$out"
only_on node1 node2
blanket info "$guest" | grep -q 'generation: 3'
wait_beats node1 "$(console_log "$guest" incoming)" 5
last=$(last_counter node2 "$(console_log "$guest" incoming)")
first=$(first_counter node1 "$(console_log "$guest" incoming)")
echo "node2 -> node1: last $last, first $first"
[ "$first" -eq $((last + 1)) ]
memory_intact node1 "$(console_log "$guest" incoming)"
log=$(console_log "$guest" incoming)
wait_beats_past node1 "$log" "$(last_counter node1 "$log")"
blanket destroy "$guest"
