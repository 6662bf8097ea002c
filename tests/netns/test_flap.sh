#!/usr/bin/env bash
# test_flap.sh - flapping failovers under traffic (deploy/lab/drill.sh flap
# on lab.sh up --nodes 2 --ha): for a minute the master is powered off
# and, 3 s later, on again - it resyncs and takes the VIPs back (preempt) -
# then again 3 s later: a failover every few seconds, each on a settled
# pair. Through all of them:
#
#  - every long-lived TCP stream (DNAT, fullNAT, DSR) and UDP flow
#    survives, every byte verified; no reset; every new connection
#    established >= 10 ms before a failover survives it, and every one
#    between failovers succeeds;
#  - at the end the pair is settled and the standby an exact copy;
#  - batond's memory does not grow: VmRSS at the end at most 512 KiB
#    above its value after the middle cycle (the first cycles warm the
#    heap up), on both nodes; open fds at most 2 more.
#
# CONTROL: the same drill on a pair without conntrack sync, one cycle in
# which lb1 loses its table while powered off (DRILL_FLAP_REBOOT: without
# it lb1 comes back with its flows and nothing needs sync), its memory
# check pointed at a process that grows (1 MiB a second): the drill must
# fail, with broken streams and the memory check failed.
#
# Prints the figures: cycles, VIP moves, takeover times, settle times,
# survival, VmRSS per cycle.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique), DRILL_FLAP_S
# (60).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init fl

jqr() { jq -r "$1" "$TMP/$2/flap.json"; }

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs"

nt_step "flapping failovers for ${DRILL_FLAP_S:-60} s under traffic"
mkdir -p "$TMP/flap"
nt_drill flap "$TMP/flap"
nt_assert_eq $? 0 "drill flap: every check passed"
nt_log "flap: $(jqr '.faults | "\(.cycles) cycles, \(.events | map(select(.takeover_ms != null)) | length) VIP moves; takeover (power-off) p50 \([.events[] | select(.kind == "off") | .takeover_ms] | sort | .[length / 2 | floor]) ms, max \([.events[] | select(.kind == "off") | .takeover_ms] | max) ms; failback (power-on to MASTER, resync included) p50 \([.events[] | select(.kind == "on") | .takeover_ms] | sort | .[length / 2 | floor]) ms, max \([.events[] | select(.kind == "on") | .takeover_ms] | max) ms; settled within \([.events[] | .settle_ms // empty] | max) ms"' flap)"
nt_log "flows: $(jqr '.flows | "streams \([.dnat, .fullnat, .dsr] | map(.ok) | add)/\([.dnat, .fullnat, .dsr] | map(.total) | add), UDP \(.udp.ok)/\(.udp.total), connections established >= 10 ms before a failover \([.rate, .["rate-fnat"]] | map(.established_before.ok) | add)/\([.rate, .["rate-fnat"]] | map(.established_before.total) | add), all connections \([.rate, .["rate-fnat"]] | map(.ok) | add)/\([.rate, .["rate-fnat"]] | map(.total) | add), TCP pause max \([.dnat, .fullnat, .dsr] | map(.pause_ms.max) | max) ms"' flap)"
nt_log "batond VmRSS (kB) per cycle: $(jqr '[.faults.memory[] | "pid \(.pid): \(.rss_kb | map(tostring) | join(" ")) (growth over the second half \(.growth_kb) kB; fds \(.fds_mid) -> \(.fds_end))"] | join("; ")' flap)"
nt_assert_ge "$(jqr .faults.cycles flap)" $(( ${DRILL_FLAP_S:-60} / 10 )) \
	"a failover every few seconds"
nt_assert_eq "$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr, .flows.udp] |
	map(.failed) | add' flap)" 0 "no long-lived flow failed"
nt_log "connections in flight at a failover (reported, not checked):" \
	"$(jqr '[.flows.rate, .flows["rate-fnat"]] | map(.established_last_10ms.ok) | add' flap)/$(jqr '[.flows.rate, .flows["rate-fnat"]] | map(.established_last_10ms.total) | add' flap) succeeded"
lab_down

nt_step "CONTROL: one cycle without sync, lb1 rebooted; a growing process"
LAB_SYNC=0
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
# 1 MiB more every second, for at most a minute.
bash -c 'x=; for ((i = 0; i < 60; i++)); do
	x+=$(head -c 1048576 /dev/zero | tr "\0" x); sleep 1; done' &
grow=$!
PIDS+=("$grow")
mkdir -p "$TMP/control"
DRILL_QUIET=1 DRILL_FLAP_S=4 DRILL_FLAP_REBOOT=1 DRILL_MEM_PIDS=$grow \
	nt_drill flap "$TMP/control"
nt_assert_eq $? 1 "CONTROL: the drill fails"
kill "$grow" 2>/dev/null
broken=$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr | .failed] | add' control)
nt_log "CONTROL: broken TCP streams $broken; growth seen" \
	"$(jqr '.faults.memory[0].growth_kb' control) kB"
nt_assert_ge "$broken" 1 "CONTROL: broken TCP streams without sync"
nt_assert_ge "$(jqr '.faults.memory[0].growth_kb' control)" 513 \
	"CONTROL: the memory check sees the growing process"

nt_finish
