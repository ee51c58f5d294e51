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
arrived "$guest" node1 node2 2 created

# Back, with the summary for people.
out=$(blanket migrate --delta-cache 64 "$guest" node1)
echo "$out"
grep -q '; page deltas: [0-9]* of [0-9]* pages sent again went as deltas, [0-9.]* MiB saved$' <<<"$out"
arrived "$guest" node2 node1 3 incoming
log=$(console_log "$guest" incoming)
wait_beats_past node1 "$log" "$(last_counter node1 "$log")"
blanket destroy "$guest"
