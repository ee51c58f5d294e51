# Auto-converge: the heartbeat guest dirtying 32 MiB/s, faster than the
# pre-copy moves its pages under emulation, is throttled with the credit
# scheduler's cap, and its cap comes back whatever happens: a cancelled
# migration, the source's blanketd killed (its next start puts it back), a
# migration that succeeds (the destination's copy has its own). With
# --no-throttle nothing caps it. The summary reports the rounds and the
# throttle; the figures are printed, not asserted (emulation is noisy).
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-dirty
out=$LAB_TEST_TMP/$guest.out
on node1 xl create -q /etc/xen/heartbeat.cfg "name=\"$guest\"" \
	'extra="console=hvc0 quiet beat_ms=50 dirty_mib_s=32"'
wait_beats node1 "$(console_log "$guest")" 20

# The guest's cap on a node (0: none).
cap_of() { on "$1" xl sched-credit2 -d "$guest" | awk -v g="$guest" '$1 == g {print $4}'; }
cap_is() { [ "$(cap_of "$1")" = "$2" ]; }
field() { sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$out" | tail -n 1; }

# Start a migration from node1 and wait until it throttles the guest.
start_throttled() {
	>"$out"
	blanket migrate --json "$guest" node2 >"$out" 2>&1 &
	migration=$!
	wait_for 180 "the guest throttled" grep -q '"from_round": [1-9]' "$out" ||
		{ cat "$out"; return 1; }
	tail -n 1 "$out"
	fails cap_is node1 0
}

# Cancelled while throttled: the guest runs on at the source, uncapped.
start_throttled
kill -INT "$migration"
fails wait "$migration"
grep -q cancelled "$out"
cap_is node1 0
wait_for 60 "no copy on node2" lacks "^$guest" on node2 xl list
log=$(console_log "$guest")
wait_beats_past node1 "$log" "$(last_counter node1 "$log")"

# The source's blanketd killed while throttled: its next start puts the cap
# back, and resumes nothing (the guest was never suspended).
start_throttled
on node1 sh -c 'kill -9 $(pidof blanketd)'
fails wait "$migration"
wait_for 60 "node1's blanketd to answer" node_answers node1
wait_for 30 "the guest's cap back" cap_is node1 0
grep -a "putting back $guest's cap (0), throttled by a migration" \
	"$BLANKET_LAB_DIR/node1/serial.log"
wait_for 60 "no copy on node2" lacks "^$guest" on node2 xl list
wait_beats_past node1 "$log" "$(last_counter node1 "$log")"

# Throttled through to the end: the summary says so, the destination's copy
# is uncapped, the heartbeat goes on at last + 1.
start_throttled
wait "$migration"
cat "$out"
echo "rounds: $(sed -n 's/.*"round_pages": \[\([0-9, ]*\)\].*/\1/p' "$out" | tail -n 1);" \
	"throttle from round $(field from_round): $(field pct)% (cap $(field cap)%," \
	"guest used $(field guest_cpu_pct)%); downtime $(field downtime_ms) ms"
[ "$(field from_round)" -ge 2 ]
[ "$(field pct)" -ge 50 ]
cap_is node2 0
wait_beats node2 "$(console_log "$guest" incoming)" 5
last=$(last_counter node1 "$log")
first=$(first_counter node2 "$(console_log "$guest" incoming)")
echo "node1 -> node2: last $last, first $first"
[ "$first" -eq $((last + 1)) ]

# --no-throttle: the rounds never shrink, and nothing caps the guest.
>"$out"
blanket migrate --json --no-throttle "$guest" node1 >"$out"
echo "rounds: $(sed -n 's/.*"round_pages": \[\([0-9, ]*\)\].*/\1/p' "$out" | tail -n 1);" \
	"downtime $(field downtime_ms) ms"
[ "$(field from_round)" -eq 0 ]
lacks '"from_round": [1-9]' cat "$out"
cap_is node1 0
blanket destroy "$guest"
