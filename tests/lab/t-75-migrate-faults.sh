# Faults during blanket migrate, before the handover: the destination's
# blanketd is killed mid-stream, then the destination's link goes down
# mid-stream. Each time the guest must end up running exactly once, at the
# source, its heartbeat going on, with nothing left on either node.
. "$(dirname "$0")/../../lab/lib.sh"
export BLANKET_CLUSTER=$BLANKET_LAB_DIR/cluster.conf
guest=hb-fault
log=$(console_log "$guest")
blanket_create_heartbeat node1 "$guest"

# Start a migration and wait until guest state is on its way.
start_migration() {
	blanket migrate --json "$guest" node2 >/tmp/$guest.out 2>&1 &
	migration=$!
	for i in $(seq 60); do
		grep -q '"raw_bytes": [1-9]' /tmp/$guest.out && return 0
		sleep 0.5
	done
	echo "the migration never started sending"
	return 1
}

# The migration failed, and the guest runs once, at node1, and beats on.
check_survived() {
	! wait "$migration"
	cat /tmp/$guest.out
	grep -q "runs on at node1" /tmp/$guest.out
	on node1 xl list "$guest" | grep -q "$guest"
	n=$(last_counter node1 "$log")
	sleep 2
	[ "$(last_counter node1 "$log")" -gt "$n" ]
	# The destination cleans up (at once, or when its blanketd restarts).
	for i in $(seq 60); do
		! on node2 xl list | grep -q "$guest" && break
		sleep 1
	done
	! on node2 xl list | grep -q "$guest"
	! on node1 xl list | grep -q -- "--migratedaway"
	! on node1 ls /run/blanket/migrating-$guest 2>/dev/null
	wait_daemon_alone node1
	wait_daemon_alone node2
}

start_migration
on node2 sh -c 'kill -9 $(pidof blanketd)'
check_survived
# blanketd is back on node2 (init restarts it), serving again.
for i in $(seq 30); do blanket node info node2 >/dev/null 2>&1 && break; sleep 1; done
blanket node info node2

start_migration
on node2 ifconfig eth0 down
check_survived
on node2 ifconfig eth0 up
on node1 ping -c 1 -W 5 "$(node_addr node2)"
blanket destroy "$guest"
