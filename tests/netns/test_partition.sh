#!/usr/bin/env bash
# test_partition.sh - the sync link partitioned, then healed, then a
# failover (deploy/lab/drill.sh partition on lab.sh up --nodes 2 --ha):
#
#  - lb2's sync link is cut both ways (nftables) for 10 s while new
#    connections open and close on lb1 (750/s) and, half-way, new
#    long-lived streams (DNAT, fullNAT) and UDP flows start that only lb1
#    knows of;
#  - healed: lb2 is an exact copy of lb1's flows again (ct-compare) within
#    15 s - the connections closed meanwhile gone, the new ones there;
#  - lb1 powered off right after: every flow survives, those opened during
#    the partition too; no reset.
#
# CONTROL: the same drill with lb1 powered off at the end of the partition,
# not healed: the flows opened during it must break - the drill's checks
# catch a standby that missed them.
#
# Prints the figures: packets the partition dropped, time to the heal's
# full resync and to an exact copy (as checked) after it, takeover,
# survival.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init pt

jqr() { jq -r "$1" "$TMP/$2/partition.json"; }
part_kinds='[.flows["dnat-part"], .flows["fullnat-part"], .flows["udp-part"]]'

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs"

nt_step "partition of lb2's sync link for 10 s, heal, power-off of lb1"
mkdir -p "$TMP/heal"
nt_drill partition "$TMP/heal"
nt_assert_eq $? 0 "drill partition: every check passed"
nt_log "partition: $(jqr '.partition | "\(.dropped) sync packets dropped; after the heal lb2 had a full resync in \(.resync_ms) ms, was an exact copy (checked) in \(.converge_ms) ms"' heal); takeover $(jqr .takeover_ms heal) ms"
nt_assert_ge "$(jqr .partition.dropped heal)" 10 "sync packets dropped"
nt_assert_eq "$(jqr "$part_kinds | map(.ok) | add" heal)" 100 \
	"flows opened during the partition survived the power-off"
nt_assert_eq "$(jqr '[.flows[] | .failed] | add' heal)" 0 "no flow failed"
nt_assert_ge "$(jqr .flows.rate.total heal)" 5000 \
	"connections opened and closed through the partition"
nt_assert_eq "$(lab_ha_master)" 2 "lb2 holds the VIPs"
lab_down

nt_step "CONTROL: the power-off at the end of the partition, not healed"
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
mkdir -p "$TMP/noheal"
DRILL_QUIET=1 DRILL_PARTITION_HEAL=0 nt_drill partition "$TMP/noheal"
nt_assert_eq $? 1 "CONTROL: the drill fails without the heal"
broken=$(jqr "$part_kinds | map(.failed) | add" noheal)
nt_log "CONTROL: flows opened during the partition broken: $broken of" \
	"$(jqr "$part_kinds | map(.total) | add" noheal)"
nt_assert_ge "$broken" 1 "CONTROL: flows opened during the partition broke"

nt_finish
