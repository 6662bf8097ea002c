#!/usr/bin/env bash
# tests/bench/sync_compare.sh - state sync, Baton against conntrackd, on the
# same two-node lab topology (deploy/lab/lib.sh, LAB_NODES=2: the nodes talk
# over their own sync network, eth2). Prints figures and writes them down;
# never passes or fails on a figure (it is not a ctest test).
#
#   tests/bench/sync_compare.sh [-n FLOWS] [--rounds N] [--out DIR]
#
# Each round, in turn (interleaved, so that a slow phase of this VM hits
# both alike):
#   baton       lb1's ct_v4_map gets FLOWS established DNAT pairs
#               (tests/tools/ct-fill), refresh_s 3600 so nothing moves by
#               itself; `batonctl sync resync 2` on lb1; the clock stops
#               when lb2 has installed every flow in its own ct_v4_map (the
#               datapath can carry them from then on).
#   conntrackd  the lab without batond; lb1's kernel conntrack gets the
#               same FLOWS tuples as established DNAT entries
#               (tests/bench/nfct-fill); conntrackd (FT-FW over UDP, eth2)
#               on both nodes, lb1's dumps its table at start; then
#               `conntrackd -n` on lb2 (resync request) and the clock stops
#               when lb2's external cache holds every flow. That cache is
#               user space: a failover must still commit it to the kernel
#               (`conntrackd -c`), timed apart.
# Figures per round: ms until the peer holds every flow, flows/s, both
# into what the peer receives them in and into its kernel, bytes per flow
# on the sync link (what both nodes sent on eth2, segmentation offloads
# off: every packet's IP and UDP/TCP headers and the acknowledgements
# included, both ways alike) and, for Baton, its own count without
# headers.
# DIR (default <build>/bench-report/sync) gets results.tsv (round, leg,
# metric, value) and summary.md (medians, ratio Baton / conntrackd).
#
# FLOWS (default 200000) stays under the kernel's
# net.netfilter.nf_conntrack_max, which this script does not change.
# Needs root and the build (BATON_BUILD, default <repo>/build; built here
# if something is missing), conntrackd and libnetfilter-conntrack
# (deploy/setup.sh installs both).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BATON_BUILD=${BATON_BUILD:-$repo/build}
FLOWS=200000
ROUNDS=3
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	-n) FLOWS=${2:-}; shift ;;
	--rounds) ROUNDS=${2:-}; shift ;;
	--out) OUT=${2:-}; shift ;;
	*) sed -n '7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[[ $FLOWS =~ ^[0-9]+$ ]] && [ "$FLOWS" -ge 1 ] ||
	{ echo "sync_compare.sh: -n: a positive number" >&2; exit 2; }
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] ||
	{ echo "sync_compare.sh: --rounds: a positive number" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] ||
	{ echo "sync_compare.sh: needs root (namespaces, BPF maps)" >&2; exit 1; }
ct_max=$(cat /proc/sys/net/netfilter/nf_conntrack_max 2>/dev/null || echo 0)
[ "$FLOWS" -lt "$ct_max" ] || {
	echo "sync_compare.sh: -n $FLOWS: the kernel's conntrack holds at" \
		"most $ct_max entries (net.netfilter.nf_conntrack_max)" >&2
	exit 2
}
command -v conntrackd >/dev/null && command -v conntrack >/dev/null ||
	{ echo "sync_compare.sh: needs conntrackd and conntrack" \
		"(deploy/setup.sh)" >&2; exit 1; }
if [ ! -f "$BATON_BUILD/CMakeCache.txt" ]; then
	cmake -S "$repo" -B "$BATON_BUILD" >/dev/null || exit 1
fi
cmake --build "$BATON_BUILD" -j2 --target batond batonctl baton-traffic \
	ct-fill >/dev/null || { echo "sync_compare.sh: build failed" >&2; exit 1; }
cmake --build "$BATON_BUILD" -j2 --target nfct-fill >/dev/null 2>&1 || {
	echo "sync_compare.sh: nfct-fill not built: install" \
		"libnetfilter-conntrack-dev (deploy/setup.sh) and re-run cmake" >&2
	exit 1
}
command -v ethtool >/dev/null ||
	{ echo "sync_compare.sh: needs ethtool (deploy/setup.sh)" >&2; exit 1; }
OUT=${OUT:-$BATON_BUILD/bench-report/sync}
mkdir -p "$OUT" || exit 1
: >"$OUT/results.tsv"

. "$repo/deploy/lab/lib.sh"
. "$repo/tests/bench/lib.sh"
LAB_NODES=2
LAB_CT_MAX=$((2 * FLOWS + 100000))
LAB_SYNC_REFRESH_S=3600
LAB_QUIET=1
lab_init "${BATON_LAB_PREFIX:-sc$(($$ % 100000))}" || exit 2
CTFILL=$LAB_BUILD/tests/tools/ct-fill
NFCTFILL=$LAB_BUILD/tests/bench/nfct-fill
FAILED=0

cleanup() {
	trap - EXIT INT TERM HUP
	lab_down		# the conntrackds too (lab_spawn)
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'echo "sync_compare.sh: interrupted"; exit 130' INT TERM HUP

ms() { echo $(($(date +%s%N) / 1000000)); }
warn() { echo "sync_compare.sh: $*" >&2; FAILED=$((FAILED + 1)); }
rec() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$OUT/results.tsv"; }
per_s() { echo $((FLOWS * 1000 / ($1 > 0 ? $1 : 1))); }	# per_s MS: flows/s
# link_bytes: bytes sent on the sync link by both nodes (data and the
# receiver's acknowledgements).
link_bytes() {
	local k n=0
	for k in 1 2; do
		n=$((n + $(ip -n "$(lab_node_ns "$k")" -s -j link show eth2 |
			jq '.[0].stats64.tx.bytes')))
	done
	echo "$n"
}

# sync_link_up: the lab up (batond or not: "$@"), the sync link without
# segmentation offloads, so that the link bytes count every packet's
# headers (veth would carry 64 KB TCP segments with one set).
sync_link_up() {
	local k
	lab_up "$@" || { lab_down; return 1; }
	for k in 1 2; do
		ip netns exec "$(lab_node_ns "$k")" ethtool -K eth2 tso off \
			gso off gro off >/dev/null 2>&1 || { lab_down; return 1; }
	done
}
peer() {			# peer K PEER FILTER: from lbK's sync status
	lab_node_ctl "$1" --json sync status 2>/dev/null |
		jq -r --argjson id "$2" ".peers[] | select(.id == \$id) | $3"
}

# ---- Baton ------------------------------------------------------------------

baton_round() {
	local r=$1 i i0 t0 now inst tb0 tb1 b0 b1 f0 f1 deadline
	sync_link_up || { warn "round $r: lab up failed"; return 1; }
	for i in $(seq 100); do
		[ "$(peer 1 2 .state)" = in_sync ] &&
			[ "$(peer 2 1 .state)" = in_sync ] && break
		sleep 0.1
	done
	[ "$(peer 1 2 .state)" = in_sync ] ||
		{ warn "round $r: lb1 -> lb2 not in_sync"; lab_down; return 1; }
	"$CTFILL" "$(lab_node_pin 1)" "$FLOWS" >/dev/null ||
		{ warn "round $r: ct-fill failed"; lab_down; return 1; }
	read -r b0 f0 < <(peer 1 2 '"\(.bytes_sent) \(.sent_flows)"')
	i0=$(peer 2 1 .installed)
	tb0=$(link_bytes)
	t0=$(ms)
	lab_node_ctl 1 sync resync 2 >/dev/null ||
		{ warn "round $r: batonctl sync resync failed"; lab_down; return 1; }
	deadline=$((t0 + 300000))
	while :; do
		now=$(ms)
		inst=$(peer 2 1 .installed)
		[ $((inst - i0)) -ge "$FLOWS" ] && break
		[ "$now" -lt "$deadline" ] || {
			warn "round $r: lb2 installed $((inst - i0)) of $FLOWS in 300 s"
			lab_down
			return 1
		}
		sleep 0.01
	done
	sleep 0.2		# the last messages' headers on the link
	tb1=$(link_bytes)
	read -r b1 f1 < <(peer 1 2 '"\(.bytes_sent) \(.sent_flows)"')
	rec "$r" baton ms $((now - t0))
	rec "$r" baton flows_per_s "$(per_s $((now - t0)))"
	rec "$r" baton link_bytes_per_flow "$(awk -v b=$((tb1 - tb0)) -v f="$FLOWS" 'BEGIN { printf "%.1f", b / f }')"
	rec "$r" baton sync_bytes_per_flow "$(awk -v b=$((b1 - b0)) -v f=$((f1 - f0)) 'BEGIN { printf "%.1f", f ? b / f : 0 }')"
	echo "   baton: lb2 installed $FLOWS flows in $((now - t0)) ms," \
		"$(((tb1 - tb0) / FLOWS)) link bytes per flow"
	lab_down
}

# ---- conntrackd ---------------------------------------------------------------

ctd_round() {
	local r=$1 k t0 now n tb0 tb1 tc0 tc1 deadline made
	sync_link_up --no-batond || { warn "round $r: lab up failed"; return 1; }
	made=$(ip netns exec "$(lab_node_ns 1)" "$NFCTFILL" "$FLOWS" \
		--vip "$LAB_VIP_DNAT" | jq -r .created)
	[ "$made" = "$FLOWS" ] ||
		{ warn "round $r: nfct-fill made ${made:-no} entries"; lab_down; return 1; }
	for k in 1 2; do
		lab_ctd_start "$k" "$FLOWS" ||
			{ warn "round $r: conntrackd did not start"; ctd_stop; lab_down; return 1; }
	done
	# lb1's conntrackd reads the kernel's table at its start (outside
	# the clock; Baton's map needs no such step).
	deadline=$(($(ms) + 120000))
	while [ "$(lab_ctd_cache 1 internal)" -lt "$FLOWS" ] 2>/dev/null ||
		[ -z "$(lab_ctd_cache 2 external)" ]; do
		[ "$(ms)" -lt "$deadline" ] || {
			warn "round $r: lb1's conntrackd holds $(lab_ctd_cache 1 internal) of $FLOWS"
			ctd_logs; ctd_stop; lab_down; return 1
		}
		sleep 0.1
	done
	n=$(lab_ctd_cache 2 external)
	[ "$n" = 0 ] || {
		warn "round $r: lb2's external cache holds $n before the resync"
		ctd_stop; lab_down; return 1
	}
	tb0=$(link_bytes)
	t0=$(ms)
	lab_ctd 2 -n >/dev/null 2>&1 ||
		{ warn "round $r: conntrackd -n failed"; ctd_stop; lab_down; return 1; }
	deadline=$((t0 + 300000))
	while :; do
		now=$(ms)
		n=$(lab_ctd_cache 2 external)
		[ "${n:-0}" -ge "$FLOWS" ] && break
		[ "$now" -lt "$deadline" ] || {
			warn "round $r: lb2's external cache holds ${n:-?} of $FLOWS in 300 s"
			ctd_logs; ctd_stop; lab_down; return 1
		}
		sleep 0.01
	done
	sleep 0.2
	tb1=$(link_bytes)
	tc0=$(ms)
	lab_ctd 2 -c >/dev/null 2>&1 ||
		{ warn "round $r: conntrackd -c failed"; ctd_stop; lab_down; return 1; }
	tc1=$(ms)
	n=$(ip netns exec "$(lab_node_ns 2)" conntrack -L -p tcp \
		-d "$LAB_VIP_DNAT" 2>/dev/null | wc -l)
	[ "$n" -ge "$FLOWS" ] || {
		warn "round $r: lb2's kernel table holds $n of the flows after the commit"
		ctd_stop; lab_down; return 1
	}
	rec "$r" conntrackd ms $((now - t0))
	rec "$r" conntrackd flows_per_s "$(per_s $((now - t0)))"
	rec "$r" conntrackd link_bytes_per_flow "$(awk -v b=$((tb1 - tb0)) -v f="$FLOWS" 'BEGIN { printf "%.1f", b / f }')"
	rec "$r" conntrackd commit_ms $((tc1 - tc0))
	rec "$r" conntrackd kernel_ms $((now - t0 + tc1 - tc0))
	rec "$r" conntrackd kernel_flows_per_s "$(per_s $((now - t0 + tc1 - tc0)))"
	echo "   conntrackd: lb2's external cache held $FLOWS flows after" \
		"$((now - t0)) ms, $(((tb1 - tb0) / FLOWS)) link bytes per flow;" \
		"commit to the kernel $((tc1 - tc0)) ms"
	ctd_stop
	lab_down
}

ctd_logs() {			# the conntrackds' own words, on a failure
	local k
	for k in 1 2; do
		tail -n 5 "$LAB_STATE/ctd$k.log" "$LAB_STATE/conntrackd$k.log" \
			2>/dev/null | sed "s/^/   lb$k: /" >&2
		lab_ctd "$k" -s cache 2>&1 | sed "s/^/   lb$k: /" >&2
	done
}

ctd_stop() {
	lab_ctd_stop 1
	lab_ctd_stop 2
}

# ---- rounds and summary -----------------------------------------------------------

echo "== sync of $FLOWS established DNAT flows, lb1 -> lb2, $ROUNDS rounds (prefix $LAB_P)"
for ((r = 1; r <= ROUNDS; r++)); do
	echo "== round $r"
	if [ $((r % 2)) = 1 ]; then
		baton_round "$r"
		ctd_round "$r"
	else
		ctd_round "$r"
		baton_round "$r"
	fi
done

median() {			# median LEG METRIC
	awk -F'\t' -v l="$1" -v m="$2" '$2 == l && $3 == m { print $4 }' \
		"$OUT/results.tsv" | bench_median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'; }

bf=$(median baton flows_per_s) cf=$(median conntrackd flows_per_s)
# Baton's peer installs into its kernel map: one clock for both rows.
bk=$bf ck=$(median conntrackd kernel_flows_per_s)
bl=$(median baton link_bytes_per_flow) cl=$(median conntrackd link_bytes_per_flow)
{
	echo "# State sync: Baton vs conntrackd ($FLOWS flows, median of $ROUNDS rounds)"
	echo
	echo "| | Baton | conntrackd | Baton / conntrackd |"
	echo "|---|---|---|---|"
	echo "| ms until the peer holds every flow (Baton: ct_v4_map; conntrackd: external cache) | $(median baton ms) | $(median conntrackd ms) | |"
	echo "| flows/s, into the peer's ct_v4_map / external cache | $bf | $cf | $(ratio "$bf" "$cf") |"
	echo "| ms to commit the external cache to the kernel (conntrackd -c) | - | $(median conntrackd commit_ms) | |"
	echo "| ms until the peer's kernel holds every flow | $(median baton ms) | $(median conntrackd kernel_ms) | |"
	echo "| flows/s into the peer's kernel | $bk | $ck | $(ratio "$bk" "$ck") |"
	echo "| bytes per flow on the sync link (headers included) | $bl | $cl | $(ratio "$bl" "$cl") |"
	echo "| Baton's own bytes per flow (no headers) | $(median baton sync_bytes_per_flow) | | |"
	echo
	echo "Baton's peer holds a flow in its ct_v4_map, where the datapath uses it;"
	echo "conntrackd's holds it in a user-space cache until \`conntrackd -c\`, which"
	echo "keepalived's notify script runs when the standby becomes master. The"
	echo "clocks run from the resync request until a poll (about 20-40 ms apart:"
	echo "batonctl, conntrackd -s) finds every flow; Baton's walks the sender's"
	echo "map within them, conntrackd read the sender's table at its start."
	echo "Link bytes: both nodes' on the sync link, offloads off."
	echo
	echo "kernel $(uname -r), $(conntrackd -v 2>&1 | head -n 1 | sed 's/\. Licensed.*//')," \
		"nf_conntrack_buckets $(cat /proc/sys/net/netfilter/nf_conntrack_buckets 2>/dev/null)"
} >"$OUT/summary.md"
cat "$OUT/summary.md"
[ "$FAILED" = 0 ] || { echo "sync_compare.sh: $FAILED measurement(s) failed" >&2; exit 1; }
