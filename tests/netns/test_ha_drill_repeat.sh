#!/usr/bin/env bash
# test_ha_drill_repeat.sh - the failover drill is repeatable: HA_RUNS (20)
# consecutive cycles on one lab (deploy/lab: lab.sh up --nodes 2 --ha), each
# a power-off of the master under load and the failback of the node that
# was powered off (deploy/lab/drill.sh poweroff, then failback), and every
# drill of every cycle must pass all its checks (every TCP stream and UDP
# flow survives, no reset, every connection established >= 10 ms before the
# event survives). Prints the figures over all runs: survival, resets,
# pauses and VRRP takeover times, for power-off and for failback.
#
# About 5 minutes (each drill 4 s of traffic, the event 1.5 s in). The
# drill's checks are proven able to fail by test_ha_failover.sh's control
# run (no sync).
#
# A failed drill's directory (its report, the nodes' tables, status and
# logs) is copied under HA_KEEP (/tmp) before the teardown.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique), HA_RUNS,
# LAB_NUDGE=0 (no takeover nudge: deploy/lab/lib.sh), LAB_ADVERT_MS,
# DRILL_* (see drill.sh; here 4 s of traffic, the event 1.5 s in).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init hr
RUNS=${HA_RUNS:-20}
export DRILL_DURATION=${DRILL_DURATION:-4} DRILL_AT=${DRILL_AT:-1.5}
export DRILL_QUIET=1

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }

for ((r = 1; r <= RUNS; r++)); do
	for phase in poweroff failback; do
		d=$TMP/run$r
		mkdir -p "$d"
		"$NT_SRC/deploy/lab/drill.sh" "$phase" --out "$d" \
			>"$d/$phase.out" 2>&1
		rc=$?
		line=$(jq -r '"takeover \(.takeover_ms) ms; streams \([.flows.dnat, .flows.fullnat, .flows.dsr] | map(.ok) | add)/\([.flows.dnat, .flows.fullnat, .flows.dsr] | map(.total) | add), udp \(.flows.udp.ok)/\(.flows.udp.total), tcp pause p99 \([.flows.dnat, .flows.fullnat, .flows.dsr] | map(.pause_ms.p99) | max) ms, early conns \([.flows.rate, .flows["rate-fnat"]] | map(.established_before.ok) | add)/\([.flows.rate, .flows["rate-fnat"]] | map(.established_before.total) | add)"' \
			"$d/$phase.json" 2>/dev/null)
		nt_assert_eq "$rc" 0 "run $r $phase: ${line:-no report}"
		if [ "$rc" != 0 ]; then
			sed 's/^/  | /' "$d/$phase.out"
			# Outlive the teardown: the drill left each node's
			# table, status and logs there.
			keep=$(mktemp -d "${HA_KEEP:-/tmp}/ha-drill-failed.XXXXXX")
			cp -r "$d" "$keep/" && echo "  (run $r kept in $keep)"
		fi
	done
done

nt_step "figures over $RUNS runs"
for phase in poweroff failback; do
	jq -s -r --arg p "$phase" '
	def pct(q): sort | .[((length - 1) * q | floor)];
	[.[] | select(.phase == $p)] as $r |
	[$r[] | .flows.dnat, .flows.fullnat, .flows.dsr] as $tcp |
	[$r[] | .flows.dnat, .flows.fullnat] as $nat |
	[$r[] | .flows.dsr] as $dsr |
	"\($p): runs \($r | length); TCP streams survived \($tcp | map(.ok) | add)/\($tcp | map(.total) | add); UDP \($r | map(.flows.udp.ok) | add)/\($r | map(.flows.udp.total) | add); resets \([$r[] | .flows[] | .results.reset // 0] | add); connections established >= 10 ms before \([$r[] | .flows.rate, .flows["rate-fnat"]] | map(.established_before.ok) | add)/\([$r[] | .flows.rate, .flows["rate-fnat"]] | map(.established_before.total) | add); per-run TCP pause p50 \($tcp | map(.pause_ms.p50) | pct(0.5)) ms, p99 over runs \($tcp | map(.pause_ms.p99) | pct(0.99)) ms, max \($tcp | map(.pause_ms.max) | max) ms (DNAT and fullNAT: p50 \($nat | map(.pause_ms.p50) | pct(0.5)), p99 \($nat | map(.pause_ms.p99) | pct(0.99)), max \($nat | map(.pause_ms.max) | max); DSR: p50 \($dsr | map(.pause_ms.p50) | pct(0.5)), p99 \($dsr | map(.pause_ms.p99) | pct(0.99)), max \($dsr | map(.pause_ms.max) | max)); UDP pause max \($r | map(.flows.udp.pause_ms.max) | max) ms; VRRP takeover p50 \($r | map(.takeover_ms) | pct(0.5)) ms, max \($r | map(.takeover_ms) | max) ms"' \
		"$TMP"/run*/"$phase".json | tee -a "$TMP/figures.txt"
done

nt_finish
