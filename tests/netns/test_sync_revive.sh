#!/usr/bin/env bash
# test_sync_revive.sh - a flow that outlived its standby copy is announced
# again by its next packet (deploy/lib.sh lab, 2 nodes, lb1 active, lb2
# standby; UDP established timeout 6 s; sync.refresh_s 3600, so that no
# refresh can hide what the announcement does):
#
#  - one UDP stream through lb1 (wrr service: a node that made the flow
#    afresh could pick the other backend), a datagram at 0 s and 8 s;
#  - lb1's batond stopped (SIGSTOP: its datapath goes on, its GC does
#    not) until after the second datagram: lb2 expires its copy at 6 s,
#    lb1 still holds its own, past its timeout, when the datagram comes;
#  - lb1's batond continued: lb2 holds the flow again, with lb1's backend,
#    and lb1 counted one "revived" event.
#
# This is the HA drills' failure of 2026-11-21: a client reused a source
# port on an expired, unreaped entry; the standby made a new flow at the
# failover and moved it.
#
# CONTROL: the same without the second datagram: lb2 must not hold the flow
# (a resync after the pause, or anything but the announcement, would make
# the first check pass by itself).
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq awk
. "$NT_SRC/deploy/lab/lib.sh"
LAB_NODES=2
lab_init "$(nt_prefix rv)" || nt_fatal "bad prefix"
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"
nt_require_sync

LAB_CT_TIMEOUTS="udp_established: 6"
LAB_SYNC_REFRESH_S=3600
LAB_GC_MS=200
TMP=$(mktemp -d /tmp/nt-revive.XXXXXX)
STREAM_PID=
STOPPED=

cleanup() {
	[ -n "$STOPPED" ] && kill -CONT "$STOPPED" 2>/dev/null
	[ -n "$STREAM_PID" ] && kill "$STREAM_PID" 2>/dev/null &&
		wait "$STREAM_PID" 2>/dev/null
	lab_down
	rm -rf "$TMP"
}
nt_cleanup cleanup

# The UDP pair of the stream (lb1's flow) as node K holds it: both halves'
# backends, one per line.
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

# run DURATION: lab up, a UDP stream with a datagram every 8 s for
# DURATION s (9: two datagrams, 1: one), lb1's batond paused from 1 s to
# 9 s. Sets HELD (halves lb2 holds 3 s after the pause), BE1 and BE2 (the
# backends lb1 and lb2 give the flow) and REVIVED.
run() {
	local pid
	lab_up || nt_fatal "lab up"
	ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
		--udp $LAB_VIP_DNAT:53 --streams 1 --duration "$1" \
		--interval-ms 8000 --timeout-ms 3000 >"$TMP/stream-$1.json" 2>&1 &
	STREAM_PID=$!
	nt_wait 5 "lb2 holds the stream's pair" lb2_holds 2 ||
		nt_fatal "lb2 never got the stream's pair"
	BE1=$(pair 1 | sort -u)
	pid=$(lab_pid_of lb1)
	kill -STOP "$pid" && STOPPED=$pid
	nt_wait 9 "lb2's copy expired" lb2_holds 0 ||
		nt_fatal "lb2's copy did not expire while lb1's batond was paused"
	# The second datagram is due 8 s after the first.
	sleep 3
	kill -CONT "$pid"
	STOPPED=
	sleep 3
	HELD=$(pair 2 | wc -l)
	BE2=$(pair 2 | sort -u)
	REVIVED=$(revived)
	nt_log "stream of $1 s: lb1 backend $BE1, lb2 holds $HELD halves" \
		"(backend ${BE2:-none}), lb1 revived events $REVIVED"
	wait "$STREAM_PID"
	STREAM_PID=
}

nt_step "a datagram on lb1's expired, unreaped entry: lb2 gets the flow back"
run 9
nt_assert_eq "$HELD" 2 "lb2 holds both halves again"
nt_assert_eq "$BE2" "$BE1" "lb2 gives it lb1's backend"
nt_assert_eq "$REVIVED" 1 "lb1 announced the flow once, as revived"
nt_assert_eq "$(jq -r '.moved + .failed' "$TMP/stream-9.json" 2>/dev/null)" 0 \
	"the stream was answered by one backend throughout"
lab_down

nt_step "CONTROL: no second datagram, the same check"
run 1
nt_assert_eq "$HELD" 0 "without the datagram lb2 does not hold the flow (so the check above can fail)"
nt_assert_eq "$REVIVED" 0 "and lb1 announced nothing"

nt_finish
