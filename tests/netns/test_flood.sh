#!/usr/bin/env bash
# test_flood.sh - a SYN flood at the VIP, as fast as the client can send
# (deploy/lab/drill.sh flood: spoofed sources, 4 s), against the master of
# the HA pair (lab.sh up --nodes 2 --ha) under the drill's load: 120
# long-lived TCP streams, 20 UDP flows, 750 new connections per second.
#
#  - every stream and UDP flow survives, every connection established
#    before the flood survives, none is reset, the master stays master;
#  - the flood fills the table and is counted (the full table's refusals
#    as ct_full drops; new flows);
#  - conntrack pressure: every new connection started 6 s after the flood
#    ended succeeds (the half-open entries it left are gone), the pressure
#    is over by the end, and no established flow was removed to make room
#    (the streams).
#
# CONTROLS, on the single-node lab (same drill, same checks):
#  - pressure_pct 0 (no pressure): the table stays full of the flood's
#    SYN_SENT entries for tcp_syn_sent (30 s), so the recovery check must
#    fail - it catches a table that keeps garbage;
#  - DRILL_FLOOD_FLUSH=1: the master's table flushed mid-flood, as a table
#    that evicts established flows for new ones (LRU) would do; the stream
#    checks must fail - they catch a flood that breaks established flows.
#
# Prints the figures: flood rate, counted, refused, pressure passes,
# connections during and after the flood.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init fl
nt_require_file "$BATON_BUILD/tests/bench/baton-load"

jqr() { jq -r "$1" "$TMP/$2/flood.json"; }
figures() {
	nt_log "$1: $(jqr '.flood | "\(.sent_per_s) SYN/s for \(.seconds) s; new flows \(.new_flows) (the drill'"'"'s own among them), ct_full \(.ct_full), pressure passes \(.pressure_passes), half-open expired \(.expired_half_open); connections during the flood \(.during.ok)/\(.during.total), from 6 s after \(.recovered.ok)/\(.recovered.total)"' "$2")"
}

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs"

nt_step "SYN flood at lb1's DNAT VIP under load"
mkdir -p "$TMP/ha"
nt_drill flood "$TMP/ha"
nt_assert_eq $? 0 "drill flood: every check passed"
figures "HA pair" ha
nt_assert_eq "$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr, .flows.udp |
	.ok] | add' ha)" 140 "every stream and UDP flow survived"
nt_assert_ge "$(jqr .flood.ct_full ha)" 1 "the flood filled the table"
nt_assert_ge "$(jqr .flood.sent_per_s ha)" 50000 "the flood's rate (SYN/s)"
nt_assert_eq "$(lab_ha_master)" 1 "lb1 still holds the VIPs"
lab_down

nt_step "CONTROL: no conntrack pressure (pressure_pct 0), single node"
LAB_NODES=1 LAB_HA=0
export LAB_PRESSURE_PCT=0
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
mkdir -p "$TMP/nopressure"
DRILL_QUIET=1 nt_drill flood "$TMP/nopressure"
nt_assert_eq $? 1 "CONTROL: the drill fails without pressure"
figures "no pressure" nopressure
nt_assert_eq "$(jqr '.flood.recovered.ok < .flood.recovered.total' \
	nopressure)" true "CONTROL: connections after the flood failed"
nt_assert_eq "$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr] |
	map(.failed) | add' nopressure)" 0 \
	"CONTROL: ... while every stream survived (only the recovery failed)"
lab_down

nt_step "CONTROL: the table flushed mid-flood (what eviction does)"
unset LAB_PRESSURE_PCT
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up3.log" 2>&1 || { cat "$TMP/up3.log"; nt_fatal "lab up failed"; }
mkdir -p "$TMP/flush"
DRILL_QUIET=1 DRILL_FLOOD_FLUSH=1 nt_drill flood "$TMP/flush"
nt_assert_eq $? 1 "CONTROL: the drill fails when established flows go"
broken=$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr] | map(.failed) |
	add' flush)
nt_assert_ge "$broken" 1 "CONTROL: broken TCP streams ($broken)"

nt_finish
