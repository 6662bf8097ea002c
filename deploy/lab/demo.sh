#!/usr/bin/env bash
# deploy/lab/demo.sh - the lab demo: set up the machine, bring up a one-node
# Baton lab in network namespaces, drive TCP/UDP/ICMP traffic through every
# service, report what happened, tear everything down (also on failure or
# Ctrl-C). Exit status 0 only if every flow succeeded end to end.
#
#   sudo deploy/lab/demo.sh
#
# Environment: BATON_LAB_PREFIX (default unique per run), DEMO_CONNS flows
# per service (default 300), LAB_XDP native|generic|off.
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
lab_init "${BATON_LAB_PREFIX:-bd$(($$ % 100000))}" || exit 2
N=${DEMO_CONNS:-300}
PINGS=20
FAIL=0

cleanup() {
	trap - EXIT INT TERM HUP
	echo "== teardown (lab '$LAB_P')"
	lab_down
}
trap 'rc=$?; cleanup; exit $rc' EXIT
trap 'echo "demo.sh: interrupted"; exit 130' INT TERM HUP

echo "== lab up (prefix '$LAB_P')"
t0=$SECONDS
LAB_QUIET=1 lab_up || { echo "demo.sh: lab up failed" >&2; exit 1; }
echo "   up in $((SECONDS - t0)) s: client $LAB_CLIENT -> LB $LAB_LB_FRONT" \
	"(batond on eth0/eth1) -> backends be1 $LAB_B1, be2 $LAB_B2"

row() {
	printf '  %-20s %-15s %6s %6s %6s %6s %6s  %-16s %s\n' "$@"
}

# report_json SERVICE MODE JSON: one table row from baton-traffic's JSON.
report_json() {
	local svc=$1 mode=$2 j=$3
	if ! echo "$j" | jq -e . >/dev/null 2>&1; then
		row "$svc" "$mode" "?" "?" "?" "?" "?" "(no JSON)" "$j"
		FAIL=1
		return
	fi
	# shellcheck disable=SC2046
	row "$svc" "$mode" $(echo "$j" | jq -r '[.total, .ok, .failed,
		(.backends.be1 // 0), (.backends.be2 // 0)] | map(tostring) |
		join(" ")') "$(echo "$j" | jq -r '.seen_peer | join(",")')" \
		"$(echo "$j" | jq -r '.client_seen_by_server | join(",")')"
	[ "$(echo "$j" | jq -r .failed)" = 0 ] || {
		FAIL=1
		echo "$j" | jq -c '{failed, reset, refused, timeout, wrong_peer,
			bad_bytes, bad_banner, eof, error}' | sed 's/^/    /'
	}
}

echo "== traffic: $N flows per service, bytes verified end to end"
row service mode flows ok failed be1 be2 "client saw" "backends saw"
for spec in "$LAB_VIP_DNAT dnat/maglev" "$LAB_VIP_FULLNAT fullnat/lc" \
	"$LAB_VIP_DSR dsr/maglev"; do
	set -- $spec
	j=$(lab_client --tcp "$1:80" --conns "$N" --parallel 20 --bytes 4096 \
		--timeout-ms 30000)
	report_json "$1:80/tcp" "$2" "$j"
done
j=$(lab_client --udp "$LAB_VIP_DNAT:53" --count "$N" --parallel 20 \
	--timeout-ms 20000)
report_json "$LAB_VIP_DNAT:53/udp" "dnat/wrr $LAB_WRR_W1:$LAB_WRR_W2" "$j"
read -r sent b1 b2 lb < <(lab_ping_vip $LAB_VIP_DNAT $PINGS)
row "$LAB_VIP_DNAT/icmp" dnat/maglev $PINGS "$sent" $((PINGS - sent)) \
	"$b1" "$b2" "$LAB_VIP_DNAT" "(LB answered $lb itself)"
[ "$sent" = $PINGS ] && [ $((b1 + b2)) = $PINGS ] && [ "$lb" = 0 ] || FAIL=1

echo "== conntrack (batonctl ct count; ct list, first lines)"
lab_ctl ct count 2>&1 | sed 's/^/  /'
lab_ctl ct list 2>&1 | head -n 8 | sed 's/^/  /'

echo "== drops (batonctl stats)"
stats=$(lab_ctl --json stats 2>&1)
if drops=$(echo "$stats" | jq -er '.drops | to_entries |
	map("\(.key)=\(.value)") | join(" ")' 2>/dev/null); then
	echo "  $drops"
	nz=$(echo "$stats" | jq '[.drops[] | select(. != 0)] | length')
	[ "$nz" = 0 ] || { echo "  (non-zero drop counters above)"; FAIL=1; }
else
	echo "  batonctl stats failed: $stats"
	FAIL=1
fi

echo
if [ "$FAIL" = 0 ]; then
	echo "RESULT: PASS - every flow was balanced and verified; the client" \
		"only saw VIPs"
else
	echo "RESULT: FAIL - see the rows above"
fi
exit $FAIL
