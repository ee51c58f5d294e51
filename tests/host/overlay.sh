# The overlay's membership (docs/network.md), with blanketd's overlay
# script replaced by one that writes down what it was asked for: the
# kernel's side, wg0 and vx0, is the lab's (t-69); here, which peers each
# node hands it as nodes come, go, fall silent, are revoked or clash.
# Sourced by tests/host/run.

# ov1..ov4: their own daemons, peers file and CLI cluster file; overlay
# addresses 10.201.0.N/24, WireGuard ports 51900+N.
ov_port() { echo $((port_a + 20 + ${1#ov})); }
ov_start() { # name [overlay address]
	local name=$1 addr=${2:-10.201.0.${1#ov}}
	env BLANKET_FAKE_HV="$tmp/$name.hv" blanketd --foreground --hv fake \
		--name "$name" --listen "127.0.0.1:$(ov_port "$name")" --socket none \
		--state-dir "$tmp/$name.state" --peers "$tmp/ov-peers.conf" \
		--policy "$tmp/node.conf" --crl "$tmp/ca/crl.pem" \
		--ca "$tmp/$name/ca.crt" --cert "$tmp/$name/$name.crt" \
		--key "$tmp/$name/$name.key" --overlay "$addr/24" \
		--overlay-port $((51900 + ${name#ov})) \
		--overlay-script "$tmp/overlay-record" 2>>"$tmp/$name.log" &
	echo $! >>"$tmp/pids"
	echo $! >"$tmp/$name.pid"
}
ov_peers() { # the peers file, of the nodes named
	local n
	for n in "$@"; do echo "node $n 127.0.0.1:$(ov_port "$n")"; done >"$tmp/ov-peers.conf.new"
	mv "$tmp/ov-peers.conf.new" "$tmp/ov-peers.conf"
}
ov_key() { # node's public key, as node info tells it
	blanket node info --json --cluster "$tmp/ov-cluster.conf" "$1" |
		sed -n 's/.*"public_key": "\([^"]*\)".*/\1/p'
}
# What node's script was last handed: "KEY HOST:PORT ADDR" a line; how
# often it ran.
applied() { cat "$tmp/$1.state/applied" 2>/dev/null; }
has_peer() { grep -qx "$2 127.0.0.1:$3 $4" <<<"$(applied "$1")"; }
lacks_peer() { ! grep -q "^$2 " <<<"$(applied "$1")"; }
rounds() { wc -l <"$tmp/$1.state/rounds" 2>/dev/null || echo 0; }
rounds_past() { [ "$(rounds "$1")" -ge "$2" ]; }

t_overlay_membership() {
	cat >"$tmp/overlay-record" <<-'SCRIPT'
		#!/bin/bash
		# blanket-overlay sync KEYFILE ADDR/LEN PORT BRIDGE [KEY HOST:PORT ADDR]...
		[ "$1" = sync ] && [ $# -ge 5 ] && [ $((($# - 5) % 3)) = 0 ] || exit 1
		dir=$(dirname "$2")
		shift 5
		while [ $# -gt 0 ]; do echo "$1 $2 $3"; shift 3; done >"$dir/applied.new"
		mv "$dir/applied.new" "$dir/applied"
		echo round >>"$dir/rounds"
	SCRIPT
	chmod +x "$tmp/overlay-record"
	for n in ov1 ov2 ov3 ov4; do
		blanket ca issue "$n" --role node --ip 127.0.0.1 --dir "$tmp/ca" --out "$tmp/$n" >/dev/null
	done
	cluster_file "$tmp/ov-cluster.conf" "$tmp/admin" admin "ov1 127.0.0.1:$(ov_port ov1)" \
		"ov2 127.0.0.1:$(ov_port ov2)" "ov3 127.0.0.1:$(ov_port ov3)" \
		"ov4 127.0.0.1:$(ov_port ov4)"
	ov_peers ov1 ov2 ov3
	ov_start ov1
	ov_start ov2
	ov_start ov3
	ov_answers() { blanket node info --cluster "$tmp/ov-cluster.conf" "$1" >/dev/null 2>&1; }
	for n in ov1 ov2 ov3; do wait_for 30 "$n to answer" ov_answers "$n"; done
	blanket node info --cluster "$tmp/ov-cluster.conf" ov2 | grep -Eq '^ov2 +up .* 10\.201\.0\.2$'
	k1=$(ov_key ov1) k2=$(ov_key ov2) k3=$(ov_key ov3)
	[ ${#k1} = 44 ] && [ "$k1" != "$k2" ] && [ "$k2" != "$k3" ]
	# The key is made once, 0600, on the node.
	[ "$(stat -c %a "$tmp/ov1.state/overlay.key")" = 600 ]
	fails grep -q "$(cat "$tmp/ov1.state/overlay.key")" "$tmp/ov1.log" "$tmp/ov2.log"

	# Everyone peers with everyone else.
	wait_for 30 "ov1 to peer ov2 and ov3" eval 'has_peer ov1 "$k2" 51902 10.201.0.2 && has_peer ov1 "$k3" 51903 10.201.0.3'
	wait_for 30 "ov3 to peer ov1 and ov2" eval 'has_peer ov3 "$k1" 51901 10.201.0.1 && has_peer ov3 "$k2" 51902 10.201.0.2'
	[ "$(applied ov1 | wc -l)" = 2 ]
	grep -q 'overlay: ov2 joins, 10.201.0.2 at 127.0.0.1:51902' "$tmp/ov1.log"

	# ov3 falls silent: kept, two runs of the script on (it runs every
	# 20 s when nothing changes).
	kill -9 "$(cat "$tmp/ov3.pid")"
	r=$(rounds ov1)
	wait_for 60 "two runs of ov1's script" rounds_past ov1 $((r + 2))
	has_peer ov1 "$k3" 51903 10.201.0.3

	# ov2 leaves the cluster, and comes back.
	ov_peers ov1 ov3
	wait_for 30 "ov1 to drop ov2" lacks_peer ov1 "$k2"
	grep -q 'overlay: ov2 leaves' "$tmp/ov1.log"
	has_peer ov1 "$k3" 51903 10.201.0.3
	ov_peers ov1 ov2 ov3
	wait_for 30 "ov1 to take ov2 back" has_peer ov1 "$k2" 51902 10.201.0.2

	# ov4 claims ov2's overlay address: left out, and said.
	ov_start ov4 10.201.0.2
	ov_peers ov1 ov2 ov3 ov4
	wait_for 30 "ov1 to refuse ov4" grep -q "overlay: ov4 claims ov2's address or key: left out" "$tmp/ov1.log"
	wait_for 30 "ov4 to answer" ov_answers ov4
	k4=$(ov_key ov4)
	lacks_peer ov1 "$k4"
	has_peer ov1 "$k2" 51902 10.201.0.2

	# ov3 back, then revoked: dropped, not kept as a silent node is.
	ov_start ov3
	wait_for 30 "ov3 to answer" ov_answers ov3
	blanket ca revoke ov3 --dir "$tmp/ca" >/dev/null
	wait_for 30 "ov1 to drop the revoked ov3" lacks_peer ov1 "$k3"
	grep -q 'overlay: ov3 leaves' "$tmp/ov1.log"
	for n in ov1 ov2 ov3 ov4; do kill "$(cat "$tmp/$n.pid")"; done
}
