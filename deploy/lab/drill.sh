#!/usr/bin/env bash
# deploy/lab/drill.sh - the failover drill, on an HA lab that is up
# (lab.sh up --nodes 2 --ha, same BATON_LAB_PREFIX); an ECMP lab and the
# single-node lab drill what is theirs (below).
#
#   drill.sh poweroff [--out DIR]  traffic through the master; power it off
#                                  (all links down, processes left running)
#                                  in the middle; report
#   drill.sh failback [--out DIR]  traffic through the surviving node; power
#                                  the other back on; it resyncs, takes the
#                                  VIP back (preempt), report
#   drill.sh kill [--out DIR]      traffic; kill -9 batond on the master,
#                                  restart it; report (no VRRP move)
#   drill.sh flood [--out DIR]     traffic; a SYN flood from spoofed
#                                  sources (198.18.0.0/15) at the master's
#                                  DNAT VIP, as fast as the client can
#                                  (DRILL_FLOOD_RATE/s if set), for
#                                  DRILL_FLOOD_S (4) s; no VRRP move. Also
#                                  on the single-node lab. Checks besides
#                                  the usual: the flood was counted
#                                  (new flows, ct_full drops), the master
#                                  stayed, and every connection started
#                                  6 s after the flood ended succeeded
#                                  (the table recovered: conntrack
#                                  pressure). DRILL_FLOOD_FLUSH=1 flushes
#                                  the master's table mid-flood, as a
#                                  table that evicts established flows
#                                  for new ones would: the control run.
#   drill.sh partition [--out DIR] traffic; the standby's sync link cut
#                                  (nftables, both ways) for
#                                  DRILL_PARTITION_S (10) s while new
#                                  connections open and close on the
#                                  master and, half-way, new streams and
#                                  UDP flows start (*-part); then healed:
#                                  the standby must be an exact copy again
#                                  within 15 s; then the master is powered
#                                  off and every flow, those opened during
#                                  the partition too, must survive.
#                                  DRILL_PARTITION_HEAL=0 powers it off at
#                                  the end of the partition, not healed:
#                                  the control run.
#   drill.sh splitbrain [--out DIR] traffic; the standby cut from the
#                                  master (VRRP adverts and sync, nftables)
#                                  for DRILL_SPLIT_S (8) s while the clients
#                                  and backends reach both: it becomes
#                                  master too and takes the traffic; half-
#                                  way, new streams and UDP flows start
#                                  (*-part). Healed: one master at once -
#                                  the standby, the latest takeover
#                                  (ha.split_brain takeover) - and the
#                                  clients' and backends' ARP entries aged
#                                  out (every packet to it); then settled
#                                  (both ready, the standby an exact copy)
#                                  within 15 s. Every flow must survive.
#                                  A lab with LAB_SPLIT_BRAIN=priority
#                                  (the old master keeps the VIPs) is the
#                                  control run.
#   drill.sh flap [--out DIR]      traffic; for DRILL_FLAP_S (60) s the
#                                  master is powered off and, DRILL_FLAP_
#                                  EVERY (3) s later, on again (it resyncs
#                                  and takes the VIPs back), then again
#                                  after as long: a failover every few
#                                  seconds, each one only once the pair has
#                                  settled (both ready, one master). Every
#                                  flow must survive all of them; then
#                                  settled, the standby an exact copy; and
#                                  batond's memory (VmRSS) must not grow
#                                  over the second half of the cycles
#                                  (the first ones warm its heap up) by
#                                  more than DRILL_RSS_SLACK_KB (512) on
#                                  either node, nor its open fds
#                                  by more than 2. DRILL_FLAP_REBOOT=1
#                                  flushes the powered-off node's table
#                                  before it comes back (a reboot): on a
#                                  pair without sync (lab.sh up --no-sync)
#                                  the control run of the flow checks.
#                                  DRILL_MEM_PIDS ("PID PID") watches those
#                                  processes instead: with a growing one,
#                                  the control run of the memory check.
#   drill.sh chaos [--out DIR]     traffic; for DRILL_CHAOS_S (60) s, one
#                                  fault after another, picked at random
#                                  (seed DRILL_SEED, printed) from
#                                  DRILL_CHAOS_FAULTS (of: flap -
#                                  the master powered off, on again;
#                                  reboot - the same, its table flushed
#                                  meanwhile; standby-off; kill-master,
#                                  kill-standby -
#                                  batond kill -9 and restarted; syncloss -
#                                  20, 50 or 100 % of the standby's sync
#                                  packets dropped; linkdown - one link of
#                                  either node down; splitbrain), each held
#                                  1 to DRILL_CHAOS_HOLD (4) s, then healed;
#                                  the next once the pair has settled
#                                  (within 20 s: else the drill fails).
#                                  The default is all but splitbrain:
#                                  a flow whose client and backend each
#                                  reached another node during the split
#                                  can end owned by neither (each took
#                                  the other's copy), which the exact-
#                                  copy check reports (an open issue).
#                                  The invariants at the end: every flow
#                                  survived, no reset, settled, the standby
#                                  an exact copy, both batonds and
#                                  keepalived up. The faults, when each was
#                                  healed and settled are in the report.
# For flap and chaos, new connections run at DRILL_RATE (100) and
# DRILL_RATE_FNAT (50) per second until the faults end; each one
# established >= 10 ms before a fault and open at it must survive.
#
# On the single-node lab (lab.sh up), its batond is restarted instead:
#   drill.sh restart [--out DIR]   traffic; stop batond (SIGTERM), start
#                                  it again; report
#   drill.sh kill [--out DIR]      the same with kill -9, started 1 s later
# With keep_datapath true (LAB_KEEP_DATAPATH=true before lab.sh up) the
# datapath forwards meanwhile and every flow must survive; with false the
# stop removes it: the control run.
#
# On an ECMP lab (lab.sh up --ecmp), membership changes instead:
#   drill.sh poweroff [--node K]   power off lbK (default: the lowest node
#                                  the router uses); the router drops it
#   drill.sh return [--out DIR]    power the powered-off node back on; it
#                                  resyncs and announces again
#   drill.sh join [--node K]       start a node that is not running (the
#                                  spare); it syncs, announces, takes flows
# On the classic lab (lab.sh up --nodes 2 --ha --classic: nftables DNAT,
# conntrackd, keepalived) poweroff and failback run the same, without the
# DSR streams (the classic lab has no DSR service); the takeover is the
# new master's notify script starting, and the report adds when its
# conntrackd commands were through (commit_ms). DRILL_DSR=0 leaves the DSR
# streams out of a Baton drill too (the same load as the classic one).
# DRILL_BACKENDS="1" also changes the DNAT service's backends (to b1 only)
# on every other node at the event: with replication off (lab.sh up --ecmp
# --no-sync) that breaks flows, which is the control run. (Connections whose
# handshake was in flight may then be reset; the check covers those
# established before the event.)
#
# Traffic, all from the client namespace at once, every byte verified:
#   DRILL_STREAMS (40) long-lived TCP streams to each of the DNAT, fullNAT
#   and DSR VIPs; DRILL_UDP (20) long-lived UDP flows (fixed 5-tuple) to the
#   DNAT VIP; new TCP connections at DRILL_RATE/s (500) to the DNAT VIP and
#   DRILL_RATE_FNAT/s (250) to the fullNAT VIP, each living DRILL_HOLD_MS
#   (300 ms). DRILL_DURATION (7) seconds of it; the event DRILL_AT (2.5) s in.
#
# The report: per kind of flow, survived/total, resets and other failures,
# the p50/p99/max pause (longest gap in a flow's echo), and the VRRP
# takeover time (the event to the new master's keepalived MASTER, as its
# batond heard it). New connections are judged by when their handshake
# completed: every one established at least 10 ms before the event (and
# still open at it) must survive; those of the last 10 ms are counted
# apart (replication's latency; their losses are reported, not failed).
# Files in DIR (default $LAB_STATE/drill): PHASE.json (the figures),
# PHASE.png (gnuplot timeline: echoed bytes per stream per 100 ms), the
# clients' JSON and per-flow records. Exit 0 only if every check passed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

usage() {
	sed -n '6,135p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

phase=${1:-}
[ $# -gt 0 ] && shift
case $phase in poweroff | failback | kill | restart | return | join | flood | \
	partition | splitbrain | flap | chaos) ;;
*) usage >&2; exit 2 ;; esac
# Phases of many events (a fault after another): judged against them all.
MULTI=0
[[ $phase == @(flap|chaos) ]] && MULTI=1
out=
node=
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=${2:-}; shift ;;
	--node) node=${2:-}; shift ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done

lab_init "${BATON_LAB_PREFIX:-btl}" || exit 2
ECMP=${LAB_ECMP:-0}
CLASSIC=${LAB_CLASSIC:-0}
SINGLE=0
[ "$ECMP" != 1 ] && [ "$LAB_NODES" -lt 2 ] && SINGLE=1
if [ "$SINGLE" = 1 ]; then
	case $phase in kill | restart | flood) ;;
	*) lab_err "the single-node lab drills kill, restart and flood"
		exit 2 ;;
	esac
elif [ "$phase" = restart ]; then
	# On an HA lab a stop (keep_datapath false there) moves the VIPs:
	# that is the poweroff drill's business, not a restart.
	lab_err "restart is drilled on the single-node lab"
	exit 2
elif [ "$CLASSIC" = 1 ] && [ "$phase" = kill ]; then
	lab_err "the classic lab has no batond to kill"
	exit 2
elif [ "$CLASSIC" = 1 ] && [ "$phase" = flood ]; then
	lab_err "the flood is drilled on Baton's labs"
	exit 2
elif [[ $phase == @(partition|splitbrain|flap|chaos) ]] &&
	{ [ "$CLASSIC" = 1 ] || [ "$ECMP" = 1 ]; }; then
	lab_err "the $phase is drilled on Baton's HA pair"
	exit 2
elif [ "$ECMP" = 1 ]; then
	case $phase in poweroff | return | join) ;;
	*) lab_err "an ECMP lab drills poweroff, return and join"; exit 2 ;;
	esac
elif [ "$LAB_NODES" -lt 2 ] || [ "${LAB_HA:-0}" != 1 ]; then
	lab_err "drill.sh needs an HA lab (lab.sh up --nodes 2 --ha) or an" \
		"ECMP lab (lab.sh up --ecmp)"
	exit 2
fi
case $phase in return | join) [ "$ECMP" = 1 ] || { usage >&2; exit 2; } ;; esac
out=${out:-$LAB_STATE/drill}
mkdir -p "$out" || exit 1

STREAMS=${DRILL_STREAMS:-40}
UDP=${DRILL_UDP:-20}
# A minute of new connections at 500/s would run the client out of
# ephemeral ports (TIME_WAIT).
RATE=${DRILL_RATE:-$([ "$MULTI" = 1 ] && echo 100 || echo 500)}
RATE_FNAT=${DRILL_RATE_FNAT:-$([ "$MULTI" = 1 ] && echo 50 || echo 250)}
# No fullNAT behind ECMP (the config refuses it there).
[ "$ECMP" = 1 ] && RATE_FNAT=0
streams=(dnat fullnat dsr)
[ "$ECMP" = 1 ] && streams=(dnat dsr)
if [ "$CLASSIC" = 1 ] || [ "${DRILL_DSR:-1}" = 0 ]; then
	for k in "${!streams[@]}"; do
		[ "${streams[$k]}" = dsr ] && unset "streams[$k]"
	done
	streams=("${streams[@]}")
fi
HOLD=${DRILL_HOLD_MS:-300}
DUR=${DRILL_DURATION:-7}
AT=${DRILL_AT:-2.5}
# Connections started this long after the flood ended must all succeed:
# the pressure's half-open timeout (the lab keeps the default, 5 s) and a
# GC pass.
RECOVER_MS=6000
# The flood: DRILL_FLOOD_S (whole seconds) from 2 s in, then 8 s more: 2 s
# of connections after RECOVER_MS.
FLOOD_S=${DRILL_FLOOD_S:-4}
FLOOD_NET=198.18.0.0/15
if [ "$phase" = flood ]; then
	[[ $FLOOD_S =~ ^[1-9][0-9]*$ ]] ||
		{ lab_err "DRILL_FLOOD_S: whole seconds, not '$FLOOD_S'"; exit 2; }
	AT=${DRILL_AT:-2}
	DUR=${DRILL_DURATION:-$(awk -v a="$AT" -v f="$FLOOD_S" \
		-v r="$RECOVER_MS" 'BEGIN { printf "%d", a + f + r / 1000 + 2 }')}
fi
# The partition: 10 s from 2 s in, up to 15 s to converge, the power-off,
# 4 s more. New connections only until the partition ends, so that the
# tables hold still for the exact-copy check.
PART_S=${DRILL_PARTITION_S:-10}
HEAL=${DRILL_PARTITION_HEAL:-1}
CONVERGE_S=15
RATE_DUR=$DUR
if [ "$phase" = partition ]; then
	AT=${DRILL_AT:-2}
	RATE_DUR=$(awk -v a="$AT" -v p="$PART_S" 'BEGIN { printf "%d", a + p + 0.999 }')
	DUR=${DRILL_DURATION:-$((RATE_DUR + CONVERGE_S + 6))}
	streams+=(dnat-part fullnat-part)
fi
# The split brain: DRILL_SPLIT_S (8) s from 2 s in, then up to CONVERGE_S
# for one master and an exact copy, then 4 s more.
SPLIT_S=${DRILL_SPLIT_S:-8}
if [ "$phase" = splitbrain ]; then
	AT=${DRILL_AT:-2}
	DUR=${DRILL_DURATION:-$(awk -v a="$AT" -v p="$SPLIT_S" \
		-v c="$CONVERGE_S" 'BEGIN { printf "%d", a + p + c + 4.999 }')}
	# New connections through the split, until the heal.
	RATE_DUR=$(awk -v a="$AT" -v p="$SPLIT_S" 'BEGIN { printf "%d", a + p + 0.999 }')
	streams+=(dnat-part fullnat-part)
fi
# Flap and chaos: faults for DRILL_FLAP_S / DRILL_CHAOS_S from 2 s in; the
# one under way finishes (a flap cycle: two holds and the waits, about
# 8 s; a fault: its hold, then up to SETTLE_S to settle, mostly under 2 s);
# then 4 s more. New connections until the faults' time ends. (The exact
# copy is checked after that, with or without traffic.)
FLAP_EVERY=${DRILL_FLAP_EVERY:-3}
CHAOS_HOLD=${DRILL_CHAOS_HOLD:-4}
SETTLE_S=20
RSS_SLACK_KB=${DRILL_RSS_SLACK_KB:-512}
CHAOS_FAULTS=${DRILL_CHAOS_FAULTS:-flap reboot standby-off kill-master kill-standby syncloss linkdown}
SEED=${DRILL_SEED:-$(( $(date +%s%N) % 1000000000 ))}
if [ "$MULTI" = 1 ]; then
	AT=${DRILL_AT:-2}
	if [ "$phase" = flap ]; then
		FAULT_S=${DRILL_FLAP_S:-60}
		tail_s=$((2 * FLAP_EVERY + 6))
	else
		FAULT_S=${DRILL_CHAOS_S:-60}
		tail_s=$((CHAOS_HOLD + 8))
		for f in $CHAOS_FAULTS; do
			[[ $f == @(flap|reboot|standby-off|kill-master|kill-standby|syncloss|linkdown|splitbrain) ]] ||
				{ lab_err "DRILL_CHAOS_FAULTS: no fault '$f'"; exit 2; }
		done
	fi
	for v in "$FAULT_S" "$FLAP_EVERY" "$CHAOS_HOLD" "$SEED"; do
		[[ $v =~ ^[0-9]+$ ]] && [ "$v" -gt 0 ] ||
			{ lab_err "$phase: whole seconds and seeds, not '$v'"; exit 2; }
	done
	RATE_DUR=$(awk -v a="$AT" -v p="$FAULT_S" 'BEGIN { printf "%d", a + p + 0.999 }')
	DUR=${DRILL_DURATION:-$((RATE_DUR + tail_s + 4))}
fi
WINDOW_MS=10

say() { [ "${DRILL_QUIET:-0}" = 1 ] || echo "$*"; }
now_ms() { date +%s%3N; }

# ---- who is who ---------------------------------------------------------------

# Node K's batond: lbK's, or the single-node lab's one (named "lb").
node_name() { if [ "$SINGLE" = 1 ]; then echo lb; else echo "lb$1"; fi; }
node_ctl() {
	local k=$1
	shift
	if [ "$SINGLE" = 1 ]; then lab_ctl "$@"; else lab_node_ctl "$k" "$@"; fi
}
node_log() {
	if [ "$SINGLE" = 1 ]; then echo "$LAB_STATE/batond.log"
	else lab_node_log "$1"; fi
}
# node_restart K SIG: batond stopped by SIG (TERM: waited for; KILL: a
# second later, as a crash leaves it), then started again.
node_restart() {
	local pid
	if [ "$2" = KILL ]; then
		if [ "$SINGLE" = 1 ]; then pid=$(lab_pid_of batond)
		else pid=$(lab_pid_of "lb$1"); fi
		kill -KILL "$pid" || return 1
		sleep 1
	fi
	if [ "$SINGLE" = 1 ]; then
		lab_batond_stop && lab_batond_start
	else
		lab_node_stop "$1" "$2" && lab_node_start "$1"
	fi
}

# ECMP: the nodes running batond, the nodes the router sends to, and the
# node of the event (K, or: poweroff the lowest the router uses, return
# the one whose links are down, join the lowest not running).
ecmp_who() {
	local k
	running=
	for ((k = 1; k <= LAB_NODES; k++)); do
		lab_pid_alive "$LAB_STATE/pids/lb$k" && running+=" $k"
	done
	routed=
	for k in $running; do
		lab_ecmp_paths $LAB_VIP_DNAT | grep -qx "$(lab_node_front "$k")" &&
			routed+=" $k"
	done
	if [ -z "$node" ]; then
		case $phase in
		poweroff) node=${routed# }; node=${node%% *} ;;
		return)
			for k in $running; do
				ip -n "$(lab_node_ns "$k")" -o link show eth0 |
					grep -q "state DOWN" && { node=$k; break; }
			done
			;;
		join)
			for ((k = 1; k <= LAB_NODES; k++)); do
				[[ " $running " == *" $k "* ]] || { node=$k; break; }
			done
			;;
		esac
	fi
	[[ $node =~ ^[1-9]$ ]] && [ "$node" -le "$LAB_NODES" ] ||
		{ lab_err "$phase: no node to $phase"; exit 1; }
	# A surviving node that stays routed: its conntrack table is read.
	other=
	for k in $routed; do
		[ "$k" != "$node" ] && { other=$k; break; }
	done
	[ -n "$other" ] || { lab_err "$phase: no other node is routed"; exit 1; }
	case $phase in
	poweroff) [[ " $routed " == *" $node "* ]] ||
		{ lab_err "lb$node does not carry traffic"; exit 1; } ;;
	join) [[ " $running " != *" $node "* ]] ||
		{ lab_err "lb$node is running already"; exit 1; } ;;
	esac
}

wait_ready() {			# wait_ready K: lbK holds a complete copy
	local i
	# conntrackd tells no such thing: it answers, and this node's and
	# the master's notify scripts are through.
	if [ "$CLASSIC" = 1 ]; then
		lab_wait_for 10 lab_ctd "$1" -s && lab_wait_for 10 \
			lab_ctd_settled "$1" && lab_wait_for 10 lab_ctd_settled \
			"$master" && return 0
		lab_err "lb$1: conntrackd does not answer, or a notify script" \
			"runs on: $(cat "$(lab_ctd_state "$1")" \
			"$(lab_ctd_state "$master")" 2>/dev/null | tr '\n' ' ')"
		exit 1
	fi
	for ((i = 0; i < 100; i++)); do
		[ "$(lab_node_ctl "$1" --json ha status | jq -r .ready)" = \
			true ] && return 0
		sleep 0.1
	done
	lab_err "lb$1 is not ready"
	exit 1
}

# confirmed K: lbK's latest takeover is confirmed (or it made none).
confirmed() {
	[ "$(lab_node_ctl "$1" --json ha status | jq -r .took_over)" = false ]
}

ha_who() {
	local k i
	# The lab may be mid-transition (a failback's old master releasing):
	# wait for one holder of the VIPs.
	for ((i = 0; i < 50; i++)); do
		master=$(lab_ha_master) && break
		sleep 0.1
	done
	[ -n "$master" ] || { lab_err "no node holds the VIPs"; exit 1; }
	case $phase in
	poweroff | kill | flood | partition | splitbrain | flap | chaos)
		node=$master	# the node the event happens to
		;;
	failback)
		# The node that is down: links down on every interface.
		node=
		for ((k = 1; k <= LAB_NODES; k++)); do
			[ "$k" = "$master" ] && continue
			ip -n "$(lab_node_ns "$k")" -o link show eth0 \
				2>/dev/null | grep -q "state DOWN" && node=$k
		done
		[ -n "$node" ] ||
			{ lab_err "failback: no node is powered off"; exit 1; }
		;;
	esac
	# The other node of the pair: the surviving master for failback, the
	# standby otherwise.
	other=$master
	if [ "$phase" != failback ]; then
		for ((k = 1; k <= LAB_NODES; k++)); do
			[ "$k" != "$node" ] && { other=$k; break; }
		done
	fi

	# Before a power-off the standby must be ready (a complete copy) -
	# else the drill measures a lab that was not given the time to settle.
	case $phase in poweroff | partition | splitbrain | flap | chaos)
		wait_ready "$other" ;;
	esac
	# A split brain within 5 s of the master's own takeover meets it
	# still unconfirmed (ha/role.h): both would outrank, and its second
	# round of gratuitous ARPs would pull the traffic back mid-split.
	if [ "$phase" = splitbrain ]; then
		lab_wait_for 10 confirmed "$node" ||
			{ lab_err "lb$node's takeover not confirmed"; exit 1; }
	fi
}

if [ "$ECMP" = 1 ]; then
	ecmp_who
	# Before a power-off every routed node must hold a complete copy.
	if [ "$phase" = poweroff ]; then
		for k in $routed; do wait_ready "$k"; done
	fi
elif [ "$SINGLE" = 1 ]; then
	node=1 other=null
else
	ha_who
fi

# keepalived's VRRP process deaths so far, per node (its parent respawns
# it: a node that flaps MASTER/BACKUP on its own is no drill).
ka_deaths() {
	local k
	for ((k = 1; k <= LAB_NODES; k++)); do
		printf '%s ' "$(grep -c 'VRRP child process([0-9]*) died' \
			"$LAB_STATE/ka$k.log" 2>/dev/null)"
	done
}
ka_deaths_before=$(ka_deaths)

# ---- flap and chaos: faults one after another --------------------------------

# The pair settled: both batonds ready (a complete copy), neither outranking
# after a takeover, keepalived MASTER on one and not on the other, and the
# VIPs on the master, and each node's stream to the other in sync with
# nothing unacknowledged (after a loss the stream may lag behind while
# both are ready: a fault then would be a second one). Sets
# settled_master and settled_standby. (A batond restarted on the standby
# reports keepalived's state UNKNOWN until keepalived's next transition:
# the FIFO tells changes only.)
pair_settled() {
	local a b sa sb k
	a=$(lab_node_ctl "$node" --json ha status 2>/dev/null) &&
		b=$(lab_node_ctl "$other" --json ha status 2>/dev/null) ||
		return 1
	[ "$(jq -n -r --argjson a "$a" --argjson b "$b" '[$a, $b] |
		all(.ready and (.took_over_boost | not))')" = true ] || return 1
	sa=$(echo "$a" | jq -r .keepalived_state)
	sb=$(echo "$b" | jq -r .keepalived_state)
	if [ "$sa" = MASTER ] && [ "$sb" != MASTER ]; then
		settled_master=$node settled_standby=$other
	elif [ "$sa" != MASTER ] && [ "$sb" = MASTER ]; then
		settled_master=$other settled_standby=$node
	else return 1
	fi
	[ "$(lab_ha_master)" = "$settled_master" ] || return 1
	for k in "$node" "$other"; do
		[ "$(lab_node_ctl "$k" --json sync status 2>/dev/null | jq -r \
			'[.peers[] | .state == "in_sync" and .unacked == 0] |
			all')" = true ] || return 1
	done
}

# await_copy LIMIT_MS: until the pair has settled (settled_ms, after
# t_heal) and the standby is an exact copy of the master (converge_ms,
# copy=true), or LIMIT_MS. Polled gently: a table listing holds up a busy
# batond's loop.
await_copy() {
	while [ "$(now_ms)" -lt "$1" ]; do
		pair_settled || { sleep 0.2; continue; }
		[ "$settled_ms" = null ] && settled_ms=$(($(now_ms) - t_heal))
		if lab_copy_check "$settled_master" "$settled_standby"; then
			converge_ms=$(($(now_ms) - t_heal))
			copy=true
			return 0
		fi
		sleep 0.5
	done
	return 1
}

# wait_settled SECONDS: until the pair has settled; settle_ms is how long
# it took (null: not within SECONDS).
wait_settled() {
	local t0 limit
	t0=$(now_ms)
	limit=$((t0 + $1 * 1000))
	settle_ms=null
	while [ "$(now_ms)" -lt "$limit" ]; do
		pair_settled && { settle_ms=$(($(now_ms) - t0)); return 0; }
		sleep 0.1
	done
	return 1
}

# wait_master K T SECONDS: lbK's keepalived went MASTER at or after T (ms);
# prints when, relative to T (batond's own stamp of the MASTER line).
wait_master() {
	local k=$1 t=$2 limit j
	limit=$(($(now_ms) + $3 * 1000))
	while [ "$(now_ms)" -lt "$limit" ]; do
		j=$(lab_node_ctl "$k" --json ha status 2>/dev/null |
			jq -r --argjson t "$t" 'select(.keepalived_state ==
			"MASTER" and .last_change_unix_ms >= $t) |
			.last_change_unix_ms - $t')
		[ -n "$j" ] && { echo "$j"; return 0; }
		sleep 0.05
	done
	return 1
}

# Whatever a fault left cut, healed: every node's links up, no loss or
# VRRP cut rules.
heal_all() {
	local k ifn
	for ((k = 1; k <= LAB_NODES; k++)); do
		for ifn in eth0 eth1 eth2; do
			ip -n "$(lab_node_ns "$k")" link set "$ifn" up 2>/dev/null
		done
		lab_loss "$k" 0
		lab_vrrp_cut "$k" 0
	done
}

# reboot_flush K: lbK, powered off, loses its conntrack table (as a node
# that reboots): it must come back through a resync.
reboot_flush() {
	lab_node_ctl "$1" ct flush >/dev/null ||
		lab_err "lb$1: ct flush failed"
}

# The processes whose memory the flap drill watches: each node's batond
# (DRILL_MEM_PIDS: those instead, in that order).
mem_pids=()
mem_watch() {
	local k
	if [ -n "${DRILL_MEM_PIDS:-}" ]; then
		read -r -a mem_pids <<<"$DRILL_MEM_PIDS"
		return
	fi
	for k in "$node" "$other"; do mem_pids+=("$(lab_pid_of "lb$k")"); done
}
# mem_sample LABEL: a line per watched process: LABEL pid VmRSS (kB), open
# fds, threads.
mem_sample() {
	local pid
	for pid in "${mem_pids[@]}"; do
		[ -r "/proc/$pid/status" ] || continue
		echo "$1 $pid $(awk '/^VmRSS:/ { r = $2 } /^Threads:/ { t = $2 }
			END { print r + 0, t + 0 }' "/proc/$pid/status") $(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 \
			2>/dev/null | wc -l)"
	done >>"$out/$phase-mem.txt"
}

# event T KIND NODE MS [SETTLE_MS]: a line of the events file: when (ms),
# what, to which node, the takeover it caused (ms after T, or null) and
# how long the pair took to settle after it.
event() {
	echo "$1 $2 $3 ${4:-null} ${5:-null}" >>"$out/$phase-events.txt"
}

# The flap: the master off, on, until FAULT_S is over; each cycle starts
# on a settled pair (the standby holding a complete copy).
run_flap() {
	local t_end m s t ms
	t_end=$((t_event + FAULT_S * 1000))
	cycles=0
	while [ "$(now_ms)" -lt "$t_end" ]; do
		wait_settled "$SETTLE_S" ||
			{ fault_fail="the pair did not settle within ${SETTLE_S} s (cycle $((cycles + 1)))"; return 1; }
		m=$settled_master s=$settled_standby
		t=$(now_ms)
		lab_power_off "$m" || { fault_fail="power-off of lb$m failed"; return 1; }
		ms=$(wait_master "$s" "$t" 10) || ms=null
		event "$t" off "$m" "$ms"
		[ "$ms" != null ] ||
			{ fault_fail="lb$s did not take over within 10 s"; lab_power_on "$m"; return 1; }
		sleep "$FLAP_EVERY"
		[ "${DRILL_FLAP_REBOOT:-0}" = 1 ] && reboot_flush "$m"
		t=$(now_ms)
		lab_power_on "$m" || { fault_fail="power-on of lb$m failed"; return 1; }
		# lbM, the higher priority, takes the VIPs back once it has
		# resynced (preempt).
		ms=$(wait_master "$m" "$t" "$SETTLE_S") || ms=null
		wait_settled "$SETTLE_S"
		event "$t" on "$m" "$ms" "$settle_ms"
		[ "$ms" != null ] && [ "$settle_ms" != null ] ||
			{ fault_fail="lb$m did not take the VIPs back and settle within ${SETTLE_S} s"; return 1; }
		cycles=$((cycles + 1))
		mem_sample "$cycles"
		sleep "$FLAP_EVERY"
	done
}

# One chaos fault on the settled pair (master M, standby S), held for
# HOLD s, healed. Records the injection and the heal as events (traffic
# may move at either).
chaos_fault() {
	local f=$1 m=$2 s=$3 hold=$4 t k ifn pct ms=null
	t=$(now_ms)
	case $f in
	flap | reboot)
		lab_power_off "$m" || return 1
		ms=$(wait_master "$s" "$t" 10) || ms=null
		event "$t" "$f" "$m" "$ms"
		sleep "$hold"
		[ "$f" = reboot ] && reboot_flush "$m"
		t=$(now_ms)
		lab_power_on "$m" || return 1
		# lbM, the higher priority, takes the VIPs back once it has
		# resynced (preempt).
		ms=$(wait_master "$m" "$t" "$SETTLE_S") || ms=null
		event "$t" "$f-on" "$m" "$ms"
		;;
	standby-off)
		lab_power_off "$s" || return 1
		event "$t" "$f" "$s"
		sleep "$hold"
		t=$(now_ms)
		lab_power_on "$s" || return 1
		event "$t" "$f-on" "$s"
		;;
	kill-master | kill-standby)
		k=$m
		[ "$f" = kill-standby ] && k=$s
		event "$t" "$f" "$k"
		# kill -9, restarted a second later (the datapath forwards
		# meanwhile).
		node_restart "$k" KILL || return 1
		;;
	syncloss)
		pct=$(( (RANDOM % 3 == 0) ? 100 : (RANDOM % 2 ? 50 : 20) ))
		lab_loss "$s" "$pct" || return 1
		event "$t" "$f-$pct" "$s"
		sleep "$hold"
		t=$(now_ms)
		lab_loss "$s" 0
		event "$t" "$f-healed" "$s"
		;;
	linkdown)
		# eth0 front, eth1 back (keepalived's instances: a master
		# losing either fails over), eth2 sync.
		k=$m
		((RANDOM % 2)) && k=$s
		ifn=eth$((RANDOM % 3))
		ip -n "$(lab_node_ns "$k")" link set "$ifn" down || return 1
		[ "$k" = "$m" ] && [ "$ifn" != eth2 ] &&
			{ ms=$(wait_master "$s" "$t" 10) || ms=null; }
		event "$t" "$f-$ifn" "$k" "$ms"
		sleep "$hold"
		t=$(now_ms)
		ip -n "$(lab_node_ns "$k")" link set "$ifn" up || return 1
		ms=null
		[ "$k" = "$m" ] && [ "$ifn" != eth2 ] &&
			{ ms=$(wait_master "$m" "$t" "$SETTLE_S") || ms=null; }
		event "$t" "$f-$ifn-up" "$k" "$ms"
		;;
	splitbrain)
		# Both masters until the heal, the standby the latest
		# takeover; the clients' and backends' ARP entries aged at
		# the heal (every packet to whoever answers now).
		{ lab_vrrp_cut "$s" 1 && lab_loss "$s" 100; } || return 1
		ms=$(wait_master "$s" "$t" 10) || ms=null
		event "$t" "$f" "$s" "$ms"
		sleep "$hold"
		t=$(now_ms)
		lab_vrrp_cut "$s" 0
		lab_loss "$s" 0
		lab_neigh_age
		ms=$(wait_master "$m" "$t" "$SETTLE_S") || ms=null
		event "$t" "$f-healed" "$m" "$ms"
		;;
	esac
}

# The chaos: a random fault after another until FAULT_S is over, each on
# a settled pair; after each, the pair must settle within SETTLE_S.
run_chaos() {
	local t_end faults f m s hold
	t_end=$((t_event + FAULT_S * 1000))
	read -r -a faults <<<"$CHAOS_FAULTS"
	RANDOM=$SEED
	cycles=0
	while [ "$(now_ms)" -lt "$t_end" ]; do
		wait_settled "$SETTLE_S" ||
			{ fault_fail="the pair did not settle before fault $((cycles + 1))"; return 1; }
		m=$settled_master s=$settled_standby
		f=${faults[RANDOM % ${#faults[@]}]}
		hold=$((1 + RANDOM % CHAOS_HOLD))
		# A split brain meets both nodes outranking if the master's
		# own takeover is not yet confirmed (ha/role.h): wait for it.
		if [ "$f" = splitbrain ]; then
			lab_wait_for 10 confirmed "$m" ||
				{ fault_fail="lb$m's takeover not confirmed"; return 1; }
		fi
		say "   fault $((cycles + 1)) at $(( ($(now_ms) - t_event) / 1000 )) s: $f (master lb$m), held $hold s"
		chaos_fault "$f" "$m" "$s" "$hold" ||
			{ fault_fail="fault $f could not be injected or healed"; return 1; }
		cycles=$((cycles + 1))
		wait_settled "$SETTLE_S"
		event "$(now_ms)" settled "${settled_master:-null}" null "$settle_ms"
		[ "$settle_ms" != null ] ||
			{ fault_fail="the pair did not settle within ${SETTLE_S} s after fault $cycles ($f)"; return 1; }
	done
}

# ---- traffic ------------------------------------------------------------------

pids=()
start_client() {		# start_client NAME ARGS...
	local name=$1
	shift
	ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client "$@" \
		--timeout-ms 20000 --flows-out "$out/$phase-$name.flows" \
		>"$out/$phase-$name.json" 2>"$out/$phase-$name.err" &
	pids+=($!)
}

rm -f "$out/$phase"-*
# The flood's sources: the LB nodes route them to the switch, which drops
# them (the backends' SYN-ACKs to them go out and vanish, as on the
# Internet).
if [ "$phase" = flood ]; then
	for ((k = 1; k <= LAB_NODES; k++)); do
		if [ "$SINGLE" = 1 ]; then ns=$LAB_NS_LB; else ns=$(lab_node_ns "$k"); fi
		ip -n "$ns" route replace "$FLOOD_NET" via 10.0.0.254 ||
			{ lab_err "flood route on $ns"; exit 1; }
	done
	ip -n "$LAB_NS_SW" route replace blackhole "$FLOOD_NET" ||
		{ lab_err "flood route on the switch"; exit 1; }
	node_ctl "$node" --json stats >"$out/$phase-stats-before.json" &&
		node_ctl "$node" --json status >"$out/$phase-status-before.json" ||
		{ lab_err "$(node_name "$node") does not answer"; exit 1; }
fi
say "== drill $phase: $(node_name "$node") ($phase)$([ "$SINGLE" = 1 ] ||
	echo ", lb$other"); traffic for $DUR s," \
	"event at $AT s"
say "   $STREAMS TCP streams each to ${streams[*]}; $UDP UDP flows;" \
	"new TCP connections $RATE/s DNAT + $RATE_FNAT/s fullNAT" \
	"(each ${HOLD} ms)"
# ECMP: the router's route changes, time-stamped, for the reroute time.
if [ "$ECMP" = 1 ]; then
	ip -ts -n "$LAB_NS_SW" monitor route >"$out/$phase-routes.txt" 2>&1 &
	monitor=$!
fi
vip_of() {
	case $1 in
	fullnat | rate-fnat | fullnat-part) echo "$LAB_VIP_FULLNAT" ;;
	dsr) echo "$LAB_VIP_DSR" ;;
	*) echo "$LAB_VIP_DNAT" ;;
	esac
}
# start_long S KIND...: long-lived TCP streams of each KIND, or UDP flows
# (udp*), for S seconds.
start_long() {
	local kind d=$1
	shift
	for kind in "$@"; do
		if [[ $kind == udp* ]]; then
			start_client "$kind" --udp "$LAB_VIP_DNAT:53" \
				--streams "$UDP" --duration "$d" \
				--interval-ms 20 --timeline-flows "$out/$phase-$kind.tl"
		else
			start_client "$kind" --tcp "$(vip_of "$kind"):80" \
				--streams "$STREAMS" --duration "$d" \
				--interval-ms 20 --chunk 512 \
				--timeline-flows "$out/$phase-$kind.tl"
		fi
	done
}
t_start=$(now_ms)
for kind in "${streams[@]}" udp; do
	[[ $kind == *-part ]] || start_long "$DUR" "$kind"
done
start_client rate --tcp "$LAB_VIP_DNAT:80" --rate "$RATE" \
	--duration "$RATE_DUR" --hold-ms "$HOLD"
[ "$RATE_FNAT" -gt 0 ] &&
	start_client rate-fnat --tcp "$LAB_VIP_FULLNAT:80" --rate "$RATE_FNAT" \
		--duration "$RATE_DUR" --hold-ms "$HOLD"

cleanup_clients() {
	local p
	for p in "${pids[@]}" ${monitor:-} ${flood_pid:-}; do
		kill "$p" 2>/dev/null
	done
	# A cut link left behind would split the lab for the next drill.
	case $phase in partition | splitbrain)
		lab_vrrp_cut "$other" 0
		lab_loss "$other" 0
		;;
	flap | chaos) heal_all ;;
	esac
}
trap 'cleanup_clients; exit 130' INT TERM HUP
# A drill that gives up (lab_err; exit) leaves no client behind.
trap cleanup_clients EXIT

sleep "$AT"

# ---- the event ----------------------------------------------------------------

# ECMP power-off: who carries which flow just before (the surviving node's
# copy names each flow's owner), to show that lbK's flows moved.
[ "$ECMP" = 1 ] && [ "$phase" = poweroff ] &&
	lab_node_ctl "$other" --json ct list >"$out/$phase-before.ct.json"

# backend_change: DRILL_BACKENDS, the DNAT service's new backends, on every
# running node but lbK (config rewritten and reloaded), all at once.
backend_change() {
	local k p=()
	[ -n "${DRILL_BACKENDS:-}" ] || return 0
	for k in $running; do
		[ "$k" = "$node" ] && continue
		LAB_DNAT_BACKENDS=$DRILL_BACKENDS lab_node_reload "$k" &
		p+=($!)
	done
	for k in "${p[@]}"; do
		wait "$k" || { lab_err "backend change failed"; exit 1; }
	done
}

takeover_ms=null
t_event=$(now_ms)
case $phase in
poweroff)
	lab_power_off "$node" || { lab_err "power-off failed"; exit 1; }
	new=$other
	backend_change
	;;
return)
	lab_power_on "$node" || { lab_err "power-on failed"; exit 1; }
	new=$node
	;;
join)
	lab_ecmp_node_up "$node" || { lab_err "lb$node did not start"; exit 1; }
	new=$node
	;;
failback)
	lab_power_on "$node" || { lab_err "power-on failed"; exit 1; }
	new=$node
	;;
kill | restart)
	sig=TERM
	[ "$phase" = kill ] && sig=KILL
	node_restart "$node" "$sig" ||
		{ lab_err "batond restart failed"; exit 1; }
	new=$node
	;;
partition)
	# The standby's sync link cut both ways; half-way, flows only the
	# master knows of start; healed (or not: the control), the standby
	# must catch up; then the power-off.
	t_part=$t_event
	lab_loss "$other" 100 || { lab_err "nftables loss rules"; exit 1; }
	sleep "$(awk -v p="$PART_S" 'BEGIN { print p / 2 }')"
	left=$(( DUR - ($(now_ms) - t_start) / 1000 ))
	start_long "$left" dnat-part fullnat-part udp-part
	sleep "$(awk -v p="$PART_S" 'BEGIN { print p / 2 }')"
	part_dropped=$(lab_loss_dropped "$other")
	t_heal=null converge_ms=null resync_ms=null copy=false
	# resyncs_recv: complete resyncs lbOTHER received from lbNODE.
	resyncs() {
		lab_node_ctl "$other" --json sync status | jq --argjson n \
			"$node" '.peers[] | select(.id == $n) | .resyncs_recv'
	}
	if [ "$HEAL" = 1 ]; then
		rr0=$(resyncs)
		lab_loss "$other" 0
		t_heal=$(now_ms)
		limit=$((t_heal + CONVERGE_S * 1000))
		# The heal's resync through (cheap to poll), then the
		# tables compared until they agree.
		while [ "$(now_ms)" -lt "$limit" ]; do
			[ "$(resyncs)" -gt "$rr0" ] 2>/dev/null &&
				{ resync_ms=$(($(now_ms) - t_heal)); break; }
			sleep 0.05
		done
		while [ "$(now_ms)" -lt "$limit" ]; do
			if lab_copy_check "$node" "$other"; then
				converge_ms=$(($(now_ms) - t_heal))
				copy=true
				break
			fi
			sleep 0.1
		done
		[ "$copy" = true ] || say "   no exact copy ${CONVERGE_S} s" \
			"after the heal: $(echo "$LAB_COPY_OUT" | tail -n 1)"
	fi
	t_event=$(now_ms)
	lab_power_off "$node" || { lab_err "power-off failed"; exit 1; }
	[ "$HEAL" = 1 ] || lab_loss "$other" 0
	new=$other
	;;
splitbrain)
	# The pair split in two: lbOTHER hears no VRRP advert and its sync
	# link is cut; the clients and the backends still reach both. It
	# becomes master too and takes the traffic (its gratuitous ARPs);
	# half-way, flows only it knows of start; then healed. The old
	# master answers the heal with gratuitous ARPs if it keeps the
	# VIPs: with ha.split_brain takeover lbOTHER outranks it until they
	# have resynced; with priority (LAB_SPLIT_BRAIN=priority, the
	# control run) the old master wins at once.
	t_split=$t_event
	{ lab_vrrp_cut "$other" 1 && lab_loss "$other" 100; } ||
		{ lab_err "nftables split rules"; exit 1; }
	ha_json() { lab_node_ctl "$1" --json ha status 2>/dev/null; }
	ka_state() { ha_json "$1" | jq -r '.keepalived_state // empty'; }
	both=false boost=false
	t_half=$((t_split + SPLIT_S * 500))
	while [ "$(now_ms)" -lt "$t_half" ]; do
		j=$(ha_json "$other")
		if [ "$takeover_ms" = null ]; then
			t_new=$(echo "$j" | jq -r 'select(.keepalived_state ==
				"MASTER") | .last_change_unix_ms // empty')
			[ -n "$t_new" ] && takeover_ms=$((t_new - t_split))
		fi
		[ "$(echo "$j" | jq -r .took_over_boost)" = true ] && boost=true
		[ "$takeover_ms" != null ] && [ "$both" = false ] &&
			[ "$(ka_state "$node")" = MASTER ] && both=true
		[ "$both" = true ] && [ "$boost" = true ] && break
		sleep 0.05
	done
	sleep "$(awk -v t="$t_half" -v n="$(now_ms)" \
		'BEGIN { d = (t - n) / 1000; print (d > 0 ? d : 0) }')"
	left=$(( DUR - ($(now_ms) - t_start) / 1000 ))
	start_long "$left" dnat-part fullnat-part udp-part
	sleep "$(awk -v p="$SPLIT_S" 'BEGIN { print p / 2 }')"
	[ "$boost" = true ] ||
		[ "$(ha_json "$other" | jq -r .took_over_boost)" != true ] ||
		boost=true
	split_dropped=$(lab_loss_dropped "$other")
	lab_vrrp_cut "$other" 0
	lab_loss "$other" 0
	t_heal=$(now_ms)
	limit=$((t_heal + CONVERGE_S * 1000))
	# One master at the heal: who?
	one_ms=null after=null
	while [ "$(now_ms)" -lt "$limit" ]; do
		a=$(ka_state "$node") b=$(ka_state "$other")
		if [ "$a" = MASTER ] && [ "$b" = BACKUP ]; then after=$node
		elif [ "$a" = BACKUP ] && [ "$b" = MASTER ]; then after=$other
		fi
		[ "$after" != null ] && { one_ms=$(($(now_ms) - t_heal)); break; }
		sleep 0.05
	done
	# The traffic follows the last gratuitous ARPs (keepalived sends
	# them at the heal only when a master hears a lower priority), and
	# a node that yielded forwards what still reaches it: the worst case
	# for the master is the client's and backends' ARP entries aging
	# out right now - every packet goes to the master at once.
	lab_neigh_age || { lab_err "neighbour flush"; exit 1; }
	t_move=$(now_ms)
	# Then settled (pair_settled: both ready, no boost, one master - lbNODE
	# again, by its priority -, streams in sync), and the standby its
	# exact copy.
	settled_ms=null converge_ms=null copy=false
	[ "$after" != null ] && await_copy "$limit"
	[ "$copy" = true ] || say "   not settled ${CONVERGE_S} s after the" \
		"heal: $(echo "${LAB_COPY_OUT:-}" | tail -n 1)"
	new=$other
	;;
flap | chaos)
	# Faults until FAULT_S is over (run_flap, run_chaos); then settled
	# and the standby an exact copy of the master within CONVERGE_S.
	: >"$out/$phase-events.txt"
	: >"$out/$phase-mem.txt"
	mem_watch
	mem_sample 0
	fault_fail=
	[ "$phase" = chaos ] && say "   chaos: seed $SEED (DRILL_SEED=$SEED replays" \
		"the same faults), faults: $CHAOS_FAULTS"
	"run_$phase"
	heal_all
	t_heal=$(now_ms)
	# The memory at the end, the pair settled as after each cycle (and
	# before the table listings below; chaos: the batonds running now).
	wait_settled "$SETTLE_S"
	[ "$phase" = chaos ] && { mem_pids=(); mem_watch; }
	mem_sample end
	settled_ms=null converge_ms=null copy=false
	await_copy $((t_heal + CONVERGE_S * 1000))
	[ "$copy" = true ] || say "   not settled ${CONVERGE_S} s after the" \
		"faults: $(echo "${LAB_COPY_OUT:-}" | tail -n 1)"
	[ -z "$fault_fail" ] || say "   faults stopped: $fault_fail"
	new=$(lab_ha_master || echo null)
	;;
flood)
	frate=()
	[ -n "${DRILL_FLOOD_RATE:-}" ] && frate=(--rate "$DRILL_FLOOD_RATE")
	ip netns exec "$LAB_NS_C" "$LAB_LOAD" synflood \
		--to "$LAB_VIP_DNAT:80" --from "$FLOOD_NET" \
		--duration "$FLOOD_S" ${frate[@]+"${frate[@]}"} \
		>"$out/$phase-flood.json" \
		2>"$out/$phase-flood.err" &
	flood_pid=$!
	if [ "${DRILL_FLOOD_FLUSH:-0}" = 1 ]; then
		sleep "$(awk -v s="$FLOOD_S" 'BEGIN { print s / 2 }')"
		node_ctl "$node" ct flush >/dev/null
	fi
	wait "$flood_pid" || { lab_err "the flood failed:" \
		"$(cat "$out/$phase-flood.err")"; exit 1; }
	flood_pid=
	t_flood_end=$(now_ms)
	new=$node
	;;
esac

# ECMP: the reroute, when the router's route for the DNAT VIP lost lbK
# (power-off) or gained it (return, join): the first change after the
# event, by the monitor's time stamp, once the route shows it.
reroute_ms=null
if [ "$ECMP" = 1 ]; then
	front=$(lab_node_front "$node")
	limit=$((t_event + 20000))
	while [ "$(now_ms)" -lt "$limit" ]; do
		if lab_ecmp_paths $LAB_VIP_DNAT | grep -qx "$front"; then
			[ "$phase" != poweroff ] && break
		else
			[ "$phase" = poweroff ] && break
		fi
		sleep 0.02
	done
	if [ "$(now_ms)" -lt "$limit" ]; then
		t_route=$(now_ms)
		while read -r ts; do
			ts=$(date -d "$ts" +%s%3N) || continue
			[ "$ts" -ge "$t_event" ] && { t_route=$ts; break; }
		done < <(grep -F " $LAB_VIP_DNAT " "$out/$phase-routes.txt" |
			sed -n 's/^\[\([^]]*\)\].*/\1/p')
		reroute_ms=$((t_route - t_event))
	fi
	[ "$phase" = poweroff ] || lab_wait_for 10 lab_ecmp_paths \
		$LAB_VIP_DNAT >/dev/null
fi

# The takeover: the new master's batond hears keepalived's MASTER line; in
# the classic lab its notify script starts (and commit_ms: its conntrackd
# commands are through).
RESTART=0
case $phase in kill | restart) RESTART=1 ;; esac
# The VIPs stay where they are.
STAY=$RESTART
[ "$phase" = flood ] && STAY=1
# Flap and chaos: many moves, each judged on its own (the events file).
[ "$MULTI" = 1 ] && STAY=1
commit_ms=null
if [ "$CLASSIC" = 1 ]; then
	limit=$((t_event + 20000))
	while [ "$(now_ms)" -lt "$limit" ]; do
		{ read -r role t_new t_done _ <"$(lab_ctd_state "$new")"; } \
			2>/dev/null
		if [ "${role:-}" = MASTER ] && [ "${t_new:-0}" -ge "$t_event" ]; then
			takeover_ms=$((t_new - t_event))
			[ -n "${t_done:-}" ] && { commit_ms=$((t_done - t_event)); break; }
		fi
		sleep 0.02
	done
elif [ "$ECMP" != 1 ] && [ "$STAY" = 0 ] && [ "$takeover_ms" = null ]; then
	limit=$((t_event + 20000))
	while [ "$(now_ms)" -lt "$limit" ]; do
		j=$(lab_node_ctl "$new" --json ha status 2>/dev/null)
		# batond's own wall-clock stamp of the MASTER line: the poll
		# (batonctl, jq) costs tens of ms on a loaded machine.
		t_new=$(echo "$j" | jq -r 'select(.keepalived_state == "MASTER") |
			.last_change_unix_ms // empty')
		if [ -n "$t_new" ]; then
			takeover_ms=$((t_new - t_event))
			break
		fi
		sleep 0.02
	done
fi
# t_master: when the traffic moved (VRRP takeover, or the reroute).
t_master=null
[ "$takeover_ms" != null ] && t_master=$((t_event + takeover_ms))
[ "$reroute_ms" != null ] && t_master=$((t_event + reroute_ms))

rc_clients=0
for p in "${pids[@]}"; do
	wait "$p" || rc_clients=1
done
[ -n "${monitor:-}" ] && kill "$monitor" 2>/dev/null
trap - INT TERM HUP EXIT
[ "$ECMP" != 1 ] && { [ "$STAY" = 0 ] || [ "$MULTI" = 1 ]; } &&
	lab_ha_follow_master
# ECMP return/join: who carries which flow now (lbK's own table).
[ "$ECMP" = 1 ] && [ "$phase" != poweroff ] &&
	lab_node_ctl "$node" --json ct list >"$out/$phase-after.ct.json"

# ---- analysis -----------------------------------------------------------------

# flows_json FILE T: the per-flow records against the event at T (ms):
# totals, results, pauses, and the handshake windows. Flap and chaos
# (MULTI) judge each flow against every moment the events file names (a
# fault, a heal, and when either moved the VIPs), the first of them in
# its life: established_before: open at it, handshake >= WINDOW_MS
# before; established_last_Nms: handshake in the last WINDOW_MS or in
# flight at it (replication's latency; reported, not failed); quiet: no
# event in its life (it must succeed too) - in place of started_after.
flows_json() {
	local events=/dev/null
	[ "$MULTI" = 1 ] && events=$out/$phase-events.txt
	awk -v t="$2" -v w="$WINDOW_MS" -v multi="$MULTI" '
	function pct(p,   i) {
		if (!n) return "null"
		i = int(p * n / 100 + 0.999999)
		if (i < 1) i = 1
		return v[i]
	}
	FILENAME == ARGV[1] {
		if ($2 != "settled") { ev[++ne] = $1
			if ($4 != "null") ev[++ne] = $1 + $4 }
		next
	}
	/^#/ || NF < 8 { next }
	multi {
		end = $6 > $4 ? $6 : $4
		e = 0
		for (i = 1; i <= ne; i++)
			if (ev[i] >= $4 && ev[i] <= end && (!e || ev[i] < e)) e = ev[i]
		if (!e) { after++; if ($3 == "ok") after_ok++ }
		else if ($5 > 0 && $5 <= e - w) { win++; if ($3 == "ok") win_ok++
			if ($3 == "reset") win_reset++ }
		else { late++; if ($3 == "ok") late_ok++ }
	}
	!multi {
		if ($5 > 0 && $5 <= t - w && $6 >= t) { win++; if ($3 == "ok") win_ok++
			if ($3 == "reset") win_reset++ }
		else if ($5 > t - w && $5 <= t) { late++; if ($3 == "ok") late_ok++ }
		else if ($4 > t) { after++; if ($3 == "ok") after_ok++ }
	}
	{
		total++; res[$3]++
		if ($3 != "ok") failed++
		if ($5 > 0) pv[++n] = $8 + 0
	}
	END {
		# insertion sort: a few thousand values at most
		for (i = 1; i <= n; i++) {
			x = pv[i]; j = i - 1
			while (j > 0 && v[j] > x) { v[j + 1] = v[j]; j-- }
			v[j + 1] = x
		}
		printf "{\"total\":%d,\"ok\":%d,\"failed\":%d,\"results\":{", total,
			res["ok"], failed
		sep = ""
		for (r in res) { printf "%s\"%s\":%d", sep, r, res[r]; sep = "," }
		printf "},\"pause_ms\":{\"p50\":%s,\"p99\":%s,\"max\":%s}", pct(50),
			pct(99), n ? v[n] : "null"
		printf ",\"established_before\":{\"total\":%d,\"ok\":%d,\"reset\":%d}", win,
			win_ok, win_reset
		printf ",\"established_last_%dms\":{\"total\":%d,\"ok\":%d}", w, late, late_ok
		printf ",\"%s\":{\"total\":%d,\"ok\":%d}}\n",
			(multi ? "quiet" : "started_after"), after, after_ok
	}' "$events" "$1"
}

# The event's reference time for the handshake windows: the VIP move
# (takeover) for failback, the reroute for return and join - flows opened
# until then must be on the new node too - the power-off itself otherwise.
t_ref=$t_event
case $phase in failback | return | join)
	[ "$t_master" != null ] && t_ref=$t_master ;;
esac

# moved_flows CT.JSON: how many of the long-lived flows (streams, UDP) lbK
# owns in that table: the copy taken before a power-off (lbK carried them
# and they had to move), lbK's own after a return or join (they moved to
# it). 0 would mean the drill moved nothing.
moved_flows() {
	local kind proto n=0 c
	for kind in "${streams[@]}" udp; do
		proto=tcp
		[ "$kind" = udp ] && proto=udp
		c=$(jq -r --argjson o "$node" --arg v "$(vip_of "$kind")" \
			--arg p "$proto" '.[] | select(.dir == "fwd" and
			.owner == $o and .dst == $v and .proto == $p) | .sport' \
			"$1" 2>/dev/null | awk 'NR == FNR { own[$1] = 1; next }
			!/^#/ && NF >= 9 && ($9 in own) { n++ }
			END { print n + 0 }' - "$out/$phase-$kind.flows")
		n=$((n + c))
	done
	echo "$n"
}
moved=null
if [ "$ECMP" = 1 ]; then
	f=$out/$phase-after.ct.json
	[ "$phase" = poweroff ] && f=$out/$phase-before.ct.json
	moved=$(moved_flows "$f")
fi

kinds=("${streams[@]}" udp rate)
[[ $phase == @(partition|splitbrain) ]] &&
	kinds=("${streams[@]}" udp udp-part rate)
[ "$RATE_FNAT" -gt 0 ] && kinds+=(rate-fnat)

# The flood: what was sent, what the node counted of it (new flows, and
# the drops of new flows the full table refused), the GC's pressure, the
# new connections started during it and those started RECOVER_MS after
# it (every one must succeed), and whether the master stayed.
flood=null
if [ "$phase" = flood ]; then
	node_ctl "$node" --json stats >"$out/$phase-stats-after.json"
	node_ctl "$node" --json status >"$out/$phase-status-after.json"
	node_ctl "$node" --json ct count >"$out/$phase-ct-count.json"
	stayed=true
	if [ "$SINGLE" = 0 ]; then
		m=$(lab_ha_master) && [ "$m" = "$node" ] || stayed=false
	fi
	conns=$(cat "$out/$phase-rate.flows" "$out/$phase-rate-fnat.flows" \
		2>/dev/null | awk -v a="$t_event" -v b="$t_flood_end" \
		-v r="$RECOVER_MS" '!/^#/ && NF >= 8 {
		if ($4 >= a && $4 < b) { d++; if ($3 == "ok") dok++ }
		if ($4 >= b + r) { n++; if ($3 == "ok") ok++ } }
		END { printf "{\"during\":{\"total\":%d,\"ok\":%d},", d, dok
		printf "\"recovered\":{\"total\":%d,\"ok\":%d}}", n, ok }')
	flood=$(jq -c -n --slurpfile f "$out/$phase-flood.json" \
		--slurpfile s0 "$out/$phase-stats-before.json" \
		--slurpfile s1 "$out/$phase-stats-after.json" \
		--slurpfile g0 "$out/$phase-status-before.json" \
		--slurpfile g1 "$out/$phase-status-after.json" \
		--slurpfile c "$out/$phase-ct-count.json" \
		--argjson conns "$conns" --argjson stayed "$stayed" \
		--argjson fend "$t_flood_end" '{sent: $f[0].sent,
		sent_per_s: $f[0].sent_per_s, seconds: $f[0].seconds,
		end_ms: $fend,
		new_flows: ($s1[0].counters.new_flow - $s0[0].counters.new_flow),
		ct_full: ($s1[0].drops.ct_full - $s0[0].drops.ct_full),
		pressure_passes: ($g1[0].gc.pressure_passes -
			$g0[0].gc.pressure_passes),
		expired_half_open: ($g1[0].gc.expired_half_open -
			$g0[0].gc.expired_half_open),
		table_after: $c[0].entries, table_max: $c[0].max,
		pressure_after: $g1[0].gc.pressure,
		master_stayed: $stayed} + $conns') ||
		{ lab_err "cannot read the flood's figures"; exit 1; }
fi
report=$out/$phase.json
{
	printf '{"phase":"%s","node":%s,"other":%s,"event_ms":%s,' "$phase" \
		"$node" "$other" "$t_event"
	printf '"takeover_ms":%s,"commit_ms":%s,"reroute_ms":%s,"moved":%s,' \
		"$takeover_ms" "$commit_ms" "$reroute_ms" "$moved"
	printf '"flood":%s,' "$flood"
	if [ "$phase" = partition ]; then
		printf '"partition":{"start_ms":%s,"seconds":%s,"dropped":%s,' \
			"$t_part" "$PART_S" "${part_dropped:-0}"
		printf '"heal_ms":%s,"resync_ms":%s,"converge_ms":%s,' \
			"$t_heal" "$resync_ms" "$converge_ms"
		printf '"exact_copy":%s},' "$copy"
	fi
	if [ "$phase" = splitbrain ]; then
		printf '"split":{"start_ms":%s,"seconds":%s,"dropped":%s,' \
			"$t_split" "$SPLIT_S" "${split_dropped:-0}"
		printf '"both_master":%s,"boost":%s,"heal_ms":%s,' \
			"$both" "$boost" "$t_heal"
		printf '"split_brain":"%s","settled_ms":%s,' \
			"$(lab_node_ctl "$node" --json ha status | jq -r .split_brain)" \
			"$settled_ms"
		printf '"one_master_ms":%s,"master_after":%s,"master_end":%s,' \
			"$one_ms" "$after" "$(lab_ha_master || echo null)"
		printf '"converge_ms":%s,"exact_copy":%s,' "$converge_ms" "$copy"
		printf '"arp_aged_ms":%s},' "$t_move"
	fi
	if [ "$MULTI" = 1 ]; then
		printf '"faults":{"seconds":%s,"seed":%s,"cycles":%s,' "$FAULT_S" \
			"$([ "$phase" = chaos ] && echo "$SEED" || echo null)" \
			"${cycles:-0}"
		printf '"failed":%s,"heal_ms":%s,"converge_ms":%s,' \
			"$(jq -n --arg f "$fault_fail" 'if $f == "" then null else $f end')" \
			"$t_heal" "$converge_ms"
		printf '"exact_copy":%s,"master_end":%s,"rss_slack_kb":%s,' "$copy" \
			"$(lab_ha_master || echo null)" "$RSS_SLACK_KB"
		printf '"events":%s,' "$(jq -R -s -c 'split("\n") |
			map(select(length > 0) | split(" ") | {t: (.[0] | tonumber),
			kind: .[1], node: (.[2] | fromjson), takeover_ms: (.[3] |
			fromjson), settle_ms: (.[4] | fromjson)})' \
			"$out/$phase-events.txt")"
		# Per watched process: VmRSS and fds at the start, after the
		# middle cycle (the first ones grow the heap: sync's resync
		# buffers, the nudge's, the listings), at the end; and all.
		printf '"memory":%s},' "$(awk -v mid=$((${cycles:-0} / 2)) '
			{ if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
			  rss[$2, $1] = $3; thr[$2, $1] = $4; fds[$2, $1] = $5
			  all[$2] = all[$2] (ns[$2]++ ? "," : "") $3 }
			function val(a, k) { return ((k in a) ? a[k] : "null") }
			END {
				printf "["
				for (i = 1; i <= n; i++) {
					p = order[i]; w = ((p, mid) in rss) ? mid : 0
					printf "%s{\"pid\":%s,\"rss_kb_start\":%s,", (i > 1 ? "," : ""), p, val(rss, p SUBSEP 0)
					printf "\"rss_kb_mid\":%s,\"rss_kb_end\":%s,", val(rss, p SUBSEP w), val(rss, p SUBSEP "end")
					g = "null"
					if (((p, w) in rss) && ((p, "end") in rss)) g = rss[p, "end"] - rss[p, w]
					printf "\"growth_kb\":%s,\"fds_mid\":%s,\"fds_end\":%s,", g, val(fds, p SUBSEP w), val(fds, p SUBSEP "end")
					printf "\"threads_end\":%s,\"rss_kb\":[%s]}", val(thr, p SUBSEP "end"), all[p]
				}
				printf "]"
			}' "$out/$phase-mem.txt")"
	fi
	printf '"reference_ms":%s,"flows":{' "$t_ref"
	sep=
	for kind in "${kinds[@]}"; do
		f=$out/$phase-$kind.flows
		printf '%s"%s":' "$sep" "$kind"
		if [ -s "$f" ]; then flows_json "$f" "$t_ref"; else printf 'null'; fi
		sep=,
	done
	printf '}}\n'
} | jq -c . >"$report" || { lab_err "cannot build $report"; exit 1; }

# The checks.
FAIL=0
check() {			# check DESCRIPTION JQ-EXPR
	if jq -e "$2" "$report" >/dev/null 2>&1; then
		say "   ok    $1"
	else
		say "   FAIL  $1"
		FAIL=1
	fi
}

row() { printf '   %-10s %7s %7s %7s %7s %8s %8s %8s  %s\n' "$@"; }
say "== results ($report)"
if [ "$MULTI" = 1 ]; then
	row kind total ok reset failed p50_ms p99_ms max_ms "handshake >=${WINDOW_MS}ms before a fault: ok/total; last ${WINDOW_MS}ms or in flight; no fault"
else
	row kind total ok reset failed p50_ms p99_ms max_ms "handshake >=${WINDOW_MS}ms before: ok/total; last ${WINDOW_MS}ms; after"
fi
for kind in "${kinds[@]}"; do
	# shellcheck disable=SC2046
	row "$kind" $(jq -r --arg k "$kind" '.flows[$k] // {} | [.total, .ok,
		(.results.reset // 0), .failed, .pause_ms.p50, .pause_ms.p99,
		.pause_ms.max] | map(tostring) | join(" ")' "$report") \
		"$(jq -r --arg k "$kind" --arg w "established_last_${WINDOW_MS}ms" \
		'.flows[$k] // {} | "\(.established_before.ok)/\(.established_before.total); \(.[$w].ok)/\(.[$w].total); \((.started_after // .quiet).ok)/\((.started_after // .quiet).total)"' \
		"$report")"
done
if [ "$ECMP" = 1 ]; then
	what="added lb$node"
	[ "$phase" = poweroff ] && what="dropped lb$node"
	say "   router $what ${reroute_ms} ms after the $phase; long-lived" \
		"flows $([ "$phase" = poweroff ] && echo "on lb$node before:" ||
		echo "moved to lb$node:") $moved"
elif [ "$phase" = flood ]; then
	say "   $(jq -r --arg n "$(node_name "$node")" --argjson r "$RECOVER_MS" '.flood | "flood: \(.sent) SYNs in \(.seconds) s (\(.sent_per_s)/s); \($n) counted \(.new_flows) new flows (the drill'"'"'s own among them) and \(.ct_full) refused (ct_full); GC under pressure \(.pressure_passes) passes, \(.expired_half_open) half-open flows expired; table \(.table_after)/\(.table_max) at the end; new connections during the flood \(.during.ok)/\(.during.total), from \($r / 1000) s after it \(.recovered.ok)/\(.recovered.total)"' "$report")"
elif [ "$RESTART" = 1 ]; then
	say "   batond on $(node_name "$node") $([ "$phase" = kill ] &&
		echo "killed (-9)" || echo "stopped (SIGTERM)") and restarted" \
		"$([ "$SINGLE" = 1 ] || echo "; keepalived left alone")"
elif [ "$MULTI" = 1 ]; then
	say "   $(jq -r '.faults | "\(.cycles) \(if .seed == null then "flap cycles (power-off and failback of the master)" else "faults (seed \(.seed))" end) in \(.seconds) s; \(.events | map(select(.takeover_ms != null)) | length) VIP moves, takeover p50 \(.events | map(.takeover_ms // empty) | sort | if length > 0 then .[(length - 1) / 2 | floor] else null end) ms, max \(.events | map(.takeover_ms // empty) | max) ms; settled after each within \(.events | map(.settle_ms // empty) | max) ms; \(if .failed then "stopped: \(.failed); " else "" end)at the end the standby an exact copy of lb\(.master_end) after \(.converge_ms) ms"' "$report")"
	[ "$phase" = chaos ] && say "   faults: $(jq -r '[.faults.events[] | select(.kind != "settled") | "\(.kind) lb\(.node)"] | join(", ")' "$report")"
	if [ "$phase" = flap ]; then
		say "   memory: $(jq -r '[.faults.memory[] | "pid \(.pid) VmRSS \(.rss_kb_start) -> \(.rss_kb_mid) (middle cycle) -> \(.rss_kb_end) kB (\(.growth_kb) kB), fds \(.fds_mid) -> \(.fds_end), threads \(.threads_end)"] | join("; ")' "$report")"
	else
		say "   batonds at the end: $(jq -r '[.faults.memory[] | select(.rss_kb_end != null) | "pid \(.pid) VmRSS \(.rss_kb_end) kB, fds \(.fds_end), threads \(.threads_end)"] | join("; ")' "$report")"
	fi
else
	[ "$phase" = splitbrain ] && say "   $(jq -r --arg o "lb$other" \
		--arg n "lb$node" '.split | "split brain: \($o) cut from \($n) (VRRP and sync) \(.seconds) s; both master: \(.both_master), \($o) outranking (took over): \(.boost); healed (split_brain: \(.split_brain)): one master (lb\(.master_after)) after \(.one_master_ms) ms; ARP entries aged \((.arp_aged_ms - .heal_ms)) ms after the heal; settled (both ready, no boost, streams in sync) after \(.settled_ms) ms, the standby an exact copy of lb\(.master_end) after \(.converge_ms) ms"' "$report")"
	[ "$phase" = partition ] && say "   $(jq -r --arg o "lb$other" '.partition |
		"partition: \($o)'"'"'s sync link cut \(.seconds) s (\(.dropped) packets dropped); \(if .heal_ms == null then "not healed" else "healed: \($o) had a full resync after \(.resync_ms) ms, was an exact copy (checked) after \(.converge_ms) ms" end); then the power-off"' "$report")"
	say "   VRRP takeover: lb$new MASTER ${takeover_ms} ms after the" \
		"$phase$([ "$CLASSIC" = 1 ] && echo "; its conntrackd commands" \
		"through at ${commit_ms} ms")"
fi

say "== checks"
for kind in "${streams[@]}"; do
	check "$kind: every TCP stream survived, every byte verified" \
		".flows.\"$kind\".total == $STREAMS and .flows.\"$kind\".failed == 0"
done
for kind in udp udp-part; do
	[ "$kind" = udp-part ] && [[ $phase != @(partition|splitbrain) ]] &&
		continue
	check "$kind: every UDP flow continued on its backend" \
		".flows.\"$kind\".total == $UDP and .flows.\"$kind\".failed == 0"
done
for kind in rate rate-fnat; do
	[ "$kind" = rate-fnat ] && [ "$RATE_FNAT" -le 0 ] && continue
	if [[ $phase == @(partition|splitbrain) ]]; then
		# They ran before the power-off: through the partition.
		check "$kind: every connection through the partition succeeded" \
			".flows.\"$kind\".total > 0 and .flows.\"$kind\".failed == 0"
		continue
	fi
	if [ "$MULTI" = 1 ]; then
		check "$kind: every connection established >= ${WINDOW_MS} ms before a fault survived it" \
			".flows.\"$kind\".established_before.total > 0 and
			 .flows.\"$kind\".established_before.ok ==
			 .flows.\"$kind\".established_before.total"
		check "$kind: every connection between faults succeeded" \
			".flows.\"$kind\".quiet.ok == .flows.\"$kind\".quiet.total"
		continue
	fi
	check "$kind: every connection established >= ${WINDOW_MS} ms before survived" \
		".flows.\"$kind\".established_before.total > 0 and
		 .flows.\"$kind\".established_before.ok ==
		 .flows.\"$kind\".established_before.total"
done
if [ "$phase" = partition ] && [ "$HEAL" = 1 ]; then
	check "lb$other an exact copy of lb$node within ${CONVERGE_S} s of the heal" \
		".partition.exact_copy"
fi
if [ "$MULTI" = 1 ]; then
	check "faults for $FAULT_S s, none stopped: $(jq -r .faults.cycles \
		"$report") $([ "$phase" = flap ] && echo cycles || echo faults)" \
		'.faults.failed == null and .faults.cycles > 0'
	check "settled, the standby an exact copy of the master within ${CONVERGE_S} s" \
		".faults.exact_copy"
fi
if [ "$phase" = flap ]; then
	check "VmRSS grew at most ${RSS_SLACK_KB} kB over the second half of the cycles on either node" \
		".faults.memory | length == ${#mem_pids[@]} and all(.growth_kb != null and
		 .growth_kb <= $RSS_SLACK_KB)"
	check "open fds grew at most 2 over the second half of the cycles on either node" \
		'.faults.memory | all(.fds_end != null and .fds_end <= .fds_mid + 2)'
fi
if [ "$phase" = splitbrain ]; then
	check "split brain: lb$node and lb$other both master" ".split.both_master"
	check "one master again within ${CONVERGE_S} s of the heal" \
		".split.one_master_ms != null"
	check "lb$other, master by the latest takeover, kept the VIPs at the heal" \
		".split.master_after == $other"
	check "settled, the standby an exact copy of the master within ${CONVERGE_S} s of the heal" \
		".split.exact_copy"
fi
if [ -n "${DRILL_BACKENDS:-}" ]; then
	# A handshake in flight through the node that fell can meet the new
	# backend set on its retry while the old backend answers its first
	# SYN: that one is reset, as a client of any balancer would see.
	check "no flow established before the event was reset" \
		"[.flows[] | select(. != null) | .established_before.reset] |
		 add == 0"
else
	check "no flow was reset" \
		"[.flows[] | select(. != null) | .results.reset // 0] | add == 0"
fi
if [ "$ECMP" = 1 ]; then
	check "the router $what" ".reroute_ms != null"
	check "the $phase moved long-lived flows (lb$node's: $moved)" \
		".moved > 0"
elif [ "$phase" = flood ]; then
	check "the flood filled the table and was counted (ct_full drops)" \
		".flood.ct_full > 0"
	check "every connection started $((RECOVER_MS / 1000)) s after the flood succeeded" \
		".flood.recovered.total > 0 and
		 .flood.recovered.ok == .flood.recovered.total"
	check "the GC's pressure was over at the end" \
		".flood.pressure_after == false"
	[ "$SINGLE" = 0 ] && check "$(node_name "$node") stayed master" \
		".flood.master_stayed"
elif [ "$STAY" = 0 ]; then
	check "lb$new took the VIPs" ".takeover_ms != null"
fi
ka_deaths_after=$(ka_deaths)
if [ "$ka_deaths_after" = "$ka_deaths_before" ]; then
	# no keepalived in an ECMP or single-node lab
	[ "$ECMP" = 1 ] || [ "$SINGLE" = 1 ] || say "   ok    keepalived's VRRP processes ran throughout"
else
	# Printed even with DRILL_QUIET: nothing else would say it.
	echo "   FAIL  keepalived's VRRP processes ran throughout (deaths per" \
		"node: before $ka_deaths_before, after $ka_deaths_after)"
	FAIL=1
fi

# explain_losses: for each long-lived flow and early connection (handshake
# >= WINDOW_MS before the event) that failed, what each node holds of it
# now - printed even with DRILL_QUIET, so a CI log alone tells sync lag (no
# copy on the new master), a handshake the old master never saw complete
# (SYN_RECV) and a refused copy apart. At most 8 per kind.
explain_losses() {
	local kind vip f line id sport t_est k st
	for kind in "${kinds[@]}"; do
		f=$out/$phase-$kind.flows
		[ -s "$f" ] || continue
		vip=$(vip_of "$kind")
		awk -v t="$t_ref" -v w="$WINDOW_MS" '!/^#/ && NF >= 9 &&
			$3 != "ok" && $5 > 0 && $5 <= t - w && $6 >= t {
			print $1, $3, $9, t - $5 }' "$f" | head -n 8 |
		while read -r id line sport t_est; do
			st=
			for ((k = 1; k <= LAB_NODES; k++)); do
				if [ "$CLASSIC" = 1 ]; then
					st+=" lb$k: $(grep -F "dst=$vip " \
						"$out/$phase-lb$k.conntrack.txt" \
						2>/dev/null | grep -m 1 -F \
						"sport=$sport " | cut -c 1-160);"
					continue
				fi
				st+=" lb$k: $(jq -r --argjson p "$sport" \
					--arg v "$vip" '[.[] | select(.dir == "fwd" and
					.sport == $p and .dst == $v)] | if length == 0
					then "none" else .[0] |
					"\(.state) owner \(.owner), \(.packets) pkts"
					end' \
					"$out/$phase-lb$k.ct.json" 2>/dev/null);"
			done
			echo "   lost: $kind #$id ($line) port $sport, handshake" \
				"$t_est ms before;$st"
		done
	done
	for ((k = 1; k <= LAB_NODES; k++)); do
		[ "$CLASSIC" = 1 ] && break
		echo "   lb$k sync: $(jq -c '[.peers[] | {id, state, lag_p99_us,
			conflicts, reply_taken}]' "$out/$phase-lb$k.sync.json" \
			2>/dev/null); drops: $(jq -c '.drops | with_entries(
			select(.value > 0))' "$out/$phase-lb$k.stats.json" \
			2>/dev/null)"
	done
	awk '/^== /{ns = $2} /^[0-9]+:/{ifn = $2}
		/RX:/{getline; rx = $4} /TX:/{getline; if (rx + $4 > 0)
		printf "   link drops: %s %s rx %s tx %s\n", ns, ifn, rx, $4}' \
		"$out/$phase-links.txt"
}

# ---- the timeline -------------------------------------------------------------

# One matrix: a row per stream (DNAT, fullNAT, DSR, UDP stacked), a column
# per 100 ms, padded to the longest.
tl=$out/$phase.tl
tl_files=() ytics= row0=0
for kind in "${streams[@]}" udp; do
	tl_files+=("$out/$phase-$kind.tl")
	n=$STREAMS
	[ "$kind" = udp ] && n=$UDP
	label=$(echo "$kind" | sed 's/dnat/DNAT/; s/fullnat/fullNAT/; s/dsr/DSR/; s/udp/UDP/')
	ytics+="${ytics:+, }\"$label\" $((row0 + n / 2))"
	row0=$((row0 + n))
done
awk 'FNR == 1 { blk++ } /^#/ || NF == 0 { next }
	{ row[++n] = $0; if (NF > w) w = NF; b[n] = blk }
	END { for (i = 1; i <= n; i++) { printf "%s", row[i]
		for (j = split(row[i], x, " ") + 1; j <= w; j++) printf " 0"
		printf "\n" } }' \
	"${tl_files[@]}" >"$tl" 2>/dev/null
if command -v gnuplot >/dev/null && [ -s "$tl" ]; then
	ev_s=$(awk -v a="$t_event" -v b="$t_start" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
	tk_s=null
	tk_label="lb$new MASTER"
	[ "$ECMP" = 1 ] && tk_label="router $what"
	[ "$t_master" != null ] &&
		tk_s=$(awk -v a="$t_master" -v b="$t_start" 'BEGIN { printf "%.2f", (a - b) / 1000 }')
	gnuplot 2>"$out/$phase.gnuplot.err" <<EOF || say "   (gnuplot failed: $out/$phase.gnuplot.err)"
set terminal pngcairo size 1200,700 font ",10"
set output "$out/$phase.png"
set title "$([ "$CLASSIC" = 1 ] && echo "Classic (nftables + conntrackd)" || echo Baton) $([ "$ECMP" = 1 ] && echo "ECMP" || echo "failover") drill: $phase of $(node_name "$node") - echoed bytes per flow per 100 ms"
set xlabel "seconds since the traffic started"
set ylabel "flow (one row each)"
set cblabel "bytes echoed in 100 ms (log scale; white: none)"
set logscale cb
set cbrange [10:*]
set palette defined (0 "#deebf7", 1 "#6baed6", 2 "#2171b5", 3 "#08306b")
set yrange [-0.5:$row0 - 0.5]
set arrow from first $ev_s, graph 0 to first $ev_s, graph 1 nohead front lc rgb "red" lw 2
set label "$phase" at $ev_s, graph 1.02 center tc rgb "red"
$( [ "$tk_s" != null ] && echo "set arrow from first $tk_s, graph 0 to first $tk_s, graph 1 nohead front lc rgb \"dark-green\" lw 1 dt 2
set label \"$tk_label\" at $tk_s, graph -0.04 center tc rgb \"dark-green\"" )
set ytics ($ytics)
plot "$tl" matrix using (\$1 * 0.1 + 0.05):2:(\$3 > 0 ? \$3 : NaN) with image notitle
EOF
	[ -s "$out/$phase.png" ] && say "== timeline: $out/$phase.png"
fi

[ "$rc_clients" = 0 ] || say "   (some client reported failed flows; see $out/$phase-*.json)"

# A failed drill keeps what explains it: each node's conntrack table, sync
# and HA status, and its batond, keepalived and bird logs, as they are now.
if [ "$FAIL" != 0 ]; then
	for ((k = 1; k <= LAB_NODES; k++)); do
		f=$out/$phase-lb$k
		if [ "$CLASSIC" = 1 ]; then
			ip netns exec "$(lab_node_ns "$k")" conntrack -L \
				>"$f.conntrack.txt" 2>&1
			lab_ctd "$k" -s >"$f.ctd-stats.txt" 2>&1
			cp "$LAB_STATE/conntrackd$k.log" "$f.ctd.log" 2>/dev/null
			cp "$LAB_STATE/ka$k.log" "$f.ka.log" 2>/dev/null
			continue
		fi
		node_ctl "$k" --json ct list >"$f.ct.json" 2>&1
		node_ctl "$k" --json sync status >"$f.sync.json" 2>&1
		node_ctl "$k" --json ha status >"$f.ha.json" 2>&1
		node_ctl "$k" --json stats >"$f.stats.json" 2>&1
		cp "$(node_log "$k")" "$f.log" 2>/dev/null
		cp "$LAB_STATE/ka$k.log" "$f.ka.log" 2>/dev/null
		cp "$LAB_STATE/bird-lb$k.log" "$f.bird.log" 2>/dev/null
	done
	cp "$LAB_STATE/bird-router.log" "$out/$phase-router.bird.log" \
		2>/dev/null
	# Drops on the links (a veth whose receiver did not keep up counts
	# them on the sender's side as TX dropped).
	for ns in $LAB_ALL_NS; do
		echo "== $ns"
		ip -n "$ns" -s link show 2>&1
	done >"$out/$phase-links.txt"
	say "   (failed: tables, status and logs of every node in $out/$phase-lb*)"
	explain_losses
	# ECMP: whose the long-lived flows were in the table the moved count
	# read (a count of 0 with an empty or partial table is no move).
	if [ "$ECMP" = 1 ]; then
		f=$out/$phase-after.ct.json
		[ "$phase" = poweroff ] && f=$out/$phase-before.ct.json
		echo "   moved count read $(basename "$f"): $(jq -c --arg a \
			"$LAB_VIP_DNAT" --arg b "$LAB_VIP_DSR" '[.[] | select(
			.dir == "fwd" and (.dst == $a or .dst == $b))] |
			{entries: length, by_owner: (group_by(.owner) |
			map({key: (.[0].owner | tostring), value: length}) |
			from_entries)}' "$f" 2>&1 | head -c 300)"
	fi
fi
exit $FAIL
