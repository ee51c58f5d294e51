# Bad input and failure: one-line reason, non-zero exit, nothing left behind.
. "$(dirname "$0")/../../lab/lib.sh"
scratch=$BLANKET_LAB_DIR-scratch
rm -rf "$scratch"

no_qemu_for() { ! pgrep -f "qemu-system.*$1" >/dev/null; }

# A second `lab up` while one runs.
msg=$(blanket-lab up 2>&1) && exit 1
echo "$msg"
grep -q 'already running' <<<"$msg"
blanket-lab status | grep -c ready | grep -qx 2

# A busy port.
port=$((LAB_TEST_PORT_BASE + 300))
socat TCP-LISTEN:$((port + 1)),bind=127.0.0.1,reuseaddr /dev/null &
holder=$!
listening() { ss -Hltn "sport = :$1" | grep -q .; }
wait_for 10 "socat to listen on port $((port + 1))" listening $((port + 1))
msg=$(blanket-lab up --nodes 1 --dir "$scratch" --port-base $port 2>&1) && exit 1
kill $holder
echo "$msg"
grep -q "port 127.0.0.1:$((port + 1)) (node1 control) is in use" <<<"$msg"
no_qemu_for "$scratch"

# A node that is not ready by the deadline: reason, serial log tail, cleanup.
msg=$(blanket-lab up --nodes 1 --dir "$scratch" --port-base $port --timeout 2 2>&1) && exit 1
echo "$msg"
grep -q 'node1: not ready before the deadline' <<<"$msg"
grep -q 'last lines of .*serial.log' <<<"$msg"
no_qemu_for "$scratch"
[ ! -e "$scratch/lab.state" ]

# Missing tools.
msg=$(env PATH=/nonexistent "$(command -v blanket-lab)" up --dir "$scratch" --port-base $port 2>&1) && exit 1
echo "$msg"
grep -q 'qemu-system-x86_64 not found: run `make setup`' <<<"$msg"

# Bad options name themselves.
msg=$(blanket-lab up --nodes 0 2>&1) && exit 1
grep -q -- '--nodes wants a number from 1 to 8' <<<"$msg"
msg=$(blanket-lab status --nodes 3 2>&1) && exit 1
grep -q -- 'option --nodes is not valid here' <<<"$msg"
msg=$(blanket frobnicate 2>&1) && exit 1
grep -q 'unknown command "frobnicate"' <<<"$msg"

# `lab down` of no lab is fine; the running lab is untouched by all this.
blanket-lab down --dir "$scratch" | grep -q 'no lab is running'
blanket-lab status | grep -c ready | grep -qx 2
rm -rf "$scratch"
