# `blanket-lab exec`: exit status, stdin, stdout/stderr, errors.
. "$(dirname "$0")/../../lab/lib.sh"

expect_status() {
	local want=$1 got=0
	shift
	"$@" || got=$?
	[ "$got" -eq "$want" ] || { echo "expected exit $want, got $got: $*"; return 1; }
}

expect_status 0 on node1 true
expect_status 1 on node1 false
expect_status 7 on node1 sh -c 'exit 7'
expect_status 127 on node1 no-such-command
[ "$(echo hello from the host | blanket-lab exec node2 -- cat)" = "hello from the host" ]
# Binary-safe and larger than one record.
head -c 200000 /dev/urandom >"$LAB_TEST_TMP/exec-in"
sum_in=$(sha256sum <"$LAB_TEST_TMP/exec-in" | cut -d' ' -f1)
sum_out=$(blanket-lab exec node1 -- sha256sum <"$LAB_TEST_TMP/exec-in" | cut -d' ' -f1)
rm -f "$LAB_TEST_TMP/exec-in"
[ "$sum_in" = "$sum_out" ]
# stdout and stderr stay apart.
out=$(on node1 sh -c 'echo out; echo err >&2' 2>/dev/null)
[ "$out" = out ]
err=$(on node1 sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)
[ "$err" = err ]

# Errors: one line, non-zero.
msg=$(blanket-lab exec node9 -- true 2>&1) && exit 1
echo "$msg"
grep -q 'no node "node9"' <<<"$msg"
expect_status 255 blanket-lab exec node9 -- true
expect_status 2 blanket-lab exec node1
# A deadline kills the command in the node.
expect_status 255 blanket-lab exec -n --timeout 2 node1 -- sleep 60
no_sleep() { ! on node1 pgrep -x sleep; }
wait_for 30 "the timed-out sleep to be killed in node1" no_sleep
