#!/usr/bin/env bash
# test_sync_tls.sh - conntrack replication over mutual TLS (tls+tcp://)
# admits only nodes with a certificate from the cluster CA. Four nodes in
# the N-node lab (deploy/lab/lib.sh), certificates from deploy/pki/gen.sh:
#
#   lb1, lb2  certificates of the cluster CA (CN baton-node-K)
#   lb3       an impostor: a certificate for baton-node-3 from a rogue CA
#             with the same name, but it trusts the cluster CA (it would
#             gladly take the cluster's flows)
#   lb4       no certificate at all: plain tcp:// to everyone
#
# lb1 and lb2 list all four as tls+tcp:// peers. Checked:
#  - flows through lb1 reach lb2 as an exact copy (ct-compare);
#  - lb3 and lb4 install none of them (ct count 0, nothing received), and
#    lb1 shows them not connected;
#  - the other way: flows owned by lb3 and lb4 (written into their tables
#    with ct-fill, then `batonctl sync resync`) reach neither lb1 nor lb2;
#  - lb1 keeps serving throughout (long-lived streams and short flows).
#
# CONTROL: lb3 restarted with the cluster CA's certificate for node 3 gets
# the exact copy - the same checks pass once the certificate is right, so
# the refusal above was the certificate's doing.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq openssl ping awk nsenter setsid
. "$NT_SRC/deploy/lab/lib.sh"
LAB_NODES=4
LAB_TLS=1
LAB_NODE_CERT[3]=rogue
LAB_NODE_CERT[4]=none
lab_init "$(nt_prefix st)" || nt_fatal "bad prefix"
CTFILL=$LAB_BUILD/tests/tools/ct-fill
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL" "$CTFILL" \
	"$NT_SRC/deploy/pki/gen.sh"
nt_require_sync

TMP=$(mktemp -d /tmp/nt-synctls.XXXXXX)
PIDS=()

nt_cleanup nt_lab_cleanup

peer_state_is() {		# peer_state_is K PEER STATE
	[ "$(nt_sync_peer "$1" "$2" .state)" = "$3" ]
}

ct_count() {			# ct_count K JQ_CONDITION
	lab_node_ctl "$1" --json ct list 2>/dev/null |
		jq "[.[] | select($2)] | length" 2>/dev/null
}

short_flows() {			# short_flows TAG
	client_ok "$1: 100 short tcp dnat" "$(lab_client --tcp \
		$LAB_VIP_DNAT:80 --conns 100 --parallel 10 --timeout-ms 10000)"
	client_ok "$1: 50 short tcp fullnat" "$(lab_client --tcp \
		$LAB_VIP_FULLNAT:80 --conns 50 --parallel 10 \
		--timeout-ms 10000)"
	client_ok "$1: 50 udp" "$(lab_client --udp $LAB_VIP_DNAT:53 \
		--count 50 --parallel 10 --timeout-ms 10000)"
}

peer_view() {			# peer_view K PEER: one line for the log
	nt_sync_peer "$1" "$2" '"connected=\(.connected) state=\(.state)
		recv_flows=\(.recv_flows) installed=\(.installed)
		last_error=\(.last_error)"' 2>/dev/null | tr -s '\t\n' '  '
}

# ---- up -------------------------------------------------------------------------

nt_step "lab up: 4 nodes, tls+tcp:// (lb3 rogue certificate, lb4 none)"
lab_up || nt_fatal "lab up failed"
for f in lb1 lb3 lb4; do
	sed -n '/^sync:/,/^$/p' "$LAB_STATE/$f.yaml" | sed "s/^/  $f.yaml: /"
done
nt_wait 15 "lb1's stream to lb2 in_sync (TLS)" peer_state_is 1 2 in_sync
nt_wait 15 "lb2's stream to lb1 in_sync (TLS)" peer_state_is 2 1 in_sync
nt_assert_eq "$(nt_sync_json 1 | jq -r .tls)" true "lb1 sync status: tls"

# ---- the cluster replicates, the impostors get nothing ---------------------------------

nt_step "flows through lb1 reach lb2 only"
ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client --tcp $LAB_VIP_DNAT:80 \
	--streams 10 --duration 12 --interval-ms 50 --timeout-ms 20000 \
	>"$TMP/streams.json" 2>&1 &
STREAMS_PID=$!
PIDS+=("$STREAMS_PID")
short_flows "lb1"
nt_assert_copy 2 1 2 "over TLS"
nt_assert_ge "$(ct_count 2 '.owner == 1')" 100 "lb1's entries on lb2"
sleep 1				# time enough for anything that would leak
for k in 3 4; do
	nt_assert_eq "$(lab_node_ctl "$k" --json ct count | jq .entries)" 0 \
		"lb$k (${LAB_NODE_CERT[$k]} certificate): ct entries"
	nt_assert_eq "$(nt_sync_peer "$k" 1 .recv_flows)" 0 \
		"lb$k: flows received from lb1"
	nt_assert_false "lb1's stream to lb$k is not in_sync" \
		peer_state_is 1 "$k" in_sync
	nt_assert_eq "$(nt_sync_peer 1 "$k" .connected)" false \
		"lb1 shows lb$k not connected"
	nt_log "lb1 -> lb$k: $(peer_view 1 "$k")"
	nt_log "lb$k -> lb1: $(peer_view "$k" 1)"
done

nt_step "the impostors' own flows reach neither lb1 nor lb2"
for k in 3 4; do
	"$CTFILL" "$(lab_node_pin "$k")" 500 --owner "$k" ||
		nt_fail "ct-fill on lb$k"
	lab_node_ctl "$k" sync resync >/dev/null 2>&1
done
nt_assert_eq "$(lab_node_ctl 3 --json ct count | jq .entries)" 1000 \
	"lb3 holds 500 pairs of its own"
RX1=$(nt_sync_json 1 | jq -c '{rx_garbage, rx_replayed, rx_unknown_peer}')
sleep 2
for k in 1 2; do
	nt_assert_eq "$(ct_count "$k" '.owner == 3 or .owner == 4')" 0 \
		"lb$k: entries owned by lb3 or lb4"
done
nt_log "lb1 receive counters: before $RX1, after $(nt_sync_json 1 |
	jq -c '{rx_garbage, rx_replayed, rx_unknown_peer}')"

nt_step "lb1 kept serving"
short_flows "lb1 later"
wait "$STREAMS_PID"
client_ok "lb1: 10 streams over 12 s" "$TMP/streams.json"
nt_assert_copy 2 1 2 "after the streams closed"

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 2 3 4

# ---- control ---------------------------------------------------------------------------

nt_step "CONTROL: lb3 with the cluster CA's certificate gets the copy"
LAB_NODE_CERT[3]=node
lab_node_stop 3
lab_node_write_config 3
lab_node_start 3 || nt_fatal "lb3 did not restart"
nt_wait 15 "lb1's stream to lb3 in_sync" peer_state_is 1 3 in_sync
nt_assert_copy 3 1 3 "CONTROL: lb3 with a good certificate"
nt_assert_ge "$(ct_count 3 '.owner == 1')" 100 "CONTROL: lb1's entries on lb3"
nt_assert_eq "$(lab_node_ctl 4 --json ct count | jq .entries)" 1000 \
	"lb4 still holds only its own 500 pairs"

[ "$NT_FAILS" -gt 0 ] && nt_sync_diag 1 3 4

nt_finish
