#!/usr/bin/env bash
# tests/bench/sync_run.sh - conntrack sync benchmark in the two-node lab
# (deploy/lab/lib.sh, LAB_NODES=2). Prints figures, never passes or fails on
# them (it is not a ctest test).
#
#   tests/bench/sync_run.sh [-n FLOWS] [--tls] [--load SECONDS] [--parallel P]
#                           [--gc-ms MS]
#
# 1. Full resync: lb1's ct_v4_map gets FLOWS (default 1000000) established
#    DNAT pairs of its own, written directly with ct-fill (no events, and
#    refresh_s is 3600, so nothing reaches lb2 by itself). Then
#    `batonctl sync resync 2` on lb1, and the clock runs until lb2 has
#    installed every flow and lb1 sees lb2 in_sync again (lb2 acknowledged
#    the complete resync). Figures: flows/s and map entries/s end to end,
#    bytes on the wire per flow (lb1's bytes_sent / sent_flows to lb2 over
#    the resync, nng framing included, TCP/IP and TLS not), messages.
# 2. Incremental lag under load, twice: before the fill (an ordinary
#    table) and after the resync (FLOWS more flows in each table, which
#    the GCs keep scanning): the client opens short TCP connections through
#    lb1 continuously for SECONDS (default 10), P (default 10) at a time;
#    lb1's lag_p50_us / lag_p99_us toward lb2 (event on lb1 -> lb2
#    acknowledged installing it; over the last 4096 messages) is read at
#    the end of each, with the connection rate reached.
#
# --tls runs the sync over tls+tcp:// (deploy/pki/gen.sh certificates).
# --gc-ms sets conntrack.gc_interval_ms on both nodes (default 1000): a GC
# pass over a table this size costs about a second of CPU, so 60000 shows
# what the sync does without it.
# Needs root, about 1 GB of memory per million flows (two tables of 2M
# entries), and the build (BATON_BUILD, default <repo>/build; built here if
# something is missing). BATON_LAB_PREFIX picks the lab prefix (default
# unique).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BATON_BUILD=${BATON_BUILD:-$repo/build}
FLOWS=1000000
LOAD_S=10
PAR=10
TLS=0
while [ $# -gt 0 ]; do
	case $1 in
	-n) FLOWS=$2; shift ;;
	--tls) TLS=1 ;;
	--load) LOAD_S=$2; shift ;;
	--parallel) PAR=$2; shift ;;
	--gc-ms) LAB_GC_MS=$2; shift ;;
	*) sed -n '5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[[ $FLOWS =~ ^[0-9]+$ ]] && [ "$FLOWS" -ge 1 ] && [ "$FLOWS" -le 7000000 ] ||
	{ echo "sync_run.sh: -n: 1..7000000" >&2; exit 2; }

if [ "$(id -u)" -ne 0 ]; then
	echo "sync_run.sh: needs root (namespaces, BPF maps)" >&2
	exit 1
fi
if [ ! -f "$BATON_BUILD/CMakeCache.txt" ]; then
	cmake -S "$repo" -B "$BATON_BUILD" >/dev/null || exit 1
fi
cmake --build "$BATON_BUILD" -j2 --target batond batonctl baton-traffic \
	ct-fill >/dev/null || { echo "sync_run.sh: build failed" >&2; exit 1; }

. "$repo/deploy/lab/lib.sh"
LAB_NODES=2
LAB_TLS=$TLS
LAB_CT_MAX=$((2 * FLOWS + 100000))
LAB_SYNC_REFRESH_S=3600
LAB_QUIET=1
lab_init "${BATON_LAB_PREFIX:-sb$(($$ % 100000))}" || exit 2
CTFILL=$LAB_BUILD/tests/tools/ct-fill
LOAD_PID=

cleanup() {
	trap - EXIT INT TERM HUP
	[ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null &&
		wait "$LOAD_PID" 2>/dev/null
	# BATON_BENCH_LOGS=DIR keeps the nodes' batond logs there.
	if [ -n "${BATON_BENCH_LOGS:-}" ]; then
		mkdir -p "$BATON_BENCH_LOGS" &&
			cp "$LAB_STATE"/lb*.log* "$BATON_BENCH_LOGS"/ 2>/dev/null
	fi
	lab_down
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'echo "sync_run.sh: interrupted"; exit 130' INT TERM HUP

ms() { echo $(($(date +%s%N) / 1000000)); }
peer() {			# peer K PEER FILTER: from lbK's sync status
	lab_node_ctl "$1" --json sync status 2>/dev/null |
		jq -r --argjson id "$2" ".peers[] | select(.id == \$id) | $3"
}
die() { echo "sync_run.sh: $*" >&2; exit 1; }

# lag_phase TAG VIP: short connections to VIP:80 through lb1 for LOAD_S s
# (the two phases use different VIPs: the second through the fullNAT one,
# whose source ports give the backends tuples the first phase did not
# leave in their TIME_WAIT, which would delay new SYNs by a second); sets
# CONNS_TAG, FAILED_TAG, P50_TAG, P99_TAG, UPD_TAG. The lag percentiles are
# over lb1's last 4096 messages to lb2, which this phase fills.
lag_phase() {
	local tag=$1 vip=$2 lf0 lf1 p50 p99 st
	(
		end=$((SECONDS + LOAD_S))
		while [ "$SECONDS" -lt "$end" ]; do
			ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
				--tcp "$vip:80" --conns $((PAR * 20)) \
				--parallel "$PAR" --timeout-ms 10000
		done
	) >"$LAB_STATE/load-$tag.json" 2>&1 &
	LOAD_PID=$!
	lf0=$(peer 1 2 .sent_flows)
	wait "$LOAD_PID"
	LOAD_PID=
	sleep 0.5		# the last acknowledgements
	read -r p50 p99 lf1 st < <(peer 1 2 \
		'"\(.lag_p50_us) \(.lag_p99_us) \(.sent_flows) \(.state)"')
	printf -v "CONNS_$tag" '%s' \
		"$(jq -s 'map(.ok) | add' "$LAB_STATE/load-$tag.json")"
	printf -v "FAILED_$tag" '%s' \
		"$(jq -s 'map(.failed) | add' "$LAB_STATE/load-$tag.json")"
	printf -v "P50_$tag" '%s' "$p50"
	printf -v "P99_$tag" '%s' "$p99"
	printf -v "UPD_$tag" '%s' "$((lf1 - lf0))"
	printf -v "STATE_$tag" '%s' "$st"
}

echo "== lab: 2 nodes, sync $([ "$TLS" = 1 ] && echo tls+tcp || echo tcp)," \
	"ct_v4_map $LAB_CT_MAX entries per node, gc_interval_ms" \
	"${LAB_GC_MS:-1000} (prefix $LAB_P)"
lab_up || die "lab up failed"
for i in $(seq 100); do
	[ "$(peer 1 2 .state)" = in_sync ] && [ "$(peer 2 1 .state)" = in_sync ] &&
		break
	sleep 0.1
done
[ "$(peer 1 2 .state)" = in_sync ] || die "lb1 -> lb2 not in_sync"

echo "== incremental lag, ordinary table: short connections through lb1" \
	"for $LOAD_S s ($PAR at a time)"
lag_phase small $LAB_VIP_DNAT
# Its TIME_WAIT pairs would take room the fill needs (the table is sized
# for the fill): flush lb1, whose deletions reach lb2 through sync.
lab_node_ctl 1 ct flush >/dev/null || die "ct flush on lb1 failed"
for i in $(seq 100); do
	[ "$(lab_node_ctl 2 --json ct count | jq .entries)" = 0 ] && break
	sleep 0.1
done

echo "== fill lb1: $FLOWS established DNAT pairs (ct-fill)"
"$CTFILL" "$(lab_node_pin 1)" "$FLOWS" || die "ct-fill failed"
n1=$(lab_node_ctl 1 --json ct count | jq .entries)
n2=$(lab_node_ctl 2 --json ct count | jq .entries)
echo "   lb1 holds $n1 entries, lb2 $n2"
[ "$n1" -ge $((2 * FLOWS)) ] || die "lb1 holds $n1 entries, not $((2 * FLOWS))"

echo "== full resync lb1 -> lb2"
read -r b0 f0 m0 r0 < <(peer 1 2 '"\(.bytes_sent) \(.sent_flows) \(.msgs_sent) \(.resyncs_sent)"')
i0=$(peer 2 1 .installed)
t0=$(ms)
lab_node_ctl 1 sync resync 2 >/dev/null || die "batonctl sync resync 2 failed"
t_inst=
deadline=$((t0 + 600000))
while :; do
	now=$(ms)
	inst=$(peer 2 1 .installed)
	if [ -z "$t_inst" ] && [ $((inst - i0)) -ge "$FLOWS" ]; then
		t_inst=$now
	fi
	if [ -n "$t_inst" ] && [ "$(peer 1 2 .resyncs_sent)" -gt "$r0" ] &&
		[ "$(peer 1 2 .state)" = in_sync ]; then
		t1=$now
		break
	fi
	[ "$now" -lt "$deadline" ] || die "no complete resync in 600 s" \
		"(lb2 installed $((inst - i0)) of $FLOWS)"
	sleep 0.02
done
read -r b1 f1 m1 < <(peer 1 2 '"\(.bytes_sent) \(.sent_flows) \(.msgs_sent)"')
n2=$(lab_node_ctl 2 --json ct count | jq .entries)
RS_MS=$((t1 - t0))
INST_MS=$((t_inst - t0))
RS_FLOWS=$((f1 - f0))
RS_BYTES=$((b1 - b0))
RS_MSGS=$((m1 - m0))
echo "   lb2 installed all $FLOWS flows after $INST_MS ms; in_sync after" \
	"$RS_MS ms; lb2 holds $n2 map entries"
[ "$n2" -ge $((2 * FLOWS)) ] ||
	echo "   WARNING: lb2 holds $n2 entries, expected $((2 * FLOWS))"

echo "== incremental lag with $FLOWS flows in each table: short" \
	"connections through lb1 for $LOAD_S s ($PAR at a time)"
lag_phase big $LAB_VIP_FULLNAT

echo
echo "RESULTS (sync $([ "$TLS" = 1 ] && echo tls+tcp || echo tcp)," \
	"gc_interval_ms ${LAB_GC_MS:-1000}; $(nproc) CPUs shared by both nodes," \
	"the client and the backends)"
printf '  %-44s %s\n' \
	"full resync, flows" "$FLOWS ($((2 * FLOWS)) map entries)" \
	"  until lb2 installed every flow" "$INST_MS ms" \
	"  until lb1 saw lb2 in_sync (end to end)" "$RS_MS ms" \
	"  flows/s end to end" "$((FLOWS * 1000 / (RS_MS > 0 ? RS_MS : 1)))" \
	"  map entries/s end to end" "$((2 * FLOWS * 1000 / (RS_MS > 0 ? RS_MS : 1)))" \
	"  flows sent / messages / bytes" "$RS_FLOWS / $RS_MSGS / $RS_BYTES" \
	"  bytes on the wire per flow" "$(awk -v b="$RS_BYTES" -v f="$RS_FLOWS" \
		'BEGIN { printf "%.2f", f ? b / f : 0 }')" \
	"incremental, ordinary table" "$CONNS_small short connections in $LOAD_S s" \
	"  connections/s (failed)" "$((CONNS_small / LOAD_S)) ($FAILED_small)" \
	"  flow updates sent to lb2" "$UPD_small" \
	"  lag p50 / p99 (event -> peer acked)" "$P50_small us / $P99_small us" \
	"incremental, $FLOWS more flows per table" \
	"$CONNS_big short connections in $LOAD_S s" \
	"  connections/s (failed)" "$((CONNS_big / LOAD_S)) ($FAILED_big)" \
	"  flow updates sent to lb2" "$UPD_big" \
	"  lag p50 / p99 (event -> peer acked)" "$P50_big us / $P99_big us" \
	"  lb1 -> lb2 state at the end" "$STATE_big"
