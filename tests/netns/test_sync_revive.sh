#!/usr/bin/env bash
# test_sync_revive.sh - a flow that outlived its standby copy is announced
# again by its next packet, and a failover then keeps its backend
# (deploy/lab/lib.sh, 2 nodes, lb1 active, lb2 standby; UDP established
# timeout 6 s; sync.refresh_s 3600, so that no refresh can hide what the
# announcement does). Single datagrams from one client port (socat), each
# answered with the backend's name:
#
#  - a primer flow through lb1 to the wrr service takes the first backend,
#    then is flushed; the flow under test takes the second (a node that
#    made it afresh would pick the first);
#  - lb1's batond stopped (SIGSTOP: its datapath goes on, its GC does not):
#    lb2 expires its copy at 6 s; then a datagram on the flow - lb1 still
#    holds its entry, past the timeout - answered by the same backend;
#  - lb1's batond continued: lb2 holds the flow again, with lb1's backend,
#    lb1 counted one "revived" event and started no resync (which would
#    have sent the flow too);
#  - the VIPs move to lb2 (lab_activate): the next datagram goes through
#    lb2 and is answered by the same backend.
#
# This is the HA drills' failure of 2026-11-21: a client reused a source
# port on an expired, unreaped entry; the standby made a new flow at the
# failover and moved it.
#
# CONTROL: the same without the datagram during the pause: lb2 does not
# hold the flow, and after the move the datagram reaches the other
# backend - the checks above detect a lost flow.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq awk socat
. "$NT_SRC/deploy/lab/lib.sh"
LAB_NODES=2
lab_init "$(nt_prefix rv)" || nt_fatal "bad prefix"
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"
nt_require_sync

LAB_CT_TIMEOUTS="udp_established: 6"
LAB_SYNC_REFRESH_S=3600
LAB_GC_MS=200
STOPPED=

cleanup() {
	[ -n "$STOPPED" ] && kill -CONT "$STOPPED" 2>/dev/null
	lab_down
}
nt_cleanup cleanup

# The UDP pairs of lb1's flows as node K holds them: each half's backend,
# one per line.
pair() {
	lab_node_ctl "$1" --json ct list vip $LAB_VIP_DNAT proto udp \
		2>/dev/null | jq -r '.[] | select(.owner == 1) | .backend'
}

lb2_holds() {			# lb2_holds N: lb2 holds N halves
	[ "$(pair 2 | wc -l)" = "$1" ]
}

revived() {
	lab_node_ctl 1 --json status 2>/dev/null | jq -r '.events.revived'
}

resyncs() {			# lb1's resyncs toward lb2
	lab_node_ctl 1 --json sync status 2>/dev/null |
		jq -r '.peers[] | select(.id == 2) | .resyncs_sent'
}

redials() {
	lab_node_ctl 1 --json sync status 2>/dev/null |
		jq -r '.peers[] | select(.id == 2) | .redials'
}

# ask PORT: one datagram to the UDP service from client port PORT; prints
# the name of the backend that answered ("none" without an answer in 2 s).
ask() {
	local r
	r=$(echo revive | ip netns exec "$LAB_NS_C" timeout 5 \
		socat -T 2 - "UDP4:$LAB_VIP_DNAT:53,sourceport=$1" 2>/dev/null |
		awk '/^BATON / { print $2; exit }')
	echo "${r:-none}"
}

# run PAUSE_DATAGRAM(1|0): lab up, primer, the flow (client port 40001);
# lb1's batond paused until lb2's copy expired (and, with 1, a datagram on
# the flow meanwhile); the VIPs moved to lb2, then a datagram. Sets BE1
# (backend name of the first answer), BE_PAUSE, HELD (halves lb2 holds
# after the pause), BE2 (its backend address), REVIVED, RESYNCS (lb1's
# during the pause) and BE3 (the answer after the move).
run() {
	local pid r0
	lab_up || nt_fatal "lab up"
	[ "$(ask 40000)" != none ] || nt_fatal "the primer was not answered"
	lab_node_ctl 1 ct flush >/dev/null || nt_fatal "ct flush on lb1"
	nt_wait 5 "lb2 dropped the primer" lb2_holds 0 ||
		nt_fatal "lb2 kept the primer flow"
	BE1=$(ask 40001)
	nt_wait 5 "lb2 holds the flow's pair" lb2_holds 2 ||
		nt_fatal "lb2 holds $(pair 2 | wc -l) halves, not the flow's 2"
	r0=$(resyncs)
	pid=$(lab_pid_of lb1)
	kill -STOP "$pid" && STOPPED=$pid
	nt_wait 9 "lb2's copy expired" lb2_holds 0 ||
		nt_fatal "lb2's copy did not expire while lb1's batond was paused"
	BE_PAUSE=-
	[ "$1" = 1 ] && BE_PAUSE=$(ask 40001)
	kill -CONT "$pid"
	STOPPED=
	sleep 2
	HELD=$(pair 2 | wc -l)
	BE2=$(pair 2 | sort -u)
	REVIVED=$(revived)
	RESYNCS=$(($(resyncs) - r0))
	lab_activate 2 || nt_fatal "lab_activate 2"
	BE3=$(ask 40001)
	nt_log "answers: $BE1, during the pause $BE_PAUSE, after the move" \
		"$BE3; lb2 held $HELD halves (backend ${BE2:-none}), lb1" \
		"revived $REVIVED, resyncs $RESYNCS, redials $(redials)"
}

nt_step "a datagram on lb1's expired, unreaped entry; then the VIPs move to lb2"
run 1
nt_assert_eq "$BE1" be2 "lb1 gave the flow the second backend"
nt_assert_eq "$BE_PAUSE" be2 "the datagram during the pause: same backend"
nt_assert_eq "$RESYNCS" 0 "lb1 started no resync"
nt_assert_eq "$HELD" 2 "lb2 holds both halves again"
nt_assert_eq "$BE2" 10.1.0.12 "lb2 gives it lb1's backend"
nt_assert_eq "$REVIVED" 1 "lb1 announced the flow once, as revived"
nt_assert_eq "$BE3" be2 "after the move: the same backend"
lab_down

nt_step "CONTROL: no datagram while lb2's copy is gone, the same checks"
run 0
nt_assert_eq "$BE1" be2 "lb1 gave the flow the second backend"
nt_assert_eq "$RESYNCS" 0 "lb1 started no resync"
nt_assert_eq "$HELD" 0 "lb2 does not hold the flow (so the check above can fail)"
nt_assert_eq "$REVIVED" 0 "lb1 announced nothing"
nt_assert_eq "$BE3" be1 "after the move: the other backend (so the check above can fail)"

nt_finish
