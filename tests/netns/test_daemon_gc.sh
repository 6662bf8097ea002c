#!/bin/bash
# test_daemon_gc.sh - batond's conntrack GC removes exactly the expired pairs.
#
#   1. ct_gc_check unit: the scan on private maps (a fixture of pairs with
#      last_seen in the past, the future, per-state timeouts, DSR halves,
#      orphans, be_stats accounting) and a 20000-pair table scanned in many
#      small steps.
#   2. The same fixture written into a running batond's pinned ct_v4_map.
#      Control: with the GC idle (first pass in 60 s) the verification must
#      fail. Then SIGHUP to a 100 ms GC interval; after two passes exactly
#      the expected entries are left, and be_stats_map.active was given back
#      for the expired counted flows. batonctl ct list/count/flush on it.
#   3. BATON_GC_BENCH=1: a full scan of a 1M-entry ct_v4_map pinned by
#      batond (conntrack.max_entries 1048576), timed.
#
# Exit: 0 pass, 1 fail, 77 skip.

. "$(dirname "$0")/lib.sh"

nt_require_root
nt_require_cmd ip bpftool nsenter jq
nt_require_netns

nt_daemon_init gc
GCCHECK=$NT_BUILD/node/baton_ct_gc_check
nt_require_file "$GCCHECK"

nt_cleanup nt_daemon_cleanup

# write_config GC_INTERVAL_MS [CT_MAX]; timeouts are ct_gc_check's fixture's.
write_config() {
	cat >"$CFG" <<EOF
node:
  id: 9
  pin_path: $PIN
  control_socket: $SOCK
  log_level: debug
interfaces:
  - name: v0
    xdp: off
conntrack:
  max_entries: ${2:-4096}
  gc_interval_ms: $1
  timeouts:
    tcp_syn_sent: 5
    tcp_syn_recv: 5
    tcp_established: 20
    tcp_fin_wait: 8
    tcp_close_wait: 6
    tcp_time_wait: 4
    tcp_closed: 2
    udp: 5
    udp_established: 12
    icmp: 5
services:
  - vip: 10.0.0.100
    port: 80
    protocol: tcp
    backends:
      - address: 10.1.0.11
        port: 8080
EOF
}

gc_passes() {
	ctl --json status | jq .gc.passes
}

gc_passes_ge() {
	[ "$(gc_passes)" -ge "$1" ]
}

be_active() {			# be_active SVC BE: be_stats_map[...].active
	local i=$(($1 * 64 + $2))
	bpftool map lookup pinned "$PIN/be_stats_map" key \
		$((i & 255)) $((i >> 8 & 255)) 0 0 | jq .value.active
}

# ---- 1. unit ------------------------------------------------------------------

nt_step "ct_gc_check unit (private maps)"
nt_assert_true "GC fixture and bulk scan" "$GCCHECK" unit

# ---- 2. batond --------------------------------------------------------------

nt_step "namespace $NS, batond with its GC idle"
ip netns add "$NS" || nt_fatal "ip netns add"
ip -n "$NS" link add v0 type veth peer name v1 &&
	ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up ||
	nt_fatal "veth"
write_config 60000
batond_start run1

nt_step "fixture into the pinned ct_v4_map"
"$GCCHECK" insert "$PIN" || nt_fatal "insert the fixture"
nt_assert_eq "$(ctl --json ct count | jq .entries)" 33 "33 entries inserted"
nt_assert_eq "$(be_active 200 1)" 1 "fixture flow counted on be 200/1"

nt_step "CONTROL: before any GC pass the verification must fail"
nt_assert_false "verify fails while nothing expired yet" \
	"$GCCHECK" verify "$PIN" 2>/dev/null

nt_step "SIGHUP to a 100 ms GC interval"
write_config 100
kill -HUP "$BATOND_PID"
P0=$(gc_passes)
# The fixture's fresh entries have 3 s to spare: the wait is short.
nt_wait 2 "two GC passes" gc_passes_ge $((P0 + 2))
nt_assert_true "exactly the expired pairs are gone" "$GCCHECK" verify "$PIN"
nt_assert_eq "$(ctl --json ct count | jq .entries)" 15 "15 entries left"
nt_assert_eq "$(be_active 200 1)" 0 "expired counted flow given back"
nt_assert_eq "$(be_active 200 2)" 1 "live counted flow still counted"
nt_assert_ge "$(ctl --json status | jq .gc.expired)" 10 \
	"status counts the expired pairs"

nt_step "batonctl ct list / count / flush"
CT=$(ctl --json ct list)
nt_assert_eq "$(jq length <<<"$CT")" 15 "ct list: both halves of each pair"
nt_assert_eq "$(jq -c '[.[0] | keys[]]' <<<"$CT")" \
	'["age_ms","backend","bytes","dir","dport","dst","idle_ms","mode","nat_dport","nat_dst","nat_sport","nat_src","owner","packets","proto","sport","src","state"]' \
	"ct list entry fields"
nt_assert_eq "$(ctl --json ct list proto udp | jq length)" 2 "filter proto udp"
nt_assert_eq "$(ctl --json ct list state TIME_WAIT | jq length)" 2 \
	"filter state TIME_WAIT"
nt_assert_eq "$(ctl --json ct list vip 10.0.0.100 proto icmp |
	jq -r '[.[].dir] | sort | join(",")')" "fwd,rev" "filter vip + proto"
ctl ct list state NOPE 2>/dev/null
nt_assert_eq $? 1 "unknown state refused"
nt_assert_eq "$(ctl --json ct flush | jq .deleted)" 15 "flush deleted 15"
nt_assert_eq "$(ctl --json ct count | jq .entries)" 0 "table empty"
nt_assert_eq "$(be_active 200 2)" 0 "flush gave back the counted flow"
batond_stop

# ---- 3. bench -----------------------------------------------------------------

if [ "${BATON_GC_BENCH:-0}" = 1 ]; then
	nt_step "bench: full scan of a 1M-entry ct_v4_map pinned by batond"
	write_config 60000 1048576
	batond_start bench
	"$GCCHECK" bench 1048576 "$PIN" | sed 's/^/  bench: /'
	nt_assert_eq "${PIPESTATUS[0]}" 0 "bench ran"
	batond_stop
fi

nt_finish
