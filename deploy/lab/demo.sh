#!/usr/bin/env bash
# deploy/lab/demo.sh - the HA failover demo: set up the machine, bring up an
# active-standby Baton pair in network namespaces (client, switch, lb1, lb2,
# two backends; keepalived and batond on each LB node, conntrack sync
# between them), drive traffic through it, power off the active node in the
# middle (deploy/lab/drill.sh poweroff), report what survived, then power
# it back on and fail back (drill.sh failback), report again, tear
# everything down (also on failure or Ctrl-C). Exit status 0 only if every
# check of both drills passed.
#
#   sudo deploy/lab/demo.sh
#
# Environment: BATON_LAB_PREFIX (default unique per run); DEMO_OUT where the
# reports and PNG timelines go (default <build>/demo); DEMO_NO_FAILBACK=1
# stops after the power-off; DRILL_* (see drill.sh) size the traffic.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (sudo deploy/lab/demo.sh)" >&2
	exit 1
fi

echo "== setup: packages, bpffs, build (deploy/setup.sh)"
t0=$SECONDS
# shellcheck source=../setup.sh
. "$here/../setup.sh" || { echo "demo.sh: setup failed" >&2; exit 1; }
echo "   done in $((SECONDS - t0)) s (build: $BATON_BUILD)"

. "$here/lib.sh"
export BATON_LAB_PREFIX=${BATON_LAB_PREFIX:-bd$(($$ % 100000))}
export LAB_NODES=2 LAB_HA=1
lab_init "$BATON_LAB_PREFIX" || exit 2
OUT=${DEMO_OUT:-$LAB_BUILD/demo}
mkdir -p "$OUT" || exit 1
FAIL=0

cleanup() {
	trap - EXIT INT TERM HUP
	echo "== teardown (lab '$LAB_P')"
	lab_down
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'echo "demo.sh: interrupted"; exit 130' INT TERM HUP

echo "== lab up (prefix '$LAB_P'): 2 LB nodes, keepalived, conntrack sync"
t0=$SECONDS
LAB_QUIET=1 lab_up || { echo "demo.sh: lab up failed" >&2; exit 1; }
echo "   up in $((SECONDS - t0)) s: client $LAB_CLIENT -> VIPs" \
	"$LAB_VIP_DNAT (DNAT), $LAB_VIP_FULLNAT (fullNAT), $LAB_VIP_DSR (DSR)" \
	"-> backends $LAB_B1, $LAB_B2"

roles() {
	local k
	for k in 1 2; do
		lab_node_ctl "$k" --json ha status | jq -r --arg k "$k" \
			'"   lb\($k): keepalived \(.keepalived_state) (priority \(.priority)), ready \(.ready), track \(.track), peers \([.peers[] | "\(.id) \(.state)\(if .stale then " stale" else "" end)"] | join(", "))"'
	done
}
roles

echo "== every service through the pair (lb$LAB_ACTIVE active)"
LAB_CONNS=200 lab_traffic | jq -r '"   \(.target) \(.proto): \(.ok)/\(.total) ok, backends \(.backends | tostring)"' ||
	FAIL=1

echo
"$here/drill.sh" poweroff --out "$OUT" || FAIL=1
roles

if [ "${DEMO_NO_FAILBACK:-0}" != 1 ]; then
	echo
	"$here/drill.sh" failback --out "$OUT" || FAIL=1
	roles
fi

echo
echo "== files: reports $OUT/*.json, timelines $OUT/*.png"
if [ "$FAIL" = 0 ]; then
	echo "RESULT: PASS - the active node was powered off mid-traffic and" \
		"no established flow broke; failback broke none either"
else
	echo "RESULT: FAIL - see the checks above"
fi
exit $FAIL
