# Host tier: least privilege (docs/security.md). Sourced by tests/host/run,
# which runs each t_* function below with `check`; every attack of issue 12
# is a test here that shows the refusal and its message.

# Identities beyond the operator: a viewer.
blanket ca issue victor --role viewer --dir "$tmp/ca" --out "$tmp/victor" >/dev/null
cluster_file "$tmp/viewer.conf" "$tmp/victor" victor "na 127.0.0.1:$port_a" \
	"nb 127.0.0.1:$port_b"
# Node nb's own key, as if taken from its dom0, used as a client.
cluster_file "$tmp/stolen.conf" "$tmp/nb" nb "na 127.0.0.1:$port_a" \
	"nb 127.0.0.1:$port_b" "nc 127.0.0.1:$port_c"

t_viewer_only_reads() {
	blanket create -n na "$cfg"
	blanket list --cluster "$tmp/viewer.conf" | grep -E '^na +.* heartbeat +[0-9]+ running'
	blanket info --cluster "$tmp/viewer.conf" heartbeat | grep -q 'state: *running'
	blanket node list --cluster "$tmp/viewer.conf" | grep -Eq '^na +up '
	msg=$(blanket create --cluster "$tmp/viewer.conf" -n nb "$cfg" 2>&1) && return 1
	echo "$msg"
	grep -q 'guest-create is for operators only, and victor is a viewer (docs/specs/rpc.md, "Roles")' <<<"$msg"
	for op in destroy pause shutdown reboot console; do
		msg=$(blanket "$op" --cluster "$tmp/viewer.conf" -n na heartbeat 2>&1 </dev/null) && return 1
		grep -q "guest-$op is for operators only, and victor is a viewer" <<<"$msg"
	done
	msg=$(blanket migrate --cluster "$tmp/viewer.conf" heartbeat nb 2>&1) && return 1
	grep -q 'guest-migrate is for operators only, and victor is a viewer' <<<"$msg"
	grep -q 'victor: guest-destroy heartbeat: guest-destroy is for operators only' "$tmp/na.log"
	blanket info -n na heartbeat | grep -q 'state: *running'
	blanket destroy heartbeat
}

t_node_key_cannot_control_guests() {
	blanket create -n na "$cfg"
	msg=$(blanket destroy --cluster "$tmp/stolen.conf" -n na heartbeat 2>&1) && return 1
	echo "$msg"
	grep -q 'guest-destroy is for operators only, and nb is a node' <<<"$msg"
	msg=$(blanket create --cluster "$tmp/stolen.conf" -n nc "$cfg" 2>&1) && return 1
	echo "$msg"
	grep -q 'guest-create is for operators only, and nb is a node' <<<"$msg"
	# Nor may it pull a guest to itself.
	msg=$(blanket migrate --cluster "$tmp/stolen.conf" heartbeat nb 2>&1) && return 1
	echo "$msg"
	grep -q 'guest-migrate is for operators only, and nb is a node' <<<"$msg"
	blanket info -n na heartbeat | grep -q 'state: *running'
	blanket destroy heartbeat
}

rpc() { python3 "$here/rpc.py" "$@"; }

t_names_checked_and_logs_escaped() {
	local forged='x
blanketd: root(pid 1): guest-destroy web: ok'
	msg=$(blanket info "$forged" 2>&1) && return 1
	echo "$msg"
	grep -q 'guest name "x\\nblanketd: root(pid 1): guest-destroy web: ok": want 1 to 63 of A-Z a-z 0-9 _ . -' <<<"$msg"
	# Past the CLI, straight to the node: refused the same way, and its
	# log line stays one line.
	out=$(rpc "$BLANKET_CLUSTER" na guest-info "s:$forged")
	echo "$out"
	grep -q '^error [0-9]*: guest name "x\\nblanketd: root(pid 1)' <<<"$out"
	fails grep -qx 'blanketd: root(pid 1): guest-destroy web: ok' "$tmp/na.log"
	grep -q 'admin: guest-info x\\nblanketd: root(pid 1): guest-destroy web: ok: guest name' "$tmp/na.log"
	# Names blanketd gives guests being moved are not for users.
	sed 's/^name = .*/name = "web--incoming"/' "$cfg" >"$tmp/reserved.cfg"
	msg=$(blanket create -n na "$tmp/reserved.cfg" 2>&1) && return 1
	echo "$msg"
	grep -q 'guest name "web--incoming": --incoming and --migratedaway are blanketd'"'"'s' <<<"$msg"
	out=$(rpc "$BLANKET_CLUSTER" na guest-destroy "s:web--migratedaway")
	grep -q '^error [0-9]*: guest name "web--migratedaway": --incoming and --migratedaway' <<<"$out"
	lacks 'web--' blanket list
}
