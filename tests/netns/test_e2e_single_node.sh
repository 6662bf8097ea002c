#!/usr/bin/env bash
# test_e2e_single_node.sh - one Baton node in the lab (deploy/lab/lib.sh)
# balances real TCP, UDP and ICMP flows for every mode and algorithm:
#
#  - a few hundred TCP connections to each TCP VIP (DNAT/maglev,
#    fullNAT/lc, DSR/maglev), a few hundred UDP exchanges (DNAT/wrr) and
#    ICMP echoes (DNAT/maglev) all succeed, every byte verified;
#  - both backends serve every service (WRR roughly per weight);
#  - the client only ever sees the VIP; DNAT/DSR backends see the client's
#    own address, fullNAT backends see the SNAT address;
#  - `batonctl --json ct list` holds forward entries translated to a backend
#    of the right service, `batonctl --json stats` counts no drop.
#
# Controls: the fullNAT service is removed with batonctl, then batond is
# stopped (keep_datapath false: it detaches); the same checks must now fail -
# otherwise they could not catch a broken datapath, and the test fails.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique), NT_CONNS.

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq ping awk tc nsenter setsid
. "$NT_SRC/deploy/lab/lib.sh"
lab_init "$(nt_prefix e)" || nt_fatal "bad prefix"
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"

N=${NT_CONNS:-300}
PINGS=10

diagnostics() {
	nt_log "diagnostics:"
	lab_ctl stats 2>&1 | sed 's/^/  stats: /'
	lab_ctl ct count 2>&1 | sed 's/^/  ct count: /'
	lab_ctl ct list 2>&1 | head -n 10 | sed 's/^/  ct list: /'
	ip -n "$LAB_NS_LB" -d link show 2>&1 | grep -E 'eth[01]|xdp' |
		sed 's/^/  link: /'
	tc -n "$LAB_NS_LB" filter show dev eth0 ingress 2>&1 |
		sed 's/^/  tc eth0: /'
	tail -n 20 "$LAB_STATE/batond.log" 2>/dev/null |
		sed 's/^/  batond.log: /'
}

nt_cleanup lab_down

nt_step "lab up (prefix $LAB_P, build $LAB_BUILD)"
t0=$SECONDS
lab_up || nt_fatal "lab up failed"
nt_log "lab up took $((SECONDS - t0)) s"

# ---- checks on one client run ------------------------------------------------

JSON=

# run_client WHAT ARGS...: run baton-traffic client, keep its JSON in $JSON.
run_client() {
	local what=$1
	shift
	JSON=$(lab_client "$@" 2>&1)
	echo "  $what: $JSON"
	echo "$JSON" | jq -e . >/dev/null 2>&1 ||
		nt_fail "$what: client printed no JSON"
}

jget() {			# jget FILTER: from $JSON, "" on error
	echo "$JSON" | jq -r "$1" 2>/dev/null
}

# check_flows WHAT TARGET N CLIENT_SEEN: all ok, seen only the VIP, the
# backends saw CLIENT_SEEN.
check_flows() {
	local what=$1 target=$2 n=$3 seen=$4
	nt_assert_eq "$(jget .ok)" "$n" "$what: flows ok"
	nt_assert_eq "$(jget .failed)" 0 "$what: flows failed"
	nt_assert_eq "$(jget '.bad_bytes + .wrong_peer')" 0 \
		"$what: bad bytes + wrong peer"
	nt_assert_eq "$(jget '.seen_peer | join(",")')" "$target" \
		"$what: client only saw the VIP"
	nt_assert_eq "$(jget '.client_seen_by_server | join(",")')" "$seen" \
		"$what: backends saw the client as"
}

# check_spread WHAT MIN1 MIN2: each backend served at least MIN flows.
check_spread() {
	nt_assert_ge "$(jget '.backends.be1 // 0')" "$2" "$1: flows to be1"
	nt_assert_ge "$(jget '.backends.be2 // 0')" "$3" "$1: flows to be2"
}

tcp_service() {			# tcp_service WHAT VIP CLIENT_SEEN
	run_client "$1" --tcp "$2:80" --conns "$N" --parallel 20 \
		--bytes 4096 --timeout-ms 30000
	check_flows "$1" "$2:80" "$N" "$3"
	check_spread "$1" $((N / 5)) $((N / 5))
}

nt_step "TCP $LAB_VIP_DNAT:80 dnat/maglev"
tcp_service "tcp dnat maglev" $LAB_VIP_DNAT $LAB_CLIENT

nt_step "TCP $LAB_VIP_FULLNAT:80 fullnat/lc"
tcp_service "tcp fullnat lc" $LAB_VIP_FULLNAT $LAB_SNAT

nt_step "TCP $LAB_VIP_DSR:80 dsr/maglev"
tcp_service "tcp dsr maglev" $LAB_VIP_DSR $LAB_CLIENT

nt_step "UDP $LAB_VIP_DNAT:53 dnat/wrr (weights $LAB_WRR_W1:$LAB_WRR_W2)"
run_client "udp dnat wrr" --udp $LAB_VIP_DNAT:53 --count "$N" --parallel 20 \
	--timeout-ms 20000
check_flows "udp dnat wrr" "$LAB_VIP_DNAT:53" "$N" "$LAB_CLIENT"
# Per weight, within 10% of all flows.
w1=$((N * LAB_WRR_W1 / (LAB_WRR_W1 + LAB_WRR_W2)))
be1=$(jget '.backends.be1 // 0')
nt_assert_ge "$be1" $((w1 - N / 10)) "udp wrr: be1 share (weight $LAB_WRR_W1)"
nt_assert_le "$be1" $((w1 + N / 10)) "udp wrr: be1 share (weight $LAB_WRR_W1)"
check_spread "udp dnat wrr" 1 1

nt_step "ICMP echo $LAB_VIP_DNAT dnat/maglev ($PINGS pings, one id each)"
read -r sent b1 b2 lb < <(lab_ping_vip $LAB_VIP_DNAT $PINGS)
nt_log "answered $sent, echo requests at be1 $b1, be2 $b2, LB itself $lb"
nt_assert_eq "$sent" $PINGS "icmp: echoes answered"
nt_assert_eq $((b1 + b2)) $PINGS "icmp: echo requests reached backends"
nt_assert_eq "$lb" 0 "icmp: echo requests answered by the LB itself"

# ---- conntrack and counters ------------------------------------------------------

nt_step "batonctl: conntrack and drop counters"
CT=$(lab_ctl --json ct list 2>&1)
if ! echo "$CT" | jq -e 'type == "array"' >/dev/null 2>&1; then
	nt_fail "batonctl --json ct list: not a JSON array: $(echo "$CT" | head -c 300)"
	CT='[]'
fi
nt_log "ct list: $(echo "$CT" | jq length) entries; first forward entry:"
echo "$CT" | jq -c '[.[] | select(.dir == "fwd")][0]'

# ct_check WHAT PROTO VIP PORT BACKENDS [NAT_SRC]: forward entries of the
# service exist and each goes to one of BACKENDS (.backend:.nat_dport) ("ip:port,...";
# port 0 for ICMP), with source NAT_SRC if given.
ct_check() {
	local what=$1 proto=$2 vip=$3 port=$4 bes=$5 snat=${6:-}
	local sel n bad
	sel='[.[] | select(.dir == "fwd" and .dst == $vip
		and ((.proto | tostring | ascii_downcase) as $p
		     | $p == $proto or $p == $protonum)
		and ($proto == "icmp" or (.dport | tostring) == $port))]'
	local args=(--arg vip "$vip" --arg port "$port" --arg proto "$proto"
		--arg protonum "$(case $proto in tcp) echo 6 ;; udp) echo 17 ;;
			icmp) echo 1 ;; esac)" --arg bes ",$bes," --arg snat "$snat")
	n=$(echo "$CT" | jq "${args[@]}" "$sel | length")
	nt_assert_ge "$n" 1 "$what: forward ct entries"
	bad=$(echo "$CT" | jq -c "${args[@]}" "$sel | map(select(. as \$e |
		(\$bes | contains(\",\" + \$e.backend + \":\" +
			(if \$proto == \"icmp\" then \"0\"
			 else (\$e.nat_dport | tostring) end) + \",\") | not)
		or (\$snat != \"\" and \$e.nat_src != \$snat))) | .[0:3]")
	nt_assert_eq "$bad" "[]" "$what: entries not translated to a backend"
}

ct_check "ct tcp dnat" tcp $LAB_VIP_DNAT 80 "$LAB_B1:8080,$LAB_B2:8080"
ct_check "ct tcp fullnat" tcp $LAB_VIP_FULLNAT 80 \
	"$LAB_B1:8080,$LAB_B2:8080" $LAB_SNAT
ct_check "ct udp dnat" udp $LAB_VIP_DNAT 53 "$LAB_B1:5353,$LAB_B2:5353"
ct_check "ct icmp dnat" icmp $LAB_VIP_DNAT 0 "$LAB_B1:0,$LAB_B2:0"
# DSR rewrites MACs only: the addresses stay the VIP's and "backend" is the
# next hop the entry sends to.
ct_check "ct tcp dsr" tcp $LAB_VIP_DSR 80 "$LAB_B1:80,$LAB_B2:80"

COUNT=$(lab_ctl --json ct count 2>&1)
nt_log "ct count: $COUNT"
nt_assert_ge "$(echo "$COUNT" | jq -r '.entries' 2>/dev/null)" 2 \
	"ct count: entries"

STATS=$(lab_ctl --json stats 2>&1)
nt_log "stats: $(echo "$STATS" | jq -c . 2>/dev/null || echo "$STATS")"
drops=$(echo "$STATS" | jq -c '.drops | to_entries |
	map(select(.value != 0)) | from_entries' 2>/dev/null)
nt_assert_eq "$drops" "{}" "stats: packets dropped"

# The flows above opened many at once: their events came within the
# coalescing interval of each other, and batond read them in fewer reads
# than there were events (node/events.c).
EV=$(lab_ctl --json status 2>/dev/null | jq -c .events)
nt_log "events: $EV"
nt_assert_ge "$(echo "$EV" | jq '.deferred_reads')" 1 \
	"events: reads deferred to coalesce a burst"
nt_assert_le "$(echo "$EV" | jq '.reads')" \
	"$(echo "$EV" | jq '.established + .state + .closed + .claimed +
	.revived - 1')" "events: fewer reads than events"

[ "$NT_FAILS" -gt 0 ] && diagnostics

# ---- control: the same checks must catch a node without a datapath --------------

nt_step "CONTROL 1: remove the fullNAT service; its check must fail"
nt_assert_true "batonctl service remove $LAB_VIP_FULLNAT:80/tcp" \
	lab_ctl service remove "$LAB_VIP_FULLNAT:80/tcp"
run_client "control fullnat removed" --tcp $LAB_VIP_FULLNAT:80 --conns 20 \
	--parallel 10 --timeout-ms 3000
nt_assert_eq "$(jget .ok)" 0 "control 1: flows ok to a removed service"
run_client "control dnat kept" --tcp $LAB_VIP_DNAT:80 --conns 20 \
	--parallel 10 --timeout-ms 5000
nt_assert_eq "$(jget .ok)" 20 "control 1: other services unaffected"

nt_step "CONTROL 2: stop batond (datapath detached); the checks must fail"
lab_batond_stop
xdp=$(ip -n "$LAB_NS_LB" link show 2>/dev/null | grep -c 'xdp')
tcf=$(tc -n "$LAB_NS_LB" filter show dev eth0 ingress 2>/dev/null | grep -c bpf)
nt_log "after stop: $xdp interface(s) with XDP, $tcf bpf tc filter(s) on eth0"
nt_assert_eq "$xdp:$tcf" "0:0" "control 2: datapath detached by SIGTERM"

cfail=0
run_client "control tcp dnat" --tcp $LAB_VIP_DNAT:80 --conns 20 \
	--parallel 10 --timeout-ms 3000
[ "$(jget .ok)" = 20 ] && [ "$(jget '.backends.be1 // 0')" -gt 0 ] || cfail=$((cfail + 1))
run_client "control tcp dsr" --tcp $LAB_VIP_DSR:80 --conns 20 \
	--parallel 10 --timeout-ms 3000
[ "$(jget .ok)" = 20 ] || cfail=$((cfail + 1))
run_client "control udp" --udp $LAB_VIP_DNAT:53 --count 20 --timeout-ms 2000
[ "$(jget .ok)" = 20 ] || cfail=$((cfail + 1))
read -r sent b1 b2 lb < <(lab_ping_vip $LAB_VIP_DNAT 3)
nt_log "control icmp: answered $sent, be1 $b1, be2 $b2, LB itself $lb"
[ $((b1 + b2)) = 3 ] && [ "$lb" = 0 ] || cfail=$((cfail + 1))
nt_assert_eq "$cfail" 4 \
	"control 2: checks that caught the missing datapath (of 4)"

nt_finish
