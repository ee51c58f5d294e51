# A guest migrated right after `blanket create`, while its kernel still
# boots: blanket waits until it can answer a suspend request (within
# blanketd's --boot-wait) instead of failing with libxl's "did not respond
# to suspend request". The guest then runs once, at node2, generation 2.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-fresh
cfg=$LAB_TEST_TMP/$guest.cfg
sed "s/^name = .*/name = \"$guest\"/" "$(dirname "$0")/../../lab/guest/heartbeat.cfg" >"$cfg"
blanket create -n node1 "$cfg"
out=$(blanket migrate --json "$guest" node2)
echo "$out"
grep -q '"event": "done", "guest": "hb-fresh", "from": "node1", "to": "node2"' <<<"$out"
wait_beats node2 "$(console_log "$guest" incoming)" 5
fails has_guest node1 "$guest"
blanket info "$guest" | grep -q 'generation: 2'
blanket destroy "$guest"
