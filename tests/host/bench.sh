# blanket bench on the host tier: L0 (this host) and L1 (na's "dom0": its
# blanketd runs the workloads, its network against nb's server), both
# measured with every figure; L2 left out and said so; the disk's file
# gone afterwards. Refusals: a bad --layers, and a viewer.
# (Sourced by tests/host/run.)

t_bench_l0_l1() {
	local out=$tmp/bench msg
	blanket bench -n na --peer nb --layers l0,l1 --runs 2 --seconds 1 \
		--disk-mib 2 --scratch "$tmp" --out "$out" --json >"$tmp/bench.json"
	grep -q '"net-rr"' "$tmp/bench.json"
	for layer in L0 L1; do
		grep -Eq "^\| $layer \| [0-9.e+]+ \| [0-9.e+]+ \| [0-9.e+]+ \| [0-9.e+]+ \| [0-9.e+]+ \| [0-9.e+]+ \| [0-9.e+]+ \|$" \
			"$out/report.md"
	done
	grep -q '^\[^[0-9]*\]: L2, CPU (Leibniz pi): not asked (--layers)$' "$out/report.md"
	fails grep -q 'L[01], .*: ' "$out/report.md"
	[ -s "$out/overhead.svg" ] && [ -s "$out/hist-net-throughput.svg" ]
	fails ls "$tmp"/images/.blanket-bench-* "$tmp"/.blanket-bench-*
	msg=$(blanket bench --layers l3 2>&1) && return 1
	grep -q -- '--layers "l3": want a list of l0, l1 and l2' <<<"$msg"
	# A viewer may not load a node: bench-run is for operators.
	blanket bench --cluster "$tmp/viewer.conf" -n na --layers l1 --runs 1 \
		--seconds 1 --disk-mib 1 --out "$tmp/bench-viewer" 2>"$tmp/viewer.err"
	grep -q 'bench-run is for operators only, and victor is a viewer' \
		"$tmp/viewer.err"
}

# The peer's benchmark server outlives its session's idle minute: the
# client measures against it and asks nb nothing meanwhile. (4 runs of
# three 9 s workloads: about 110 s.)
t_bench_peer_outlives_idle() {
	local out=$tmp/bench-long
	blanket bench -n na --peer nb --layers l1 --runs 4 --seconds 9 \
		--disk-mib 2 --out "$out" 2>"$tmp/bench-long.err"
	cat "$tmp/bench-long.err"
	[ "$(grep -c '^bench: L1 na: net-rr [0-9]/4: ' "$tmp/bench-long.err")" = 4 ]
	grep -Eq '^\| L1 \| [0-9]' "$out/report.md"
}
