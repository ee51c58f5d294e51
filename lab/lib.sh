# Shell helpers for scripts that drive a running lab (demo, lab tests, bench;
# the host tier uses wait_for too).
# Source it; it needs `blanket` in PATH.

# Run "$@" until it succeeds, for at most $1 seconds; otherwise fail, saying
# what was awaited ($2). Never a fixed wait: the machine may be slow.
wait_for() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "waited $secs s for $what, in vain" >&2
			return 1
		fi
		sleep 0.2
	done
}

# Assert that a command fails: a plain `! cmd` would not, as set -e ignores
# what `!` inverts.
fails() {
	if "$@"; then
		echo "expected to fail: $*" >&2
		return 1
	fi
}

# Assert that no line of a command's output matches an extended regex (the
# command's own status does not matter).
lacks() {
	local pat=$1 out
	shift
	out=$("$@" 2>/dev/null) || true
	if grep -qE -- "$pat" <<<"$out"; then
		echo "unexpected /$pat/ in the output of $*:" >&2
		echo "$out" >&2
		return 1
	fi
}

# Run a command in a node's dom0 (stdin not forwarded).
on() {
	local node=$1
	shift
	blanket-lab exec -n "$node" -- "$@"
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
	local node=$1 guest=$2 dir
	dir=$(mktemp -d)
	sed "s/^name = .*/name = \"$guest\"/" \
		"$(dirname "${BASH_SOURCE[0]}")/guest/heartbeat.cfg" >"$dir/$guest.cfg"
	blanket create -n "$node" "$dir/$guest.cfg"
	rm -r "$dir"
	wait_beats "$node" "$(console_log "$guest")" 10
}

# Heartbeat counters in a node's console log, one per line.
counters() {
	local node=$1 log=$2
	on "$node" sh -c "[ -f $log ] && sed -n 's/^heartbeat \([0-9]*\) .*/\1/p' $log"
}

last_counter() { counters "$1" "$2" | tail -n 1; }
first_counter() { counters "$1" "$2" | head -n 1; }

# Whether a guest's console log shows at least N beats.
has_beats() { [ "$(counters "$1" "$2" | wc -l)" -ge "$3" ]; }

# Wait until a guest's console log shows at least N beats (deadline 60 s).
wait_beats() {
	wait_for 60 "$3 heartbeats in $1:$2" has_beats "$@"
}

# Whether a guest's last heartbeat is past counter N.
beats_past() {
	local last
	last=$(last_counter "$1" "$2")
	[ "${last:-0}" -gt "$3" ]
}

# Wait until the guest beats again after counter N: it runs (deadline 60 s).
wait_beats_past() {
	wait_for 60 "a heartbeat past $3 in $1:$2" beats_past "$@"
}

# The heartbeat guest checks all its check pages every 32 beats: wait for 40
# beats in a console log, then assert none failed (a page a move lost, or a
# zero page not given zeroed).
memory_intact() {
	local node=$1 log=$2
	wait_beats "$node" "$log" 40
	lacks "memory check failed" on "$node" cat "$log"
}

# The disk guest's acknowledged records in a node's console log, one per
# line (lab/guest/diskwriter.c prints "ack N" once record N is fsync'd).
disk_acks() {
	local node=$1 log=$2
	on "$node" sh -c "[ -f $log ] && sed -n 's/^ack \([0-9]*\).*/\1/p' $log"
}

last_ack() { disk_acks "$1" "$2" | tail -n 1; }
first_ack() { disk_acks "$1" "$2" | head -n 1; }

# Whether a node's console log of the disk guest acknowledges record N.
acked_past() {
	local last
	last=$(last_ack "$1" "$2")
	[ "${last:-0}" -ge "$3" ]
}

# The disk guest's image, checked once the guest is gone: every record in
# order and intact, and at least N of them (the last one acknowledged).
disk_holds() {
	local node=$1 image=$2 last=$3 out records
	out=$(on "$node" blanket-lab-diskwriter verify "$image")
	echo "$out"
	records=$(sed -n 's/^records \([0-9]*\)$/\1/p' <<<"$out")
	[ "${records:-0}" -ge "$last" ]
}

# Whether the heartbeat guest's console, read with blanket console from the
# host, shows a heartbeat line: it reads until one arrives (or 60 s pass).
console_shows_beat() {
	local line
	line=$(timeout 60 blanket console "$1" </dev/null 2>/dev/null |
		grep -m1 '^heartbeat [0-9]* ' || true)
	[ -n "$line" ]
}

# Plain `xl migrate` of a guest to another node, through the node's
# xl-migrate-receiver (socat with 256 KiB buffers, as LAB-NOTES measured).
xl_migrate() {
	local src=$1 guest=$2 dst=$3
	on "$src" xl migrate -s '' "$guest" \
		"socat -b 262144 - TCP:$(node_addr "$dst"):8002"
}

# Plain `xl migrate` as on a stock Xen host: over ssh to the destination,
# where sshd runs `xl migrate-receive` (ssh_setup first).
xl_migrate_ssh() {
	local src=$1 guest=$2 dst=$3
	on "$src" xl migrate -s "ssh -i /root/.ssh/id_ed25519 \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o LogLevel=ERROR" "$guest" "$(node_addr "$dst")"
}

# The cipher an ssh session from one node to another agrees on.
ssh_cipher() {
	on "$1" ssh -v -i /root/.ssh/id_ed25519 -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null "$(node_addr "$2")" true 2>&1 |
		sed -n 's/.*kex: client->server cipher: \([^ ]*\).*/\1/p'
}

# Let each node ssh to the others as root: a key pair for root and a host
# key, made on the host, and sshd listening on each node's link address.
ssh_setup() {
	local dir n key pub host
	dir=$(mktemp -d)
	ssh-keygen -q -t ed25519 -N '' -C blanket-lab -f "$dir/id_ed25519"
	ssh-keygen -q -t ed25519 -N '' -C blanket-lab-host -f "$dir/host"
	key=$(base64 -w0 "$dir/id_ed25519")
	pub=$(cat "$dir/id_ed25519.pub")
	host=$(base64 -w0 "$dir/host")
	rm -rf "$dir"
	for n in "$@"; do
		on "$n" sh -c "echo $key | base64 -d >/root/.ssh/id_ed25519 &&
			echo $host | base64 -d >/etc/ssh/ssh_host_ed25519_key &&
			chmod 600 /root/.ssh/id_ed25519 /etc/ssh/ssh_host_ed25519_key &&
			echo '$pub' >/root/.ssh/authorized_keys &&
			mkdir -p /run/sshd &&
			/usr/sbin/sshd -o ListenAddress=$(node_addr "$n")"
	done
}

# The faults t-75 and t-66 inflict on a migration from node1 to node2
# before its handover: node2's blanketd killed, then node2's link cut.
# The test's start_migration starts one and waits until it is under way;
# its check_survived checks what must hold after each.
destination_faults() {
	start_migration
	on node2 sh -c 'kill -9 $(pidof blanketd)'
	check_survived
	# blanketd is back on node2 (init restarts it), serving again.
	wait_for 60 "node2's blanketd to answer" node_answers node2
	start_migration
	on node2 ifconfig eth0 down
	check_survived
	on node2 ifconfig eth0 up
	on node1 ping -c 1 -W 5 "$(node_addr node2)"
}

# Whether a node's blanketd is down to its one process.
daemon_alone() {
	# The overlay's rounds (named overlay-round) come and go: not leftovers.
	[ "$(on "$1" sh -c 'for p in $(pidof blanketd); do
		[ "$(cat /proc/$p/comm 2>/dev/null)" = blanketd ] && echo $p
	done' | wc -l)" -eq 1 ]
}

# Wait until a node's blanketd is back to its one process: no session,
# migration worker or resolver left (deadline 30 s).
wait_daemon_alone() {
	wait_for 30 "$1's blanketd to be alone" daemon_alone "$1" && return 0
	on "$1" ps -o pid,ppid,args >&2
	return 1
}

# Whether a node's blanketd answers blanket (after a restart).
node_answers() { blanket node info "$1" >/dev/null 2>&1; }

# Whether a node lists a guest.
has_guest() {
	on "$1" xl list "$2" >/dev/null 2>&1
}

# A migrated guest runs on one node only, and no migration left anything
# behind on either node (no NAME--incoming, NAME--migratedaway or lock).
runs_only_on() { # guest node other-node
	has_guest "$2" "$1"
	fails has_guest "$3" "$1"
	for n in node1 node2; do
		lacks "--incoming|--migratedaway" on "$n" xl list
		fails on "$n" ls "/run/blanket/migrating-$1" 2>/dev/null
	done
}

# The heartbeat guest came from one node to the other as generation gen:
# it runs there only, its heartbeat goes on at the source's last + 1, and
# its check pages came through intact. from_log: how its console log at
# the source is named (console_log's created or incoming).
arrived() { # guest from to generation from_log
	local guest=$1 from=$2 to=$3 last first
	runs_only_on "$guest" "$to" "$from"
	blanket info "$guest" | grep -q "generation: $4"
	wait_beats "$to" "$(console_log "$guest" incoming)" 5
	last=$(last_counter "$from" "$(console_log "$guest" "$5")")
	first=$(first_counter "$to" "$(console_log "$guest" incoming)")
	echo "$from -> $to: last $last, first $first"
	[ "$first" -eq $((last + 1)) ]
	memory_intact "$to" "$(console_log "$guest" incoming)"
}
