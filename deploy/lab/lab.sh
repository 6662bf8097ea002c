#!/usr/bin/env bash
# deploy/lab/lab.sh - the single-node Baton lab (see lib.sh for the topology).
#
#   lab.sh up [--no-batond]   namespaces, backends, batond (root)
#   lab.sh down               remove everything the lab made (also after a
#                             partial up); kills only the lab's own pids
#   lab.sh status             what is up
#   lab.sh traffic            the standard traffic mix, one JSON line each
#   lab.sh ctl ARGS...        batonctl against the lab's batond
#   lab.sh exec NODE CMD...   run CMD in a lab namespace (sw c lb b1 b2)
#
# Environment: BATON_LAB_PREFIX (default btl) names everything the lab makes,
# so labs with different prefixes coexist; BATON_BUILD the build dir (default
# <repo>/build); LAB_XDP native|generic|off; LAB_CONNS flows per service.
set -uo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	sed -n '4,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

cmd=${1:-}
[ $# -gt 0 ] && shift
lab_init "${BATON_LAB_PREFIX:-btl}" || exit 2

case $cmd in
up)
	if ! lab_up "$@"; then
		lab_err "up failed; removing what was made"
		lab_down
		exit 1
	fi
	echo "lab '$LAB_P' is up: client ns $LAB_NS_C, LB ns $LAB_NS_LB" \
		"(config $LAB_CONFIG); 'lab.sh down' removes it"
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
	lab_ctl "$@"
	;;
exec)
	node=${1:-}
	shift
	case $node in
	sw | c | lb | b1 | b2) lab_ns "$LAB_P$node" "$@" ;;
	*) usage >&2; exit 2 ;;
	esac
	;;
*)
	usage >&2
	exit 2
	;;
esac
