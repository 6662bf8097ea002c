#!/usr/bin/env bash
# test_ha_kill9.sh - kill -9 of batond on the active node of an HA pair
# (deploy/lab: lab.sh up --nodes 2 --ha, resume_master on):
#
#  - under the drill's traffic (deploy/lab/drill.sh kill), batond on lb1 is
#    killed with SIGKILL and restarted a second later: the datapath keeps
#    forwarding from the pinned maps meanwhile (every stream and UDP flow
#    survives, no reset) and keepalived does not move the VIPs;
#  - the restarted batond resumes sync: lb2 holds an exact copy of lb1's
#    flows again (ct-compare), including the flows created while batond
#    was dead, which no event reported;
#  - then a power-off of lb1 under load keeps every flow (drill.sh
#    poweroff), so nothing was lost on the way.
#
# The checks are proven able to fail elsewhere: the drill's by
# test_ha_failover.sh's control run (no sync), the copy comparison by
# test_sync_two_nodes.sh's (lb2 without sync). (A control here that read
# lb1's table while its batond was stopped could not work: batonctl needs
# that batond.)
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_ha_init hk
nt_require_sync


nt_step "lab up: 2 nodes, keepalived, sync"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }

nt_step "kill -9 of batond on lb1 under load, restart"
nt_drill kill
nt_assert_eq $? 0 "drill kill: every check passed"
nt_assert_eq "$(lab_ha_master)" 1 "lb1 kept the VIPs"
nt_assert_eq "$(lab_node_ctl 1 --json ha status | jq -r .resumed)" true \
	"the restarted batond resumed as master"
nt_assert_copy 5 1 2 "after the restart"

nt_step "power-off of lb1: nothing was lost"
nt_drill poweroff
nt_assert_eq $? 0 "drill poweroff: every check passed"
nt_assert_eq "$(lab_ha_master)" 2 "lb2 holds the VIPs"

nt_finish
