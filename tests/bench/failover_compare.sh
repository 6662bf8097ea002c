#!/usr/bin/env bash
# tests/bench/failover_compare.sh - failover, Baton's HA pair against
# keepalived + nftables DNAT + conntrackd, the same drill on the same
# two-node lab topology. Prints figures and writes them down; never passes
# or fails on a figure (it is not a ctest test).
#
#   tests/bench/failover_compare.sh [--rounds N] [--out DIR]
#
# Legs (deploy/lab/lib.sh; each round brings every leg's lab up, runs the
# power-off drill and then the failback drill on it, and takes it down;
# the legs' order rotates from round to round):
#   baton         lab.sh up --nodes 2 --ha: batond on both nodes, keepalived
#                 from baton-keepalived, replication over nng
#   ctd-external  lab.sh up --nodes 2 --ha --classic: nftables DNAT,
#                 conntrackd FT-FW with its external cache, keepalived
#                 running conntrack-tools' Primary-Backup procedure (the
#                 new master commits the cache to the kernel)
#   ctd-direct    the same with DisableExternalCache: the standby's
#                 conntrackd writes the peer's flows into its kernel as
#                 they come
# Same VRRP timing in every leg (VRRPv3, adverts every 0.1 s, the same
# priorities). The drill (deploy/lab/drill.sh, its defaults, DRILL_DSR=0:
# the classic lab has no DSR service) runs TCP streams to the DNAT and the
# fullNAT VIP, UDP flows, and new connections at 500/s + 250/s; power-off
# of the master 2.5 s in, then failback (it returns, resyncs, takes the
# VIPs back).
#
# DIR (default <build>/bench-report/failover): per round and leg the
# drills' reports and timelines (rR-LEG/PHASE.json, PHASE.png, PHASE.out),
# results.tsv (round, leg, phase, metric, value), summary.md (totals over
# rounds; pause p50 and takeover: median of the rounds; pause max: over
# the rounds) and failover.png (the chart). Needs root and the
# build (BATON_BUILD, default <repo>/build; built here if something is
# missing), keepalived, conntrackd, nftables, gnuplot (deploy/setup.sh).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$repo/tests/bench/lib.sh"
export BATON_BUILD=${BATON_BUILD:-$repo/build}
ROUNDS=3
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=${2:-}; shift ;;
	--out) OUT=${2:-}; shift ;;
	*) sed -n '7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] ||
	{ echo "failover_compare.sh: --rounds: a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] ||
	{ echo "failover_compare.sh: needs root (namespaces, BPF)" >&2; exit 1; }
for f in conntrackd conntrack nft keepalived jq; do
	command -v "$f" >/dev/null ||
		{ echo "failover_compare.sh: needs $f (deploy/setup.sh)" >&2; exit 1; }
done
if [ ! -f "$BATON_BUILD/CMakeCache.txt" ]; then
	cmake -S "$repo" -B "$BATON_BUILD" >/dev/null || exit 1
fi
cmake --build "$BATON_BUILD" -j2 >/dev/null ||
	{ echo "failover_compare.sh: build failed" >&2; exit 1; }
OUT=${OUT:-$BATON_BUILD/bench-report/failover}
mkdir -p "$OUT" || exit 1
: >"$OUT/results.tsv"

LEGS=(baton ctd-external ctd-direct)
PHASES=(poweroff failback)
P=fc$(($$ % 100000))		# lab prefix (one lab at a time)
FAILED=0
export DRILL_DSR=0

warn() { echo "failover_compare.sh: $*" >&2; FAILED=$((FAILED + 1)); }

# lab LEG up|down: the leg's two-node HA lab (in a subshell: the lab's
# variables stay out of this script).
lab() {
	local leg=$1 what=$2
	(
		export BATON_LAB_PREFIX=$P
		args=(--nodes 2 --ha)
		case $leg in
		ctd-external) args+=(--classic) ;;
		ctd-direct) args+=(--classic --ctd-no-external) ;;
		esac
		if [ "$what" = up ]; then
			"$repo/deploy/lab/lab.sh" up "${args[@]}"
		else
			"$repo/deploy/lab/lab.sh" down
		fi
	)
}
trap 'lab baton down >/dev/null 2>&1' EXIT
trap 'echo "failover_compare.sh: interrupted"; exit 130' INT TERM HUP

# The figures of one drill's report, as results.tsv rows.
record() {			# record ROUND LEG PHASE REPORT
	jq -r --arg r "$1" --arg l "$2" --arg p "$3" '
	[.flows.dnat, .flows.fullnat] as $tcp |
	[.flows.rate, .flows["rate-fnat"]] as $conn |
	[["streams_ok", ($tcp | map(.ok) | add)],
	 ["streams", ($tcp | map(.total) | add)],
	 ["udp_ok", .flows.udp.ok], ["udp", .flows.udp.total],
	 ["conns_before_ok", ($conn | map(.established_before.ok) | add)],
	 ["conns_before", ($conn | map(.established_before.total) | add)],
	 ["conns_all_ok", ($conn | map(.ok) | add)],
	 ["conns_all", ($conn | map(.total) | add)],
	 ["resets", ([.flows[] | select(. != null) | .results.reset // 0] | add)],
	 ["stream_pause_p50", ($tcp | map(.pause_ms.p50) | max)],
	 ["stream_pause_max", ($tcp | map(.pause_ms.max) | max)],
	 ["udp_pause_max", .flows.udp.pause_ms.max],
	 ["takeover_ms", .takeover_ms],
	 ["commit_ms", .commit_ms]][] |
	select(.[1] != null) | [$r, $l, $p, .[0], (.[1] | tostring)] | @tsv' \
		"$4" >>"$OUT/results.tsv"
}

leg_round() {			# leg_round ROUND LEG
	local r=$1 leg=$2 d phase
	d=$OUT/r$r-$leg
	rm -rf "$d" && mkdir -p "$d" || return 1
	if ! lab "$leg" up >"$d/up.log" 2>&1; then
		warn "round $r $leg: lab up failed ($d/up.log)"
		lab "$leg" down >/dev/null 2>&1
		return 1
	fi
	for phase in "${PHASES[@]}"; do
		BATON_LAB_PREFIX=$P "$repo/deploy/lab/drill.sh" "$phase" \
			--out "$d" >"$d/$phase.out" 2>&1
		if [ ! -s "$d/$phase.json" ]; then
			warn "round $r $leg $phase: no report ($d/$phase.out)"
			break
		fi
		record "$r" "$leg" "$phase" "$d/$phase.json"
		echo "   $leg $phase: $(jq -r '[.flows.dnat, .flows.fullnat] as $t |
			[.flows.rate, .flows["rate-fnat"]] as $c |
			"takeover \(.takeover_ms) ms; TCP streams" +
			" \($t | map(.ok) | add)/\($t | map(.total) | add), UDP" +
			" \(.flows.udp.ok)/\(.flows.udp.total), connections" +
			" established before" +
			" \($c | map(.established_before.ok) | add)/\($c |
			map(.established_before.total) | add), resets" +
			" \([.flows[] | select(. != null) | .results.reset // 0] |
			add), stream pause p50 \($t | map(.pause_ms.p50) | max) ms"' \
			"$d/$phase.json")"
		# The failback needs a node that is powered off.
		[ "$phase" = poweroff ] && ! jq -e '.takeover_ms != null' \
			"$d/$phase.json" >/dev/null && {
			warn "round $r $leg: no takeover, no failback"
			break
		}
	done
	lab "$leg" down >/dev/null 2>&1
}

echo "== failover: ${LEGS[*]}; $ROUNDS rounds of power-off + failback (prefix $P)"
for ((r = 1; r <= ROUNDS; r++)); do
	echo "== round $r"
	for ((i = 0; i < ${#LEGS[@]}; i++)); do
		leg_round "$r" "${LEGS[$(((i + r - 1) % ${#LEGS[@]}))]}"
	done
done

# ---- summary ------------------------------------------------------------------

sum() {				# sum LEG PHASE METRIC: over rounds
	awk -F'\t' -v l="$1" -v p="$2" -v m="$3" '$2 == l && $3 == p &&
		$4 == m { s += $5; n++ } END { print n ? s : "-" }' "$OUT/results.tsv"
}
median() {			# median LEG PHASE METRIC: over rounds
	awk -F'\t' -v l="$1" -v p="$2" -v m="$3" '$2 == l && $3 == p &&
		$4 == m { print $5 }' "$OUT/results.tsv" | bench_median
}
maxof() {
	awk -F'\t' -v l="$1" -v p="$2" -v m="$3" '$2 == l && $3 == p &&
		$4 == m && (!n++ || $5 > x) { x = $5 } END { print n ? x : "-" }' \
		"$OUT/results.tsv"
}
frac() { echo "$(sum "$1" "$2" "$3_ok")/$(sum "$1" "$2" "$3")"; }
pct() {				# pct LEG PHASE METRIC: survived, %
	awk -v a="$(sum "$1" "$2" "$3_ok")" -v b="$(sum "$1" "$2" "$3")" \
		'BEGIN { if (b == "-" || b == 0) print 0; else printf "%.1f", 100 * a / b }'
}

{
	echo "# Failover: Baton vs keepalived + nftables DNAT + conntrackd ($ROUNDS rounds)"
	echo
	echo "Totals over the rounds. Stream pause p50 (a round's: the larger of"
	echo "DNAT's and fullNAT's), takeover and notify script: median of the"
	echo "rounds; pause max: over the rounds. Times from the event."
	echo
	echo "| leg | drill | TCP streams survived | UDP flows continued | connections established >= 10 ms before, survived | resets | stream pause p50 / max (ms) | UDP pause max (ms) | takeover (ms) | notify script through (ms) |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	for leg in "${LEGS[@]}"; do
		for phase in "${PHASES[@]}"; do
			echo "| $leg | $phase | $(frac "$leg" "$phase" streams) |" \
				"$(frac "$leg" "$phase" udp) |" \
				"$(frac "$leg" "$phase" conns_before) |" \
				"$(sum "$leg" "$phase" resets) |" \
				"$(median "$leg" "$phase" stream_pause_p50) / $(maxof "$leg" "$phase" stream_pause_max) |" \
				"$(maxof "$leg" "$phase" udp_pause_max) |" \
				"$(median "$leg" "$phase" takeover_ms) |" \
				"$(median "$leg" "$phase" commit_ms) |"
		done
	done
	echo
	echo "Legs: baton = batond + keepalived (baton-keepalived), takeover nudge on;"
	echo "ctd-external = nftables DNAT + conntrackd FT-FW with the external cache,"
	echo "the new master commits it (conntrack-tools' Primary-Backup procedure);"
	echo "ctd-direct = the same with DisableExternalCache. Same VRRP timing in"
	echo "all legs; no DSR streams (the classic lab has no DSR service)."
	echo
	echo "kernel $(uname -r), $(conntrackd -v 2>&1 | head -n 1 | sed 's/\. Licensed.*//'), $(keepalived -v 2>&1 | head -n 1)"
} >"$OUT/summary.md"
cat "$OUT/summary.md"

# The chart: survived (%) per leg and drill, and the stream pause.
if command -v gnuplot >/dev/null; then
	dat=$OUT/failover.dat
	for leg in "${LEGS[@]}"; do
		for phase in "${PHASES[@]}"; do
			printf '"%s\\n%s" %s %s %s %s %s\n' "$leg" "$phase" \
				"$(pct "$leg" "$phase" streams)" \
				"$(pct "$leg" "$phase" udp)" \
				"$(pct "$leg" "$phase" conns_before)" \
				"$(median "$leg" "$phase" stream_pause_p50 | sed 's/^-$/0/')" \
				"$(maxof "$leg" "$phase" stream_pause_max | sed 's/^-$/0/')"
		done
	done >"$dat"
	gnuplot 2>"$OUT/gnuplot.err" <<EOF || echo "(gnuplot failed: $OUT/gnuplot.err)"
set terminal pngcairo size 1200,560 font ",10"
set output "$OUT/failover.png"
set multiplot layout 1,2 title "Failover drill, $ROUNDS rounds: Baton vs keepalived + nftables + conntrackd"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside top center horizontal
set xtics font ",8"
set title "flows that survived (%)"
set yrange [0:110]
plot "$dat" using 2:xtic(1) title "TCP streams", '' using 3 title "UDP flows", '' using 4 title "connections established before"
set title "TCP stream pause (ms)"
set yrange [0:*]
plot "$dat" using 5:xtic(1) title "p50 (median of rounds)", '' using 6 title "max"
unset multiplot
EOF
	[ -s "$OUT/failover.png" ] && echo "chart: $OUT/failover.png"
fi
[ "$FAILED" = 0 ] || { echo "failover_compare.sh: $FAILED drill(s) failed to run" >&2; exit 1; }
