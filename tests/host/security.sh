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

# A config of guest "evil" with extra lines $@ after the heartbeat's.
evil_cfg() {
	sed -e 's/^name = .*/name = "evil"/' "$cfg"
	printf '%s\n' "$@"
}

# Create guest evil from the heartbeat's config with line $1 in place of
# its lines matching $2 (or added); print the refusal, fail if it is made.
refused_create() {
	local line=$1 drop=${2:-^\$^}
	evil_cfg | grep -v -- "$drop" >"$tmp/evil.cfg"
	echo "$line" >>"$tmp/evil.cfg"
	if blanket create -n na "$tmp/evil.cfg" 2>&1; then
		blanket destroy -n na evil
		return 1
	fi
}

t_policy_refuses_dom0_files() {
	# dom0's own files read into a guest.
	msg=$(refused_create 'kernel = "/etc/shadow"' '^kernel')
	echo "$msg"
	grep -q 'kernel "/etc/shadow": not in an images folder of this node (.*/images; node.conf(5), "images")' <<<"$msg"
	msg=$(refused_create 'ramdisk = "/root/.ssh/id_rsa"' '^ramdisk')
	grep -q 'ramdisk "/root/.ssh/id_rsa": ' <<<"$msg"
	# A link in the images folder that leads out of it.
	ln -sf /etc/passwd "$tmp/images/innocent"
	msg=$(refused_create "ramdisk = \"$tmp/images/innocent\"" '^ramdisk')
	echo "$msg"
	grep -q "ramdisk \"$tmp/images/innocent\": not in an images folder" <<<"$msg"
	rm "$tmp/images/innocent"
	# A relative path, resolved against the daemon's folder.
	msg=$(refused_create 'kernel = "../../etc/shadow"' '^kernel')
	grep -q 'kernel "../../etc/shadow": want an absolute path in an images folder' <<<"$msg"
	# dom0's disk, read-write.
	msg=$(refused_create "disk = [ 'format=raw, vdev=xvda, access=rw, target=/dev/sda' ]")
	echo "$msg"
	grep -q 'disk 0 target "/dev/sda": ' <<<"$msg"
	# A block device node placed inside the images folder.
	mknod "$tmp/images/dev-sda" b 8 0
	msg=$(refused_create "disk = [ 'format=raw, vdev=xvda, access=rw, target=$tmp/images/dev-sda' ]")
	echo "$msg"
	grep -q "disk 0 target \"$tmp/images/dev-sda\": a block device of dom0's" <<<"$msg"
	rm "$tmp/images/dev-sda"
	lacks evil blanket list
}

t_policy_refuses_programs() {
	# A program of the client's choosing, run as root.
	msg=$(refused_create 'bootloader = "/usr/bin/touch"' '^kernel')
	echo "$msg"
	grep -q 'bootloader "/usr/bin/touch": not allowed on this node (node.conf(5), "bootloader": none is)' <<<"$msg"
	msg=$(refused_create "disk = [ 'format=raw, vdev=xvda, access=rw, script=/usr/bin/id, target=$tmp/images/vmlinuz' ]")
	echo "$msg"
	grep -q 'disk 0 script "/usr/bin/id": hotplug scripts are Xen'"'"'s, by name (block, ...)' <<<"$msg"
	msg=$(refused_create "vif = [ 'bridge=xenbr0,script=/usr/bin/id' ]")
	grep -q 'vif 0 script "/usr/bin/id": hotplug scripts are Xen'"'"'s, by name (vif-bridge, ...)' <<<"$msg"
	# Too big for this node's largest guest.
	msg=$(refused_create 'memory = 65536' '^memory')
	grep -q 'memory 65536 MiB: more than this node'"'"'s largest guest, 32768 MiB (node.conf(5), "max-memory-mb")' <<<"$msg"
	lacks evil blanket list
}

t_policy_allows_images_and_reloads() {
	# A disk image and the guest's files from the images folder: created,
	# with the paths they resolve to.
	truncate -s 1M "$tmp/images/evil.img"
	ln -sf vmlinuz "$tmp/images/kernel-link"
	evil_cfg "disk = [ 'format=raw, vdev=xvda, access=rw, target=$tmp/images/evil.img' ]" |
		sed "s|^kernel = .*|kernel = \"$tmp/images/kernel-link\"|" >"$tmp/evil.cfg"
	blanket create -n na "$tmp/evil.cfg" | grep -q 'created evil'
	# Not moved: nb (whose images folder is na's here) has an image at
	# that path, and never overwrites one; it runs on where it was.
	msg=$(blanket migrate evil nb 2>&1) && return 1
	echo "$msg"
	grep -q "node nb has an image at $tmp/images/evil.img already (disk xvda of \"evil\"): it is never overwritten" <<<"$msg"
	grep -q '^evil [0-9]* 0 ' "$tmp/na.hv"
	lacks '^evil' cat "$tmp/nb.hv"
	blanket destroy -n na evil
	# SIGHUP reads the policy again: a bad file leaves it as it was...
	cp "$tmp/node.conf" "$tmp/node.conf.good"
	echo "max-memory-mb lots" >>"$tmp/node.conf"
	kill -HUP "$(cat "$tmp/na.pid")"
	wait_for 30 "na to refuse the bad policy" grep -q 'node.conf:2: max-memory-mb "lots": want a number from 1 to 1048576; the policy in force stays' "$tmp/na.log"
	blanket create -n na "$tmp/evil.cfg" | grep -q 'created evil'
	blanket destroy -n na evil
	# ... and a good one is taken.
	{ cat "$tmp/node.conf.good"; echo "max-memory-mb 64"; } >"$tmp/node.conf"
	kill -HUP "$(cat "$tmp/na.pid")"
	wait_for 30 "na to read its policy again" grep -q "read the policy again from $tmp/node.conf" "$tmp/na.log"
	msg=$(blanket create -n na "$tmp/evil.cfg" 2>&1) && return 1
	echo "$msg"
	grep -q 'memory 128 MiB: more than this node'"'"'s largest guest, 64 MiB' <<<"$msg"
	cp "$tmp/node.conf.good" "$tmp/node.conf"
	kill -HUP "$(cat "$tmp/na.pid")"
	read_twice() { [ "$(grep -c 'read the policy again' "$tmp/na.log")" -ge 2 ]; }
	wait_for 30 "na to read its policy again" read_twice
	rm "$tmp/images/evil.img" "$tmp/images/kernel-link"
}

t_migrate_receive_rebuilds_config() {
	local id=0123456789abcdef0123456789abcdef
	# nb's key, taken from its dom0, hands na a guest: HVM with a device
	# model of its choosing, or dom0's disk. Refused before anything is
	# built, naming why.
	printf 'name = "evil"\ntype = "hvm"\ndevice_model_override = "/bin/sh"\n' >"$tmp/hvm.cfg"
	out=$(rpc "$tmp/stolen.conf" na migrate-receive s:evil "f:$tmp/hvm.cfg" "x:$id" u64:1)
	echo "$out"
	grep -q 'error [0-9]*: the guest.s configuration:[0-9]*: setting "device_model_override" is not supported by blanket' <<<"$out"
	evil_cfg "disk = [ 'format=raw, vdev=xvda, access=rw, target=/dev/sda' ]" >"$tmp/disk.cfg"
	out=$(rpc "$tmp/stolen.conf" na migrate-receive s:evil "f:$tmp/disk.cfg" "x:$id" u64:1)
	echo "$out"
	grep -q 'error [0-9]*: disk 0 (xvda): image "/dev/sda": not in an images folder of this node' <<<"$out"
	# A configuration of another guest than the one named.
	out=$(rpc "$tmp/stolen.conf" na migrate-receive s:other "f:$tmp/disk.cfg" "x:$id" u64:1)
	grep -q 'error' <<<"$out"
	# An operator may not send a guest at all.
	out=$(rpc "$BLANKET_CLUSTER" na migrate-receive s:evil "f:$cfg" "x:$id" u64:1)
	grep -q 'error [0-9]*: migrate-receive is for nodes only, and admin is an operator' <<<"$out"
	lacks evil blanket list
	lacks 'receipt-|reserved-evil' ls "$tmp/na.state"
}

# Whether process $1 printed "closed after" into $2: the node hung up.
hung_up() { grep -q 'closed after' "$1"; }

t_connection_limits() {
	local viewers=() i flood
	# Strangers: 200 connections from one address that never handshake,
	# reopened as the node drops them. An operator from another address
	# and root on the local socket are still answered, within 2 s.
	python3 "$here/flood.py" 127.0.0.2 "127.0.0.1:$port_a" 200 15 >"$tmp/flood.out" &
	flood=$!
	wait_for 30 "the flood to be refused" grep -q 'refused a connection from 127.0.0.2: 4 handshakes from that address already' "$tmp/na.log"
	rpc --timeout 2 "$BLANKET_CLUSTER" na node-info | tee /dev/stderr | grep -q '^ok node-info'
	rpc --timeout 2 --unix "$tmp/na.sock" node-info | tee /dev/stderr | grep -q '^ok node-info'
	blanket list | grep -q '^na '
	# A connection that does not even start its handshake is dropped
	# (SLOTS_HANDSHAKE_MS: 10 s).
	timeout 30 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port_b; cat <&3" >/dev/null
	wait "$flood"
	cat "$tmp/flood.out"
	# What the flood could make na log is bounded: 20 lines in 10 s.
	refusals=$(grep -c 'refused a connection from 127.0.0.2' "$tmp/na.log")
	echo "refusal lines: $refusals"
	[ "$refusals" -le 60 ]
	wait_for 30 "the left-out lines to be summed up" grep -q 'more lines about refused or failed connections left out' "$tmp/na.log"
	# ... in one line a window.
	[ "$(grep -c 'more lines about refused or failed connections left out' "$tmp/na.log")" -le 3 ]
	# Authenticated viewers: at most 8 sessions; the 9th is refused while
	# operators are served. An idle session is closed after 60 s.
	# One after the other: they all come from 127.0.0.1, which may have
	# only 4 handshakes going at once.
	for i in 1 2 3 4 5 6 7 8; do
		python3 "$here/rpc.py" --idle "$tmp/viewer.conf" nb >"$tmp/idle-$i.out" &
		viewers+=($!)
		wait_for 30 "viewer $i's session" grep -q '^connected' "$tmp/idle-$i.out"
	done
	out=$(rpc "$tmp/viewer.conf" nb node-info)
	echo "$out"
	grep -q 'error [0-9]*: node busy: 8 viewers'"'"' sessions already' <<<"$out"
	grep -q 'victor: refused: node busy: 8 viewers' "$tmp/nb.log"
	rpc --timeout 2 "$BLANKET_CLUSTER" nb node-info | grep -q '^ok node-info'
	for i in 1 2 3 4 5 6 7 8; do
		wait_for 120 "nb to close an idle session" hung_up "$tmp/idle-$i.out"
	done
	cat "$tmp/idle-1.out"
	wait "${viewers[@]}"
}

t_forced_shutdown_comes_due() {
	# A guest still booting ignores the request; --force --timeout 1
	# returns at once, and the daemon's main loop destroys the guest when
	# the second is up: no process waits for it.
	local now
	blanket create -n na "$cfg"
	now=$(date +%s%3N)
	edit_fake na "s/^\(heartbeat \([0-9]* \)\{5\}\)[0-9-]*\$/\1$((now + 86400000))/"
	blanket shutdown --force --timeout 1 heartbeat
	gone() { ! blanket info -n na heartbeat >/dev/null 2>&1; }
	wait_for 30 "the forced shutdown to come due" gone
	grep -q 'forced shutdown of heartbeat: destroyed domain [0-9]*, still there at its deadline' "$tmp/na.log"
}

t_revoked_identity_refused() {
	blanket ca issue rita --role operator --dir "$tmp/ca" --out "$tmp/rita" >/dev/null
	cluster_file "$tmp/rita.conf" "$tmp/rita" rita "na 127.0.0.1:$port_a"
	blanket list --cluster "$tmp/rita.conf" | grep -q '^na '
	out=$(blanket ca revoke rita --dir "$tmp/ca")
	echo "$out"
	grep -q 'revoked 1 certificate of "rita"; the CRL is .*/ca/crl.pem' <<<"$out"
	blanket ca list --dir "$tmp/ca" | grep -Eq '^rita +operator +[0-9-]+ +revoked '
	blanket ca list --json --dir "$tmp/ca" | grep -q '"name": "rita", "role": "operator", "expires": "[0-9-]*", "status": "revoked"'
	msg=$(blanket ca revoke rita --dir "$tmp/ca" 2>&1) && return 1
	grep -q 'rita has no valid certificate' <<<"$msg"
	# Until a node reads the CRL again, rita is served; then refused in
	# the handshake.
	kill -HUP "$(cat "$tmp/na.pid")"
	wait_for 30 "na to read the CRL again" grep -q 'read the CRL again' "$tmp/na.log"
	msg=$(blanket list --cluster "$tmp/rita.conf" 2>&1) && return 1
	echo "$msg"
	fails grep -q '^na ' <<<"$msg"
	grep -q 'peer says our certificate is revoked' <<<"$msg"
	grep -q 'certificate verify failed: certificate revoked' "$tmp/na.log"
	# Renewed: new files over the old ones, the same role.
	old=$(sha256sum <"$tmp/victor/victor.key")
	blanket ca renew victor --dir "$tmp/ca" --out "$tmp/victor" | grep -q 'renewed "victor"'
	[ "$(sha256sum <"$tmp/victor/victor.key")" != "$old" ]
	blanket list --cluster "$tmp/viewer.conf" | grep -q '^na '
	msg=$(blanket create --cluster "$tmp/viewer.conf" -n na "$cfg" 2>&1) && return 1
	grep -q 'guest-create is for operators only, and victor is a viewer' <<<"$msg"
}
