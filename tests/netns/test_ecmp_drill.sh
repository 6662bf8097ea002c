#!/usr/bin/env bash
# test_ecmp_drill.sh - scale-out behind ECMP with real bird2 (deploy/lab:
# lab.sh up --ecmp: a router spreading the VIPs over 3 nodes by an L4 hash,
# each node announcing them over BGP from its own bird, a 4th node spare),
# driven by deploy/lab/drill.sh. Under 80 long-lived TCP streams (DNAT,
# DSR), 20 UDP flows and 500 new TCP connections per second:
#
#  - power-off of lb1, and at the same moment a backend change (b2 leaves
#    the DNAT service on the other nodes: Katran's issue 155): every stream
#    survives with every byte verified, none is reset, the UDP flows go on
#    with their backends, every connection established >= 10 ms before
#    survives; the router drops lb1 (BFD) and lb1 had carried flows;
#  - return of lb1 (links up): it resyncs, announces again, takes flows
#    back; nothing breaks;
#  - join of lb4 (never started before): the same;
#  - kill -9 of lb4's batond: its health interface vanishes, bird withdraws
#    the VIPs, the router drops lb4.
#
# CONTROL: the power-off with the backend change on nodes without conntrack
# replication must find broken streams. (A node never creates state from a
# mid-stream packet, so there every stream that moves to a node without
# its entry breaks; a balancer that picks such streams up by the Maglev
# table alone, as Katran does, still breaks those of the removed backend.)
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique); ECMP_OUT=DIR
# keeps the drills' reports and timelines (PHASE.json, PHASE.png) there.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ecmp_init ec

jqr() { jq -r "$1" "$TMP/$2.json"; }

# streams_ok PHASE: "ok/total" of every stream kind and the UDP flows.
streams_ok() {
	jqr '[.flows.dnat, .flows.dsr, .flows.udp] | "\(map(.ok) | add)/\(map(
		.total) | add)"' "$1"
}

nt_step "lab up: router + 3 nodes over BGP, lb4 spare"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ecmp_paths $LAB_VIP_DNAT | wc -l)" 3 \
	"the router spreads $LAB_VIP_DNAT over 3 nodes"
nt_assert_eq "$(lab_ecmp_paths $LAB_ECMP_CLIENTS $LAB_ECMP_TABLE | wc -l)" 3 \
	"the backends' return route goes over the same 3 nodes"

nt_step "power-off of lb1 under load, b2 leaving the DNAT service at once"
DRILL_BACKENDS=1 nt_drill poweroff
nt_assert_eq $? 0 "drill poweroff: every check passed"
nt_assert_eq "$(streams_ok poweroff)" "100/100" "long-lived flows survived"
nt_assert_ge "$(jqr .moved poweroff)" 10 "long-lived flows lb1 carried"
nt_assert_le "$(jqr .reroute_ms poweroff)" 1500 \
	"the router dropped lb1 (ms after the power-off)"
nt_assert_eq "$(lab_ecmp_paths $LAB_VIP_DNAT | wc -l)" 2 "2 paths left"
# The survivors select b1 only for new flows now; back to both.
for k in 2 3; do
	lab_node_reload "$k" || nt_fatal "lb$k: reload failed"
done

nt_step "return of lb1: resync, announce, take flows back"
nt_drill return
nt_assert_eq $? 0 "drill return: every check passed"
nt_assert_eq "$(streams_ok return)" "100/100" "long-lived flows survived"
nt_assert_ge "$(jqr .moved return)" 10 "long-lived flows moved to lb1"
nt_assert_eq "$(lab_ecmp_paths $LAB_VIP_DNAT | wc -l)" 3 "3 paths again"

nt_step "join of lb4, never started before"
nt_drill join
nt_assert_eq $? 0 "drill join: every check passed"
nt_assert_eq "$(streams_ok join)" "100/100" "long-lived flows survived"
nt_assert_ge "$(jqr .moved join)" 10 "long-lived flows moved to lb4"
nt_assert_eq "$(lab_ecmp_paths $LAB_VIP_DNAT | wc -l)" 4 "4 paths"

nt_step "batond of lb4 killed (-9): its health interface goes, bird withdraws"
kill -KILL "$(lab_pid_of lb4)"
lab_ecmp_wait 1,2,3 10
nt_assert_eq $? 0 "the router dropped lb4 within 10 s ($(lab_ecmp_paths \
	$LAB_VIP_DNAT | tr '\n' ' '))"
lab_node_stop 4 KILL

if [ -n "${ECMP_OUT:-}" ]; then
	mkdir -p "$ECMP_OUT" && cp "$TMP"/*.json "$TMP"/*.png "$ECMP_OUT"/
fi

nt_step "CONTROL: power-off and backend change without replication"
lab_down
LAB_SYNC=0
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
mkdir -p "$TMP/control"
DRILL_BACKENDS=1 nt_drill poweroff "$TMP/control"
nt_assert_eq $? 1 "CONTROL: the drill fails without replication"
broken=$(jq '[.flows.dnat, .flows.dsr | .failed] | add' \
	"$TMP/control/poweroff.json")
nt_assert_ge "$broken" 1 "CONTROL: broken TCP streams ($broken)"
nt_log "CONTROL: broken DNAT streams by backend:" $(awk '!/^#/ &&
	$3 != "ok" { n[$7]++ } END { for (b in n) printf "%s %d; ", b, n[b] }' \
	"$TMP/control/poweroff-dnat.flows")

nt_finish
