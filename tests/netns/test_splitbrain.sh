#!/usr/bin/env bash
# test_splitbrain.sh - a split brain and its heal (deploy/lab/drill.sh
# splitbrain on lab.sh up --nodes 2 --ha):
#
#  - lb2 hears no VRRP advert from lb1 and its sync link is cut
#    (nftables) for 8 s; the client and the backends still reach both.
#    lb2 becomes master too and takes the traffic with its gratuitous
#    ARPs; half-way, new streams (DNAT, fullNAT) and UDP flows (WRR:
#    another node would pick another backend) start that only lb2 knows
#    of; new connections open and close through it all;
#  - healed: lb2, the latest takeover, outranks lb1 (ha.split_brain
#    takeover) and keeps the VIPs, and the client's and backends' ARP
#    entries age out at once (the worst case: every packet to the
#    master); once lb1 holds lb2's flows it takes the VIPs back by its
#    priority; the standby is an exact copy: every flow survives, those
#    made during the split too; no reset.
#
# CONTROL: the same drill with ha.split_brain: priority - lb1 keeps the
# VIPs at the heal and gets the traffic before it has lb2's flows: the
# drill's checks must catch the flows that break or move.
#
# Prints the figures: takeover, time to one master and to settled after
# the heal, survival.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init sb

jqr() { jq -r "$1" "$TMP/$2/splitbrain.json"; }
part_kinds='[.flows["dnat-part"], .flows["fullnat-part"], .flows["udp-part"]]'

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs"

nt_step "split brain for 8 s (VRRP and sync between lb1 and lb2 cut), heal"
mkdir -p "$TMP/takeover"
nt_drill splitbrain "$TMP/takeover"
nt_assert_eq $? 0 "drill splitbrain: every check passed"
nt_log "split: $(jqr '.split | "both master \(.both_master); lb2 outranked \(.boost); at the heal one master (lb\(.master_after)) after \(.one_master_ms) ms, settled after \(.settled_ms) ms, exact copy after \(.converge_ms) ms"' takeover); lb2 took over $(jqr .takeover_ms takeover) ms after the cut"
nt_assert_eq "$(jqr .split.master_after takeover)" 2 \
	"lb2, the latest takeover, kept the VIPs at the heal"
nt_assert_eq "$(jqr "$part_kinds | map(.ok) | add" takeover)" 100 \
	"flows made during the split survived"
nt_assert_eq "$(jqr '[.flows[] | .failed] | add' takeover)" 0 "no flow failed"
lab_down

nt_step "CONTROL: ha.split_brain: priority"
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
LAB_SPLIT_BRAIN=priority lab_up >"$TMP/up2.log" 2>&1 ||
	{ cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
mkdir -p "$TMP/priority"
DRILL_QUIET=1 nt_drill splitbrain "$TMP/priority"
nt_assert_eq $? 1 "CONTROL: the drill fails when the old master wins"
nt_assert_eq "$(jqr .split.master_after priority)" 1 \
	"CONTROL: lb1 kept the VIPs at the heal"
broken=$(jqr "$part_kinds | map(.failed) | add" priority)
nt_log "CONTROL: flows made during the split broken or moved: $broken of" \
	"$(jqr "$part_kinds | map(.total) | add" priority)"
nt_assert_ge "$broken" 1 "CONTROL: flows made during the split broke"

nt_finish
