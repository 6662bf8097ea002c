#!/usr/bin/env bash
# tests/bench/compare.sh - Baton against the stack users would pick instead,
# measured side by side in one run. Prints figures and writes them down;
# never passes or fails on a figure (it is not a ctest test).
#
#   tests/bench/compare.sh [--rounds N] [--seconds S] [--out DIR]
#
# Four copies of the lab's single-node topology (deploy/lab/
# lib.sh: client - switch - LB node - switch - two backends), up at once:
#   baton  batond on the LB node, DNAT services for TCP and UDP, TC only
#          (xdp: off, as on any veth: see the xdp leg);
#   xdp    the same with xdp: native. On a veth, any XDP program makes the
#          kernel copy every packet it receives into a page of its own
#          (veth_xdp_rcv_skb -> skb_pp_cow_data) and give up GSO; a NIC
#          with a native XDP driver has no such cost;
#   nft    nftables DNAT on the LB node (kernel conntrack), round robin
#          over the same two backends: the classic Linux load balancer;
#   route  the LB node only routes; the client talks to a backend's own
#          address through it (the ceiling for bulk throughput).
# Each round runs every test on every leg, the legs' order rotating from
# round to round (interleaved A/B/C: a slow phase of this VM hits all legs
# alike); the summary gives the median over rounds and its ratio to nft.
#   conn/s     new TCP connections, each one 64-byte request and a
#              128-byte answer (baton-load crr, 64 at a time, closed loop);
#   pps        64-byte frames of UDP, 64 flows, as fast as the client can
#              send (baton-load flood); what the backends received;
#   bulk       4 TCP streams as fast as they go (baton-load bulk);
#   latency    connect-to-answer p50/p99 of new connections at a moderate
#              fixed rate (--rate 2000);
#   CPU/pkt    the LB node's CPU time per packet it received, in every test
#              (and per connection in the TCP ones); batond's own CPU time
#              apart.
# Where the LB node's CPU time is: every process of the benchmark
# (client, backends) runs on CPU 0. What the LB node's interfaces receive
# is processed on CPU 1 (RPS; with XDP, in a NAPI thread there), and the
# switch's ports facing the LB node take what it sends back on CPU 0
# (RPS). baton-lbtime times CPU 1's NET_RX softirq runs (tracepoints, ns);
# the NAPI threads' and batond's run time come from schedstat. The RPS
# hand-over itself (an IPI per run, expensive in a VM) is in every leg's
# figure alike: the route leg shows that floor.
#
# Output: DIR (default <build>/bench-report): results.tsv (every
# measurement), summary.md (medians and ratios, also printed) and each
# tool's raw output under raw/. Needs root; builds first (deploy/setup.sh,
# which also installs the packages).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export BATON_BUILD=${BATON_BUILD:-$repo/build}
ROUNDS=5
SECS=5
OUT=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) ROUNDS=${2:-}; shift ;;
	--seconds) SECS=${2:-}; shift ;;
	--out) OUT=${2:-}; shift ;;
	*) sed -n '6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift
done
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 50 ] ||
	{ echo "compare.sh: --rounds: 1..50" >&2; exit 2; }
[[ $SECS =~ ^[0-9]+$ ]] && [ "$SECS" -ge 1 ] && [ "$SECS" -le 60 ] ||
	{ echo "compare.sh: --seconds: 1..60" >&2; exit 2; }
OUT=${OUT:-$BATON_BUILD/bench-report}
FAILED=0

if [ "$(id -u)" -ne 0 ]; then
	echo "compare.sh: needs root (namespaces, BPF, nftables)" >&2
	exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
	echo "compare.sh: needs 2 CPUs (the LB node gets CPU 1)" >&2
	exit 1
fi
"$repo/deploy/setup.sh" || exit 1
cmake --build "$BATON_BUILD" --target baton-load baton-lbtime baton-bench -j2 \
	>/dev/null || { echo "compare.sh: build failed" >&2; exit 1; }
LOAD=$BATON_BUILD/tests/bench/baton-load
LBTIME=$BATON_BUILD/tests/bench/baton-lbtime

# shellcheck source=../../deploy/lab/lib.sh
. "$repo/deploy/lab/lib.sh"

mkdir -p "$OUT/raw" || exit 1
RESULTS=$OUT/results.tsv
printf 'section\tround\ttest\tleg\tmetric\tvalue\n' >"$RESULTS"

cmp_log() { echo "compare: $*" >&2; }

# record SECTION ROUND TEST LEG METRIC VALUE
record() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

# ---- the datapath legs -------------------------------------------------------

SUFFIX=$(tr -dc 'a-z0-9' </dev/urandom | head -c 4)
LEGS=(baton xdp nft route)
declare -A LEG_P=([baton]=qb$SUFFIX [xdp]=qx$SUFFIX [nft]=qn$SUFFIX
	[route]=qr$SUFFIX)
BENCH_TCP=9000
BENCH_UDP=9001
UP_LEGS=()

leg() {				# leg NAME: lib.sh's globals for that lab
	unset LAB_HA LAB_SYNC LAB_ECMP LAB_NODES
	lab_init "${LEG_P[$1]}"
}

cleanup() {
	local l
	for l in "${UP_LEGS[@]}"; do
		leg "$l"
		LAB_QUIET=1 lab_down
	done
	UP_LEGS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The bench's services (in place of the lab's): TCP and UDP on the DNAT
# VIP, both backends.
bench_services_yaml() {
	local proto port
	echo "services:"
	for proto in tcp udp; do
		port=$BENCH_TCP
		[ $proto = udp ] && port=$BENCH_UDP
		cat <<EOF
  - vip: $LAB_VIP_DNAT
    port: $port
    protocol: $proto
    mode: dnat
    algorithm: maglev
    backends:
      - address: $LAB_B1
        port: $port
      - address: $LAB_B2
        port: $port
EOF
	done
}

bench_nft_rules() {
	cat <<EOF
table ip bench {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $LAB_VIP_DNAT tcp dport $BENCH_TCP dnat to numgen inc mod 2 map { 0 : $LAB_B1, 1 : $LAB_B2 }
		ip daddr $LAB_VIP_DNAT udp dport $BENCH_UDP dnat to numgen inc mod 2 map { 0 : $LAB_B1, 1 : $LAB_B2 }
	}
}
EOF
}

napi_threads() { pgrep -x 'napi/.*' | sort; }	# kernel threads, by pid

# pin_lb: the LB node's receive work on CPU 1, and nothing else there. A
# veth hands what its peer sends to a CPU's backlog, and RPS picks CPU 1;
# with an XDP program attached it hands it to its NAPI instead, which runs
# in a thread of its own here, on CPU 1 (and goes on to the stack in that
# thread). What the LB node sends, the switch's ports take on CPU 0 (RPS).
# batond runs on CPU 1 too.
pin_lb() {
	local before after pid ifn port
	before=$(napi_threads)
	for ifn in eth0 eth1; do
		if ip -n "$LAB_NS_LB" -j link show "$ifn" |
			jq -e '.[0].xdp' >/dev/null; then
			ip netns exec "$LAB_NS_LB" sh -c \
				"echo 1 > /sys/class/net/$ifn/threaded" ||
				return 1
		else
			ip netns exec "$LAB_NS_LB" sh -c \
				"echo 2 > /sys/class/net/$ifn/queues/rx-0/rps_cpus" ||
				return 1
		fi
	done
	after=$(napi_threads)
	: >"$LAB_STATE/napi-threads"
	for pid in $(comm -13 <(echo "$before") <(echo "$after")); do
		taskset -p -c 1 "$pid" >/dev/null || return 1
		echo "$pid" >>"$LAB_STATE/napi-threads"
	done
	for port in lbf lbb; do
		ip netns exec "$LAB_NS_SW" sh -c \
			"echo 1 > /sys/class/net/$port/queues/rx-0/rps_cpus" ||
			return 1
	done
	if [ -f "$LAB_STATE/pids/batond" ]; then
		taskset -a -p -c 1 "$(lab_pid_of batond)" >/dev/null || return 1
	fi
}

# run_ns PID...: nanoseconds the processes' threads have run (schedstat).
run_ns() {
	local p t sum=0 v
	for p in "$@"; do
		for t in /proc/"$p"/task/*; do
			read -r v _ <"$t/schedstat" && sum=$((sum + v))
		done
	done
	echo "$sum"
}

# The LB node's NAPI threads (XDP leg) and batond.
threads_ns() {
	local pids
	mapfile -t pids <"$LAB_STATE/napi-threads"
	run_ns "${pids[@]}"
}
batond_ns() {
	if [ -f "$LAB_STATE/pids/batond" ]; then
		run_ns "$(lab_pid_of batond)"
	else
		echo 0
	fi
}

leg_up() {
	local l=$1 i
	leg "$l"
	UP_LEGS+=("$l")
	LAB_CT_MAX=1048576 LAB_QUIET=1 lab_up --no-batond || return 1
	ip netns exec "$LAB_NS_C" sysctl -qw \
		net.ipv4.ip_local_port_range="1024 65000" || return 1
	for i in 1 2; do
		lab_spawn load$i "${LAB_P}b$i" "$LOAD" serve --tcp $BENCH_TCP \
			--udp-sink $BENCH_UDP || return 1
	done
	case $l in
	baton | xdp)
		{
			LAB_XDP=off
			[ "$l" = xdp ] && LAB_XDP=native
			LAB_CT_MAX=1048576 lab_config_yaml 1 "$LAB_PIN" "$LAB_SOCK"
			bench_services_yaml
		} >"$LAB_CONFIG" || return 1
		lab_batond_start || return 1 ;;
	nft)
		bench_nft_rules | ip netns exec "$LAB_NS_LB" nft -f - ||
			return 1 ;;
	route)
		ip -n "$LAB_NS_C" route add 10.1.0.0/24 via $LAB_LB_FRONT ||
			return 1 ;;
	esac
	pin_lb || { lab_err "pinning the LB node to CPU 1 failed"; return 1; }
	for i in 1 2; do
		taskset -a -p -c 0 "$(lab_pid_of load$i)" >/dev/null || return 1
	done
	# Every path answers before the first measurement (10 tries of 1 s).
	for i in 1 2 3 4 5 6 7 8 9 10; do
		timeout 5 ip netns exec "$LAB_NS_C" taskset -c 0 "$LOAD" crr \
			--to "$(leg_target "$l" tcp)" --duration 1 --parallel 2 \
			--timeout-ms 500 >/dev/null 2>&1 && return 0
	done
	lab_err "no connection through the $l leg"
	return 1
}

leg_target() {			# leg_target LEG tcp|udp: ADDR:PORT to load
	local addr=$LAB_VIP_DNAT port=$BENCH_TCP
	[ "$1" = route ] && addr=$LAB_B1
	[ "$2" = udp ] && port=$BENCH_UDP
	echo "$addr:$port"
}

link_stat() {			# link_stat NS IF rx_packets|tx_packets|...
	ip -n "$1" -s -j link show "$2" | jq -r ".[0].stats64.${3%%_*}.${3#*_}"
}

lb_rx_packets() {
	echo $(($(link_stat "$LAB_NS_LB" eth0 rx_packets) +
		$(link_stat "$LAB_NS_LB" eth1 rx_packets)))
}

backends_rx_packets() {
	echo $(($(link_stat "${LAB_P}b1" eth0 rx_packets) +
		$(link_stat "${LAB_P}b2" eth0 rx_packets)))
}

# run_test ROUND TEST LEG: one measurement, recorded.
run_test() {
	local r=$1 t=$2 l=$3 raw args n0 n1 d0 d1 p0 p1 b0 b1 lb_ns pk conns
	rec() { record datapath "$r" "$t" "$l" "$@"; }
	leg "$l"
	raw=$OUT/raw/$t-$l-$r.json
	case $t in
	conn) args=(crr --to "$(leg_target "$l" tcp)" --parallel 64) ;;
	lat) args=(crr --to "$(leg_target "$l" tcp)" --rate 2000
		--parallel 1024) ;;
	bulk) args=(bulk --to "$(leg_target "$l" tcp)" --streams 4) ;;
	pps) args=(flood --to "$(leg_target "$l" udp)" --flows 64) ;;
	esac
	n0=$(threads_ns)
	d0=$(batond_ns)
	p0=$(lb_rx_packets)
	b0=$(backends_rx_packets)
	"$LBTIME" --cpu 1 --out "$raw.cpu" -- ip netns exec "$LAB_NS_C" \
		taskset -c 0 "$LOAD" "${args[@]}" --duration "$SECS" \
		>"$raw" 2>"$raw.err" || {
		cmp_log "$t on $l (round $r) failed: $(tail -n 3 "$raw.err")"
		FAILED=$((FAILED + 1))
		return 0
	}
	n1=$(threads_ns)
	d1=$(batond_ns)
	p1=$(lb_rx_packets)
	b1=$(backends_rx_packets)
	pk=$((p1 - p0))
	lb_ns=$(($(jq -r .ns "$raw.cpu") + n1 - n0))
	rec lb_ms $((lb_ns / 1000000))
	rec batond_ms $(((d1 - d0) / 1000000))
	rec lb_rx_packets "$pk"
	[ "$pk" -gt 0 ] && rec lb_ns_per_pkt $((lb_ns / pk))
	case $t in
	conn | lat)
		conns=$(jq -r .done "$raw")
		rec conn_per_s "$(jq -r .per_s "$raw")"
		rec errors "$(jq -r '.errors + .timeouts' "$raw")"
		rec lat_p50_us "$(jq -r .lat_us.p50 "$raw")"
		rec lat_p99_us "$(jq -r .lat_us.p99 "$raw")"
		[ "$conns" -gt 0 ] && rec lb_ns_per_conn $((lb_ns / conns)) ;;
	bulk)
		rec gbit_s "$(jq -r .gbit_s "$raw")" ;;
	pps)
		rec sent_per_s "$(jq -r .sent_per_s "$raw")"
		rec delivered_per_s $(((b1 - b0) / SECS)) ;;
	esac
}

run_datapath() {
	local l r t i order
	for l in "${LEGS[@]}"; do
		cmp_log "datapath: bringing up the $l leg (${LEG_P[$l]})"
		leg_up "$l" || { cmp_log "the $l leg did not come up"; return 1; }
	done
	for ((r = 1; r <= ROUNDS; r++)); do
		# Rotate the legs' order every round.
		order=()
		for ((i = 0; i < ${#LEGS[@]}; i++)); do
			order+=("${LEGS[$(((i + r - 1) % ${#LEGS[@]}))]}")
		done
		for t in conn pps bulk lat; do
			for l in "${order[@]}"; do
				cmp_log "round $r/$ROUNDS: $t on $l"
				run_test "$r" "$t" "$l"
			done
		done
	done
	cleanup
}

# summary: per test and metric, each leg's median over the rounds and its
# ratio to the nft leg's median.
summary() {
	echo "| test | metric | $(printf '%s | ' "${LEGS[@]}")ratios to nft |"
	echo "|---|---|$(for l in "${LEGS[@]}"; do printf -- '---|'; done)---|"
	awk -F'\t' -v legs="${LEGS[*]}" '
	NR > 1 && $1 == "datapath" {
		k = $3 SUBSEP $5
		if (!(k in seen)) { seen[k] = 1; order[++n] = k }
		v[k, $4, ++c[k, $4]] = $6
	}
	function median(k, l,   m, i, j, t, a) {
		m = c[k, l]
		if (!m) return ""
		for (i = 1; i <= m; i++) a[i] = v[k, l, i] + 0
		for (i = 2; i <= m; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		t = m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
		return t == int(t) ? sprintf("%d", t) : sprintf("%.1f", t)
	}
	BEGIN { nl = split(legs, L, " ") }
	END {
		for (i = 1; i <= n; i++) {
			split(order[i], tm, SUBSEP)
			line = "| " tm[1] " | " tm[2] " |"
			ref = median(order[i], "nft")
			rat = ""
			for (j = 1; j <= nl; j++) {
				m = median(order[i], L[j])
				line = line " " m " |"
				if (L[j] != "nft" && ref != "" && ref + 0 != 0 &&
				    m != "")
					rat = rat sprintf(" %s %.2fx", L[j], m / ref)
			}
			print line rat " |"
		}
	}' "$RESULTS"
}

run_datapath || exit 1
summary | tee "$OUT/summary.md"
cmp_log "every measurement: $RESULTS; summary: $OUT/summary.md"
if [ "$FAILED" -gt 0 ]; then
	cmp_log "$FAILED measurements failed (their errors are under $OUT/raw)"
	exit 1
fi
