#!/usr/bin/env bash
# test_baton_traffic.sh - the traffic tool's own checks must be able to fail:
# baton-traffic against a healthy server passes, and each kind of breakage
# it claims to detect (refused, silent drop, corrupted echo, reply from the
# wrong address, a pause in a stream) shows up under its own counter, with
# a non-zero exit, within the time bound. Two namespaces joined by a veth;
# the breakages are made with nftables rules and a fake server (socat).
# The failover drill's modes too: UDP streams (a gap is survived, a silent
# flow is not, duplicates count once, a flow answered by another backend is
# "moved"), rate-driven short connections (all ok, held for --hold-ms, the
# open bound counted as "skipped", a pause measured), and the per-flow
# records (--flows-out) and matrix (--timeline-flows) they are judged by.

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
CPID=
# At exit, a client still running in the background - only while it runs:
# its pid is cleared once reaped, so a reused pid is never signalled.
nt_cleanup 'if [ -n "$CPID" ]; then kill "$CPID" 2>/dev/null; wait "$CPID"; fi'
# Every client run is bounded by its own options; the timeout is a
# backstop so that a bug in the tool cannot hang the test.
client() {			# client ARGS...: JSON in $J, exit code in $RC
	J=$(timeout 60 ip netns exec "$C" "$TOOL" client "$@" 2>&1)
	RC=$?
	echo "  client $*: rc=$RC $J"
}
# client_bg NAME ARGS...: the same in the background (output in
# /tmp/$P.NAME, pid in $CPID); client_wait NAME: its $RC and $J.
client_bg() {
	local name=$1
	shift
	timeout 60 ip netns exec "$C" "$TOOL" client "$@" \
		>"/tmp/$P.$name" 2>&1 &
	CPID=$!
	nt_cleanup "rm -f /tmp/$P.$name"
}
client_wait() {
	wait "$CPID"
	RC=$?
	CPID=
	J=$(cat "/tmp/$P.$1")
	echo "  client $1: rc=$RC $J"
}
jget() { echo "$J" | jq -r "$1" 2>/dev/null; }
nft_s() { ip netns exec "$S" nft "$@"; }
now_ms() { date +%s%3N; }

# flows_check FILE N KIND T0 T1 WHAT: FILE (--flows-out) has its header and
# N records of KIND, ids 0..N-1 once each, and T0 <= t_start <= t_est <=
# t_end <= T1 (CLOCK_REALTIME ms, as `date +%s%3N`) in each, and a local
# port for every flow that got under way.
flows_check() {
	local f=$1 n=$2 kind=$3 t0=$4 t1=$5 what=$6
	nt_assert_eq "$(head -n 1 "$f")" "# id kind result t_start_ms \
t_est_ms t_end_ms backend max_pause_ms sport" "$what: flows-out header"
	nt_assert_eq "$(awk -v k="$kind" -v t0="$t0" -v t1="$t1" -v n="$n" '
		/^#/ { next }
		{
			c++
			if (NF != 9 || $2 != k || $1 < 0 || $1 >= n ||
			    ($5 > 0 && ($9 < 1 || $9 > 65535)) ||
			    seen[$1]++ || $4 < t0 || $5 < $4 || $6 < $5 ||
			    $6 > t1)
				bad++
		}
		END { printf "%d:%d", c, bad }' "$f")" "$n:0" \
		"$what: $n records, plausible times (records:bad)"
}

# matrix_check FILE N WHAT: FILE (--timeline-flows) has N rows of the same
# width, and row i adds up to the JSON's streams[i].echoed.
matrix_check() {
	local f=$1 n=$2 what=$3
	nt_assert_eq "$(awk '!/^#/ { r++; if (w && NF != w) bad++; w = NF }
		END { printf "%d:%d", r, bad }' "$f")" "$n:0" \
		"$what: timeline matrix rows (rows:ragged)"
	nt_assert_eq "$(awk '!/^#/ { s = 0; for (i = 1; i <= NF; i++) s += $i
		printf "%s%d", sep, s; sep = "," }' "$f")" \
		"$(jget '[.streams[].echoed] | map(tostring) | join(",")')" \
		"$what: each row adds up to the stream's echoed bytes"
}

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
nt_cleanup "rm -f /tmp/$P.flows /tmp/$P.tlf"
t0=$(now_ms)
client --tcp $SRV:7000 --conns 20 --flows-out "/tmp/$P.flows"
t1=$(now_ms)
nt_assert_eq "$RC:$(grep -c ' tcp_exchange ok ' "/tmp/$P.flows")" "0:20" \
	"exchanges: a record per connection"
flows_check "/tmp/$P.flows" 20 tcp_exchange "$t0" "$t1" "exchanges"

nt_step "healthy: UDP streams stay on their backend"
t0=$(now_ms)
client --udp $SRV:7000 --streams 4 --duration 2 --flows-out "/tmp/$P.flows" \
	--timeline-flows "/tmp/$P.tlf"
t1=$(now_ms)
nt_assert_eq "$RC:$(jget .ok):$(jget .moved)" "0:4:0" \
	"udp streams ok, none moved"
nt_assert_eq "$(jget '[.streams[].moved] | add')" 0 \
	"udp streams: no reply from another backend"
nt_assert_eq "$(jget '[.streams[] | .backend == "s1" and
	.answered >= .sent * 0.95 and .sent >= 190] | all')" true \
	"udp streams: ~200 datagrams each, answered by s1"
nt_assert_le "$(jget .pause_ms.p99)" 500 "udp streams: no pause"
flows_check "/tmp/$P.flows" 4 udp_stream "$t0" "$t1" "udp streams"
matrix_check "/tmp/$P.tlf" 4 "udp streams"

nt_step "healthy: new TCP connections at a rate"
t0=$(now_ms)
client --tcp $SRV:7000 --rate 200 --duration 2 --flows-out "/tmp/$P.flows"
t1=$(now_ms)
nt_assert_eq "$RC:$(jget .total):$(jget .ok):$(jget .skipped)" "0:400:400:0" \
	"rate: 400 connections ok"
nt_assert_ge "$(jget .max_open)" 20 \
	"rate: connections overlap (R * H / 1000 = 40 mid-life)"
nt_assert_le "$(jget .elapsed_ms)" 4000 "rate: bounded in time"
nt_assert_le "$(jget .pause_ms.p99)" 500 "rate: no pause"
flows_check "/tmp/$P.flows" 400 tcp_rate "$t0" "$t1" "rate"
nt_assert_ge "$(awk '!/^#/ { l = $6 - $4; if (!c++ || l < m) m = l }
	END { print m + 0 }' "/tmp/$P.flows")" 190 \
	"rate: each connection lived --hold-ms (shortest, ms)"

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
t0=$(now_ms)
ip netns exec "$C" "$TOOL" client --tcp $SRV:7000 --streams 2 --duration 4 \
	--timeline "/tmp/$P.timeline" --timeline-flows "/tmp/$P.tlf" \
	--flows-out "/tmp/$P.flows" >"/tmp/$P.stream" 2>&1 &
CPID=$!
nt_cleanup "rm -f /tmp/$P.stream /tmp/$P.timeline"
sleep 1
nft_s add rule ip bt in tcp dport 7000 drop
sleep 1.5
nft_s flush chain ip bt in
wait $CPID
RC=$?
CPID=
J=$(cat "/tmp/$P.stream")
echo "  streams: rc=$RC $J"
nt_assert_eq "$RC:$(jget .ok)" "0:2" "paused streams recovered"
nt_assert_ge "$(jget .max_pause_ms)" 1400 "pause measured"
nt_assert_ge "$(awk '!/^#/ && $2 == 0' "/tmp/$P.timeline" | wc -l)" 10 \
	"timeline shows the gap (100 ms buckets without data)"
flows_check "/tmp/$P.flows" 2 tcp_stream "$t0" "$(now_ms)" "paused streams"
matrix_check "/tmp/$P.tlf" 2 "paused streams"
nt_assert_eq "$(awk '!/^#/ { z = 0; for (i = 2; i < NF; i++) z += $i == 0
	if (z >= 10) n++ } END { print n + 0 }' "/tmp/$P.tlf")" 2 \
	"per-flow timeline shows the gap in each stream"

nt_step "UDP streams: a gap is survived, a silent flow is not"
client_bg ustream --udp $SRV:7000 --streams 2 --duration 3
sleep 1
nft_s add rule ip bt in udp dport 7000 drop
sleep 1
nft_s flush chain ip bt in
client_wait ustream
nt_assert_eq "$RC:$(jget .ok):$(jget .moved)" "0:2:0" \
	"udp streams came back after the gap"
nt_assert_ge "$(jget .datagrams.lost)" 100 "udp: the lost datagrams counted"
nt_assert_ge "$(jget .max_pause_ms)" 900 "udp: the pause measured"
client_bg usilent --udp $SRV:7000 --streams 2 --duration 2 --timeout-ms 20000
sleep 0.5
nft_s add rule ip bt in udp dport 7000 drop
client_wait usilent
nft_s flush chain ip bt in
nt_assert_eq "$RC:$(jget .timeout)" "1:2" "udp: silent streams time out"
nt_assert_le "$(jget .elapsed_ms)" 3500 \
	"udp: bounded wait for the last reply despite --timeout-ms 20000"

nt_step "UDP streams: duplicated replies count once"
nft_s add chain ip bt odup '{ type filter hook output priority 0; }' &&
	nft_s add rule ip bt odup udp sport 7000 dup to 10.9.0.1 ||
	nt_fatal "nft dup"
client --udp $SRV:7000 --streams 2 --duration 1
nft_s delete chain ip bt odup
nt_assert_eq "$RC:$(jget .ok)" "0:2" "udp streams with duplicates ok"
nt_assert_ge "$(jget .datagrams.dup)" 100 "udp: duplicates seen"
nt_assert_eq "$(jget '[.streams[] | .answered <= .sent] | all')" true \
	"udp: no datagram answered twice"

nt_step "UDP streams: a flow answered by another backend is moved"
# A second server on the same port, bound to the address itself: the
# kernel prefers it to s1's wildcard socket for every datagram from then
# on, as a balancer that lost a flow's state would pick another backend.
client_bg umoved --udp $SRV:7000 --streams 2 --duration 3
sleep 1
ip netns exec "$S" "$TOOL" server --id s2 --bind $SRV --udp 7000 \
	--ready-file "/tmp/$P.ready2" >/dev/null 2>&1 &
S2PID=$!
nt_cleanup 'if [ -n "$S2PID" ]; then kill "$S2PID"; wait "$S2PID"; fi' \
	'2>/dev/null'
nt_cleanup "rm -f /tmp/$P.ready2"
nt_wait 5 "second server ready" test -s "/tmp/$P.ready2"
client_wait umoved
kill $S2PID 2>/dev/null
wait $S2PID 2>/dev/null
S2PID=
nt_assert_eq "$RC:$(jget .ok):$(jget .moved)" "1:0:2" "udp streams moved"
nt_assert_eq "$(jget '[.streams[] | .backend + ">" + .moved_to] | unique |
	join(",")')" "s1>s2" "udp: moved from s1 to s2"

nt_step "rate: the open bound is counted, a pause is measured"
client --tcp $SRV:7000 --rate 1000 --duration 1 --hold-ms 500 --parallel 50
nt_assert_eq "$RC:$(jget '.ok + .skipped')" "1:1000" \
	"rate: every connection ok or skipped"
nt_assert_ge "$(jget .skipped)" 500 "rate: starts over the bound skipped"
nt_assert_le "$(jget .max_open)" 50 "rate: at most --parallel open"
client_bg rpause --tcp $SRV:7000 --rate 200 --duration 3
sleep 1
nft_s add rule ip bt in tcp dport 7000 drop
sleep 1
nft_s flush chain ip bt in
client_wait rpause
nt_assert_eq "$RC:$(jget .ok)" "0:600" "rate: connections survived the gap"
nt_assert_ge "$(jget .pause_ms.max)" 900 "rate: the pause measured"

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
