#!/usr/bin/env bash
# test_restart.sh - restarting batond under traffic loses no flow, in the
# single-node lab with keep_datapath: true (what the systemd unit runs
# with, --keep-datapath), under deploy/lab/drill.sh's traffic (TCP streams
# to the DNAT, fullNAT and DSR VIPs, UDP flows, new connections at 750/s,
# every byte verified):
#
#  1. restart (SIGTERM, start): every flow survives, none is reset. The new
#     batond loaded its own programs - an upgrade is this same restart with
#     a new binary - and swapped them in on both interfaces (new program
#     ids, the old ones freed by the kernel), on the same pinned maps (same
#     conntrack map id).
#  2. kill -9, start a second later: the same.
#  3. A batond that cannot take over (an upgrade whose maps do not fit:
#     conntrack.max_entries changed) exits with a clear error and leaves the
#     running datapath alone: new connections still go through, and a
#     batond with the right config then takes over.
#  4. batond --detach-all: refused while a batond runs (nothing changes);
#     after a stop it detaches TC and XDP from both interfaces and removes
#     the pins; a second run finds nothing to do; the VIP no longer answers.
#  5. Control: keep_datapath: false, the same restart drill - the stop
#     removes the datapath and the same checks see streams fail and
#     connections reset.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_cmd bpftool
nt_drill_init rs
export LAB_KEEP_DATAPATH=true

# ---- helpers -------------------------------------------------------------------

# progs: "TC_eth0 TC_eth1 XDP_eth0 XDP_eth1" program ids (0: none).
progs() {
	nsenter --net="/run/netns/$LAB_NS_LB" bpftool -j net show 2>/dev/null |
		jq -r '.[0] as $n | [("tc", "xdp") as $k | ("eth0", "eth1") as $d
			| ([$n[$k][] | select(.devname == $d) | .id][0] // 0)]
			| map(tostring) | join(" ")'
}

ct_map_id() {
	bpftool -j map show pinned "$LAB_PIN/ct_v4_map" 2>/dev/null | jq -r .id
}

prog_exists() { bpftool prog show id "$1" >/dev/null 2>&1; }

# ids4 "A B C D": four program ids, none 0.
ids4() { [[ $1 =~ ^[1-9][0-9]*( [1-9][0-9]*){3}$ ]]; }

# prev_log: the log of the batond before the running one (lab_batond_start
# keeps it as batond.log.N).
prev_log() {
	ls -v "$LAB_STATE"/batond.log.* 2>/dev/null | tail -n 1
}

batond_cmd() {			# batond ARGS... in the LB namespace
	nsenter --net="/run/netns/$LAB_NS_LB" "$LAB_BATOND" "$@"
}

JSON=
exchanges() {			# exchanges N: N TCP exchanges to the DNAT VIP
	JSON=$(lab_client --tcp "$LAB_VIP_DNAT:80" --conns "$1" --parallel 10 \
		--timeout-ms 3000 2>&1)
	echo "  $1 connections: $(echo "$JSON" | jq -c '{ok, failed, refused,
		reset, timeout}' 2>/dev/null || echo "$JSON" | head -c 300)"
}

# drill_figures PHASE: the drill's flows and pauses, one line.
drill_figures() {
	jq -r '.flows | to_entries | map("\(.key) \(.value.ok)/\(.value.total) max \(.value.pause_ms.max) ms") | join(", ")' \
		"$TMP/$1.json" 2>/dev/null
}

# ---- up ------------------------------------------------------------------------

nt_step "lab up, keep_datapath: true (prefix $LAB_P)"
lab_up >"$TMP/up.log" 2>&1 || { cat "$TMP/up.log"; nt_fatal "lab up failed"; }

# ---- 1. restart ------------------------------------------------------------------

nt_step "1. batond restarted (SIGTERM, start) under traffic"
P0=$(progs)
CT0=$(ct_map_id)
nt_log "programs before (tc eth0 eth1, xdp eth0 eth1): $P0; ct_v4_map id $CT0"
nt_assert_true "TC and XDP attached on eth0 and eth1" ids4 "$P0"
nt_drill restart
nt_assert_eq $? 0 "drill restart: every check passed"
nt_log "figures: $(drill_figures restart)"
P1=$(progs)
nt_log "programs after: $P1"
read -r t0 t1 x0 x1 <<<"$P0"
read -r n0 n1 m0 m1 <<<"$P1"
nt_assert_true "new TC and XDP programs on both interfaces" \
	eval 'ids4 "$P1" && [ "$n0" != "$t0" ] && [ "$n0" = "$n1" ] &&
		[ "$m0" != "$x0" ] && [ "$m0" = "$m1" ]'
nt_assert_false "the old TC program is gone" prog_exists "$t0"
nt_assert_false "the old XDP program is gone" prog_exists "$x0"
nt_assert_eq "$(ct_map_id)" "$CT0" "the same conntrack map (id)"
nt_assert_eq "$(lab_ctl --json status | jq .maps_reused)" true \
	"status: maps reused"
nt_assert_true "the old batond stopped (keep_datapath)" grep -q \
	"keep_datapath: programs stay attached" "$(prev_log)"

# ---- 2. kill -9 ------------------------------------------------------------------

nt_step "2. batond killed (-9) under traffic, started a second later"
nt_drill kill
nt_assert_eq $? 0 "drill kill: every check passed"
nt_assert_false "the old batond was killed, not stopped" grep -q \
	"batond: stopped" "$(prev_log)"
nt_log "figures: $(drill_figures kill)"
nt_assert_eq "$(ct_map_id)" "$CT0" "the same conntrack map (id)"

# ---- 3. a batond that cannot take over -------------------------------------------

nt_step "3. an upgrade whose maps do not fit is refused; the datapath serves on"
lab_batond_stop
P2=$(progs)
CT_MAX=$(sed -n 's/^  max_entries: //p' "$LAB_CONFIG")
sed "s/^  max_entries: .*/  max_entries: $((CT_MAX / 2))/" "$LAB_CONFIG" \
	>"$TMP/bad.yaml"
nt_assert_false "the upgrade's config changes max_entries" \
	cmp -s "$TMP/bad.yaml" "$LAB_CONFIG"
# Bounded: were it to start after all, it would run until stopped.
timeout 20 nsenter --net="/run/netns/$LAB_NS_LB" "$LAB_BATOND" \
	-c "$TMP/bad.yaml" >"$TMP/bad.log" 2>&1
nt_assert_eq $? 1 "batond with conntrack.max_entries changed exits 1"
sed 's/^/  bad.log: /' "$TMP/bad.log" | tail -n 3
nt_assert_true "it says why and what to do" grep -q \
	"has $CT_MAX entries but conntrack.max_entries is $((CT_MAX / 2)).*--detach-all" \
	"$TMP/bad.log"
nt_assert_eq "$(progs)" "$P2" "the running programs are untouched"
exchanges 200
nt_assert_eq "$(echo "$JSON" | jq -r .ok)" 200 \
	"new connections go through with no batond running"
lab_batond_start || nt_fatal "batond did not start again"
nt_assert_eq "$(lab_ctl --json status | jq .maps_reused)" true \
	"the right batond took over the same maps"
exchanges 200
nt_assert_eq "$(echo "$JSON" | jq -r .ok)" 200 "and serves"

# ---- 4. --detach-all ---------------------------------------------------------------

nt_step "4. batond --detach-all"
# The lab's config with an ha: section, for the track file --detach-all
# writes (-254, so that keepalived would release the VIPs), and one whose
# pin dir does not exist: a batond whose pins are not visible from here
# (`ip netns exec` hides the host's bpffs) must not lose its programs.
TRACK=$TMP/track
echo 0 >"$TRACK"
{
	cat "$LAB_CONFIG"
	printf 'ha:\n  notify_fifo: %s\n  track_file: %s\n  follow: VG_1\n' \
		"$TMP/fifo" "$TRACK"
} >"$TMP/ha.yaml"
sed "s|^  pin_path: .*|  pin_path: $LAB_PIN-none|" "$LAB_CONFIG" >"$TMP/nopin.yaml"
P3=$(progs)
nt_assert_true "TC and XDP attached" ids4 "$P3"
batond_cmd -c "$TMP/ha.yaml" --detach-all >"$TMP/detach1.log" 2>&1
nt_assert_eq $? 1 "refused while batond runs"
nt_assert_true "it says so" grep -q "a batond answers on $LAB_SOCK; stop it first" \
	"$TMP/detach1.log"
nt_assert_eq "$(cat "$TRACK")" 0 "the track file is left alone"
batond_cmd -c "$TMP/nopin.yaml" --detach-all >"$TMP/detach0.log" 2>&1
nt_assert_eq $? 1 "refused while batond runs, also with its pins out of sight"
nt_assert_eq "$(progs)" "$P3" "nothing detached"
nt_assert_true "nothing unpinned" test -e "$LAB_PIN/ct_v4_map"
lab_batond_stop
nt_assert_eq "$(progs)" "$P3" "a stop (keep_datapath) leaves the programs"
batond_cmd -c "$TMP/ha.yaml" --detach-all >"$TMP/detach2.log" 2>&1
nt_assert_eq $? 0 "--detach-all after the stop"
sed 's/^/  detach.log: /' "$TMP/detach2.log" | tail -n 1
nt_assert_eq "$(cat "$TRACK")" -254 "it wrote -254 to the track file"
nt_assert_eq "$(progs)" "0 0 0 0" "no TC or XDP program on eth0, eth1"
nt_assert_false "pin dir removed" test -e "$LAB_PIN"
nt_assert_true "it reports what it removed" grep -q \
	"2 tc filters and 2 xdp programs detached, [0-9]* maps unpinned, pin dir removed" \
	"$TMP/detach2.log"
batond_cmd -c "$LAB_CONFIG" --detach-all >"$TMP/detach3.log" 2>&1
nt_assert_eq $? 0 "a second --detach-all: nothing to do"
nt_assert_true "and it says so" grep -q \
	"0 tc filters and 0 xdp programs detached, 0 maps unpinned" \
	"$TMP/detach3.log"
exchanges 20
nt_assert_eq "$(echo "$JSON" | jq -r .ok)" 0 "the VIP no longer answers"

# ---- 5. control ------------------------------------------------------------------

nt_step "5. control: keep_datapath: false, the same restart"
LAB_KEEP_DATAPATH=false lab_write_config
lab_batond_start || nt_fatal "batond did not start"
# Its output (the losses it explains) in a file: they are expected here.
"$NT_SRC/deploy/lab/drill.sh" restart --out "$TMP/control" \
	>"$TMP/control.log" 2>&1
nt_assert_eq $? 1 "drill restart without keep_datapath fails"
grep -E '^   (kind|dnat|fullnat|dsr|udp|rate) ' "$TMP/control.log" |
	sed 's/^/  | /'
nt_log "figures: $(jq -r '.flows | to_entries | map("\(.key) \(.value.ok)/\(.value.total)") | join(", ")' "$TMP/control/restart.json")"
nt_assert_ge "$(jq '.flows.dnat.failed + .flows.fullnat.failed +
	.flows.dsr.failed' "$TMP/control/restart.json")" 1 \
	"control: TCP streams broke"
nt_assert_ge "$(jq '[.flows[] | .results.reset // 0] | add' \
	"$TMP/control/restart.json")" 1 "control: flows were reset"

nt_finish
