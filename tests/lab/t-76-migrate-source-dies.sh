# Faults at the source during blanket migrate: its blanketd (and with it the
# migration's processes) is killed mid-stream, then again while it waits for
# the destination's restore with the guest suspended. Init restarts blanketd;
# the guest must then run exactly once, on one node or the other, its
# heartbeat going on, with nothing left on either node.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-srcdie
# Emptied before each migration starts: a check must never see an old one.
out=$LAB_TEST_TMP/$guest.out
blanket_create_heartbeat node1 "$guest"

# Start a migration from $1 to $2 and wait for the progress event matching $3.
start_migration() {
	>"$out"
	blanket migrate --json "$guest" "$2" >"$out" 2>&1 &
	migration=$!
	wait_for 60 "a progress event matching $3" grep -q "$3" "$out" ||
		{ cat "$out"; return 1; }
}

# Copies of the guest on a node: exact name, then leftovers (NAME--*).
copies() { on "$1" xl list | awk -v g="$guest" '$1 == g' | wc -l; }
leftovers() { on "$1" xl list | grep -c -- "^$guest--" || true; }
# Whether the guest runs on one node, with no leftover; sets n1 and n2.
settled_once() {
	n1=$(copies node1) n2=$(copies node2)
	[ $((n1 + n2)) -eq 1 ] && [ "$(leftovers node1)$(leftovers node2)" = 00 ]
}

# After the kill at $1: wait until the guest runs once, with nothing left,
# and check its heartbeat goes on. Sets $src to where it runs.
check_settled() {
	local killed=$1 n1 n2 log
	fails wait "$migration"
	cat "$out"
	wait_for 60 "$killed's blanketd to answer" node_answers "$killed"
	wait_for 90 "the guest to run once, nothing left" settled_once ||
		{ on node1 xl list; on node2 xl list; return 1; }
	wait_daemon_alone node1
	wait_daemon_alone node2
	fails on node1 ls /run/blanket/migrating-$guest /run/blanket/away-$guest 2>/dev/null
	src=$([ "$n1" -eq 1 ] && echo node1 || echo node2)
	log=$(console_log "$guest")
	[ "$src" = node2 ] && log=$(console_log "$guest" incoming)
	echo "$guest runs on $src"
	n=$(last_counter "$src" "$log")
	wait_beats_past "$src" "$log" "$n"
}

start_migration node1 node2 '"raw_bytes": [1-9]'
on node1 sh -c 'kill -9 $(pidof blanketd)'
check_settled node1
# Killed mid-stream, the source had not suspended the guest: it stayed.
[ "$src" = node1 ]

start_migration node1 node2 '"phase": "handover"'
on node1 sh -c 'kill -9 $(pidof blanketd)'
check_settled node1
# The guest was suspended: the restarted blanketd resumed it (killed before
# the handover began; after its away record, before the rename; after the
# rename, before go reached node2, which says so), or (if go was acted on)
# asked node2, which runs it. Its log is node1's console.
serial=$BLANKET_LAB_DIR/node1/serial.log
if [ "$src" = node1 ]; then
	grep -a -E "resuming $guest(, left suspended|: its migration stopped before go)|\"$guest\": node node2 never started \"$guest\"" "$serial"
else
	grep -a "\"$guest\": node node2 confirms \"$guest\" runs there" "$serial"
fi
blanket destroy "$guest"
