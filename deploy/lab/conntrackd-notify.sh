#!/bin/sh
# deploy/lab/conntrackd-notify.sh - keepalived's notify script on a node of
# the classic lab (lab.sh up --nodes 2 --ha --classic): what conntrack-tools'
# Primary-Backup setup does when VRRP changes the node's role, the
# baseline Baton's HA pair is measured against.
#
#   conntrackd-notify.sh CONF STATEFILE primary|backup|fault
#
#   primary  commit the external cache (the peer's flows) to the kernel's
#            conntrack table (not with DisableExternalCache: they are there
#            already), flush both caches, refill the internal one from the
#            kernel and send it all to the peer
#   backup   shorten the kernel's timers (flows this node no longer
#            carries), ask the peer for a full resync
#   fault    shorten the kernel's timers
#
# STATEFILE gets "ROLE START_MS" when the script starts (the lab's takeover
# stamp: keepalived runs it at the transition) and "ROLE START_MS DONE_MS"
# when the commands are through, unless a later transition has stamped it
# meanwhile (keepalived runs the scripts of successive transitions without
# waiting for each other, as it does on any node: the commands may overlap,
# the stamps never go back). A failed command goes to stderr (keepalived's
# log). CONF is the node's conntrackd.conf.
set -u

conf=$1 state=$2 role=$3
now_ms() { date +%s%3N; }
ctd() {
	conntrackd -C "$conf" "$@" >/dev/null 2>&1 ||
		echo "conntrackd-notify: conntrackd $* failed" >&2
}
# stamp LINE [IF_LINE]: STATEFILE := LINE (only if it still holds IF_LINE),
# under a lock, replaced whole.
stamp() {
	(
		flock 9 || exit 1
		if [ $# -ge 2 ] && [ "$(cat "$state" 2>/dev/null)" != "$2" ]; then
			exit 0
		fi
		echo "$1" >"$state.$$" && mv "$state.$$" "$state"
	) 9>"$state.lock"
}

t0=$(now_ms)
case $role in
primary) name=MASTER ;;
backup) name=BACKUP ;;
fault) name=FAULT ;;
*) echo "usage: conntrackd-notify.sh CONF STATEFILE primary|backup|fault" >&2
	exit 2 ;;
esac
stamp "$name $t0"

case $role in
primary)
	if ! grep -q '^[[:space:]]*DisableExternalCache[[:space:]]*on' "$conf"
	then
		ctd -c
	fi
	ctd -f
	ctd -R
	ctd -B
	;;
backup)
	ctd -t
	ctd -n
	;;
fault)
	ctd -t
	;;
esac
stamp "$name $t0 $(now_ms)" "$name $t0"
