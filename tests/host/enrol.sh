# Host tier: enrolment (docs/security.md, "Enrolment"). A node joins with a
# one-time token from `blanket ca token`, through `blanket ca serve-enrol`,
# which keeps the CA's key; the node makes its own. Sourced by
# tests/host/run, which runs each t_* function below with `check`.

port_enrol=$((port_a + 10))
port_enrol2=$((port_a + 11))
port_e=$((port_a + 12))
grep '^node' "$tmp/cluster.conf" >"$tmp/enrol-peers.conf"

# Start `blanket ca serve-enrol` on port $1 (more options follow); prints
# its pid. Its output goes to $tmp/enrol-PORT.log; an earlier server's log
# on that port moves aside first, so that its "serving" line cannot stand
# for the new server's.
serve_enrol() {
	local port=$1 log="$tmp/enrol-$1.log"
	shift
	[ ! -e "$log" ] || mv "$log" "$log.$(date +%s%N)"
	blanket ca serve-enrol --dir "$tmp/ca" --listen "127.0.0.1:$port" \
		"$@" >>"$log" 2>&1 &
	echo $! >>"$tmp/pids"
	echo $!
}
serves() { grep -q "serving enrolment on 127.0.0.1:$1" "$tmp/enrol-$1.log" 2>/dev/null; }
# Stop the enrolment servers $@ and wait until they have let go of their ports.
stop_enrol() {
	local pid
	kill "$@"
	for pid; do
		wait_for 30 "enrolment server $pid to exit" exited "$pid"
	done
}

t_enrolled_node_joins() {
	local token pid ne_pid
	token=$(blanket ca token ne --ip 127.0.0.1 --ttl 10m --dir "$tmp/ca")
	pid=$(serve_enrol "$port_enrol" --peers "$tmp/enrol-peers.conf" --once)
	wait_for 30 "the enrolment server" serves "$port_enrol"
	blanket node enrol --server "127.0.0.1:$port_enrol" --token "$token" \
		--name ne --dir "$tmp/ne" | grep -q 'enrolled as node "ne"'
	wait_for 30 "serve-enrol --once to exit" exited "$pid"
	grep -q "enrolled node ne (token" "$tmp/enrol-$port_enrol.log"
	blanket ca list --dir "$tmp/ca" | grep -Eq '^ne +node +.* valid'
	[ "$(stat -c %a "$tmp/ne/node.key")" = 600 ]
	cmp "$tmp/ne/peers.conf" "$tmp/enrol-peers.conf"
	cmp "$tmp/ne/ca.crt" "$tmp/ca/ca.crt"
	# Its blanketd serves with exactly what enrolment gave it, and the
	# cluster's operator and nodes reach it: a guest moves there and back.
	env BLANKET_FAKE_HV="$tmp/ne.hv" blanketd --foreground --hv fake \
		--name ne --listen "127.0.0.1:$port_e" --socket "$tmp/ne.sock" \
		--state-dir "$tmp/ne.state" --peers "$tmp/ne/peers.conf" \
		--boot-wait 5 --policy "$tmp/node.conf" --crl "$tmp/ne/crl.pem" \
		--ca "$tmp/ne/ca.crt" --cert "$tmp/ne/node.crt" \
		--key "$tmp/ne/node.key" 2>>"$tmp/ne.log" &
	ne_pid=$!
	echo "$ne_pid" >>"$tmp/pids"
	cluster_file "$tmp/ne.conf" "$tmp/admin" admin "na 127.0.0.1:$port_a" \
		"ne 127.0.0.1:$port_e"
	wait_for 30 "ne's blanketd to answer" \
		blanket node info --cluster "$tmp/ne.conf" ne
	blanket create --cluster "$tmp/ne.conf" -n na "$cfg"
	blanket migrate --cluster "$tmp/ne.conf" heartbeat ne | grep -q 'migrated heartbeat from na to ne'
	blanket migrate --cluster "$tmp/ne.conf" heartbeat na | grep -q 'migrated heartbeat from ne to na'
	blanket destroy --cluster "$tmp/ne.conf" heartbeat
	kill "$ne_pid"
	# Enrolling again changes nothing, without asking any server.
	sums=$(md5sum "$tmp"/ne/*)
	blanket node enrol --server 127.0.0.1:1 --token "$token" --dir "$tmp/ne" |
		grep -q 'already enrolled as node "ne" of this cluster'
	[ "$sums" = "$(md5sum "$tmp"/ne/*)" ]
}

t_enrol_refusals() {
	local pid used expired other msg
	pid=$(serve_enrol "$port_enrol")
	wait_for 30 "the enrolment server" serves "$port_enrol"
	used=$(blanket ca token nf --dir "$tmp/ca")
	blanket node enrol --server "127.0.0.1:$port_enrol" --token "$used" --dir "$tmp/nf" >/dev/null
	# Used once: refused, and only the server's log says why.
	msg=$(blanket node enrol --server "127.0.0.1:$port_enrol" --token "$used" --dir "$tmp/nf2" 2>&1) && return 1
	echo "$msg"
	grep -q 'enrolment refused: the token is unknown, used, expired' <<<"$msg"
	fails grep -q 'used already' <<<"$msg"
	grep -q 'refused: token [0-9a-f]* was used already' "$tmp/enrol-$port_enrol.log"
	[ ! -e "$tmp/nf2/node.key" ]
	# Expired (its record's time moved back, as if an hour had passed).
	expired=$(blanket ca token ng --ttl 60 --dir "$tmp/ca")
	id=$(cut -d- -f2 <<<"$expired")
	sed -i 's/^expires .*/expires 1/' "$tmp/ca/tokens/$id"
	fails blanket node enrol --server "127.0.0.1:$port_enrol" --token "$expired" --dir "$tmp/ng"
	grep -q "refused: token $id (for ng) expired" "$tmp/enrol-$port_enrol.log"
	# A token of another CA: the node will not talk to this server.
	other=$(blanket ca token nh --dir "$tmp/evil-ca")
	msg=$(blanket node enrol --server "127.0.0.1:$port_enrol" --token "$other" --dir "$tmp/nh" 2>&1) && return 1
	echo "$msg"
	grep -q "no TLS connection the token's CA vouches for" <<<"$msg"
	[ ! -e "$tmp/nh" ]
	# Bad input: named, exit status 2.
	msg=$(blanket node enrol --server "127.0.0.1:$port_enrol" --token nonsense --dir "$tmp/ni" 2>&1) && return 1
	grep -q -- '--token: not a token of `blanket ca token`' <<<"$msg"
	blanket node enrol --server "127.0.0.1:$port_enrol" --token nonsense --dir "$tmp/ni" 2>/dev/null || [ $? -eq 2 ]
	msg=$(blanket ca token nj --ttl 8d --dir "$tmp/ca" 2>&1) && return 1
	grep -q -- '--ttl "8d": want a time from 60s to 7d' <<<"$msg"
	# Garbage on the port is logged, and the next node is served.
	printf 'GET / HTTP/1.0\r\n\r\n' >/dev/tcp/127.0.0.1/"$port_enrol"
	wait_for 30 "the garbage to be logged" grep -q 'no TLS handshake' "$tmp/enrol-$port_enrol.log"
	blanket node enrol --server "127.0.0.1:$port_enrol" \
		--token "$(blanket ca token nk --dir "$tmp/ca" 2>/dev/null)" \
		--dir "$tmp/nk" | grep -q 'enrolled as node "nk"'
	stop_enrol "$pid"
}

# Two servers of one CA, two nodes with one token, at once: one enrols.
t_enrol_token_once_across_servers() {
	local token p1 p2 ok=0 round
	p1=$(serve_enrol "$port_enrol")
	p2=$(serve_enrol "$port_enrol2")
	wait_for 30 "the enrolment servers" serves "$port_enrol"
	wait_for 30 "the enrolment servers" serves "$port_enrol2"
	for round in 1 2 3 4 5; do
		token=$(blanket ca token "race$round" --dir "$tmp/ca" 2>/dev/null)
		blanket node enrol --server "127.0.0.1:$port_enrol" --token "$token" \
			--dir "$tmp/race$round-a" >/dev/null 2>&1 &
		a=$!
		blanket node enrol --server "127.0.0.1:$port_enrol2" --token "$token" \
			--dir "$tmp/race$round-b" >/dev/null 2>&1 &
		b=$!
		ok=0
		wait "$a" && ok=$((ok + 1))
		wait "$b" && ok=$((ok + 1))
		echo "round $round: $ok enrolled"
		[ "$ok" -eq 1 ]
		[ "$(ls "$tmp"/race$round-*/node.key | wc -l)" -eq 1 ]
	done
	stop_enrol "$p1" "$p2"
}
