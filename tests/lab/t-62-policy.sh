# The node policy against real libxl (node.conf(5); the lab's nodes run the
# defaults): dom0's files and block devices are refused before libxl sees
# the guest, and nothing is left behind; a guest whose kernel is reached
# through a link inside the images folder is created and runs.
. "$(dirname "$0")/../../lab/lib.sh"
cfg=$(dirname "$0")/../../lab/guest/heartbeat.cfg
images=/var/lib/blanket/images
domains=$(on node1 xenstore-list /local/domain | sort | tr '\n' ' ')

sed -e 's/^name = .*/name = "shadow"/' -e 's|^kernel = .*|kernel = "/etc/shadow"|' \
	"$cfg" >"$LAB_TEST_TMP/shadow.cfg"
msg=$(blanket create -n node1 "$LAB_TEST_TMP/shadow.cfg" 2>&1) && exit 1
echo "$msg"
grep -q "kernel \"/etc/shadow\": not in an images folder of this node ($images; node.conf(5), \"images\")" <<<"$msg"

# A block device of dom0's (made for the test: the lab's dom0 runs from RAM).
on node1 mknod /tmp/t62-disk b 1 0
{
	sed 's/^name = .*/name = "dom0disk"/' "$cfg"
	echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/t62-disk' ]"
} >"$LAB_TEST_TMP/dom0disk.cfg"
msg=$(blanket create -n node1 "$LAB_TEST_TMP/dom0disk.cfg" 2>&1) && exit 1
echo "$msg"
grep -q 'disk 0 target "/tmp/t62-disk": a block device of dom0'"'"'s' <<<"$msg"
on node1 rm /tmp/t62-disk
[ "$(on node1 xenstore-list /local/domain | sort | tr '\n' ' ')" = "$domains" ]
lacks 'shadow|dom0disk' blanket list

# From the images folder, through a link in it: created, and it beats.
on node1 ln -sf vmlinuz "$images/t62-kernel"
sed -e 's/^name = .*/name = "t62"/' -e "s|^kernel = .*|kernel = \"$images/t62-kernel\"|" \
	"$cfg" >"$LAB_TEST_TMP/t62.cfg"
blanket create -n node1 "$LAB_TEST_TMP/t62.cfg" | grep -q 'created t62'
wait_beats node1 "$(console_log t62)" 5
blanket destroy t62
on node1 rm "$images/t62-kernel"
