# The toolstack against real nodes: the host's blanket reaches both nodes'
# blanketd over mutually authenticated TLS, with the cluster file `lab up`
# wrote; guest lifecycle on node2; a stranger is refused.
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/heartbeat.cfg

list=$(blanket list)
echo "$list"
grep -q '^node1 .*QEMU' <<<"$list"
grep -q '^node2 .*QEMU' <<<"$list"
blanket list --json | grep -q '"xen_version": "4.17.[0-9]*-blanket"'
nodes=$(blanket node list)
echo "$nodes"
[ "$(grep -cE '^node[12] +up +QEMU, (virtio|e1000) +4\.17\.[0-9]+-blanket' <<<"$nodes")" -eq 2 ]

blanket create -n node2 "$cfg" | grep -q 'created heartbeat (domid [0-9]*) on node2'
blanket list | grep -E '^node2 .* heartbeat +[0-9]+ (running|blocked)'
on node2 xl list heartbeat
# The console, from the host, shows the guest's heartbeat.
console_shows_beat heartbeat
blanket pause heartbeat | grep -q 'paused heartbeat on node2'
blanket info --json heartbeat | grep -q '"state": "paused"'
blanket unpause heartbeat
blanket info heartbeat | grep -Eq 'state: *(running|blocked)'

# A reboot: the guest restarts (on_reboot is restart), as a new domain
# whose heartbeat starts again.
id=$(blanket info --json heartbeat | sed -n 's/.*"domid": \([0-9]*\).*/\1/p')
blanket reboot heartbeat
rebooted() {
	info=$(blanket info --json heartbeat 2>/dev/null || true)
	new=$(sed -n 's/.*"domid": \([0-9]*\).*/\1/p' <<<"$info")
	[ -n "$new" ] && [ "$new" != "$id" ] &&
		grep -Eq '"state": "(running|blocked)"' <<<"$info"
}
wait_for 60 "heartbeat to run again after its reboot" rebooted
echo "domid before reboot $id, after: $info"

# Refusals leave no domain and no xenstore entry behind: a name in use, a
# broken file (named with its line), more memory than the node has.
domains=$(on node1 xenstore-list /local/domain | sort | tr '\n' ' ')
msg=$(blanket create -n node2 "$cfg" 2>&1) && exit 1
grep -q 'already exists' <<<"$msg"
printf 'name = "broken"\nkernel = "/var/lib/blanket/images/vmlinuz"\nmemory = = 1\n' >"$LAB_TEST_TMP/broken.cfg"
msg=$(blanket create -n node1 "$LAB_TEST_TMP/broken.cfg" 2>&1) && exit 1
echo "$msg"
grep -q 'broken.cfg:3: config parsing error' <<<"$msg"
sed -e 's/^name = .*/name = "huge"/' -e 's/^memory = .*/memory = 4096/' "$cfg" >"$LAB_TEST_TMP/huge.cfg"
msg=$(blanket create -n node1 "$LAB_TEST_TMP/huge.cfg" 2>&1) && exit 1
echo "$msg"
grep -q 'node node1: not enough free memory: "huge" needs 4096 MiB' <<<"$msg"
fails on node1 xl list broken
fails on node1 xl list huge
[ "$(on node1 xenstore-list /local/domain | sort | tr '\n' ' ')" = "$domains" ]

# A clean shutdown takes the guest away (its on_poweroff is destroy).
blanket shutdown --wait --timeout 60 heartbeat
fails on node2 xl list heartbeat
lacks heartbeat blanket list

# A real node refuses a client whose certificate another CA signed, and a
# client without a certificate: neither gets an RPC answer, not even the
# guest list. (blanket itself will not present such credentials.)
evil=$(mktemp -d)
blanket ca init --dir "$evil/ca" --name evil >/dev/null
blanket ca issue mallory --role operator --dir "$evil/ca" --out "$evil" >/dev/null
sed -e "s|^cert .*|cert $evil/mallory.crt|" -e "s|^key .*|key $evil/mallory.key|" \
	-e "s|^ca  *\(.*\)|ca $BLANKET_LAB_DIR/\1|" "$BLANKET_CLUSTER" >"$evil/cluster.conf"
msg=$(blanket list --cluster "$evil/cluster.conf" 2>&1) && exit 1
grep -q 'not valid as a client certificate of this cluster' <<<"$msg"
port=$(sed -n 's/^node node1 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$BLANKET_CLUSTER")
[ -n "$port" ]
# The RPC header from a TLS client with these openssl s_client options; with
# -quiet it stays until the node ends the connection (a refusal does at
# once), or 60 s pass.
rpc_as() {
	printf 'BLANKRPC\0\0\0\1\0\0\0\1' |
		timeout 60 openssl s_client -quiet -connect "127.0.0.1:$port" \
			-tls1_3 -CAfile "$BLANKET_LAB_DIR/cluster/ca.crt" "$@" 2>&1 || true
}
out=$(rpc_as -cert "$evil/mallory.crt" -key "$evil/mallory.key")
echo "$out"
fails grep -q BLANKRPC <<<"$out"
out=$(rpc_as)
echo "$out"
fails grep -q BLANKRPC <<<"$out"
refusals=$(grep 'blanketd: TLS handshake with .* failed' "$BLANKET_LAB_DIR/node1/serial.log")
echo "$refusals"
grep -q 'certificate verify failed' <<<"$refusals"
grep -q 'peer sent no certificate' <<<"$refusals"
rm -rf "$evil"
