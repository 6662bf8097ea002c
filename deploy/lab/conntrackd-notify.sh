#!/bin/sh
# deploy/lab/conntrackd-notify.sh - keepalived's notify script on a node of
# the classic lab (lab.sh up --nodes 2 --ha --classic): what conntrack-tools'
# Primary-Backup setup does when VRRP changes the node's role, the
# baseline Baton's HA pair is measured against.
#
#   conntrackd-notify.sh CONF STATEFILE primary|backup|fault
#
#   primary  commit the external cache (the peer's flows) to the kernel's
#            conntrack table, flush both caches, refill the internal one
#            from the kernel and send it all to the peer
#   backup   shorten the kernel's timers (flows this node no longer
#            carries), ask the peer for a full resync
#   fault    shorten the kernel's timers
#
# STATEFILE gets "ROLE START_MS" when the script starts (the lab's takeover
# stamp: keepalived runs it at the transition) and "ROLE START_MS DONE_MS"
# when the commands are through; each command's failure goes to stderr
# (keepalived's log). CONF is the node's conntrackd.conf.
set -u

conf=$1 state=$2 role=$3
now_ms() { date +%s%3N; }
ctd() {
	conntrackd -C "$conf" "$@" >/dev/null 2>&1 ||
		echo "conntrackd-notify: conntrackd $* failed" >&2
}

t0=$(now_ms)
case $role in
primary) name=MASTER ;;
backup) name=BACKUP ;;
fault) name=FAULT ;;
*) echo "usage: conntrackd-notify.sh CONF STATEFILE primary|backup|fault" >&2
	exit 2 ;;
esac
# keepalived may run two of us at once (FAULT, then BACKUP): each writes
# its own temporary file and renames it into place.
echo "$name $t0" >"$state.$$" && mv "$state.$$" "$state"

case $role in
primary)
	# Without an external cache (DisableExternalCache on) the peer's
	# flows are in the kernel already: nothing to commit.
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
echo "$name $t0 $(now_ms)" >"$state.$$" && mv "$state.$$" "$state"
