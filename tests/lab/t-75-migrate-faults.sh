# Faults during blanket migrate, before the handover: the destination's
# blanketd is killed mid-stream, then the destination's link goes down
# mid-stream. Each time the guest must end up running exactly once, at the
# source, its heartbeat going on, with nothing left on either node.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-fault
# Emptied before each migration starts: a check must never see an old one.
out=$LAB_TEST_TMP/$guest.out
log=$(console_log "$guest")
blanket_create_heartbeat node1 "$guest"

# Start a migration and wait until guest state is on its way.
start_migration() {
	>"$out"
	blanket migrate --json "$guest" node2 >"$out" 2>&1 &
	migration=$!
	wait_for 60 "the migration to send guest state" \
		grep -q '"raw_bytes": [1-9]' "$out"
}

# The migration failed, and the guest runs once, at node1, and beats on.
check_survived() {
	fails wait "$migration"
	cat "$out"
	grep -q "runs on at node1" "$out"
	on node1 xl list "$guest" | grep -q "$guest"
	n=$(last_counter node1 "$log")
	wait_beats_past node1 "$log" "$n"
	# The destination cleans up (at once, or when its blanketd restarts).
	gone_from_node2() { ! on node2 xl list | grep -q "$guest"; }
	wait_for 60 "node2 to drop its copy" gone_from_node2
	lacks "--migratedaway" on node1 xl list
	fails on node1 ls /run/blanket/migrating-$guest 2>/dev/null
	wait_daemon_alone node1
	wait_daemon_alone node2
}

destination_faults
blanket destroy "$guest"
