#!/usr/bin/env bash
# tests/bench/report.sh - the whole performance comparison in one report:
# Baton against the stack users would pick instead (keepalived + nftables
# DNAT with the kernel's conntrack + conntrackd), measured side by side on
# the lab's topology, and the datapath micro-benchmark. Prints figures and
# writes them down; never passes or fails on a figure.
#
#   tests/bench/report.sh [--out DIR] [--quick]
#
# Runs, one after the other (each interleaves its own legs):
#   compare.sh           connections/s, 64-byte UDP packets/s, bulk TCP,
#                        latency, CPU per packet: Baton, Baton + XDP,
#                        nftables DNAT, plain routing       -> DIR/datapath
#   sync_compare.sh      state sync, Baton vs conntrackd    -> DIR/sync
#   failover_compare.sh  the failover drill, Baton vs keepalived +
#                        conntrackd (two ways)              -> DIR/failover
#   baton-bench          BPF_PROG_TEST_RUN micro-benchmark  -> DIR/micro.txt
# and writes DIR/report.md: the targets of issue 7 with the measured
# ratios (met or missed, by how much), every part's table, and the charts
# (DIR/datapath.png, DIR/sync.png, DIR/failover/failover.png; gnuplot).
# --quick: fewer and shorter rounds (to try the pipeline; the figures of
# a quick run are not the ones to publish). Default DIR
# <build>/bench-report. About 25 minutes on this machine (2 vCPUs).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BATON_BUILD=${BATON_BUILD:-$repo/build}
OUT=
QUICK=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=${2:-}; shift ;;
	--quick) QUICK=1 ;;
	*) sed -n '8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[ "$(id -u)" -eq 0 ] || { echo "report.sh: needs root" >&2; exit 1; }
OUT=${OUT:-$BATON_BUILD/bench-report}
mkdir -p "$OUT" || exit 1
here=$repo/tests/bench
. "$here/lib.sh"
FAILED=()

part() {			# part NAME CMD...: run one part, log kept
	local name=$1
	shift
	echo "== $name: $*"
	if ! "$@" >"$OUT/$name.log" 2>&1; then
		FAILED+=("$name")
		echo "   (failed; see $OUT/$name.log)"
	fi
	tail -n 3 "$OUT/$name.log" | sed 's/^/   /'
}

if [ "$QUICK" = 1 ]; then
	part datapath "$here/compare.sh" --rounds 1 --seconds 2 --out "$OUT/datapath"
	part sync "$here/sync_compare.sh" -n 50000 --rounds 1 --out "$OUT/sync"
	part failover "$here/failover_compare.sh" --rounds 1 --out "$OUT/failover"
	part micro "$BATON_BUILD/tests/bench/baton-bench" -n 2000 -r 3 -e 100000
else
	part datapath "$here/compare.sh" --out "$OUT/datapath"
	part sync "$here/sync_compare.sh" --rounds 3 --out "$OUT/sync"
	part failover "$here/failover_compare.sh" --rounds 3 --out "$OUT/failover"
	part micro "$BATON_BUILD/tests/bench/baton-bench"
fi
cp "$OUT/micro.log" "$OUT/micro.txt" 2>/dev/null

# ---- figures ------------------------------------------------------------------

# dp TEST LEG METRIC: compare.sh's median over rounds.
dp() {
	awk -F'\t' -v t="$1" -v l="$2" -v m="$3" 'NR > 1 && $1 == "datapath" &&
		$3 == t && $4 == l && $5 == m { print $6 }' \
		"$OUT/datapath/results.tsv" 2>/dev/null | bench_median
}
# sy LEG METRIC: sync_compare.sh's median over rounds.
sy() {
	awk -F'\t' -v l="$1" -v m="$2" '$2 == l && $3 == m { print $4 }' \
		"$OUT/sync/results.tsv" 2>/dev/null | bench_median
}
# fo LEG METRIC: failover_compare.sh's total over rounds and both drills.
fo() {
	awk -F'\t' -v l="$1" -v m="$2" '$2 == l && $4 == m { s += $5; n++ }
		END { print n ? s : "-" }' "$OUT/failover/results.tsv" 2>/dev/null ||
		echo -
}
ratio() {			# ratio A B: A / B, or -
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0)
		print "-"; else printf "%.2f", a / b }'
}
# verdict RATIO OP LIMIT: "met", "missed: X% short" (>=) or "missed: X%
# over" (<=), or "not measured". RATIO as printed (2 decimals).
verdict() {
	awk -v r="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (r == "-") { print "not measured"; exit }
		ok = (op == ">=") ? r >= t : r <= t
		if (ok) print "met"
		else if (op == ">=") printf "missed: %.0f%% short\n", 100 * (1 - r / t)
		else printf "missed: %.0f%% over\n", 100 * (r / t - 1) }'
}
# micro PATH: the micro-benchmark's ratio to the floor for a path.
micro() {
	awk -v p="$1" 'index($0, "  " p) == 1 && $0 ~ /repeat=1 / {
		for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+x$/) {
			sub(/x$/, "", $i); print $i; exit } }' "$OUT/micro.txt" \
		2>/dev/null | head -n 1
}
# survived LEG: "OK ALL" over every flow of both drills and all rounds
# (streams, UDP flows, connections established before), or "- -".
survived() {
	local ok=0 all=0 m v
	for m in streams udp conns_before; do
		v=$(fo "$1" "${m}_ok"); [ "$v" = - ] && { echo "- -"; return; }
		ok=$((ok + v))
		all=$((all + $(fo "$1" "$m")))
	done
	echo "$ok $all"
}
survived_text() {		# survived_text LEG: "ok/all (pct %)"
	survived "$1" | awk '$2 == "-" || $2 == 0 { print "-"; next }
		{ printf "%d/%d (%.1f%%)\n", $1, $2, 100 * $1 / $2 }'
}
all_survived() {		# all_survived LEG: met, missed or not measured
	survived "$1" | awk '$2 == "-" || $2 == 0 { print "not measured"; next }
		{ if ($1 == $2) print "met"; else printf "missed: %d lost\n", $2 - $1 }'
}

r_conn=$(ratio "$(dp conn baton conn_per_s)" "$(dp conn nft conn_per_s)")
r_pps=$(ratio "$(dp pps baton delivered_per_s)" "$(dp pps nft delivered_per_s)")
r_bulk=$(ratio "$(dp bulk baton gbit_s)" "$(dp bulk route gbit_s)")
r_cpu=$(ratio "$(dp pps baton lb_ns_per_pkt)" "$(dp pps nft lb_ns_per_pkt)")
r_sync=$(ratio "$(sy baton flows_per_s)" "$(sy conntrackd kernel_flows_per_s)")
r_sync_cache=$(ratio "$(sy baton flows_per_s)" "$(sy conntrackd flows_per_s)")
r_bytes=$(ratio "$(sy baton link_bytes_per_flow)" "$(sy conntrackd link_bytes_per_flow)")
m_est=$(micro "established, DNAT forward")
m_new=$(micro "new flow, DNAT SYN")

{
	echo "# Baton performance report"
	echo
	echo "\`bash tests/bench/report.sh$([ "$QUICK" = 1 ] && echo " --quick")\`," \
		"commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo ?)," \
		"$(date -u +%Y-%m-%d), kernel $(uname -r), $(nproc) CPUs"
	[ "$QUICK" = 1 ] && echo "(a quick run: fewer and shorter rounds)"
	[ ${#FAILED[@]} -eq 0 ] || echo "Parts that failed: ${FAILED[*]} (their logs in $OUT)."
	echo
	echo "## Targets (issue 7)"
	echo
	echo "| target | measured | verdict |"
	echo "|---|---|---|"
	echo "| new connections/s >= 1.5x nftables DNAT | ${r_conn}x | $(verdict "$r_conn" ">=" 1.5) |"
	echo "| 64-byte UDP datagrams/s >= 1.5x nftables | ${r_pps}x | $(verdict "$r_pps" ">=" 1.5) |"
	echo "| bulk TCP >= 0.95x plain routing | ${r_bulk}x | $(verdict "$r_bulk" ">=" 0.95) |"
	echo "| LB node CPU per packet <= 0.6x nftables | ${r_cpu}x | $(verdict "$r_cpu" "<=" 0.6) |"
	echo "| sync entries/s >= 10x conntrackd (into the peer's kernel) | ${r_sync}x | $(verdict "$r_sync" ">=" 10) |"
	echo "| the same, against conntrackd's user-space cache | ${r_sync_cache}x | $(verdict "$r_sync_cache" ">=" 10) |"
	echo "| sync bytes per entry <= 0.5x conntrackd | ${r_bytes}x | $(verdict "$r_bytes" "<=" 0.5) |"
	echo "| failover: every Baton flow survives | $(survived_text baton) | $(all_survived baton) |"
	echo "| failover, conntrackd with its external cache (reported) | $(survived_text ctd-external) | |"
	echo "| failover, conntrackd with DisableExternalCache (reported) | $(survived_text ctd-direct) | |"
	echo "| micro: established DNAT <= 3.5x the empty program | ${m_est:--}x | $(verdict "${m_est:--}" "<=" 3.5) |"
	echo "| micro: new flow (SYN, slow path) <= 12x | ${m_new:--}x | $(verdict "${m_new:--}" "<=" 12) |"
	echo
	echo "## Datapath side by side (compare.sh)"
	echo
	cat "$OUT/datapath/summary.md" 2>/dev/null || echo "(not measured)"
	echo
	echo "![datapath](datapath.png)"
	echo
	echo "## State sync (sync_compare.sh)"
	echo
	sed 1,2d "$OUT/sync/summary.md" 2>/dev/null || echo "(not measured)"
	echo
	echo "![sync](sync.png)"
	echo
	echo "## Failover (failover_compare.sh)"
	echo
	sed 1,2d "$OUT/failover/summary.md" 2>/dev/null || echo "(not measured)"
	echo
	echo "![failover](failover/failover.png)"
	echo
	echo "## Datapath micro-benchmark (baton-bench, BPF_PROG_TEST_RUN)"
	echo
	echo '```'
	cat "$OUT/micro.txt" 2>/dev/null || echo "(not measured)"
	echo '```'
} >"$OUT/report.md"

# ---- charts -------------------------------------------------------------------

if command -v gnuplot >/dev/null; then
	# Each leg's median relative to nftables (bulk: to routing).
	{
		for row in "conn conn_per_s nft new-conn/s" \
			"pps delivered_per_s nft UDP-64B/s" \
			"bulk gbit_s route bulk-Gbit/s" \
			"pps lb_ns_per_pkt nft CPU/pkt" \
			"lat lat_p99_us nft latency-p99"; do
			set -- $row
			printf '%s' "$4"
			for leg in baton xdp nft route; do
				printf ' %s' "$(ratio "$(dp "$1" "$leg" "$2")" \
					"$(dp "$1" "$3" "$2")" | sed 's/^-$/0/')"
			done
			echo
		done
	} >"$OUT/datapath.dat"
	{
		echo "flows/s-into-kernel $(sy baton flows_per_s | sed 's/^-$/0/') $(sy conntrackd kernel_flows_per_s | sed 's/^-$/0/')"
		echo "flows/s-into-cache $(sy baton flows_per_s | sed 's/^-$/0/') $(sy conntrackd flows_per_s | sed 's/^-$/0/')"
	} >"$OUT/sync.dat"
	{
		echo "bytes/flow $(sy baton link_bytes_per_flow | sed 's/^-$/0/') $(sy conntrackd link_bytes_per_flow | sed 's/^-$/0/')"
	} >"$OUT/sync-bytes.dat"
	gnuplot 2>"$OUT/gnuplot.err" <<EOF || echo "(gnuplot failed: $OUT/gnuplot.err)"
set terminal pngcairo size 1000,500 font ",10"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside top center horizontal
set output "$OUT/datapath.png"
set title "Datapath side by side: median over rounds, relative to nftables DNAT (bulk: to plain routing)"
set ylabel "ratio (1 = nftables)"
set yrange [0:*]
plot "$OUT/datapath.dat" using 2:xtic(1) title "Baton (TC)", '' using 3 title "Baton + XDP", '' using 4 title "nftables DNAT", '' using 5 title "routing"
set output "$OUT/sync.png"
set key inside top left
set multiplot layout 1,2 title "State sync of the same established flows: Baton vs conntrackd (FT-FW)"
set title "flows per second"
set ylabel "flows/s"
plot "$OUT/sync.dat" using 2:xtic(1) title "Baton", '' using 3 title "conntrackd"
set title "bytes per flow on the sync link"
set ylabel "bytes"
plot "$OUT/sync-bytes.dat" using 2:xtic(1) title "Baton", '' using 3 title "conntrackd"
unset multiplot
EOF
fi

cat "$OUT/report.md"
echo "report: $OUT/report.md"
[ ${#FAILED[@]} -eq 0 ] || { echo "report.sh: failed: ${FAILED[*]}" >&2; exit 1; }
