#!/usr/bin/env bash
# test_sync_three_nodes.sh - conntrack replication in a full mesh of three
# Baton nodes (deploy/lab/lib.sh, LAB_NODES=3):
#
#  - flows through lb1 (long-lived streams and short connections, TCP and
#    UDP) appear on lb2 and on lb3 as exact copies (ct-compare);
#  - exactly once: what lb1 sent each peer is what that peer received from
#    it, and lb2 and lb3 relay nothing (a replicated entry is not
#    replicated again): they send no flows, to each other or to lb1;
#  - no replication loop: once the copies are exact and the traffic has
#    stopped, the message counters of lb2 and lb3 toward each other (and
#    toward lb1) stay flat over 3 s (a few acknowledgements at most);
#  - the mesh works from every node: with lb2 active (lab_activate 2), its
#    new flows appear on lb1 and lb3.
#
# CONTROL: the "relays nothing" check is only meaningful if the counters
# move when a node does send: lb2's counters toward lb3 grow while lb2 is
# active (last step).
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq ping awk nsenter setsid
. "$NT_SRC/deploy/lab/lib.sh"
LAB_NODES=3
lab_init "$(nt_prefix s3)" || nt_fatal "bad prefix"
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"
nt_require_sync

TMP=$(mktemp -d /tmp/nt-sync3.XXXXXX)
PIDS=()

nt_cleanup nt_lab_cleanup

peer_state_is() {		# peer_state_is K PEER STATE
	[ "$(nt_sync_peer "$1" "$2" .state)" = "$3" ]
}

ct_count() {			# ct_count K JQ_CONDITION
	lab_node_ctl "$1" --json ct list 2>/dev/null |
		jq "[.[] | select($2)] | length" 2>/dev/null
}

streams_up() {			# streams_up K OWNER N
	[ "$(ct_count "$1" ".owner == $2 and .proto == \"tcp\" and
		.dir == \"fwd\" and .state == \"ESTABLISHED\"")" -ge "$3" ] \
		2>/dev/null
}

# counters K: "PEER:FIELD=VALUE ..." of lbK, for the log.
counters() {
	nt_sync_json "$1" | jq -r '[.peers[] | "\(.id): sent_flows=\(
		.sent_flows) recv_flows=\(.recv_flows) msgs_sent=\(
		.msgs_sent) msgs_recv=\(.msgs_recv)"] | join("; ")' 2>/dev/null
}

traffic_through() {		# traffic_through TAG: streams + short flows
	local tag=$1
	bg_client "$tag-streams" --tcp $LAB_VIP_DNAT:80 --streams 10 \
		--duration 3 --interval-ms 50 --timeout-ms 10000
	STREAMS_PID=$BG_PID
	bg_client "$tag-streams-fn" --tcp $LAB_VIP_FULLNAT:80 --streams 5 \
		--duration 3 --interval-ms 50 --timeout-ms 10000
	STREAMS_FN_PID=$BG_PID
	client_ok "$tag: 150 short tcp dnat" "$(lab_client --tcp \
		$LAB_VIP_DNAT:80 --conns 150 --parallel 15 --timeout-ms 10000)"
	client_ok "$tag: 50 short tcp fullnat" "$(lab_client --tcp \
		$LAB_VIP_FULLNAT:80 --conns 50 --parallel 10 \
		--timeout-ms 10000)"
	client_ok "$tag: 50 udp" "$(lab_client --udp $LAB_VIP_DNAT:53 \
		--count 50 --parallel 10 --timeout-ms 10000)"
}

# ---- up -----------------------------------------------------------------------

nt_step "lab up: 3 nodes, full mesh (prefix $LAB_P)"
lab_up || nt_fatal "lab up failed"
for a in 1 2 3; do
	for b in 1 2 3; do
		[ "$a" = "$b" ] && continue
		nt_wait 10 "lb$a's stream to lb$b in_sync" \
			peer_state_is "$a" "$b" in_sync ||
			nt_sync_diag "$a"
	done
done

# ---- flows through lb1 ------------------------------------------------------------

nt_step "flows through lb1 reach lb2 and lb3"
traffic_through lb1
nt_assert_true "streams established on lb1" streams_up 1 1 15
nt_assert_copy 1 1 2 "streams + short flows"
nt_assert_copy 1 1 3 "streams + short flows"
wait "$STREAMS_PID" "$STREAMS_FN_PID"
client_ok "lb1: dnat streams" "$TMP/lb1-streams.json"
client_ok "lb1: fullnat streams" "$TMP/lb1-streams-fn.json"
nt_assert_copy 1 1 2 "streams closed"
nt_assert_copy 1 1 3 "streams closed"
nt_assert_ge "$(ct_count 3 '.owner == 1')" 100 "lb1's entries on lb3"

nt_step "exactly once: no relays between lb2 and lb3"
for k in 1 2 3; do nt_log "lb$k: $(counters $k)"; done
for k in 2 3; do
	nt_assert_eq "$(nt_sync_peer "$k" 1 .recv_flows)" \
		"$(nt_sync_peer 1 "$k" .sent_flows)" \
		"flows lb$k received from lb1 = flows lb1 sent it"
done
nt_assert_eq "$(nt_sync_peer 2 3 .sent_flows):$(nt_sync_peer 3 2 .sent_flows)" \
	0:0 "flows sent lb2 -> lb3 : lb3 -> lb2"
nt_assert_eq "$(nt_sync_peer 2 3 .recv_flows):$(nt_sync_peer 3 2 .recv_flows)" \
	0:0 "flows received lb2 <- lb3 : lb3 <- lb2"
nt_assert_eq "$(nt_sync_peer 2 1 .sent_flows):$(nt_sync_peer 3 1 .sent_flows)" \
	0:0 "flows sent back to lb1 by lb2 : lb3"
nt_assert_eq "$(ct_count 2 '.owner != 1'):$(ct_count 3 '.owner != 1')" 0:0 \
	"entries not owned by lb1 on lb2 : lb3"

nt_step "no loop: flow records flat over 3 s of quiet"
# sent_flows of every directed pair now and 3 s later. Messages keep
# flowing (every stream sends a heartbeat each 250 ms when idle, and acks),
# so a loop shows in flow records: a node re-sending what it received.
flows() {
	local a b out=
	for a in 1 2 3; do
		for b in 1 2 3; do
			[ "$a" = "$b" ] && continue
			out+="$a>$b=$(nt_sync_peer "$a" "$b" .sent_flows) "
		done
	done
	echo "$out"
}
M0=$(flows)
sleep 3
M1=$(flows)
nt_log "sent_flows before: $M0"
nt_log "sent_flows after:  $M1"
growth() {			# growth A>B: increase of sent_flows A -> B
	local v0 v1
	v0=$(echo "$M0" | tr ' ' '\n' | sed -n "s/^$1=//p")
	v1=$(echo "$M1" | tr ' ' '\n' | sed -n "s/^$1=//p")
	echo $((v1 - v0))
}
for pair in "2>3" "3>2" "2>1" "3>1"; do
	nt_assert_eq "$(growth "$pair")" 0 "flows $pair during 3 s of quiet"
done
# lb1 may run its liveness refresh in the window: at most once, and only
# for flows it owns that had traffic since the last pass.
OWN1=$(ct_count 1 '.dir == "fwd" and .owner == 1')
for pair in "1>2" "1>3"; do
	nt_assert_le "$(growth "$pair")" "$OWN1" \
		"flows $pair during 3 s of quiet (a refresh at most)"
done

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2 3

# ---- flows through lb2 --------------------------------------------------------------

nt_step "lb2 active: its new flows reach lb1 and lb3"
S23=$(nt_sync_peer 2 3 .sent_flows)
lab_activate 2 || nt_fatal "lab_activate 2"
traffic_through lb2
nt_assert_true "streams established on lb2 (owner 2)" streams_up 2 2 15
nt_assert_copy 1 2 1 "lb2's flows"
nt_assert_copy 1 2 3 "lb2's flows"
wait "$STREAMS_PID" "$STREAMS_FN_PID"
client_ok "lb2: dnat streams" "$TMP/lb2-streams.json"
client_ok "lb2: fullnat streams" "$TMP/lb2-streams-fn.json"
nt_assert_copy 1 2 1 "lb2's streams closed"
nt_assert_copy 1 2 3 "lb2's streams closed"
nt_assert_ge "$(nt_sync_peer 2 3 .sent_flows)" $((S23 + 5)) \
	"CONTROL: lb2 -> lb3 flow records grow when lb2 owns flows (was $S23)"
nt_assert_eq "$(nt_sync_peer 1 3 .sent_flows)" \
	"$(nt_sync_peer 3 1 .recv_flows)" "lb1 -> lb3: sent = received"
nt_assert_eq "$(nt_sync_peer 3 1 .sent_flows):$(nt_sync_peer 3 2 .sent_flows)" \
	0:0 "flows sent by lb3 (owns none)"
for k in 1 2 3; do nt_log "lb$k: $(counters $k)"; done

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2 3

nt_finish
