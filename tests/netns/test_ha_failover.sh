#!/usr/bin/env bash
# test_ha_failover.sh - the active-standby pair with real keepalived
# (deploy/lab: lab.sh up --nodes 2 --ha), driven by deploy/lab/drill.sh:
#
#  - power-off of the active node (all its links down, processes left
#    running) under 120 long-lived TCP streams (DNAT, fullNAT, DSR), 20 UDP
#    flows and 750 new TCP connections per second: every stream survives
#    with every byte verified, none is reset, the UDP flows go on with their
#    backends, and every connection established at least 10 ms before the
#    power-off survives; lb2 takes the VIPs and nudges the DNAT and
#    fullNAT flows it took over (ha.nudge: both ends answered, and got the
#    ICMP that makes them retransmit now);
#  - failback: lb1's links come back; it asks lb2 for a resync, and only
#    once its copy is complete does it take the VIPs back (preempt) - its
#    batond must say "ready" before keepalived makes it MASTER - and again
#    no flow breaks, although every stream of that round was opened on lb2
#    while lb1 was away.
#
# CONTROL: the same drill on a pair without conntrack sync must find broken
# streams - otherwise the drill's checks could not catch a failover that
# loses flows, and the test fails.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init hf

jqr() { jq -r "$1" "$TMP/$2.json"; }

nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs"

nt_step "power-off of lb1 under load"
nt_drill poweroff
nt_assert_eq $? 0 "drill poweroff: every check passed"
for k in dnat fullnat dsr; do
	nt_assert_eq "$(jqr ".flows.$k.ok" poweroff)/$(jqr ".flows.$k.total" \
		poweroff)" "40/40" "$k streams survived"
done
nt_assert_eq "$(jqr '[.flows[] | .results.reset // 0] | add' poweroff)" 0 \
	"no flow reset"
nt_assert_ge "$(jqr '.flows.rate.established_before.total' poweroff)" 100 \
	"new connections open across the power-off (>= 100 in the window)"
nt_assert_eq "$(lab_ha_master)" 2 "lb2 holds the VIPs"
nt_assert_le "$(jqr .takeover_ms poweroff)" 2000 "VRRP takeover (ms)"
# The takeover nudge (ha.nudge): lb2 tickled both ends of the TCP flows it
# took over, saw them answer, and sent each end the ICMP that makes it
# retransmit now (the DNAT and fullNAT streams at least: 80 flows).
nudge=$(lab_node_ctl 2 --json ha status | jq -c .nudge)
nt_log "lb2 nudge: $nudge"
for f in last_flows answers_client answers_backend; do
	nt_assert_ge "$(echo "$nudge" | jq ".$f")" 80 "lb2 nudge: $f"
done
nt_assert_ge "$(echo "$nudge" | jq .last_icmps)" 160 "lb2 nudge: ICMP sent"
nt_assert_eq "$(echo "$nudge" | jq '.tickle_errors + .icmp_errors +
	.capture_errors')" 0 "lb2 nudge: errors"

nt_step "failback: lb1 comes back, resyncs, takes the VIPs back"
nt_drill failback
nt_assert_eq $? 0 "drill failback: every check passed"
nt_assert_eq "$(lab_ha_master)" 1 "lb1 holds the VIPs again"
# lb1's log: it was stale, asked for a resync, became ready, and only then
# MASTER.
log=$(lab_node_log 1)
ready=$(grep -n "ready; track -253 -> 0" "$log" | tail -n 1 | cut -d: -f1)
master=$(grep -n "BACKUP -> MASTER" "$log" | tail -n 1 | cut -d: -f1)
grep -q "predates the FAULT" "$log"
nt_assert_eq $? 0 "lb1 knew its copy was stale after the power-off"
order=no
[ -n "$ready" ] && [ -n "$master" ] && [ "$ready" -lt "$master" ] && order=yes
nt_assert_eq "$order" yes \
	"lb1 ready (log line ${ready:-none}) before MASTER (line ${master:-none})"

nt_step "CONTROL: the same drill without conntrack sync"
lab_down
LAB_SYNC=0
lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
lab_up >"$TMP/up2.log" 2>&1 || { cat "$TMP/up2.log"; nt_fatal "lab up failed"; }
nt_drill poweroff
nt_assert_eq $? 1 "CONTROL: the drill fails without sync"
broken=$(jqr '[.flows.dnat, .flows.fullnat, .flows.dsr | .failed] | add' \
	poweroff)
nt_assert_ge "$broken" 1 "CONTROL: broken TCP streams without sync ($broken)"

nt_finish
