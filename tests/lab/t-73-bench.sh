# blanket bench, short: two runs of every workload on L0 (this host),
# L1 (node1's dom0, its network against node2's) and L2 (a benchmark guest
# on node1, its network against one on node2), and a report with every
# layer and metric measured, its pictures, and the thesis beside it.
# Figures under emulation are not checked, only that they were measured.
# It runs before t-75 to t-78: they inject faults, and t-78 leaves node2
# dead.
. "$(dirname "$0")/../../lab/lib.sh"
out=$LAB_TEST_TMP/bench
blanket bench -n node1 --peer node2 --layers l0,l1,l2 --runs 2 --seconds 1 \
	--disk-mib 8 --scratch "$LAB_TEST_TMP" --out "$out" --json >"$out.json"
cat "$out.json"
for f in report.md report.json overhead.svg hist-cpu.svg hist-net-rr.svg \
	hist-disk-iops.svg; do
	[ -s "$out/$f" ] || { echo "missing $out/$f"; exit 1; }
done
# Every layer's every metric has its two samples: none is missing.
fails grep -q 'missing\[' "$out/report.md"
for layer in L0 L1 L2; do
	grep -q "^| $layer | [0-9]" "$out/report.md"
done
for metric in cpu net-throughput net-rr net-rtt disk-read disk-write \
	disk-iops; do
	grep -q "\"$metric\"" "$out.json"
done
grep -q 'thesis' "$out/report.md"
# The benchmark guests are gone.
fails has_guest node1 blanket-bench-l2
fails has_guest node2 blanket-bench-peer
