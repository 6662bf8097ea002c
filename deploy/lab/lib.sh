# deploy/lab/lib.sh - the single-node Baton lab in network namespaces.
# Sourced by lab.sh, demo.sh and the netns tests; defines lab_* functions
# and changes no shell options of its caller.
#
# Topology for prefix P (every name below starts with P):
#
#   Psw   switch/router: bridge brf (front, 10.0.0.254/24) and bridge brb
#         (back, 10.1.0.254/24); it routes between them, which only DSR
#         replies use.
#   Pc    client  eth0 10.0.0.2/24                          -> brf
#   Plb   LB node eth0 10.0.0.1/24 + VIPs 10.0.0.100-102/32 -> brf
#                 eth1 10.1.0.1/24 + fullNAT source 10.1.0.10/32 -> brb
#         batond runs here on eth0 and eth1.
#   Pb1   backend eth0 10.1.0.11/24 -> brb, default via 10.1.0.1 (the LB);
#   Pb2   backend eth0 10.1.0.12/24    VIP 10.0.0.102/32 on lo for DSR,
#         replies from it routed via 10.1.0.254 (table 100).
#
# Interfaces are created directly inside their namespaces, so their names
# never meet other labs' in the root namespace. Everything a lab starts is
# recorded in its state dir (/run/baton-lab/P): pid files, the generated
# baton.yaml, logs, the control socket. batond pins its maps under
# /sys/fs/bpf/baton-P. lab_down removes all of it, also after a partial up.
#
# Needs: LAB_BUILD (default $BATON_BUILD, else <repo>/build) holding
# node/batond, node/batonctl and tests/tools/baton-traffic.

LAB_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

LAB_VIP_DNAT=10.0.0.100
LAB_VIP_FULLNAT=10.0.0.101
LAB_VIP_DSR=10.0.0.102
LAB_SNAT=10.1.0.10
LAB_CLIENT=10.0.0.2
LAB_LB_FRONT=10.0.0.1
LAB_LB_BACK=10.1.0.1
LAB_B1=10.1.0.11
LAB_B2=10.1.0.12
LAB_WRR_W1=2			# weights of b1 and b2 in the WRR service
LAB_WRR_W2=1

lab_log() {
	[ "${LAB_QUIET:-0}" = 1 ] || echo "lab[$LAB_P]: $*" >&2
}

lab_err() {
	echo "lab[$LAB_P]: error: $*" >&2
}

# lab_init PREFIX: names for this lab. Prefix: 1-8 of [a-z0-9], starting
# with a letter (namespace names, pin path and state dir derive from it).
lab_init() {
	local p=${1:-${BATON_LAB_PREFIX:-btl}}
	if ! [[ $p =~ ^[a-z][a-z0-9]{0,7}$ ]]; then
		echo "lab: bad prefix '$p' (1-8 of [a-z0-9], letter first)" >&2
		return 1
	fi
	LAB_P=$p
	LAB_NS_SW=${p}sw
	LAB_NS_C=${p}c
	LAB_NS_LB=${p}lb
	LAB_NS_B1=${p}b1
	LAB_NS_B2=${p}b2
	LAB_ALL_NS="$LAB_NS_C $LAB_NS_LB $LAB_NS_B1 $LAB_NS_B2 $LAB_NS_SW"
	LAB_STATE=/run/baton-lab/$p
	LAB_PIN=/sys/fs/bpf/baton-$p
	LAB_SOCK=$LAB_STATE/batond.sock
	LAB_CONFIG=$LAB_STATE/baton.yaml
	LAB_BUILD=${LAB_BUILD:-${BATON_BUILD:-$LAB_REPO/build}}
	LAB_TRAFFIC=$LAB_BUILD/tests/tools/baton-traffic
	LAB_LOAD=$LAB_BUILD/tests/bench/baton-load	# drill.sh flood
	LAB_BATOND=$LAB_BUILD/node/batond
	LAB_BATONCTL=$LAB_BUILD/node/batonctl
	LAB_KACONF=$LAB_BUILD/ha/baton-keepalived
	LAB_KEEPALIVED=${LAB_KEEPALIVED:-$(command -v keepalived ||
		echo /usr/sbin/keepalived)}
	[ -f "$LAB_STATE/ha" ] && LAB_HA=1
	[ -f "$LAB_STATE/classic" ] && LAB_CLASSIC=1
	[ -f "$LAB_STATE/nosync" ] && LAB_SYNC=0
	[ -s "$LAB_STATE/ecmp" ] && { LAB_ECMP=1; read -r LAB_SPARE \
		<"$LAB_STATE/ecmp"; }
	# N-node lab (see "N-node lab" below): LAB_NODES >= 2, or what the
	# running lab of this prefix was brought up with.
	if [ -s "$LAB_STATE/nodes" ]; then
		read -r LAB_NODES <"$LAB_STATE/nodes"
	fi
	LAB_NODES=${LAB_NODES:-1}
	if ! [[ $LAB_NODES =~ ^[1-4]$ ]]; then
		echo "lab: LAB_NODES '$LAB_NODES': expected 1..4" >&2
		return 1
	fi
	[ "$LAB_NODES" -ge 2 ] && lab_multi_init
	[ "${LAB_ECMP:-0}" = 1 ] && lab_ecmp_init
	return 0
}

lab_ns() {			# lab_ns NS CMD...: run in a lab namespace
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

lab_ctl() {			# batonctl against this lab's batond
	"$LAB_BATONCTL" -s "$LAB_SOCK" "$@"
}

lab_client() {			# baton-traffic client ARGS in the client ns
	ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client "$@"
}

# ---- processes --------------------------------------------------------------

# lab_spawn NAME NS CMD...: start CMD in NS in the background, output to
# $LAB_STATE/NAME.log, pid in $LAB_STATE/pids/NAME (with the binary's name,
# so that lab_kill never signals a recycled pid).
#
# nsenter, not `ip netns exec`: the latter also unshares the mount namespace
# and remounts /sys, which hides the global bpffs on /sys/fs/bpf - batond's
# pins would land in a private bpffs that dies with it and that nobody else
# (bpftool, a restarted batond, lab_down) can see.
# setsid: a Ctrl-C at the terminal stops the script driving the lab, which
# then tears down in order, rather than every daemon at once. (Without job
# control a background child is no process group leader, so setsid execs
# in place and $! stays the daemon's pid.)
lab_spawn() {
	local name=$1 ns=$2 pid
	shift 2
	setsid nsenter --net="/run/netns/$ns" "$@" </dev/null \
		>"$LAB_STATE/$name.log" 2>&1 &
	pid=$!
	echo "$pid $(basename "$1")" >"$LAB_STATE/pids/$name"
}

# lab_keep_log FILE: lab_spawn truncates a log; keep an earlier run's as
# FILE.N (the first free N).
lab_keep_log() {
	local i=1
	[ -s "$1" ] || return 0
	while [ -e "$1.$i" ]; do i=$((i + 1)); done
	mv "$1" "$1.$i"
}

# True if the pid file's process is alive and still the binary we started.
lab_pid_alive() {
	local f=$1 pid exe
	[ -f "$f" ] || return 1
	read -r pid exe <"$f" || return 1
	[ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
	{ tr '\0' '\n' <"/proc/$pid/cmdline"; } 2>/dev/null | head -n 1 |
		grep -q "/$exe\$\|^$exe\$"
}

lab_pid_of() {
	local pid exe
	read -r pid exe <"$LAB_STATE/pids/$1" 2>/dev/null && echo "$pid"
}

# lab_kill NAME [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 5).
lab_kill() {
	local f=$LAB_STATE/pids/$1 t=${2:-5} pid i
	if lab_pid_alive "$f"; then
		pid=$(lab_pid_of "$1")
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < t * 10; i++)); do
			lab_pid_alive "$f" || break
			sleep 0.1
		done
		if lab_pid_alive "$f"; then
			lab_log "$1 (pid $pid) ignored SIGTERM, killing"
			kill -KILL "$pid" 2>/dev/null
			sleep 0.1
		fi
	fi
	rm -f "$f"
}

# lab_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
lab_wait_for() {
	local t=$1 i
	shift
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# ---- topology ---------------------------------------------------------------

lab_sysctl() {			# lab_sysctl NS KEY=VALUE...
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -qw "$@" >/dev/null
}

lab_ns_add() {
	ip netns add "$1" || return 1
	echo "$1" >>"$LAB_STATE/netns"
	ip -n "$1" link set lo up &&
	lab_sysctl "$1" net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 \
		net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
}

# lab_link NS IF SWPORT BRIDGE: veth NS/IF <-> Psw/SWPORT, port in BRIDGE.
lab_link() {
	local ns=$1 ifn=$2 port=$3 br=$4
	ip -n "$ns" link add "$ifn" type veth peer name "$port" \
		netns "$LAB_NS_SW" || return 1
	ip -n "$LAB_NS_SW" link set "$port" master "$br" up &&
	ip -n "$ns" link set "$ifn" up &&
	lab_sysctl "$ns" "net.ipv4.conf.$ifn.rp_filter=0"
}

# The switch/router namespace: bridges brf (front, 10.0.0.254) and brb
# (back, 10.1.0.254), plus any further BRIDGE:ADDRESS given, routing
# between them (DSR replies take this way back to the client).
lab_switch() {
	local i sys=(net.ipv4.ip_forward=1)
	for i in brf:10.0.0.254 brb:10.1.0.254 "$@"; do
		ip -n "$LAB_NS_SW" link add "${i%%:*}" type bridge &&
		ip -n "$LAB_NS_SW" addr add "${i#*:}/24" dev "${i%%:*}" &&
		ip -n "$LAB_NS_SW" link set "${i%%:*}" up || return 1
		sys+=("net.ipv4.conf.${i%%:*}.rp_filter=0")
	done
	lab_sysctl "$LAB_NS_SW" "${sys[@]}"
}

# The client on the front bridge.
lab_client_link() {
	lab_link "$LAB_NS_C" eth0 c brf &&
	ip -n "$LAB_NS_C" addr add $LAB_CLIENT/24 dev eth0
}

# The backends on the back bridge: default route via the LB's back address
# (two-arm DNAT replies; the router in the ECMP lab), the DSR VIP on lo
# answered through the switch.
lab_backends() {
	local i ns addr
	for i in 1 2; do
		ns=${LAB_P}b$i
		addr=10.1.0.1$i
		lab_link "$ns" eth0 b$i brb &&
		ip -n "$ns" addr add "$addr/24" dev eth0 &&
		ip -n "$ns" route add default via "${LAB_BE_GW:-$LAB_LB_BACK}" &&
		ip -n "$ns" addr add $LAB_VIP_DSR/32 dev lo &&
		lab_sysctl "$ns" net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 \
			net.ipv4.conf.eth0.arp_announce=2 &&
		ip -n "$ns" rule add from $LAB_VIP_DSR lookup 100 &&
		ip -n "$ns" route add default via 10.1.0.254 table 100 ||
			return 1
	done
}

lab_topology() {
	local ns
	for ns in $LAB_NS_SW $LAB_NS_C $LAB_NS_LB $LAB_NS_B1 $LAB_NS_B2; do
		lab_ns_add "$ns" || return 1
	done
	lab_switch && lab_client_link || return 1

	# LB node.
	lab_link "$LAB_NS_LB" eth0 lbf brf &&
	lab_link "$LAB_NS_LB" eth1 lbb brb &&
	ip -n "$LAB_NS_LB" addr add $LAB_LB_FRONT/24 dev eth0 &&
	ip -n "$LAB_NS_LB" addr add $LAB_VIP_DNAT/32 dev eth0 &&
	ip -n "$LAB_NS_LB" addr add $LAB_VIP_FULLNAT/32 dev eth0 &&
	ip -n "$LAB_NS_LB" addr add $LAB_VIP_DSR/32 dev eth0 &&
	ip -n "$LAB_NS_LB" addr add $LAB_LB_BACK/24 dev eth1 &&
	ip -n "$LAB_NS_LB" addr add $LAB_SNAT/32 dev eth1 &&
	lab_sysctl "$LAB_NS_LB" net.ipv4.ip_forward=1 || return 1

	lab_backends
}

# ---- batond -----------------------------------------------------------------

# lab_config_yaml K PIN SOCK: a node's baton.yaml up to its services: node
# K, both LB interfaces, conntrack (LAB_CT_MAX, LAB_GC_MS, the timeouts of
# lab_node_timeouts_yaml) and the cluster's hash seed.
lab_config_yaml() {
	cat <<EOF
# Generated by deploy/lab/lib.sh for lab '$LAB_P'. Format: deploy/baton.yaml.
node:
  id: $1
  pin_path: $2
  control_socket: $3
  keep_datapath: ${LAB_KEEP_DATAPATH:-false}
  log_level: ${LAB_LOG_LEVEL:-info}

interfaces:
  - name: eth0
    xdp: ${LAB_XDP:-native}
  - name: eth1
    xdp: ${LAB_XDP:-native}

conntrack:
  max_entries: ${LAB_CT_MAX:-65536}
  gc_interval_ms: ${LAB_GC_MS:-1000}
${LAB_PRESSURE_PCT:+  pressure_pct: $LAB_PRESSURE_PCT
}$(lab_node_timeouts_yaml "$1")
lb:
  hash_seed: 0x5eed

EOF
}

lab_write_config() {
	{
		lab_config_yaml 1 "$LAB_PIN" "$LAB_SOCK"
		lab_services_yaml
	} >"$LAB_CONFIG"
}

# lab_health_yaml TYPE [KEY: VALUE]...: a service's health section when
# LAB_HEALTH=1 (probes every LAB_HC_INTERVAL ms, default 500, rise 2,
# fall 2, on_down LAB_HC_ON_DOWN, default keep), else nothing.
lab_health_yaml() {
	[ "${LAB_HEALTH:-0}" = 1 ] || return 0
	local kv
	echo "    health:"
	echo "      type: $1"
	echo "      interval_ms: ${LAB_HC_INTERVAL:-500}"
	echo "      timeout_ms: $(( ${LAB_HC_INTERVAL:-500} * 3 / 5 ))"
	echo "      rise: 2"
	echo "      fall: 2"
	echo "      on_down: ${LAB_HC_ON_DOWN:-keep}"
	shift
	for kv in "$@"; do
		echo "      $kv"
	done
}

# The lab's services (the table in README.md), as a baton.yaml section.
# LAB_DNAT_BACKENDS: the TCP DNAT service's backends (default "1 2").
# LAB_HEALTH=1: with health checks (lab_health_yaml): TCP connect on the
# TCP services, a datagram on UDP, TCP 8080 for ICMP, HTTP GET / on 8081
# for fullNAT.
lab_services_yaml() {
	cat <<EOF
services:
  - vip: $LAB_VIP_DNAT
    port: 80
    protocol: tcp
    mode: dnat
    algorithm: maglev
$(lab_health_yaml tcp)
    backends:
$(for i in ${LAB_DNAT_BACKENDS:-1 2}; do
	echo "      - address: 10.1.0.1$i"
	echo "        port: 8080"
done)
  - vip: $LAB_VIP_DNAT
    port: 53
    protocol: udp
    mode: dnat
    algorithm: wrr
$(lab_health_yaml udp 'send: "health"' 'expect: "BATON "')
    backends:
      - address: $LAB_B1
        port: 5353
        weight: $LAB_WRR_W1
      - address: $LAB_B2
        port: 5353
        weight: $LAB_WRR_W2
  - vip: $LAB_VIP_DNAT
    protocol: icmp
    mode: dnat
    algorithm: maglev
$(lab_health_yaml tcp 'port: 8080')
    backends:
      - address: $LAB_B1
      - address: $LAB_B2
$(lab_fullnat_yaml)
  - vip: $LAB_VIP_DSR
    port: 80
    protocol: tcp
    mode: dsr
    algorithm: maglev
$(lab_health_yaml tcp)
    backends:
      - address: $LAB_B1
        port: 80
      - address: $LAB_B2
        port: 80
EOF
}

# The fullNAT service (none in the ECMP lab: config refuses it there).
lab_fullnat_yaml() {
	[ "${LAB_ECMP:-0}" = 1 ] && return 0
	cat <<EOF
  - vip: $LAB_VIP_FULLNAT
    port: 80
    protocol: tcp
    mode: fullnat
    snat: $LAB_SNAT
    algorithm: lc
$(lab_health_yaml http 'port: 8081' 'path: /')
    backends:
      - address: $LAB_B1
        port: 8080
      - address: $LAB_B2
        port: 8080
EOF
}

lab_batond_start() {
	[ -f "$LAB_CONFIG" ] || lab_write_config || return 1
	mkdir -p "$(dirname "$LAB_SOCK")"
	lab_keep_log "$LAB_STATE/batond.log"
	lab_spawn batond "$LAB_NS_LB" "$LAB_BATOND" -c "$LAB_CONFIG"
	local i
	for ((i = 0; i < 150; i++)); do
		lab_batond_ready >/dev/null 2>&1 && return 0
		# kill -0, not lab_pid_alive: until setsid and nsenter have
		# exec'd, the process is not batond yet, but it is no other.
		kill -0 "$(lab_pid_of batond)" 2>/dev/null || break
		sleep 0.1
	done
	if lab_pid_alive "$LAB_STATE/pids/batond"; then
		lab_err "batond did not become ready within 15 s; its log:"
	else
		lab_err "batond exited; its log:"
	fi
	tail -n 30 "$LAB_STATE/batond.log" >&2
	return 1
}

lab_batond_ready() {
	lab_pid_alive "$LAB_STATE/pids/batond" && [ -S "$LAB_SOCK" ] &&
		lab_ctl status
}

lab_batond_stop() {
	lab_kill batond 10
}

# ---- backends ---------------------------------------------------------------

# lab_servers_start [I...]: backend be1, be2 (default both): TCP 8080 and
# 80, UDP 5353, HTTP 8081 (health checks).
lab_servers_start() {
	local i ready
	for i in ${*:-1 2}; do
		ready=$LAB_STATE/be$i.ready
		rm -f "$ready"
		lab_spawn be$i "${LAB_P}b$i" "$LAB_TRAFFIC" server --id be$i \
			--tcp 8080 --tcp 80 --udp 5353 --http 8081 \
			--ready-file "$ready"
	done
	for i in ${*:-1 2}; do
		if ! lab_wait_for 10 test -s "$LAB_STATE/be$i.ready"; then
			lab_err "backend be$i did not start; its log:"
			tail -n 20 "$LAB_STATE/be$i.log" >&2
			return 1
		fi
	done
}

# lab_server_stop I: stop backend be I's servers (its host stays up).
lab_server_stop() {
	lab_kill "be$1" 5
}

# ---- up / down / status -----------------------------------------------------

# lab_check_prereqs [--no-batond]
lab_check_prereqs() {
	local f bins=("$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL")
	[ "${1:-}" = --no-batond ] && bins=("$LAB_TRAFFIC")
	if [ "${LAB_CLASSIC:-0}" = 1 ]; then
		bins=("$LAB_TRAFFIC" "$LAB_KEEPALIVED")
		bins+=("$(command -v conntrackd || echo /usr/sbin/conntrackd)")
		bins+=("$(command -v nft || echo /usr/sbin/nft)")
	elif [ "${LAB_HA:-0}" = 1 ]; then
		bins+=("$LAB_KACONF" "$LAB_KEEPALIVED")
	fi
	[ "${LAB_ECMP:-0}" = 1 ] && bins+=("$LAB_BIRDGEN" "$LAB_BIRD")
	if [ "$(id -u)" -ne 0 ]; then
		lab_err "must run as root"
		return 1
	fi
	for f in "${bins[@]}"; do
		if [ ! -x "$f" ]; then
			lab_err "$f is not built (run deploy/setup.sh)"
			return 1
		fi
	done
	for f in ip nsenter setsid sysctl ping; do
		if ! command -v "$f" >/dev/null; then
			lab_err "$f not installed (run deploy/setup.sh)"
			return 1
		fi
	done
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
		lab_err "/sys/fs/bpf is not a bpffs (run deploy/setup.sh)"
		return 1
	fi
}

# lab_up [--no-batond]: topology, backends, batond. On failure the caller
# runs lab_down (what was made so far is recorded).
lab_up() {
	local t0=$SECONDS ns
	if [ "$LAB_NODES" -ge 2 ]; then
		lab_multi_up "$@"
		return
	fi
	lab_check_prereqs "$@" || return 1
	for ns in $LAB_ALL_NS; do
		if [ -e "/run/netns/$ns" ]; then
			lab_err "namespace $ns exists: lab '$LAB_P' is up" \
				"(lab.sh down, or another BATON_LAB_PREFIX)"
			return 1
		fi
	done
	mkdir -p "$LAB_STATE/pids" || return 1
	lab_log "topology"
	lab_topology || { lab_err "topology failed"; return 1; }
	lab_log "backends"
	lab_servers_start || return 1
	lab_write_config || return 1
	if [ "${1:-}" != --no-batond ]; then
		lab_log "batond ($LAB_CONFIG)"
		lab_batond_start || return 1
	fi
	lab_log "up in $((SECONDS - t0)) s"
}

lab_down() {
	local f name ns
	if [ -d "$LAB_STATE/pids" ]; then
		# keepalived first (no VIP moves while nodes stop), then
		# batond: with keep_datapath false it detaches itself (with
		# true, the namespaces' removal below detaches it).
		for f in "$LAB_STATE"/pids/ka[0-9]; do
			[ -f "$f" ] && lab_kill "$(basename "$f")" 5
		done
		[ -f "$LAB_STATE/pids/batond" ] && lab_kill batond 10
		for f in "$LAB_STATE"/pids/lb[0-9]; do
			[ -f "$f" ] && lab_kill "$(basename "$f")" 10
		done
		for f in "$LAB_STATE"/pids/*; do
			[ -f "$f" ] || continue
			name=$(basename "$f")
			lab_kill "$name" 5
		done
	fi
	# Every namespace this lab recorded (also one an N-node lab made before
	# a failed up), then the ones it would have made.
	for ns in $(sort -u "$LAB_STATE/netns" 2>/dev/null) $LAB_ALL_NS; do
		[ -e "/run/netns/$ns" ] || continue
		# Our own processes that outlived their pid files.
		local pid
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			case $(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)") in
			batond | baton-traffic | ping | keepalived | bird | conntrackd)
				kill -KILL "$pid" 2>/dev/null ;;
			esac
		done
		ip netns del "$ns" 2>/dev/null || lab_err "could not delete $ns"
	done
	# Pinned maps and programs (only under this lab's own pin path).
	[ -d "$LAB_PIN" ] && rm -rf "$LAB_PIN"
	for f in "/sys/fs/bpf/baton-$LAB_P-"lb[0-9]; do
		[ -d "$f" ] && rm -rf "$f"
	done
	rm -rf "$LAB_STATE"
	return 0
}

lab_status() {
	local ns f up=0
	for ns in $LAB_ALL_NS; do
		if [ -e "/run/netns/$ns" ]; then
			echo "netns $ns: present"
			up=1
		else
			echo "netns $ns: absent"
		fi
	done
	for f in "$LAB_STATE"/pids/*; do
		[ -f "$f" ] || continue
		if lab_pid_alive "$f"; then
			echo "$(basename "$f"): running (pid $(lab_pid_of "$(basename "$f")"))"
		else
			echo "$(basename "$f"): DEAD"
		fi
	done
	[ -d "$LAB_PIN" ] && echo "pins: $LAB_PIN: $(ls "$LAB_PIN" | tr '\n' ' ')"
	if [ "$up" = 1 ] && [ "$LAB_NODES" -ge 2 ]; then
		lab_multi_status
	elif [ "$up" = 1 ] && [ -S "$LAB_SOCK" ]; then
		lab_ctl status
	fi
	[ "$up" = 1 ]
}

# ---- traffic ----------------------------------------------------------------

# ICMP echo counters of a namespace (they are per network namespace).
lab_icmp_in_echos() {
	ip netns exec "$1" awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++)
		if ($i == "InEchos") c = i; h = 1 } else print $c }' \
		/proc/net/snmp
}

# lab_ping_vip VIP COUNT: COUNT single-echo pings (each its own ICMP id, so
# each its own flow). Prints "sent answered_by_b1 answered_by_b2
# answered_by_lb" - the last must stay 0: the LB kernel owns the VIP and
# would answer itself if the datapath did not forward.
lab_ping_vip() {
	local vip=$1 n=$2 i ok=0 b1 b2 lb
	b1=$(lab_icmp_in_echos "$LAB_NS_B1")
	b2=$(lab_icmp_in_echos "$LAB_NS_B2")
	lb=$(lab_icmp_in_echos "$LAB_NS_LB")
	for ((i = 0; i < n; i++)); do
		lab_ns "$LAB_NS_C" ping -q -n -c 1 -W 1 "$vip" >/dev/null 2>&1 &&
			ok=$((ok + 1))
	done
	echo "$ok $(($(lab_icmp_in_echos "$LAB_NS_B1") - b1))" \
		"$(($(lab_icmp_in_echos "$LAB_NS_B2") - b2))" \
		"$(($(lab_icmp_in_echos "$LAB_NS_LB") - lb))"
}

# The standard traffic mix, one JSON line per service on stdout.
# LAB_CONNS (default 300) connections/exchanges per service.
lab_traffic() {
	local n=${LAB_CONNS:-300} rc=0
	lab_client --tcp $LAB_VIP_DNAT:80 --conns "$n" --parallel 20 \
		--bytes 4096 || rc=1
	[ "${LAB_ECMP:-0}" = 1 ] ||
		lab_client --tcp $LAB_VIP_FULLNAT:80 --conns "$n" \
			--parallel 20 --bytes 4096 || rc=1
	lab_client --tcp $LAB_VIP_DSR:80 --conns "$n" --parallel 20 \
		--bytes 4096 || rc=1
	lab_client --udp $LAB_VIP_DNAT:53 --count "$n" --parallel 20 || rc=1
	return $rc
}

# ---- N-node lab ---------------------------------------------------------------
#
# LAB_NODES=N (2..4) before lab_init (lab.sh up --nodes N): the same client,
# switch and backends, and N LB nodes P lb1..P lbN, each running its own
# batond (node.id K) with conntrack sync to all the others (full mesh):
#
#   PlbK  eth0 10.0.0.(10+K)/24 -> brf      eth1 10.1.0.(20+K)/24 -> brb
#         eth2 10.2.0.K/24      -> brs (the sync network; Psw: 10.2.0.254)
#         batond on eth0 and eth1; pins /sys/fs/bpf/baton-P-lbK, control
#         socket $LAB_STATE/lbK.sock, config $LAB_STATE/lbK.yaml, log
#         $LAB_STATE/lbK.log, sync on tcp:// (or tls+tcp://) 10.2.0.K:7400.
#
# What floats is held by the active node only (lab_activate K moves it):
# the VIPs 10.0.0.100-102/32 (eth0), the backends' gateway 10.1.0.1/32 and
# the fullNAT source 10.1.0.10/32 (eth1). The client reaches the VIPs and
# the backends their gateway through ARP, so moving them is: delete on the
# old node, add on the new one, gratuitous ARP from it (arping -U), and -
# the lab's stand-in for caches that would otherwise time out - flush those
# neighbours in c, b1, b2 and sw.
#
# Knobs (set before lab_up): LAB_SYNC=0 no sync section on any node (the
# control run); LAB_TLS=1 tls+tcp:// with certificates from deploy/pki/gen.sh
# in $LAB_STATE/pki; per node K: LAB_NODE_SYNC[K]=off (no sync section on
# that node), LAB_NODE_CERT[K]=node|rogue|none (its certificate: the lab
# CA's, the rogue CA's, or none at all: plain tcp:// to everyone);
# LAB_CT_MAX (ct_v4_map size, default 65536), LAB_GC_MS (conntrack
# gc_interval_ms, default 1000), LAB_PRESSURE_PCT (conntrack pressure_pct,
# written only if set), LAB_CT_TIMEOUTS and per node
# LAB_NODE_CT_TIMEOUTS[K] ("tcp_time_wait: 4, tcp_closed: 2"),
# LAB_SYNC_BATCH_MS, LAB_SYNC_REFRESH_S, LAB_SYNC_QUEUE (sync: keys, written
# only if set). lab_node_write_config K rewrites a node's config from them
# (e.g. to restart it with sync off).

LAB_SYNC_PORT=7400
declare -a LAB_NODE_SYNC LAB_NODE_CERT LAB_NODE_CT_TIMEOUTS 2>/dev/null

lab_multi_init() {
	local k
	LAB_NS_LB=${LAB_P}lb1
	LAB_ALL_NS="$LAB_NS_C"
	for ((k = 1; k <= LAB_NODES; k++)); do
		LAB_ALL_NS+=" ${LAB_P}lb$k"
	done
	LAB_ALL_NS+=" $LAB_NS_B1 $LAB_NS_B2 $LAB_NS_SW"
	LAB_PKI=$LAB_STATE/pki
	LAB_ACTIVE=1
	[ -s "$LAB_STATE/active" ] && read -r LAB_ACTIVE <"$LAB_STATE/active"
	LAB_NS_LB=${LAB_P}lb$LAB_ACTIVE
	# lab_ctl, lab_batond_* and LAB_PIN name the active node's batond.
	LAB_SOCK=$(lab_node_sock "$LAB_ACTIVE")
	LAB_CONFIG=$(lab_node_config "$LAB_ACTIVE")
	LAB_PIN=$(lab_node_pin "$LAB_ACTIVE")
}

lab_node_ns() { echo "${LAB_P}lb$1"; }
lab_node_sock() { echo "$LAB_STATE/lb$1.sock"; }
lab_node_config() { echo "$LAB_STATE/lb$1.yaml"; }
lab_node_pin() { echo "/sys/fs/bpf/baton-$LAB_P-lb$1"; }
lab_node_log() { echo "$LAB_STATE/lb$1.log"; }
lab_node_front() { echo "10.0.0.$((10 + $1))"; }
lab_node_back() { echo "10.1.0.$((20 + $1))"; }
lab_node_sync() { echo "10.2.0.$1"; }

lab_node_ctl() {		# lab_node_ctl K ARGS...: batonctl against lbK
	local k=$1
	shift
	"$LAB_BATONCTL" -s "$(lab_node_sock "$k")" "$@"
}

# The URL node `from` dials node `to` at: with TLS, tls+tcp:// for every
# node that has a certificate - a node without one cannot speak TLS and
# uses tcp:// for everyone, and the others still expect TLS from it.
lab_node_url() {
	local from=$1 to=$2 scheme=tcp
	if [ "${LAB_TLS:-0}" = 1 ] &&
		[ "${LAB_NODE_CERT[$from]:-node}" != none ]; then
		scheme=tls+tcp
	fi
	echo "$scheme://$(lab_node_sync "$to"):$LAB_SYNC_PORT"
}

# The sync: section of node K (nothing if sync is off for it).
lab_node_sync_yaml() {
	local k=$1 j cert=${LAB_NODE_CERT[$1]:-node} dir=$LAB_PKI self
	[ "${LAB_SYNC:-1}" = 1 ] || return 0
	[ "${LAB_NODE_SYNC[$k]:-on}" = off ] && return 0
	# Our own URL as the others dial it: TLS unless we have no cert.
	self=tcp
	[ "${LAB_TLS:-0}" = 1 ] && [ "$cert" != none ] && self=tls+tcp
	echo "sync:"
	echo "  listen: $self://$(lab_node_sync "$k"):$LAB_SYNC_PORT"
	echo "  peers:"
	for ((j = 1; j <= LAB_NODES; j++)); do
		[ "$j" = "$k" ] && continue
		echo "    - id: $j"
		echo "      address: $(lab_node_url "$k" "$j")"
	done
	if [ "${LAB_TLS:-0}" = 1 ] && [ "$cert" != none ]; then
		[ "$cert" = rogue ] && dir=$LAB_PKI/rogue
		echo "  tls:"
		echo "    cert: $dir/node$k.pem"
		echo "    key: $dir/node$k.key"
		# A rogue node trusts the real CA: it would take the cluster's
		# flows if the cluster accepted it, and its own certificate
		# is all that keeps it out.
		echo "    ca: $LAB_PKI/ca.pem"
	fi
	[ -n "${LAB_SYNC_BATCH_MS:-}" ] && echo "  batch_ms: $LAB_SYNC_BATCH_MS"
	[ -n "${LAB_SYNC_REFRESH_S:-}" ] &&
		echo "  refresh_s: $LAB_SYNC_REFRESH_S"
	[ -n "${LAB_SYNC_QUEUE:-}" ] && echo "  queue: $LAB_SYNC_QUEUE"
	echo
}

# conntrack.timeouts of node K from LAB_NODE_CT_TIMEOUTS[K], else
# LAB_CT_TIMEOUTS: "key: value, key: value" (keys as in deploy/baton.yaml).
lab_node_timeouts_yaml() {
	local t=${LAB_NODE_CT_TIMEOUTS[$1]:-${LAB_CT_TIMEOUTS:-}} kv
	[ -n "$t" ] || return 0
	echo "  timeouts:"
	IFS=, read -ra kv <<<"$t"
	for t in "${kv[@]}"; do
		echo "    $(echo "$t" | sed 's/^ *//; s/ *$//')"
	done
}

lab_node_write_config() {	# lab_node_write_config K
	local k=$1
	{
		lab_config_yaml "$k" "$(lab_node_pin "$k")" \
			"$(lab_node_sock "$k")"
		lab_node_sync_yaml "$k"
		lab_node_ha_yaml "$k"
		lab_node_ecmp_yaml "$k"
		lab_services_yaml
	} >"$(lab_node_config "$k")"
}

# lab_node_reload K: rewrite lbK's config (from the LAB_* knobs as they
# are now, e.g. LAB_DNAT_BACKENDS) and have its batond reload it (SIGHUP);
# wait until it counts the reload (5 s).
lab_node_reload() {
	local k=$1 before i
	before=$(lab_node_ctl "$k" --json status | jq '.reloads.ok') &&
	lab_node_write_config "$k" &&
	kill -HUP "$(lab_pid_of "lb$k")" || return 1
	for ((i = 0; i < 50; i++)); do
		[ "$(lab_node_ctl "$k" --json status | jq '.reloads.ok')" -gt \
			"$before" ] 2>/dev/null && return 0
		sleep 0.1
	done
	lab_err "lb$k: the reload was not taken; its log:"
	tail -n 5 "$(lab_node_log "$k")" >&2
	return 1
}

lab_node_ready() {
	lab_pid_alive "$LAB_STATE/pids/lb$1" && [ -S "$(lab_node_sock "$1")" ] &&
		lab_node_ctl "$1" status
}

# lab_node_start K [ARGS...]: start lbK's batond (config written if
# missing), wait until it answers (15 s).
lab_node_start() {
	local k=$1 i
	shift
	[ -f "$(lab_node_config "$k")" ] || lab_node_write_config "$k" ||
		return 1
	lab_keep_log "$(lab_node_log "$k")"
	lab_spawn "lb$k" "$(lab_node_ns "$k")" "$LAB_BATOND" \
		-c "$(lab_node_config "$k")" "$@"
	for ((i = 0; i < 150; i++)); do
		lab_node_ready "$k" >/dev/null 2>&1 && return 0
		kill -0 "$(lab_pid_of "lb$k")" 2>/dev/null || break
		sleep 0.1
	done
	if lab_pid_alive "$LAB_STATE/pids/lb$k"; then
		lab_err "lb$k: batond did not become ready within 15 s; its log:"
	else
		lab_err "lb$k: batond exited; its log:"
	fi
	tail -n 30 "$(lab_node_log "$k")" >&2
	return 1
}

# lab_node_stop K [SIG]: stop lbK's batond (SIGTERM: with keep_datapath
# false, the lab's default, it detaches and its maps go), or send SIG
# (e.g. KILL) and wait.
lab_node_stop() {
	local k=$1 sig=${2:-TERM} f pid i
	f=$LAB_STATE/pids/lb$k
	if [ "$sig" = TERM ]; then
		lab_kill "lb$k" 10
		return
	fi
	if lab_pid_alive "$f"; then
		pid=$(lab_pid_of "lb$k")
		kill -"$sig" "$pid" 2>/dev/null
		for ((i = 0; i < 100; i++)); do
			lab_pid_alive "$f" || break
			sleep 0.1
		done
	fi
	lab_kill "lb$k" 5
}

lab_multi_topology() {
	local ns k
	for ns in $LAB_ALL_NS; do
		lab_ns_add "$ns" || return 1
	done

	# Switch/router with a third bridge for the sync network.
	lab_switch brs:10.2.0.254 && lab_client_link || return 1

	for ((k = 1; k <= LAB_NODES; k++)); do
		ns=$(lab_node_ns "$k")
		lab_link "$ns" eth0 lb${k}f brf &&
		lab_link "$ns" eth1 lb${k}b brb &&
		lab_link "$ns" eth2 lb${k}s brs &&
		ip -n "$ns" addr add "$(lab_node_front "$k")/24" dev eth0 &&
		ip -n "$ns" addr add "$(lab_node_back "$k")/24" dev eth1 &&
		ip -n "$ns" addr add "$(lab_node_sync "$k")/24" dev eth2 &&
		lab_sysctl "$ns" net.ipv4.ip_forward=1 || return 1
		# Every node answers ARP only on the link of the address
		# asked for, so only the active node answers for a VIP.
		lab_sysctl "$ns" net.ipv4.conf.all.arp_ignore=1 \
			net.ipv4.conf.all.arp_announce=2 || return 1
	done

	lab_backends
}

# The addresses that float with the active node: "IFACE ADDRESS" lines.
lab_floating() {
	echo "eth0 $LAB_VIP_DNAT"
	echo "eth0 $LAB_VIP_FULLNAT"
	echo "eth0 $LAB_VIP_DSR"
	echo "eth1 $LAB_LB_BACK"
	echo "eth1 $LAB_SNAT"
}

# lab_activate K: make lbK the node the client and the backends send to.
# Idempotent; also valid while the previous node is down (its namespace
# may have its links down or be gone).
lab_activate() {
	local k=$1 j ns ifn addr
	if ! [[ $k =~ ^[1-9]$ ]] || [ "$k" -gt "$LAB_NODES" ]; then
		lab_err "lab_activate: node '$k' is not one of 1..$LAB_NODES"
		return 1
	fi
	for ((j = 1; j <= LAB_NODES; j++)); do
		[ "$j" = "$k" ] && continue
		ns=$(lab_node_ns "$j")
		[ -e "/run/netns/$ns" ] || continue
		while read -r ifn addr; do
			ip -n "$ns" addr del "$addr/32" dev "$ifn" 2>/dev/null
		done < <(lab_floating)
	done
	ns=$(lab_node_ns "$k")
	while read -r ifn addr; do
		ip -n "$ns" addr replace "$addr/32" dev "$ifn" || return 1
	done < <(lab_floating)
	# Gratuitous ARP for every floating address, in the background (each
	# arping lingers a second after it sent), then the flush, which makes
	# the lab independent of the GARPs' timing.
	local garp=()
	if command -v arping >/dev/null; then
		while read -r ifn addr; do
			ip netns exec "$ns" arping -q -U -c 1 -I "$ifn" "$addr" \
				>/dev/null 2>&1 &
			garp+=($!)
		done < <(lab_floating)
	fi
	for j in "$LAB_NS_C" "$LAB_NS_B1" "$LAB_NS_B2" "$LAB_NS_SW"; do
		while read -r ifn addr; do
			ip -n "$j" neigh flush to "$addr" 2>/dev/null
		done < <(lab_floating)
	done
	[ ${#garp[@]} -gt 0 ] && wait "${garp[@]}"
	LAB_ACTIVE=$k
	LAB_NS_LB=$ns
	LAB_SOCK=$(lab_node_sock "$k")
	LAB_CONFIG=$(lab_node_config "$k")
	LAB_PIN=$(lab_node_pin "$k")
	echo "$k" >"$LAB_STATE/active"
}

# lab_copy_check A B: is lbB's table an exact copy of lbA's own flows
# (tests/tools/ct-compare)? 0 yes, 1 no, 2 could not tell; ct-compare's
# output in LAB_COPY_OUT. A is read before and after B, and B passes
# against either read: a flow A opened or closed while B was read is no
# difference.
lab_copy_check() {
	local a=$1 b=$2 dir rc cmpr=$LAB_REPO/tests/tools/ct-compare
	dir=$(mktemp -d /tmp/lab-copy.XXXXXX) || return 2
	lab_node_ctl "$a" --json ct list >"$dir/a1.json" 2>&1 &
	lab_node_ctl "$b" --json ct list >"$dir/b.json" 2>&1
	wait $!
	lab_node_ctl "$a" --json ct list >"$dir/a2.json" 2>&1
	LAB_COPY_OUT=$("$cmpr" --owner "$a" "$dir/a2.json" "$dir/b.json" 2>&1)
	rc=$?
	if [ "$rc" = 1 ] && ! cmp -s "$dir/a1.json" "$dir/a2.json" &&
		"$cmpr" --owner "$a" "$dir/a1.json" "$dir/b.json" \
			>/dev/null 2>&1; then
		LAB_COPY_OUT=$("$cmpr" --owner "$a" "$dir/a1.json" \
			"$dir/b.json" 2>&1)
		rc=0
	fi
	rm -rf "$dir"
	return $rc
}

# lab_loss K PERCENT: drop PERCENT % of lbK's sync traffic (eth2), both
# directions, with nftables (no netem: no kernel modules needed); 100 is
# a partition; lab_loss K 0 removes it.
lab_loss() {
	local ns sel=
	ns=$(lab_node_ns "$1")
	ip netns exec "$ns" nft delete table inet baton_lab_loss 2>/dev/null
	[ "$2" -gt 0 ] || return 0
	[ "$2" -lt 100 ] && sel="numgen random mod 100 < $2"
	ip netns exec "$ns" nft -f - <<EOF
table inet baton_lab_loss {
	chain in {
		type filter hook input priority 0; policy accept;
		iifname "eth2" $sel counter drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "eth2" $sel counter drop
	}
}
EOF
}

# lab_vrrp_cut K 1|0: lbK hears no VRRP advert and sends none (nftables,
# on every link), or again; its sync link is lab_loss's. Cut together,
# the pair is split in two while the clients and backends still reach
# both nodes: each thinks the other dead and becomes master.
lab_vrrp_cut() {
	local ns
	ns=$(lab_node_ns "$1")
	ip netns exec "$ns" nft delete table inet baton_lab_vrrp 2>/dev/null
	[ "$2" = 1 ] || return 0
	ip netns exec "$ns" nft -f - <<EOF2
table inet baton_lab_vrrp {
	chain in {
		type filter hook input priority 0; policy accept;
		ip protocol vrrp counter drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		ip protocol vrrp counter drop
	}
}
EOF2
}

# lab_neigh_age: the client and the backends forget every neighbour they
# learnt (as when ARP entries age out): the next packet to a floating
# address goes to whoever answers for it now.
lab_neigh_age() {
	local ns
	for ns in "$LAB_NS_C" "$LAB_NS_B1" "$LAB_NS_B2"; do
		ip -n "$ns" neigh flush dev eth0 || return 1
	done
}

# lab_loss_dropped K: packets lab_loss dropped so far on lbK (in + out).
lab_loss_dropped() {
	ip netns exec "$(lab_node_ns "$1")" nft -j list table inet \
		baton_lab_loss 2>/dev/null | jq '[.nftables[] |
		.rule?.expr[]? | .counter?.packets? // empty] | add // 0'
}

lab_multi_up() {
	local t0=$SECONDS ns k
	lab_check_prereqs "$@" || return 1
	for ns in $LAB_ALL_NS; do
		if [ -e "/run/netns/$ns" ]; then
			lab_err "namespace $ns exists: lab '$LAB_P' is up" \
				"(lab.sh down, or another BATON_LAB_PREFIX)"
			return 1
		fi
	done
	mkdir -p "$LAB_STATE/pids" || return 1
	echo "$LAB_NODES" >"$LAB_STATE/nodes"
	[ "${LAB_HA:-0}" = 1 ] && : >"$LAB_STATE/ha"
	[ "${LAB_ECMP:-0}" = 1 ] && echo "$LAB_SPARE" >"$LAB_STATE/ecmp"
	# Remembered: a config rewritten later (lab_node_reload) keeps it.
	[ "${LAB_SYNC:-1}" = 0 ] && : >"$LAB_STATE/nosync"
	[ "${LAB_CLASSIC:-0}" = 1 ] && : >"$LAB_STATE/classic"
	lab_log "topology ($LAB_NODES LB nodes)"
	lab_multi_topology || { lab_err "topology failed"; return 1; }
	if [ "${LAB_ECMP:-0}" = 1 ]; then
		lab_ecmp_topology || { lab_err "ECMP topology failed"; return 1; }
	# With keepalived (LAB_HA) it moves the floating addresses.
	elif [ "${LAB_HA:-0}" != 1 ]; then
		lab_activate 1 || return 1
	fi
	if [ "${LAB_TLS:-0}" = 1 ]; then
		lab_log "certificates ($LAB_PKI)"
		"$LAB_REPO/deploy/pki/gen.sh" -n "$LAB_NODES" "$LAB_PKI" \
			>"$LAB_STATE/pki.log" 2>&1 || {
			lab_err "deploy/pki/gen.sh failed:"
			tail -n 20 "$LAB_STATE/pki.log" >&2
			return 1
		}
	fi
	lab_log "backends"
	lab_servers_start || return 1
	for ((k = 1; k <= LAB_NODES; k++)); do
		lab_node_write_config "$k" || return 1
	done
	if [ "${LAB_CLASSIC:-0}" = 1 ]; then
		lab_log "nftables, conntrackd and keepalived on lb1..lb$LAB_NODES"
		lab_classic_up || return 1
	elif [ "${1:-}" != --no-batond ] && [ "${LAB_ECMP:-0}" = 1 ]; then
		lab_ecmp_up || return 1
	elif [ "${1:-}" != --no-batond ]; then
		for ((k = 1; k <= LAB_NODES; k++)); do
			lab_log "lb$k: batond ($(lab_node_config "$k"))"
			lab_node_start "$k" || return 1
		done
		if [ "${LAB_HA:-0}" = 1 ]; then
			lab_log "keepalived on lb1..lb$LAB_NODES"
			lab_ha_up || return 1
		fi
	fi
	lab_log "up in $((SECONDS - t0)) s; active node lb$LAB_ACTIVE"
}

lab_multi_status() {
	local k
	if [ "${LAB_ECMP:-0}" = 1 ]; then
		echo "router: $LAB_VIP_DNAT via" $(lab_ecmp_paths $LAB_VIP_DNAT)
		echo "router: $LAB_ECMP_CLIENTS (table $LAB_ECMP_TABLE) via" \
			$(lab_ecmp_paths $LAB_ECMP_CLIENTS $LAB_ECMP_TABLE)
	else
		echo "active node: lb$LAB_ACTIVE"
	fi
	for ((k = 1; k <= LAB_NODES; k++)); do
		echo "-- lb$k ($(lab_node_sock "$k"))"
		[ -S "$(lab_node_sock "$k")" ] || { echo "no batond"; continue; }
		lab_node_ctl "$k" status
		lab_node_ctl "$k" sync status 2>/dev/null
	done
}

# ---- HA lab: keepalived on every LB node -------------------------------------
#
# LAB_HA=1 with LAB_NODES >= 2 (lab.sh up --nodes 2 --ha): nothing floats by
# hand. Every node's baton.yaml gets an ha: section (notify FIFO and track
# file in $LAB_STATE, following the vrrp_sync_group "baton_lab", the VRRP
# parameters of the node: priority 150 for lb1, then 100, 90, ...; adverts
# every LAB_ADVERT_MS, default 100), keepalived.conf is generated from it by
# ha/baton-keepalived, and each node runs its own keepalived (VRRPv3,
# multicast on the front and back bridges): the front instance carries the
# VIPs, the back instance the backends' gateway and the fullNAT source.
# keepalived moves them and announces them by gratuitous ARP; batond tells
# it through the track file whether the node may be master. resume_master:
# a batond restarted (or killed and restarted) on the serving master keeps
# it master, its datapath having forwarded all along. ha.nudge is on unless
# LAB_NUDGE=0; ha.split_brain is LAB_SPLIT_BRAIN (takeover).
#
# lab_power_off K / lab_power_on K: all of lbK's links down / up, every
# process left running - to the rest of the lab that is a node losing
# power (and coming back with its memory intact, which is the harder case
# for failback: it still holds an old copy of the flows).

LAB_HA_GROUP=baton_lab
LAB_VRID_FRONT=51
LAB_VRID_BACK=52

lab_node_priority() {
	[ "$1" = 1 ] && echo 150 || echo $((120 - 10 * $1))
}

lab_node_fifo() { echo "$LAB_STATE/lb$1.fifo"; }
lab_node_track() { echo "$LAB_STATE/lb$1.track"; }
lab_node_kaconf() { echo "$LAB_STATE/lb$1.keepalived.conf"; }

# The ha: section of node K (nothing unless LAB_HA=1).
lab_node_ha_yaml() {
	local k=$1
	[ "${LAB_HA:-0}" = 1 ] || return 0
	cat <<EOF
ha:
  notify_fifo: $(lab_node_fifo "$k")
  track_file: $(lab_node_track "$k")
  follow: $LAB_HA_GROUP
  follow_type: group
  grace_ms: ${LAB_HA_GRACE_MS:-10000}
  resume_master: true
  split_brain: ${LAB_SPLIT_BRAIN:-takeover}
  nudge: $([ "${LAB_NUDGE:-1}" = 0 ] && echo false || echo true)
  vrrp:
    priority: $(lab_node_priority "$k")
    advert_ms: ${LAB_ADVERT_MS:-100}
    front:
      interface: eth0
      vrid: $LAB_VRID_FRONT
    back:
      interface: eth1
      vrid: $LAB_VRID_BACK
      addresses: [$LAB_LB_BACK/32]

EOF
}

lab_ka_write_config() {		# lab_ka_write_config K
	local k=$1 out
	out=$(lab_node_kaconf "$k")
	if ! "$LAB_KACONF" -c "$(lab_node_config "$k")" -o "$out" \
		>"$LAB_STATE/lb$k.kaconf.log" 2>&1; then
		lab_err "lb$k: baton-keepalived failed:"
		cat "$LAB_STATE/lb$k.kaconf.log" >&2
		return 1
	fi
}

# lab_ka_start K: keepalived for lbK (VRRP only, not forking, pid files
# and log in $LAB_STATE).
lab_ka_start() {
	local k=$1
	[ -f "$(lab_node_kaconf "$k")" ] || lab_ka_write_config "$k" ||
		return 1
	lab_spawn "ka$k" "$(lab_node_ns "$k")" "$LAB_KEEPALIVED" \
		--dont-fork --log-console --log-detail --vrrp --no-syslog \
		--use-file "$(lab_node_kaconf "$k")" \
		--pid "$LAB_STATE/ka$k.pid" --vrrp_pid "$LAB_STATE/ka$k.vrrp.pid" \
		--config-id "lb$k"
}

lab_ka_stop() {
	lab_kill "ka$1" 5
}

# lab_ha_role K: lbK's role as batond has it from keepalived (MASTER, ...);
# in the classic lab as its notify script last stamped it.
lab_ha_role() {
	local r
	if [ "${LAB_CLASSIC:-0}" = 1 ]; then
		{ read -r r _ <"$(lab_ctd_state "$1")"; } 2>/dev/null
		echo "${r:-UNKNOWN}"
		return
	fi
	lab_node_ctl "$1" --json ha status 2>/dev/null |
		jq -r '.keepalived_state // "UNKNOWN"'
}

# lab_ha_wait K STATE SECONDS: until batond on lbK reports STATE.
lab_ha_wait() {
	local k=$1 want=$2 t=$3 i
	for ((i = 0; i < t * 20; i++)); do
		[ "$(lab_ha_role "$k")" = "$want" ] && return 0
		sleep 0.05
	done
	return 1
}

# The node holding the front VIP (the VRRP master), or nothing.
lab_ha_master() {
	local k
	for ((k = 1; k <= LAB_NODES; k++)); do
		ip -n "$(lab_node_ns "$k")" -4 -o addr show dev eth0 2>/dev/null |
			grep -q " $LAB_VIP_DNAT/32 " && { echo "$k"; return 0; }
	done
	return 1
}

# After a role change: lab_ctl & co. name the master's batond.
lab_ha_follow_master() {
	local k
	k=$(lab_ha_master) || return 1
	LAB_ACTIVE=$k
	LAB_NS_LB=$(lab_node_ns "$k")
	LAB_SOCK=$(lab_node_sock "$k")
	LAB_CONFIG=$(lab_node_config "$k")
	LAB_PIN=$(lab_node_pin "$k")
	echo "$k" >"$LAB_STATE/active"
}

# lab_power_off K (all of lbK's links down) and lab_power_on K (up). A
# downed veth drops what is queued on it: nothing lbK sends after the
# cut arrives anywhere.
lab_node_links() {		# lab_node_links K up|down
	local ns ifn
	ns=$(lab_node_ns "$1")
	for ifn in eth0 eth1 eth2; do
		ip -n "$ns" link set "$ifn" "$2" || return 1
	done
}

lab_power_off() { lab_node_links "$1" down; }
lab_power_on() { lab_node_links "$1" up; }

# lab_ha_up: keepalived on every node, then wait for lb1 to be master and
# every other node backup.
lab_ha_up() {
	local k
	for ((k = 1; k <= LAB_NODES; k++)); do
		lab_ka_write_config "$k" && lab_ka_start "$k" || return 1
	done
	lab_ha_settle
}

# lab_ha_settle: lb1 master and every other node backup, the VIPs on lb1.
lab_ha_settle() {
	local k
	if ! lab_ha_wait 1 MASTER 20; then
		lab_err "lb1 did not become VRRP master within 20 s"
		for ((k = 1; k <= LAB_NODES; k++)); do
			lab_err "lb$k: $(lab_ha_role "$k"); keepalived log:"
			tail -n 15 "$LAB_STATE/ka$k.log" >&2
		done
		return 1
	fi
	for ((k = 2; k <= LAB_NODES; k++)); do
		lab_ha_wait "$k" BACKUP 10 || {
			lab_err "lb$k: not BACKUP: $(lab_ha_role "$k")"
			return 1
		}
	done
	# The group's MASTER line can come before the front instance has
	# set its addresses: wait for the VIPs themselves.
	for ((k = 0; k < 100; k++)); do
		lab_ha_follow_master && return 0
		sleep 0.05
	done
	lab_err "no node holds the VIPs although lb1 is MASTER"
	return 1
}

# ---- classic lab: keepalived + nftables DNAT + conntrackd --------------------
#
# LAB_CLASSIC=1 with LAB_HA=1 and LAB_NODES=2 (lab.sh up --nodes 2 --ha
# --classic): the stack Baton is compared with, on the same topology and
# the same VRRP timing. No batond; each node has
#   - nftables DNAT with the kernel's conntrack (lab_classic_nft): the DNAT
#     VIP's TCP 80 and UDP 53 (the WRR weights as a numgen map) and the
#     fullNAT VIP (DNAT, then SNAT to the floating fullNAT source); no DSR
#     (nftables has no stateful direct-return path; a stateless hash would
#     survive any failover by construction, so it would compare nothing);
#   - conntrackd, FT-FW over UDP on the sync link (lab_ctd_conf), TCP and
#     UDP flows; LAB_CTD_EXTERNAL=0 disables the external cache: the peer's
#     flows go straight into the standby's kernel table instead of waiting
#     for a commit;
#   - keepalived with the same VRRP instances, priorities and adverts as
#     the Baton HA lab, in one sync group whose notify scripts are
#     conntrack-tools' Primary-Backup procedure (conntrackd-notify.sh);
#     they stamp the node's role in lab_ctd_state K, which lab_ha_role
#     reads in this lab.
# The kernel's conntrack settings stay Debian's defaults (tcp_loose 1: a
# node picks up a mid-stream TCP packet as a new flow, and NATs it anew).

lab_ctd_state() { echo "$LAB_STATE/lb$1.role"; }
lab_ctd_confpath() { echo "$LAB_STATE/conntrackd$1.conf"; }

lab_ctd() {			# lab_ctd K ARGS...: conntrackd client of lbK
	local k=$1
	shift
	ip netns exec "$(lab_node_ns "$k")" conntrackd -C \
		"$(lab_ctd_confpath "$k")" "$@"
}

# lab_ctd_cache K internal|external: entries in lbK's conntrackd cache.
lab_ctd_cache() {
	lab_ctd "$1" -s cache 2>/dev/null |
		awk -v c="cache:$2" '$1 == c && /active objects/ { print $NF; exit }'
}

# lab_ctd_conf K [FLOWS]: conntrackd.conf of lbK: FT-FW over UDP on eth2 to
# the other node of the pair, TCP and UDP flows except the node's own
# (Address Ignore matches a flow's original and reply source: the node's
# addresses, not the client's or the backends'), sized for FLOWS (default
# 65536), external cache unless LAB_CTD_EXTERNAL=0.
lab_ctd_conf() {
	local k=$1 o=$((3 - $1)) flows=${2:-65536}
	cat <<EOF
# Generated by deploy/lab/lib.sh for lab '$LAB_P': lb$k of the classic pair.
Sync {
	Mode FTFW {
		ResendQueueSize $((flows > 131072 ? flows * 2 : 262144))
$([ "${LAB_CTD_EXTERNAL:-1}" = 0 ] && printf '\t\tDisableExternalCache on')
	}
	UDP {
		IPv4_address $(lab_node_sync "$k")
		IPv4_Destination_Address $(lab_node_sync "$o")
		Port 3780
		Interface eth2
		SndSocketBuffer 8388608
		RcvSocketBuffer 8388608
		Checksum on
	}
}
General {
	HashSize $((flows * 2))
	HashLimit $((flows * 4))
	LogFile $LAB_STATE/conntrackd$k.log
	Syslog off
	LockFile $LAB_STATE/conntrackd$k.lock
	UNIX {
		Path $LAB_STATE/conntrackd$k.ctl
	}
	NetlinkBufferSize 8388608
	NetlinkBufferSizeMaxGrowth 67108864
	Filter From Userspace {
		Protocol Accept {
			TCP
			UDP
		}
		Address Ignore {
			IPv4_address 127.0.0.1
			IPv4_address $(lab_node_front "$k")
			IPv4_address $(lab_node_back "$k")
			IPv4_address $(lab_node_sync "$k")
		}
	}
}
EOF
}

# lab_ctd_start K [FLOWS]: lbK's conntrackd (config written), answering
# within 10 s.
lab_ctd_start() {
	local k=$1
	lab_ctd_conf "$k" "${2:-}" >"$(lab_ctd_confpath "$k")" || return 1
	lab_spawn "ctd$k" "$(lab_node_ns "$k")" conntrackd \
		-C "$(lab_ctd_confpath "$k")"
	lab_wait_for 10 lab_ctd "$k" -s || {
		lab_err "lb$k: conntrackd does not answer; its log:"
		tail -n 10 "$LAB_STATE/ctd$k.log" "$LAB_STATE/conntrackd$k.log" \
			>&2 2>/dev/null
		return 1
	}
}

lab_ctd_stop() { lab_kill "ctd$1" 5; }

# lab_nft_range A B: "A-B", or "A" when they are equal.
lab_nft_range() { if [ "$1" = "$2" ]; then echo "$1"; else echo "$1-$2"; fi; }

# The lab's services as nftables rules (the same VIPs, ports and weights
# as lab_services_yaml; backends picked round robin).
lab_classic_nft() {
	local w=$((LAB_WRR_W1 + LAB_WRR_W2))
	cat <<EOF
table ip baton_classic {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr $LAB_VIP_DNAT tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : $LAB_B1 . 8080, 1 : $LAB_B2 . 8080 }
		ip daddr $LAB_VIP_DNAT udp dport 53 dnat ip to numgen inc mod $w map { $(lab_nft_range 0 $((LAB_WRR_W1 - 1))) : $LAB_B1 . 5353, $(lab_nft_range $LAB_WRR_W1 $((w - 1))) : $LAB_B2 . 5353 }
		ip daddr $LAB_VIP_FULLNAT tcp dport 80 dnat ip to numgen inc mod 2 map { 0 : $LAB_B1 . 8080, 1 : $LAB_B2 . 8080 }
	}
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		ct original ip daddr $LAB_VIP_FULLNAT snat ip to $LAB_SNAT
	}
}
EOF
}

# lab_classic_ka_conf K: keepalived.conf of lbK in the classic lab: the
# VRRP settings baton-keepalived writes for the Baton lab (VRRPv3, adverts,
# priorities, real-time scheduling after an advert interval's delay and
# its limit), no track file, the conntrackd notify scripts on the sync
# group. The script runs from the state dir: enable_script_security wants
# every directory on its path root's alone, which a checkout may not be.
lab_classic_ka_conf() {
	local k=$1 notify advert delay=$((${LAB_ADVERT_MS:-100} * 1000))
	notify="$LAB_STATE/conntrackd-notify.sh $(lab_ctd_confpath "$k") $(lab_ctd_state "$k")"
	advert=$(awk -v m="${LAB_ADVERT_MS:-100}" 'BEGIN { print m / 1000 }')
	[ "$delay" -gt 10000000 ] && delay=10000000
	cat <<EOF
# Generated by deploy/lab/lib.sh for lab '$LAB_P': lb$k of the classic pair.
global_defs {
	router_id classic-$k
	vrrp_version 3
	script_user root
	enable_script_security
	vrrp_garp_master_repeat 5
	vrrp_garp_master_delay 5
	max_auto_priority
	min_auto_priority_delay $delay
	vrrp_rlimit_rttime 1000000
}

vrrp_sync_group $LAB_HA_GROUP {
	group {
		front
		back
	}
	notify_master "$notify primary"
	notify_backup "$notify backup"
	notify_fault "$notify fault"
}

vrrp_instance front {
	state BACKUP
	interface eth0
	virtual_router_id $LAB_VRID_FRONT
	priority $(lab_node_priority "$k")
	advert_int $advert
	virtual_ipaddress {
		$LAB_VIP_DNAT/32 dev eth0
		$LAB_VIP_FULLNAT/32 dev eth0
	}
}

vrrp_instance back {
	state BACKUP
	interface eth1
	virtual_router_id $LAB_VRID_BACK
	priority $(lab_node_priority "$k")
	advert_int $advert
	virtual_ipaddress {
		$LAB_LB_BACK/32 dev eth1
		$LAB_SNAT/32 dev eth1
	}
}
EOF
}

# lab_ctd_settled K: lbK's last notify script is through (its stamp has
# the done time).
lab_ctd_settled() {
	local r t0 t1
	{ read -r r t0 t1 _ <"$(lab_ctd_state "$1")"; } 2>/dev/null
	[ -n "${t1:-}" ]
}

# lab_classic_up: on every node nftables, conntrackd and keepalived; then
# the wait of lab_ha_up, and for the notify scripts to be through.
lab_classic_up() {
	local k
	install -m 0755 "$LAB_REPO/deploy/lab/conntrackd-notify.sh" \
		"$LAB_STATE/conntrackd-notify.sh" || return 1
	for ((k = 1; k <= LAB_NODES; k++)); do
		lab_classic_nft | ip netns exec "$(lab_node_ns "$k")" nft -f - || {
			lab_err "lb$k: nftables refused the rules"
			return 1
		}
		lab_ctd_start "$k" || return 1
		lab_classic_ka_conf "$k" >"$(lab_node_kaconf "$k")" &&
			lab_ka_start "$k" || return 1
	done
	lab_ha_settle || return 1
	for ((k = 1; k <= LAB_NODES; k++)); do
		lab_wait_for 10 lab_ctd_settled "$k" || {
			lab_err "lb$k: its notify script is not through:" \
				"$(cat "$(lab_ctd_state "$k")" 2>/dev/null)"
			return 1
		}
	done
}

# ---- ECMP lab: N active nodes behind a BGP router ----------------------------
#
# LAB_ECMP=1 with LAB_NODES >= 2 (lab.sh up --ecmp: 4 nodes, the last
# LAB_SPARE=1 of them wired and configured but not started, for a join):
# nothing floats. Every running node holds the VIPs on lo and announces
# them over BGP from its own bird (bird.conf from ha/baton-bird, as on a
# real node) to the router, bird in Psw, AS 65000; the nodes are AS 65001.
#
#   Psw   the router: `merge paths on` installs one multipath route per VIP
#         (next hops the nodes' front addresses), hashed on the L4 header
#         (fib_multipath_hash_policy 1). The nodes' back sessions announce
#         the client network 10.0.0.0/24; the router keeps those routes in
#         table 100 and sends the backends' DNAT replies (from 10.1.0.0/24
#         in on brb) through it, over the same nodes. DSR replies (from a
#         VIP) take the main table straight to the client. BFD, 100 ms x 3.
#   Pc    routes the VIPs via the router (10.0.0.254).
#   Pb1/2 default route via the router (10.1.0.254).
#   PlbK  sync: full mesh to every node, the spare one too (it is presumed
#         dead after ecmp.grace_ms, LAB_ECMP_GRACE_MS, default 3000, until it
#         starts); batond's health interface baton-ecmp; bird's log
#         $LAB_STATE/bird-lbK.log, its control socket
#         $LAB_STATE/bird-lbK.ctl.
#
# lab_ecmp_node_up K / lab_ecmp_node_down K start and stop a node's batond
# and bird; lab_ecmp_paths VIP lists the router's next hops for VIP.

LAB_ASN_ROUTER=65000
LAB_ASN_NODES=65001
LAB_ECMP_TABLE=100
LAB_ECMP_CLIENTS=10.0.0.0/24
LAB_ECMP_IFACE=baton-ecmp
LAB_ROUTER_FRONT=10.0.0.254
LAB_ROUTER_BACK=10.1.0.254

lab_ecmp_init() {
	LAB_BIRD=${LAB_BIRD:-$(command -v bird || echo /usr/sbin/bird)}
	LAB_BIRDGEN=$LAB_BUILD/ha/baton-bird
	LAB_BE_GW=$LAB_ROUTER_BACK
	LAB_SPARE=${LAB_SPARE:-1}
}

# The ecmp: section of node K (nothing unless LAB_ECMP=1).
lab_node_ecmp_yaml() {
	local k=$1
	[ "${LAB_ECMP:-0}" = 1 ] || return 0
	cat <<EOF
ecmp:
  health_interface: $LAB_ECMP_IFACE
  grace_ms: ${LAB_ECMP_GRACE_MS:-3000}
  bgp:
    asn: $LAB_ASN_NODES
    router_id: $(lab_node_front "$k")
    front:
      neighbors:
        - address: $LAB_ROUTER_FRONT
          asn: $LAB_ASN_ROUTER
    back:
      neighbors:
        - address: $LAB_ROUTER_BACK
          asn: $LAB_ASN_ROUTER
      prefixes: [$LAB_ECMP_CLIENTS]

EOF
}

# The router's bird.conf: a BGP session to every node's front (VIPs, main
# table) and back address (client network, table clients4 = kernel table 100).
lab_router_bird_conf() {
	local k
	cat <<EOF
# Generated by deploy/lab/lib.sh for lab '$LAB_P': the ECMP router.
log stderr all;
router id $LAB_ROUTER_FRONT;
ipv4 table clients4;

protocol device {
	scan time 10;
}

protocol kernel kmain {
	ipv4 {
		import none;
		export where source = RTS_BGP;
	};
	merge paths on;
}

protocol kernel kback {
	kernel table $LAB_ECMP_TABLE;
	ipv4 {
		table clients4;
		import none;
		export where source = RTS_BGP;
	};
	merge paths on;
}

protocol bfd {
	interface "br*" {
		min rx interval 100 ms;
		min tx interval 100 ms;
		multiplier 3;
	};
}

template bgp node {
	local as $LAB_ASN_ROUTER;
	hold time 3;
	keepalive time 1;
	connect retry time 1;
	error wait time 1, 10;
	bfd on;
}

EOF
	for ((k = 1; k <= LAB_NODES; k++)); do
		cat <<EOF
protocol bgp front$k from node {
	neighbor $(lab_node_front "$k") as $LAB_ASN_NODES;
	ipv4 {
		import all;
		export none;
	};
}

protocol bgp back$k from node {
	neighbor $(lab_node_back "$k") as $LAB_ASN_NODES;
	ipv4 {
		table clients4;
		import all;
		export none;
	};
}

EOF
	done
}

# lab_bird_start NAME NS CONF: bird in NS, in the foreground, logging to
# $LAB_STATE/NAME.log, control socket $LAB_STATE/NAME.ctl.
lab_bird_start() {
	local name=$1 ns=$2 conf=$3
	if ! "$LAB_BIRD" -p -c "$conf" >"$LAB_STATE/$name.parse.log" 2>&1; then
		lab_err "$name: bird rejects $conf:"
		cat "$LAB_STATE/$name.parse.log" >&2
		return 1
	fi
	lab_spawn "$name" "$ns" "$LAB_BIRD" -f -c "$conf" \
		-s "$LAB_STATE/$name.ctl" -P "$LAB_STATE/$name.pid"
	if ! lab_wait_for 10 test -S "$LAB_STATE/$name.ctl"; then
		lab_err "$name: bird did not start; its log:"
		tail -n 20 "$LAB_STATE/$name.log" >&2
		return 1
	fi
}

# lab_ecmp_node_up K: lbK's batond, then its bird, on the bird.conf
# baton-bird makes from lbK.yaml (included by a lab wrapper that only
# adds logging to stderr).
lab_ecmp_node_up() {
	local k=$1 conf=$LAB_STATE/lb$1.bird.conf
	lab_node_start "$k" || return 1
	if ! "$LAB_BIRDGEN" -c "$(lab_node_config "$k")" -o "$conf" \
		>"$LAB_STATE/lb$k.birdgen.log" 2>&1; then
		lab_err "lb$k: baton-bird failed:"
		cat "$LAB_STATE/lb$k.birdgen.log" >&2
		return 1
	fi
	printf 'log stderr all;\ninclude "%s";\n' "$conf" \
		>"$LAB_STATE/lb$k.bird-lab.conf"
	lab_bird_start "bird-lb$k" "$(lab_node_ns "$k")" \
		"$LAB_STATE/lb$k.bird-lab.conf"
}

lab_ecmp_node_down() {
	lab_kill "bird-lb$1" 5
	lab_node_stop "$1"
}

# lab_ecmp_paths DEST [TABLE]: the router's next hops for DEST, one per line.
lab_ecmp_paths() {
	ip -n "$LAB_NS_SW" route show "$1" table "${2:-main}" 2>/dev/null |
		grep -o 'via [0-9.]*' | cut -d' ' -f2 | sort
}

# lab_ecmp_wait K1,K2,... SECONDS: until the router's paths for every VIP
# are exactly the front addresses of those nodes, and its return paths
# their back addresses.
lab_ecmp_wait() {
	local want_f= want_b= k i
	for k in ${1//,/ }; do
		want_f+="$(lab_node_front "$k")"$'\n'
		want_b+="$(lab_node_back "$k")"$'\n'
	done
	want_f=$(echo -n "$want_f" | sort)
	want_b=$(echo -n "$want_b" | sort)
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(lab_ecmp_paths $LAB_VIP_DNAT)" = "$want_f" ] &&
		[ "$(lab_ecmp_paths $LAB_VIP_DSR)" = "$want_f" ] &&
		[ "$(lab_ecmp_paths $LAB_ECMP_CLIENTS $LAB_ECMP_TABLE)" = \
			"$want_b" ] && return 0
		sleep 0.1
	done
	return 1
}

# The nodes lab_ecmp_up starts: all but the last LAB_SPARE ("1,2,3").
lab_ecmp_started() {
	local k out=
	for ((k = 1; k <= LAB_NODES - LAB_SPARE; k++)); do
		out+="${out:+,}$k"
	done
	echo "$out"
}

lab_ecmp_topology() {
	local k ns
	# The router: L4 hash, no redirects (it sends the client's packets
	# back out of brf), the backends' DNAT replies through table 100.
	lab_sysctl "$LAB_NS_SW" net.ipv4.fib_multipath_hash_policy=1 \
		net.ipv4.conf.all.send_redirects=0 \
		net.ipv4.conf.brf.send_redirects=0 \
		net.ipv4.conf.brb.send_redirects=0 &&
	ip -n "$LAB_NS_SW" rule add iif brb from 10.1.0.0/24 \
		lookup $LAB_ECMP_TABLE pref 100 || return 1
	for k in $LAB_VIP_DNAT $LAB_VIP_DSR; do
		ip -n "$LAB_NS_C" route add "$k/32" via $LAB_ROUTER_FRONT ||
			return 1
	done
	for ((k = 1; k <= LAB_NODES; k++)); do
		ns=$(lab_node_ns "$k")
		ip -n "$ns" addr add $LAB_VIP_DNAT/32 dev lo &&
		ip -n "$ns" addr add $LAB_VIP_DSR/32 dev lo || return 1
	done
}

# lab_ecmp_up: the router's bird, then batond and bird on every node but
# the spare ones; wait for the router to spread the VIPs over them.
lab_ecmp_up() {
	local k nodes
	lab_router_bird_conf >"$LAB_STATE/router.bird.conf" &&
	lab_bird_start bird-router "$LAB_NS_SW" "$LAB_STATE/router.bird.conf" ||
		return 1
	nodes=$(lab_ecmp_started)
	for k in ${nodes//,/ }; do
		lab_log "lb$k: batond ($(lab_node_config "$k")) and bird"
		lab_ecmp_node_up "$k" || return 1
	done
	# The grace for the spare node, then BGP and BFD.
	if ! lab_ecmp_wait "$nodes" $((${LAB_ECMP_GRACE_MS:-3000} / 1000 + 20))
	then
		lab_err "the router did not get the VIPs from lb{$nodes}:" \
			"$(lab_ecmp_paths $LAB_VIP_DNAT | tr '\n' ' ')"
		for k in ${nodes//,/ }; do
			lab_err "lb$k: $(lab_node_ctl "$k" --json ha status |
				jq -c .ecmp)"
		done
		tail -n 20 "$LAB_STATE/bird-router.log" >&2
		return 1
	fi
}
