#!/usr/bin/env bash
# test_baton_traffic.sh - the traffic tool's own checks must be able to fail:
# baton-traffic against a healthy server passes, and each kind of breakage
# it claims to detect (refused, silent drop, corrupted echo, reply from the
# wrong address, a pause in a stream) shows up under its own counter, with
# a non-zero exit, within the time bound. Two namespaces joined by a veth;
# the breakages are made with nftables rules and a fake server (socat).

. "$(dirname "${BASH_SOURCE[0]}")/../netns/lib.sh"

nt_require_netns
nt_require_cmd jq nft socat
TOOL=$NT_BUILD/tests/tools/baton-traffic
nt_require_file "$TOOL"

P=$(nt_prefix tt)
C=${P}c
S=${P}s
SRV=10.9.0.2

nt_cleanup "ip netns del $C 2>/dev/null; ip netns del $S 2>/dev/null"
ip netns add "$C" && ip netns add "$S" &&
	ip -n "$C" link add eth0 type veth peer name eth0 netns "$S" &&
	ip -n "$C" addr add 10.9.0.1/24 dev eth0 &&
	ip -n "$S" addr add $SRV/24 dev eth0 &&
	ip -n "$C" link set eth0 up && ip -n "$S" link set eth0 up &&
	ip -n "$S" link set lo up || nt_fatal "namespaces"

ip netns exec "$S" "$TOOL" server --id s1 --tcp 7000 --udp 7000 \
	--ready-file "/tmp/$P.ready" >/dev/null 2>&1 &
SPID=$!
nt_cleanup "kill $SPID 2>/dev/null; wait $SPID 2>/dev/null; rm -f /tmp/$P.ready"
nt_wait 5 "server ready" test -s "/tmp/$P.ready" || nt_fatal "server"

J=
RC=
client() {			# client ARGS...: JSON in $J, exit code in $RC
	J=$(ip netns exec "$C" "$TOOL" client "$@" 2>&1)
	RC=$?
	echo "  client $*: rc=$RC $J"
}
jget() { echo "$J" | jq -r "$1" 2>/dev/null; }
nft_s() { ip netns exec "$S" nft "$@"; }

nt_step "healthy: TCP exchanges, UDP exchanges, streams"
client --tcp $SRV:7000 --conns 100 --parallel 10 --bytes 20000
nt_assert_eq "$RC:$(jget .ok):$(jget .backends.s1)" "0:100:100" "tcp ok"
nt_assert_eq "$(jget '.seen_peer | join(",")')" "$SRV:7000" "tcp peer"
nt_assert_eq "$(jget '.client_seen_by_server | join(",")')" 10.9.0.1 \
	"tcp server saw client"
client --udp $SRV:7000 --count 100 --bytes 1000
nt_assert_eq "$RC:$(jget .ok):$(jget .backends.s1)" "0:100:100" "udp ok"
client --tcp $SRV:7000 --streams 3 --duration 2
nt_assert_eq "$RC:$(jget .ok)" "0:3" "streams ok"
nt_assert_le "$(jget .max_pause_ms)" 500 "streams: no pause"

nt_step "refused: nothing listens"
client --tcp $SRV:7001 --conns 10
nt_assert_eq "$RC:$(jget .refused)" "1:10" "tcp refused"

nt_step "silent drop: bounded by --timeout-ms"
nft_s add table ip bt && nft_s add chain ip bt in \
	'{ type filter hook input priority 0; }' &&
	nft_s add rule ip bt in tcp dport 7000 drop &&
	nft_s add rule ip bt in udp dport 7000 drop || nt_fatal "nft"
client --tcp $SRV:7000 --conns 10 --timeout-ms 1500
nt_assert_eq "$RC:$(jget .timeout)" "1:10" "tcp timeout"
nt_assert_le "$(jget .elapsed_ms)" 2500 "tcp timeout bounded"
client --udp $SRV:7000 --count 10 --timeout-ms 1000
nt_assert_eq "$RC:$(jget .timeout)" "1:10" "udp timeout"
nt_assert_le "$(jget .elapsed_ms)" 2000 "udp timeout bounded"
nft_s flush chain ip bt in

nt_step "a stream paused for 1.5 s is reported, and still ok"
ip netns exec "$C" "$TOOL" client --tcp $SRV:7000 --streams 2 --duration 4 \
	--timeline "/tmp/$P.timeline" >"/tmp/$P.stream" 2>&1 &
CPID=$!
nt_cleanup "rm -f /tmp/$P.stream /tmp/$P.timeline"
sleep 1
nft_s add rule ip bt in tcp dport 7000 drop
sleep 1.5
nft_s flush chain ip bt in
wait $CPID
RC=$?
J=$(cat "/tmp/$P.stream")
echo "  streams: rc=$RC $J"
nt_assert_eq "$RC:$(jget .ok)" "0:2" "paused streams recovered"
nt_assert_ge "$(jget .max_pause_ms)" 1400 "pause measured"
nt_assert_ge "$(awk '!/^#/ && $2 == 0' "/tmp/$P.timeline" | wc -l)" 10 \
	"timeline shows the gap (100 ms buckets without data)"

nt_step "corrupted echo: a fake server that does not echo"
ip netns exec "$S" socat TCP-LISTEN:7002,reuseaddr,fork \
	SYSTEM:'echo "BATON fake 10.9.0.1:1"; head -c 64 /dev/urandom; sleep 1' \
	>/dev/null 2>&1 &
FPID=$!
nt_cleanup "kill $FPID 2>/dev/null"
nt_wait 5 "fake server listening" \
	bash -c "ip netns exec $S ss -Hltn 'sport = :7002' | grep -q LISTEN" ||
	nt_fatal "socat"
client --tcp $SRV:7002 --conns 5 --bytes 1000 --timeout-ms 3000
nt_assert_eq "$RC:$(jget .bad_bytes)" "1:5" "bad bytes"

nt_step "reply from the wrong address: UDP source port rewritten"
nft_s add chain ip bt out '{ type filter hook output priority 0; }' &&
	nft_s add rule ip bt out udp sport 7000 udp sport set 7009 ||
	nt_fatal "nft"
client --udp $SRV:7000 --count 10 --timeout-ms 2000
nt_assert_eq "$RC:$(jget .wrong_peer)" "1:10" "udp wrong peer"
nt_assert_eq "$(jget '.seen_peer | join(",")')" "$SRV:7009" "udp seen peer"

nt_finish
