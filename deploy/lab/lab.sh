#!/usr/bin/env bash
# deploy/lab/lab.sh - the Baton lab (see lib.sh for the topology): one LB
# node, or N of them replicating conntrack to each other.
#
#   lab.sh up [--no-batond]   namespaces, backends, batond (root)
#   lab.sh up --nodes N [--tls] [--no-sync] [--ha] [--no-batond]
#                             N LB nodes lb1..lbN (2..4), each with its own
#                             batond syncing to all the others (tls+tcp://
#                             with --tls; no sync section with --no-sync);
#                             lb1 is active; --ha: keepalived on every
#                             node moves the VIPs (lb1 priority 150)
#   lab.sh up --nodes 2 --ha --classic [--ctd-no-external]
#                             the stack Baton is compared with: no batond;
#                             nftables DNAT, conntrackd (FT-FW) and
#                             keepalived running conntrackd's Primary-
#                             Backup notify script (lib.sh, classic lab)
#   lab.sh up --ecmp [--nodes N] [--spare S]
#                             N (default 4) LB nodes behind a BGP router
#                             (bird2) that spreads the VIPs over them by
#                             an L4 hash; the last S (default 1) are wired
#                             but not started (lab.sh join K starts one)
#   lab.sh join K | leave K   ECMP lab: start / stop lbK's batond and bird
#   lab.sh poweroff K | poweron K   all of lbK's links down / up
#   lab.sh down               remove everything the lab made (also after a
#                             partial up); kills only the lab's own pids
#   lab.sh status             what is up
#   lab.sh traffic            the standard traffic mix, one JSON line each
#   lab.sh ctl [--node K] ARGS...   batonctl against the lab's (lbK's) batond
#   lab.sh activate K         N nodes: move VIPs, gateway, SNAT address to lbK
#   lab.sh exec NODE CMD...   run CMD in a lab namespace (sw c lb b1 b2; with
#                             N nodes lb1..lbN)
#
# Environment: BATON_LAB_PREFIX (default btl) names everything the lab makes,
# so labs with different prefixes coexist; BATON_BUILD the build dir (default
# <repo>/build); LAB_XDP native|generic|off; LAB_CONNS flows per service.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '5,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cmd=${1:-}
[ $# -gt 0 ] && shift

# up's own options (the rest goes to lab_up).
up_args=()
if [ "$cmd" = up ]; then
	while [ $# -gt 0 ]; do
		case $1 in
		--nodes)
			[ $# -ge 2 ] || { usage >&2; exit 2; }
			LAB_NODES=$2
			shift
			;;
		--tls) LAB_TLS=1 ;;
		--no-sync) LAB_SYNC=0 ;;
		--ha) LAB_HA=1 ;;
		--classic) LAB_CLASSIC=1 ;;
		--ctd-no-external) LAB_CTD_EXTERNAL=0 ;;
		--ecmp) LAB_ECMP=1 ;;
		--spare)
			[[ ${2:-} =~ ^[0-3]$ ]] || { usage >&2; exit 2; }
			LAB_SPARE=$2
			shift
			;;
		--no-batond) up_args+=(--no-batond) ;;
		*) usage >&2; exit 2 ;;
		esac
		shift
	done
	if [ "${LAB_ECMP:-0}" = 1 ]; then
		LAB_NODES=${LAB_NODES:-4}
		LAB_SPARE=${LAB_SPARE:-1}
		if [ "${LAB_HA:-0}" = 1 ] || [ "$LAB_SPARE" -ge "$LAB_NODES" ]
		then
			echo "lab.sh: --ecmp excludes --ha; --spare must leave" \
				"a node running" >&2
			exit 2
		fi
	fi
	if [ "${LAB_CLASSIC:-0}" = 1 ] && { [ "${LAB_NODES:-1}" != 2 ] ||
		[ "${LAB_HA:-0}" != 1 ]; }; then
		echo "lab.sh: --classic needs --nodes 2 --ha" >&2
		exit 2
	fi
	if [ "${LAB_CTD_EXTERNAL:-1}" = 0 ] && [ "${LAB_CLASSIC:-0}" != 1 ]; then
		echo "lab.sh: --ctd-no-external needs --classic" >&2
		exit 2
	fi
	if [ "${LAB_NODES:-1}" = 1 ] &&
		[ "${LAB_TLS:-0}" = 1 -o "${LAB_SYNC:-1}" = 0 -o \
		"${LAB_HA:-0}" = 1 ]; then
		echo "lab.sh: --tls, --no-sync and --ha need --nodes 2..4" >&2
		exit 2
	fi
fi
lab_init "${BATON_LAB_PREFIX:-btl}" || exit 2

case $cmd in
up)
	if ! lab_up "${up_args[@]}"; then
		lab_err "up failed; removing what was made"
		lab_down
		exit 1
	fi
	if [ "$LAB_NODES" -ge 2 ]; then
		echo "lab '$LAB_P' is up: client ns $LAB_NS_C, LB nodes" \
			"${LAB_P}lb1..${LAB_P}lb$LAB_NODES (configs" \
			"$LAB_STATE/lbK.yaml), active lb$LAB_ACTIVE;" \
			"'lab.sh down' removes it"
	else
		echo "lab '$LAB_P' is up: client ns $LAB_NS_C, LB ns $LAB_NS_LB" \
			"(config $LAB_CONFIG); 'lab.sh down' removes it"
	fi
	;;
down)
	lab_down
	;;
status)
	lab_status
	;;
traffic)
	lab_traffic
	rc=$?
	read -r sent b1 b2 lb < <(lab_ping_vip $LAB_VIP_DNAT 10)
	printf '{"proto":"icmp","target":"%s","total":10,"ok":%s,' \
		"$LAB_VIP_DNAT" "$sent"
	printf '"backends":{"be1":%s,"be2":%s},"answered_by_lb":%s}\n' \
		"$b1" "$b2" "$lb"
	[ "$sent" = 10 ] && [ $((b1 + b2)) = 10 ] && [ "$lb" = 0 ] || rc=1
	exit $rc
	;;
ctl)
	if [ "${1:-}" = --node ]; then
		[ "$LAB_NODES" -ge 2 ] && [[ ${2:-} =~ ^[1-4]$ ]] &&
			[ "$2" -le "$LAB_NODES" ] || { usage >&2; exit 2; }
		k=$2
		shift 2
		lab_node_ctl "$k" "$@"
	else
		lab_ctl "$@"
	fi
	;;
activate)
	[ "$LAB_NODES" -ge 2 ] || { echo "lab.sh: activate needs an" \
		"N-node lab (up --nodes N)" >&2; exit 2; }
	[ "${LAB_HA:-0}" = 1 ] && { echo "lab.sh: with --ha keepalived" \
		"moves the addresses" >&2; exit 2; }
	lab_activate "${1:-}"
	;;
join | leave)
	[ "${LAB_ECMP:-0}" = 1 ] && [[ ${1:-} =~ ^[1-4]$ ]] &&
		[ "$1" -le "$LAB_NODES" ] || { usage >&2; exit 2; }
	if [ "$cmd" = join ]; then lab_ecmp_node_up "$1"; else lab_ecmp_node_down "$1"; fi
	;;
poweroff | poweron)
	[ "$LAB_NODES" -ge 2 ] && [[ ${1:-} =~ ^[1-4]$ ]] &&
		[ "$1" -le "$LAB_NODES" ] || { usage >&2; exit 2; }
	if [ "$cmd" = poweroff ]; then lab_power_off "$1"; else lab_power_on "$1"; fi
	;;
exec)
	node=${1:-}
	[ $# -gt 0 ] && shift
	case $node in
	sw | c | b1 | b2) lab_ns "$LAB_P$node" "$@" ;;
	lb) lab_ns "$LAB_NS_LB" "$@" ;;
	lb[1-4])
		[ "${node#lb}" -le "$LAB_NODES" ] && [ "$LAB_NODES" -ge 2 ] ||
			{ usage >&2; exit 2; }
		lab_ns "$LAB_P$node" "$@"
		;;
	*) usage >&2; exit 2 ;;
	esac
	;;
*)
	usage >&2
	exit 2
	;;
esac
