#!/usr/bin/env bash
# test_chaos.sh - the chaos drill (deploy/lab/drill.sh chaos on lab.sh up
# --nodes 2 --ha): for DRILL_CHAOS_S (60) s one random fault after another
# - the master powered off and on (flap), the same with its table flushed
# meanwhile (reboot), the standby powered off, batond
# killed (-9) and restarted on either node, the standby's sync packets
# dropped (20, 50 or 100 %), one link of either node down - each held
# 1-4 s, healed, the next once the pair has settled (both ready, one
# master, each stream in sync with nothing unacknowledged). The seed is
# printed (DRILL_SEED=N replays the same faults). At the end:
#
#  - every long-lived TCP stream and UDP flow survived, every byte
#    verified; no reset; every new connection established >= 10 ms before
#    a fault survived it, every one between faults succeeded;
#  - the pair settled after every fault within 20 s; at the end the
#    standby is an exact copy of the master; keepalived ran throughout.
#
# CONTROL: the same drill on a pair without conntrack sync, its faults
# only reboots, for 3 s: the drill must fail, with broken streams.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique),
# DRILL_CHAOS_S (60), DRILL_SEED (from the clock).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init ch

jqr() { jq -r "$1" "$TMP/$2/chaos.json"; }
export DRILL_SEED=${DRILL_SEED:-$(( $(date +%s%N) % 1000000000 ))}

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs"

nt_step "chaos for ${DRILL_CHAOS_S:-60} s under traffic (seed $DRILL_SEED)"
mkdir -p "$TMP/chaos"
nt_drill chaos "$TMP/chaos"
rc=$?
nt_assert_eq "$rc" 0 "drill chaos (DRILL_SEED=$DRILL_SEED): every invariant held"
nt_log "chaos: $(jqr '.faults | "\(.cycles) faults: \([.events[] | select(.kind != "settled" and (.kind | test("-(on|up|healed)$") | not)) | .kind | sub("-(eth[0-9]|[0-9]+)$"; "")] | group_by(.) | map("\(.[0]) \(length)") | join(", ")); \(.events | map(select(.takeover_ms != null)) | length) VIP moves, takeover max \([.events[] | .takeover_ms // empty] | max) ms; settled after each within \([.events[] | .settle_ms // empty] | max) ms; an exact copy \(.converge_ms) ms after the last"' chaos)"
nt_log "flows: $(jqr '.flows | "streams \([.dnat, .fullnat, .dsr] | map(.ok) | add)/\([.dnat, .fullnat, .dsr] | map(.total) | add), UDP \(.udp.ok)/\(.udp.total), connections established >= 10 ms before a fault \([.rate, .["rate-fnat"]] | map(.established_before.ok) | add)/\([.rate, .["rate-fnat"]] | map(.established_before.total) | add), all connections \([.rate, .["rate-fnat"]] | map(.ok) | add)/\([.rate, .["rate-fnat"]] | map(.total) | add), resets \([.[] | .results.reset // 0] | add)"' chaos)"
nt_assert_ge "$(jqr .faults.cycles chaos)" 5 "faults injected"
nt_assert_eq "$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr, .flows.udp] |
	map(.failed) | add' chaos)" 0 "no long-lived flow failed"
nt_log "connections in flight at a fault (reported, not checked):" \
	"$(jqr '[.flows.rate, .flows["rate-fnat"]] | map(.established_last_10ms.ok) | add' chaos)/$(jqr '[.flows.rate, .flows["rate-fnat"]] | map(.established_last_10ms.total) | add' chaos) succeeded"
# A failed run's tables, status and logs outlive the teardown.
if [ "$rc" != 0 ]; then
	keep=$(mktemp -d "${HA_KEEP:-/tmp}/chaos-failed.XXXXXX")
	cp -r "$TMP/chaos" "$keep/" && nt_log "(kept in $keep)"
fi
lab_down

nt_step "CONTROL: reboots without conntrack sync"
LAB_SYNC=0
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
mkdir -p "$TMP/control"
DRILL_QUIET=1 DRILL_CHAOS_S=3 DRILL_CHAOS_FAULTS=reboot \
	nt_drill chaos "$TMP/control"
nt_assert_eq $? 1 "CONTROL: the drill fails"
broken=$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr | .failed] | add' control)
nt_log "CONTROL: broken TCP streams $broken of" \
	"$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr | .total] | add' control)"
nt_assert_ge "$broken" 1 "CONTROL: broken TCP streams without sync"

nt_finish
