#!/usr/bin/env bash
# test_sync_standby_ageing.sh - a standby ages a replicated flow the way its
# owner does (deploy/lab/lib.sh, 2 nodes, lb1 active, lb2 standby):
#
#  - a long-lived TCP stream through lb1, both nodes ageing established
#    flows after 4 s of idleness, sync.refresh_s 1: lb2 never sees the
#    stream's packets, yet its copy outlives the timeout twice over,
#    because lb1 keeps re-sending flows that had traffic;
#  - lb1's batond killed (SIGKILL: its datapath keeps serving the stream
#    from the pinned maps, but nothing refreshes lb2 any more): lb2's copy
#    ages out within the timeout plus a GC pass, while the stream, still
#    served by lb1, carries on.
#
# CONTROL: the same first check with sync.refresh_s 3600 must find lb2's
# copy expired - otherwise the check could not tell refreshing from not.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq awk nsenter setsid
. "$NT_SRC/deploy/lab/lib.sh"
LAB_NODES=2
lab_init "$(nt_prefix sa)" || nt_fatal "bad prefix"
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"
nt_require_sync

LAB_CT_TIMEOUTS="tcp_established: 4"
LAB_GC_MS=200
TMP=$(mktemp -d /tmp/nt-ageing.XXXXXX)
STREAM_PID=

cleanup() {
	[ -n "$STREAM_PID" ] && kill "$STREAM_PID" 2>/dev/null &&
		wait "$STREAM_PID" 2>/dev/null
	lab_down
	rm -rf "$TMP"
}
nt_cleanup cleanup

# Established DNAT pairs owned by lb1 that node K holds (both halves).
held() {
	lab_node_ctl "$1" --json ct list vip $LAB_VIP_DNAT state ESTABLISHED \
		2>/dev/null | jq '[.[] | select(.owner == 1)] | length'
}

lb2_holds() {			# lb2_holds N: lb2 holds N halves
	[ "$(held 2)" = "$1" ]
}

# run REFRESH_S: lab up, one stream for 20 s through lb1, 9 s later how
# many halves of it lb2 holds (in $HELD).
run() {
	LAB_SYNC_REFRESH_S=$1
	lab_up || nt_fatal "lab up (refresh_s $1)"
	ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
		--tcp $LAB_VIP_DNAT:80 --streams 1 --duration 20 \
		--interval-ms 100 --timeout-ms 30000 >"$TMP/stream-$1.json" 2>&1 &
	STREAM_PID=$!
	nt_wait 5 "lb2 holds the stream's pair" lb2_holds 2
	sleep 9
	HELD=$(held 2)
	nt_log "refresh_s $1: lb1 holds $(held 1), lb2 holds $HELD halves"
}

nt_step "refresh on: lb2 keeps the copy of a flow lb1 keeps using"
run 1
nt_assert_eq "$HELD" 2 "lb2 still holds both halves 9 s into a 4 s timeout"

nt_step "owner gone quiet: lb1's batond killed, its datapath still serving"
lab_node_stop 1 KILL
nt_wait 8 "lb2's copy aged out" lb2_holds 0
nt_assert_eq "$(held 2)" 0 "lb2's copy aged out once lb1 stopped refreshing"
wait "$STREAM_PID"
STREAM_PID=
nt_assert_eq "$(jq -r .failed "$TMP/stream-1.json" 2>/dev/null)" 0 \
	"the stream, served by lb1's datapath throughout, did not break"
lab_down

nt_step "CONTROL: refresh off (refresh_s 3600), the same first check"
run 3600
nt_assert_eq "$HELD" 0 "without refresh lb2's copy expired (so the check above can fail)"
kill "$STREAM_PID" 2>/dev/null
wait "$STREAM_PID" 2>/dev/null
STREAM_PID=

nt_finish
