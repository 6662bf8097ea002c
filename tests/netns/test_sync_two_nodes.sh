#!/usr/bin/env bash
# test_sync_two_nodes.sh - conntrack replication between two Baton nodes in
# the N-node lab (deploy/lab/lib.sh, LAB_NODES=2; lb1 active, lb2 standby):
#
#  - each node holds its own share of fullNAT source ports (baton_cfg);
#  - real flows through lb1 (long-lived TCP streams to the DNAT, fullNAT
#    and DSR VIPs, a batch of short TCP connections, UDP exchanges, ICMP
#    echoes) appear on lb2 within 1 s as an exact copy: the same keys, both
#    halves, the same translation, state, mode and owner (ct-compare);
#  - closing them replicates: the closed streams' states, the deletion of
#    expired pairs by lb1's GC (lb1 ages TIME_WAIT in 4 s, lb2 in 30 s, so
#    only replication can remove them from lb2 that early), and the
#    deletion of established pairs by `batonctl ct flush` on lb1;
#  - lb2's batond restarted (SIGTERM, keep_datapath false: its maps go)
#    converges to an exact copy again through a full resync;
#  - 30% random loss on lb2's sync link, both directions (nftables), for
#    10 s while connections open and close through lb1 (which keeps
#    serving them all): within 2 s of the loss stopping, lb2 is an exact
#    copy again;
#  - lb2's sync connections cut twice (ss -K) while connections open and
#    close: what was in flight is lost, and within 2 s lb2 is an exact copy
#    again (through a resync);
#  - half-open connections: the client's handshake ACKs are lost on its
#    side (nftables), so lb1 sees the SYN and the backend's SYN-ACK and
#    never the ACK (SYN_RECV) while the client counts the connection open;
#    lb2 holds them too, and when the VIPs move to lb2 they complete there
#    on the backends' next SYN-ACK and carry their exchange;
#  - a flow whose reply tuple lb2 holds for another flow that is over
#    (TIME_WAIT) is still installed there (that pair goes); over a live one
#    (ESTABLISHED) it is not, which is the control of that step.
#
# CONTROL: lb2 restarted without a sync section; the first check, run the
# same way, must now find the flows missing, and the half-open connections
# must now fail on lb2 - otherwise these checks could not catch a
# replication that does nothing, and the test fails.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq nft ss ping awk nsenter setsid socat
. "$NT_SRC/deploy/lab/lib.sh"
LAB_NODES=2
lab_init "$(nt_prefix s2)" || nt_fatal "bad prefix"
GCCHECK=$NT_BUILD/node/baton_ct_gc_check
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL" "$GCCHECK"
nt_require_sync

# lb1 expires closed flows fast, lb2 slowly: a closed pair that leaves lb2
# early was deleted by replication, not by lb2's own GC.
LAB_NODE_CT_TIMEOUTS[1]="tcp_time_wait: 4, tcp_closed: 2"
TMP=$(mktemp -d /tmp/nt-sync2.XXXXXX)
PIDS=()

nt_cleanup nt_lab_cleanup

# ---- helpers ------------------------------------------------------------------

# short_batch TAG: short TCP connections (DNAT, fullNAT), UDP exchanges and
# ICMP echoes through the active node, all checked.
short_batch() {
	local tag=$1
	client_ok "$tag: 200 short tcp dnat" "$(lab_client --tcp \
		$LAB_VIP_DNAT:80 --conns 200 --parallel 20 --timeout-ms 10000)"
	client_ok "$tag: 100 short tcp fullnat" "$(lab_client --tcp \
		$LAB_VIP_FULLNAT:80 --conns 100 --parallel 20 \
		--timeout-ms 10000)"
	client_ok "$tag: 100 udp dnat" "$(lab_client --udp $LAB_VIP_DNAT:53 \
		--count 100 --parallel 10 --timeout-ms 10000)"
	read -r sent _ <<<"$(lab_ping_vip $LAB_VIP_DNAT 5)"
	nt_assert_eq "$sent" 5 "$tag: icmp echoes answered"
}

# start_streams TAG SECONDS: long-lived streams to every TCP VIP (12 DNAT,
# 6 fullNAT, 4 DSR), in the background; pids in STREAM_PIDS.
STREAMS_FWD=22
start_streams() {
	local tag=$1 d=$2
	STREAM_PIDS=()
	bg_client "$tag-dnat" --tcp $LAB_VIP_DNAT:80 --streams 12 \
		--duration "$d" --interval-ms 50 --timeout-ms 20000
	STREAM_PIDS+=("$BG_PID")
	bg_client "$tag-fullnat" --tcp $LAB_VIP_FULLNAT:80 --streams 6 \
		--duration "$d" --interval-ms 50 --timeout-ms 20000
	STREAM_PIDS+=("$BG_PID")
	bg_client "$tag-dsr" --tcp $LAB_VIP_DSR:80 --streams 4 \
		--duration "$d" --interval-ms 50 --timeout-ms 20000
	STREAM_PIDS+=("$BG_PID")
}

# ct_count K FILTER: lbK's entries matching a jq select() condition.
ct_count() {
	lab_node_ctl "$1" --json ct list 2>/dev/null |
		jq "[.[] | select($2)] | length" 2>/dev/null
}

# Established TCP forward entries of the client, owned by 1, on lbK.
est_streams() {
	ct_count "$1" '.owner == 1 and .proto == "tcp" and .dir == "fwd" and
		.src == "10.0.0.2" and .state == "ESTABLISHED"'
}

streams_up() {			# streams_up K N: at least N established
	[ "$(est_streams "$1")" -ge "$2" ] 2>/dev/null
}

peer_state_is() {		# peer_state_is K PEER STATE
	[ "$(nt_sync_peer "$1" "$2" .state)" = "$3" ]
}

lb1_no_tcp_closed() {		# lb1 holds no TIME_WAIT/CLOSED TCP pair
	[ "$(ct_count 1 '.proto == "tcp" and
		(.state == "TIME_WAIT" or .state == "CLOSED")')" = 0 ]
}

# half_open TAG: 8 TCP connections each to the DNAT and the fullNAT VIP
# whose handshake ACK never leaves the client (nftables there drops every
# packet to the VIPs but a SYN): lb1 sees the SYN and the backend's
# SYN-ACK, never the ACK (SYN_RECV), while the client counts the
# connection open and waits for the backend's banner. Once lb1 holds them
# all (and, with SYNC_EXPECTED=1, lb2 an exact copy), the VIPs move to lb2
# and the drop goes: the backends' next SYN-ACK retransmission (3 s after
# the first, else 7 s) goes through lb2. HO_OK: how many of the 16 then
# carried their exchange. Leaves lb2 active.
HO_CONNS=8
half_open() {
	local tag=$1 j pids=() n_ok=0 f
	ip netns exec "$LAB_NS_C" nft -f - <<EOF || nt_fatal "nft in the client"
table ip nt_half_open {
	chain out {
		type filter hook output priority 0;
		ip daddr { $LAB_VIP_DNAT, $LAB_VIP_FULLNAT } tcp dport 80 tcp flags != syn drop
	}
}
EOF
	for j in "dnat $LAB_VIP_DNAT" "fnat $LAB_VIP_FULLNAT"; do
		set -- $j
		bg_client "$tag-ho-$1" --tcp "$2:80" --conns $HO_CONNS \
			--parallel $HO_CONNS --timeout-ms 10000
		pids+=("$BG_PID")
	done
	nt_wait 5 "lb1 holds $((2 * HO_CONNS)) half-open connections" \
		half_open_on 1
	[ "${SYNC_EXPECTED:-1}" = 1 ] &&
		nt_assert_copy 1 1 2 "$tag: half-open connections"
	lab_activate 2 || nt_fatal "lab_activate 2"
	ip netns exec "$LAB_NS_C" nft delete table ip nt_half_open
	wait_pids "${pids[@]}"
	for f in "$TMP/$tag-ho-dnat.json" "$TMP/$tag-ho-fnat.json"; do
		echo "  $(basename "$f" .json): $(jq -c '{total, ok, failed}' \
			"$f" 2>/dev/null || head -c 300 "$f")"
		n_ok=$((n_ok + $(jq -r '.ok // 0' "$f" 2>/dev/null || echo 0)))
	done
	HO_OK=$n_ok
}

half_open_on() {		# half_open_on K: lbK has them all in SYN_RECV
	[ "$(ct_count "$1" '.proto == "tcp" and .dir == "fwd" and
		.src == "10.0.0.2" and .state == "SYN_RECV"')" -ge \
		$((2 * HO_CONNS)) ] 2>/dev/null
}

wait_pids() {			# wait_pids PID...: reap (bounded by the tools)
	local p
	for p in "$@"; do
		wait "$p" 2>/dev/null
	done
}

# ---- up ---------------------------------------------------------------------------

nt_step "lab up: 2 nodes, sync tcp:// on 10.2.0.0/24 (prefix $LAB_P)"
lab_up || nt_fatal "lab up failed"
nt_wait 10 "lb1's stream to lb2 in_sync" peer_state_is 1 2 in_sync
nt_wait 10 "lb2's stream to lb1 in_sync" peer_state_is 2 1 in_sync
nt_log "lb1 sync status: $(nt_sync_json 1 | jq -c '.peers[0] |
	{state, connected, msgs_sent, msgs_recv}' 2>/dev/null)"
# Each node hands out its own share of fullNAT source ports: lb1 slot 0
# of 2, lb2 slot 1 of 2 (bpf/baton.h struct baton_cfg).
for k in 1 2; do
	nt_assert_eq "$(bpftool -j map dump pinned "$(lab_node_pin "$k")/baton_cfg" |
		jq -r '.[0].formatted.value // .[0].value |
			"\(.snat_slot) of \(.snat_slots)"')" "$((k - 1)) of 2" \
		"lb$k's fullNAT port share"
done

# ---- 1. new flows -----------------------------------------------------------------

nt_step "1. flows through lb1 appear on lb2 within 1 s, same translation"
start_streams s1 6
nt_wait 10 "$STREAMS_FWD streams established on lb1" streams_up 1 $STREAMS_FWD
short_batch "1"
nt_assert_copy 1 1 2 "new flows"
# At least the streams' and the UDP flows' entries (lb1 ages the short TCP
# connections' TIME_WAIT pairs in 4 s).
nt_assert_ge "$(ct_count 2 '.owner == 1')" $((STREAMS_FWD * 2 - 4 + 200)) \
	"replicated entries on lb2"
nt_assert_ge "$(est_streams 2)" $STREAMS_FWD "established streams on lb2"
nt_log "lb1 -> lb2: $(nt_sync_json 1 | jq -c '.peers[0] | {sent_flows,
	sent_deletes, msgs_sent, bytes_sent, lag_p50_us, lag_p99_us}')"

# ---- 2. closing -------------------------------------------------------------------

nt_step "2. closing replicates: states, GC deletions, flush deletions"
wait_pids "${STREAM_PIDS[@]}"
client_ok "streams dnat" "$TMP/s1-dnat.json"
client_ok "streams fullnat" "$TMP/s1-fullnat.json"
client_ok "streams dsr" "$TMP/s1-dsr.json"
nt_assert_copy 1 1 2 "closed streams"
nt_assert_eq "$(est_streams 2)" 0 "established tcp streams left on lb2"

nt_wait 10 "lb1's GC removed its TIME_WAIT/CLOSED pairs (4 s)" \
	lb1_no_tcp_closed
nt_assert_copy 1 1 2 "after lb1's GC"
nt_assert_eq "$(ct_count 2 '.owner == 1 and .proto == "tcp" and
	(.state == "TIME_WAIT" or .state == "CLOSED")')" 0 \
	"TIME_WAIT/CLOSED pairs left on lb2 (its own GC would keep them 30 s)"

bg_client f-dnat --tcp $LAB_VIP_DNAT:80 --streams 8 --duration 20 \
	--interval-ms 50 --timeout-ms 3000
FLUSH_PID=$BG_PID
nt_wait 10 "8 more streams established on lb1" streams_up 1 8
nt_assert_copy 1 1 2 "established streams before the flush"
nt_assert_ge "$(est_streams 2)" 8 "established streams on lb2"
lab_node_ctl 1 ct flush >/dev/null
nt_assert_eq "$(ct_count 1 '.owner == 1')" 0 "lb1 after ct flush"
nt_assert_copy 1 1 2 "after ct flush on lb1"
nt_assert_eq "$(ct_count 2 '.owner == 1')" 0 "lb1's entries left on lb2"
kill "$FLUSH_PID" 2>/dev/null	# its flows are gone: it cannot finish
wait_pids "$FLUSH_PID"

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2

# ---- 3. restart -------------------------------------------------------------------

nt_step "3. lb2's batond restarted (maps gone) converges through a resync"
start_streams s3 20
nt_wait 10 "streams established on lb1" streams_up 1 $STREAMS_FWD
short_batch "3"
nt_assert_copy 1 1 2 "before the restart"
RS0=$(nt_sync_peer 1 2 .resyncs_sent)
lab_node_stop 2
nt_assert_false "lb2's maps are gone (pin dir)" \
	test -e "$(lab_node_pin 2)/ct_v4_map"
nt_log "lb1's stream to lb2 with lb2 down: $(nt_sync_peer 1 2 \
	'"\(.state) connected=\(.connected)"')"
lab_node_start 2 || nt_fatal "lb2 did not restart"
nt_assert_copy 5 1 2 "after lb2's restart"
nt_wait 5 "lb1's stream to lb2 in_sync again" peer_state_is 1 2 in_sync
nt_assert_ge "$(nt_sync_peer 1 2 .resyncs_sent)" $((RS0 + 1)) \
	"lb1 resyncs sent to lb2 (was $RS0)"
nt_assert_ge "$(est_streams 2)" $STREAMS_FWD "established streams on lb2"

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2

# ---- 4. loss ------------------------------------------------------------------------

nt_step "4. 30% loss on lb2's sync link for 10 s while flows open and close"
lab_loss 2 30 || nt_fatal "nftables loss rules"
LOSS_T0=$SECONDS
(
	i=0
	while [ $((SECONDS - LOSS_T0)) -lt 10 ]; do
		ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
			--tcp $LAB_VIP_DNAT:80 --conns 30 --parallel 5 \
			--timeout-ms 5000 >"$TMP/loss-dnat-$i.json" 2>&1
		ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
			--tcp $LAB_VIP_FULLNAT:80 --conns 10 --parallel 5 \
			--timeout-ms 5000 >"$TMP/loss-fullnat-$i.json" 2>&1
		ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
			--udp $LAB_VIP_DNAT:53 --count 10 --parallel 5 \
			--timeout-ms 5000 >"$TMP/loss-udp-$i.json" 2>&1
		ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
			--tcp $LAB_VIP_DNAT:80 --streams 3 --duration 1 \
			--interval-ms 50 --timeout-ms 5000 \
			>"$TMP/loss-streams-$i.json" 2>&1
		i=$((i + 1))
		sleep 0.1
	done
) &
LOOP_PID=$!
PIDS+=("$LOOP_PID")
wait_pids "$LOOP_PID"
DROPPED=$(lab_loss_dropped 2)
lab_loss 2 0
nt_log "loss stopped after $((SECONDS - LOSS_T0)) s; nftables dropped" \
	"$DROPPED sync packets"
nt_assert_ge "$DROPPED" 10 "sync packets dropped by the loss rules"
nt_assert_copy 2 1 2 "2 s after the loss stopped"
nt_log "lb1 -> lb2: $(nt_sync_json 1 | jq -c '.peers[0] | {state,
	resyncs_sent, msgs_sent, sent_flows, sent_deletes, last_error}')"
nt_log "lb2 <- lb1: $(nt_sync_json 2 | jq -c '.peers[0] | {state,
	recv_flows, recv_deletes, installed, rejected, resyncs_recv}')"
failed=0 runs=0
for f in "$TMP"/loss-*.json; do
	runs=$((runs + 1))
	[ "$(jq -r .failed "$f" 2>/dev/null)" = 0 ] || {
		failed=$((failed + 1))
		echo "  $(basename "$f"): $(head -c 300 "$f")"
	}
done
nt_assert_ge "$runs" 8 "client runs during the loss"
nt_assert_eq "$failed" 0 "client runs with failed flows during the loss"
wait_pids "${STREAM_PIDS[@]}"
for t in dnat fullnat dsr; do
	client_ok "streams $t (through restart and loss)" "$TMP/s3-$t.json"
done

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2

# ---- 4b. cut connections -------------------------------------------------------------
# TCP hides loss from nng (retransmissions): cutting the sync connections
# loses what was in flight on them, which only sequence numbers, gap
# detection and a resync can repair.

nt_step "4b. lb2's sync connections cut twice (ss -K) while flows open and close"
RS0=$(nt_sync_peer 1 2 .resyncs_sent)
CUT_T0=$SECONDS
(
	i=0
	while [ $((SECONDS - CUT_T0)) -lt 4 ]; do
		ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client \
			--tcp $LAB_VIP_DNAT:80 --conns 20 --parallel 4 \
			--timeout-ms 5000 >"$TMP/cut-$i.json" 2>&1
		i=$((i + 1))
		sleep 0.05
	done
) &
LOOP_PID=$!
PIDS+=("$LOOP_PID")
cuts=0
for d in 1 1.5; do
	sleep "$d"
	n=$(ip netns exec "$(lab_node_ns 2)" ss -Htn \
		"sport = :$LAB_SYNC_PORT or dport = :$LAB_SYNC_PORT" | wc -l)
	ip netns exec "$(lab_node_ns 2)" ss -K -tn \
		"sport = :$LAB_SYNC_PORT or dport = :$LAB_SYNC_PORT" >/dev/null
	cuts=$((cuts + n))
done
wait_pids "$LOOP_PID"
nt_assert_ge "$cuts" 2 "sync connections cut"
nt_assert_copy 2 1 2 "2 s after the last cut and the traffic stopped"
nt_assert_ge "$(nt_sync_peer 1 2 .resyncs_sent)" $((RS0 + 1)) \
	"lb1 resynced lb2 after the cuts (resyncs_sent was $RS0)"
failed=0
for f in "$TMP"/cut-*.json; do
	[ "$(jq -r .failed "$f" 2>/dev/null)" = 0 ] || failed=$((failed + 1))
done
nt_assert_eq "$failed" 0 "client runs with failed flows during the cuts"

# ---- 5. half-open connections --------------------------------------------------

nt_step "5. half-open connections (lb1 never saw the ACK) complete on lb2"
half_open s5
nt_assert_eq "$HO_OK" $((2 * HO_CONNS)) \
	"half-open connections that completed on lb2 after the VIPs moved"
lab_activate 1 || nt_fatal "lab_activate 1"

nt_step "6. a flow whose reply tuple a closed flow holds on lb2 is installed"
# reuse_case PORT STATE: lb2 holds 10.1.0.1x:8080 -> 10.0.0.2:PORT for
# other flows in STATE (copies of lb1's); a connection from the client's
# PORT through lb1: "yes" if lb2 then has a copy of it.
reuse_case() {
	local port=$1 state=$2 i ans=no
	"$GCCHECK" occupy "$(lab_node_pin 2)" "$port" "$state" 1 || return 1
	(echo reuse; sleep 1) | ip netns exec "$LAB_NS_C" socat -t 2 - \
		"TCP:$LAB_VIP_DNAT:80,bind=$LAB_CLIENT:$port" >/dev/null 2>&1 &
	for ((i = 0; i < 20; i++)); do
		sleep 0.1
		lab_node_ctl 2 --json ct list | jq -e --argjson p "$port" \
			--arg v "$LAB_VIP_DNAT" 'any(.[]; .dir == "fwd" and
			.sport == $p and .dst == $v)' >/dev/null &&
			{ ans=yes; break; }
	done
	wait
	echo "$ans"
}
nt_assert_eq "$(reuse_case 40111 7)" yes \
	"lb2 installed it over a TIME_WAIT pair (that flow is over)"
nt_assert_eq "$(reuse_case 40112 4)" no \
	"CONTROL: not over an ESTABLISHED pair (that flow would break)"

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2

# ---- control ------------------------------------------------------------------------

nt_step "CONTROL: lb2 without sync; the first check must find flows missing"
LAB_NODE_SYNC[2]=off
lab_node_stop 2
lab_node_write_config 2
lab_node_start 2 || nt_fatal "lb2 did not start without sync"
start_streams c 4
nt_wait 10 "streams established on lb1" streams_up 1 $STREAMS_FWD
short_batch "control"
if nt_copy_poll 1 1 2; then
	echo "$NT_COPY_OUT" | tail -n 1 | sed 's/^/  /'
	nt_fail "CONTROL: lb2 without sync passed the exact-copy check"
else
	echo "$NT_COPY_OUT" | tail -n 1 | sed 's/^/  /'
	nt_pass "CONTROL: the exact-copy check caught lb2 without sync"
fi
NT_CHECKS=$((NT_CHECKS + 1))
nt_assert_eq "$(ct_count 2 '.owner == 1')" 0 \
	"CONTROL: lb1's entries on lb2 without sync"
wait_pids "${STREAM_PIDS[@]}"
SYNC_EXPECTED=0 half_open control
nt_assert_eq "$HO_OK" 0 \
	"CONTROL: half-open connections that completed on lb2 without sync"

nt_finish
