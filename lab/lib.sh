# Shell helpers for scripts that drive a running lab (demo, lab tests, bench).
# Source it; it needs `blanket` in PATH.

# Run a command in a node's dom0 (stdin not forwarded).
on() {
	local node=$1
	shift
	blanket lab exec -n "$node" -- "$@"
}

# A node's address on the inter-node link: nodeN -> 10.99.0.N.
node_addr() {
	echo "10.99.0.${1#node}"
}

# The console log xenconsoled keeps for a guest: created on the node, or
# received by migration (LAB-NOTES: "--incoming").
console_log() {
	local guest=$1 how=${2:-created}
	if [ "$how" = incoming ]; then
		echo "/var/log/xen/console/guest-$guest--incoming.log"
	else
		echo "/var/log/xen/console/guest-$guest.log"
	fi
}

# Start the heartbeat guest on a node under another name.
create_heartbeat() {
	local node=$1 guest=$2
	on "$node" xl create -q /etc/xen/heartbeat.cfg "name=\"$guest\""
}

# Create the heartbeat guest with blanket on a node, under another name, and
# wait for 10 beats.
blanket_create_heartbeat() {
	local node=$1 guest=$2
	sed "s/^name = .*/name = \"$guest\"/" \
		"$(dirname "${BASH_SOURCE[0]}")/guest/heartbeat.cfg" >"/tmp/$guest.cfg"
	blanket create -n "$node" "/tmp/$guest.cfg"
	wait_beats "$node" "$(console_log "$guest")" 10
}

# Heartbeat counters in a node's console log, one per line.
counters() {
	local node=$1 log=$2
	on "$node" sh -c "[ -f $log ] && sed -n 's/^heartbeat \([0-9]*\) .*/\1/p' $log"
}

last_counter() { counters "$1" "$2" | tail -n 1; }
first_counter() { counters "$1" "$2" | head -n 1; }

# Wait until a guest's console log shows at least N beats (deadline 60 s).
wait_beats() {
	local node=$1 log=$2 n=$3 i
	for i in $(seq 120); do
		[ "$(counters "$node" "$log" | wc -l)" -ge "$n" ] && return 0
		sleep 0.5
	done
	echo "no $n heartbeats in $node:$log after 60 s" >&2
	return 1
}

# Plain `xl migrate` of a guest to another node, through the node's
# xl-migrate-receiver (socat with 256 KiB buffers, as LAB-NOTES measured).
xl_migrate() {
	local src=$1 guest=$2 dst=$3
	on "$src" xl migrate -s '' "$guest" \
		"socat -b 262144 - TCP:$(node_addr "$dst"):8002"
}

# Wait until a node's blanketd is back to its one process: no session,
# migration worker or resolver left (deadline 30 s).
wait_daemon_alone() {
	local n i
	for i in $(seq 60); do
		n=$(on "$1" pidof blanketd | wc -w)
		[ "$n" -eq 1 ] && return 0
		sleep 0.5
	done
	echo "$1 still runs $n blanketd processes" >&2
	on "$1" ps -o pid,ppid,args >&2
	return 1
}

# Whether a node lists a guest.
has_guest() {
	on "$1" xl list "$2" >/dev/null 2>&1
}
