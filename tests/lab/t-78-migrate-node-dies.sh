# The destination node dies mid-stream (its QEMU is killed): the source must
# notice, resume nothing twice and keep the guest running, its heartbeat going
# on, with nothing left behind. Node2 stays dead: this test runs last.
. "$(dirname "$0")/../../lab/lib.sh"
guest=hb-nodedie
# Emptied before each migration starts: a check must never see an old one.
out=$LAB_TEST_TMP/$guest.out
log=$(console_log "$guest")
blanket_create_heartbeat node1 "$guest"

>"$out"
blanket migrate --json "$guest" node2 >"$out" 2>&1 &
migration=$!
wait_for 60 "the migration to send guest state" \
	grep -q '"raw_bytes": [1-9]' "$out"
pkill -9 -f "blanket-lab-node2 .*$BLANKET_LAB_DIR/"
start=$(date +%s)
fails wait "$migration"
echo "the migration failed $(($(date +%s) - start)) s after node2 died"
cat "$out"
grep -q "runs on at node1" "$out"
{ blanket node list || true; } | grep -E '^node2 +down'
[ "$(on node1 xl list | awk -v g="$guest" '$1 == g' | wc -l)" -eq 1 ]
lacks "^$guest--" on node1 xl list
fails on node1 ls /run/blanket/migrating-$guest /run/blanket/away-$guest 2>/dev/null
wait_daemon_alone node1
n=$(last_counter node1 "$log")
wait_beats_past node1 "$log" "$n"
blanket destroy "$guest"
