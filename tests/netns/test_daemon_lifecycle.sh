#!/bin/bash
# test_daemon_lifecycle.sh - batond's life cycle and batonctl, end to end in
# a namespace of its own:
#   - start attaches TC (clsact ingress, handle 1 prio 1) and XDP (native on
#     one veth, generic on the other) and pins the maps;
#   - batonctl service/backend add/list/remove change nat_v4_map (read back
#     with bpftool); refused and malformed commands exit 1/2, an unreachable
#     daemon 3, and none of them changes the map;
#   - SIGHUP with a broken file keeps the running services and logs
#     FILE:LINE; SIGHUP with a changed file applies it (services, XDP mode);
#   - SIGTERM detaches everything and removes the pin dir and the socket;
#   - keep_datapath: SIGTERM leaves the filter attached and the maps pinned;
#     a second batond reuses the same maps (same ids), keeps the conntrack
#     entries and does not rewrite nat_v4_map (same slot and gen).
#
# batond runs with `nsenter --net` rather than `ip netns exec`: the latter
# mounts a fresh /sys, hiding the host's bpffs, so pins would land in a
# private bpffs that neither bpftool nor the next batond can see.
#
# Exit: 0 pass, 1 fail, 77 skip.

. "$(dirname "$0")/lib.sh"

nt_require_root
nt_require_cmd ip tc bpftool nsenter jq
nt_require_netns

nt_daemon_init lifecycle
GCCHECK=$NT_BUILD/node/baton_ct_gc_check
nt_require_file "$GCCHECK"
W2=1				# weight of 10.1.0.12 in 10.0.0.100:80/tcp

# ---- helpers ----------------------------------------------------------------

nt_cleanup nt_daemon_cleanup

# nat_v4_map as sorted lines "VIP:PORT/PROTO id=N slot=S gen=G" (bpftool
# prints the network-order fields as little-endian integers).
nat_dump() {
	bpftool map dump pinned "$PIN/nat_v4_map" 2>/dev/null | jq -r '
		def ip: [(. % 256), ((. / 256 | floor) % 256),
			 ((. / 65536 | floor) % 256),
			 ((. / 16777216 | floor) % 256)]
			| map(tostring) | join(".");
		def ntohs: (. % 256) * 256 + (. / 256 | floor);
		.[] | "\(.key.vip | ip):\(.key.port | ntohs)/\(.key.proto)" +
		      " id=\(.value.svc_id) slot=\(.value.slot)" +
		      " gen=\(.value.gen)"' | sort
}

# snat_v4_map's addresses, sorted, space-separated.
snat_dump() {
	bpftool map dump pinned "$PIN/snat_v4_map" 2>/dev/null | jq -r '
		.[].key | [(. % 256), ((. / 256 | floor) % 256),
			   ((. / 65536 | floor) % 256),
			   ((. / 16777216 | floor) % 256)]
		| map(tostring) | join(".")' | sort | tr '\n' ' '
}

# Checksum of the active lb_v4_map slot of service id 0.
lb_active_sum() {
	local slot
	slot=$(nat_dump | sed -n 's/.* id=0 slot=\([01]\) .*/\1/p')
	[ -n "$slot" ] || return 1
	bpftool map lookup pinned "$PIN/lb_v4_map" key "$slot" 0 0 0 | md5sum
}

map_id() {
	bpftool -j map show pinned "$PIN/$1" 2>/dev/null | jq -r .id
}

tc_attached() {		# tc_attached DEV: our filter at ingress pref 1
	ip netns exec "$NS" tc filter show dev "$1" ingress 2>/dev/null |
		grep -q "handle 0x1 tc_packet_func"
}

xdp_mode() {			# xdp_mode DEV: xdp | xdpgeneric | none
	local l
	l=$(ip -n "$NS" -d link show dev "$1" 2>/dev/null)
	if grep -q "prog/xdp " <<<"$l" && grep -q "xdpgeneric" <<<"$l"; then
		echo xdpgeneric
	elif grep -q "prog/xdp " <<<"$l"; then
		echo xdp
	else
		echo none
	fi
}

# write_config KEEP XDP_V1 ICMP(yes|no) [more services, YAML]
write_config() {
	local icmp=
	[ "$3" = yes ] && icmp="  - vip: 10.0.0.100
    protocol: icmp
    algorithm: wrr
    backends:
      - address: 10.1.0.11"
	cat >"$CFG" <<EOF
node:
  id: 7
  pin_path: $PIN
  control_socket: $SOCK
  keep_datapath: $1
  log_level: debug
interfaces:
  - name: v0
    xdp: native
  - name: v1
    xdp: $2
conntrack:
  max_entries: 4096
  gc_interval_ms: 500
services:
  - vip: 10.0.0.100
    port: 80
    protocol: tcp
    backends:
      - address: 10.1.0.11
        port: 8080
      - address: 10.1.0.12
        port: 8080
        weight: $W2
$icmp
${4:-}
EOF
}

# ---- topology ---------------------------------------------------------------

nt_step "namespace $NS with veth v0 <-> v1"
ip netns add "$NS" || nt_fatal "ip netns add $NS"
ip -n "$NS" link add v0 type veth peer name v1 || nt_fatal "veth"
ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up &&
	ip -n "$NS" link set lo up || nt_fatal "links up"

# ---- start --------------------------------------------------------------------

nt_step "start: TC and XDP attached, maps pinned"
write_config false generic yes
batond_start run1
nt_assert_true "tc filter on v0 ingress" tc_attached v0
nt_assert_true "tc filter on v1 ingress" tc_attached v1
nt_assert_eq "$(xdp_mode v0)" xdp "XDP on v0 (native)"
nt_assert_eq "$(xdp_mode v1)" xdpgeneric "XDP on v1 (generic)"
nt_assert_true "maps pinned under $PIN" test -e "$PIN/ct_v4_map"
nt_assert_eq "$(stat -c %a "$SOCK")" 600 "control socket is root only"
nt_assert_eq "$(nat_dump | wc -l)" 2 "nat_v4_map holds the 2 services"
nt_assert_eq "$(ctl --json status | jq -r '.interfaces[0].tc')" attached \
	"status: v0 tc attached"

nt_step "a second batond is refused and changes nothing"
PROG1=$(ctl --json status | jq .interfaces[0].tc_prog_id)
NAT1=$(nat_dump)
timeout 10 nsenter --net="/run/netns/$NS" "$BATOND" -c "$CFG" \
	>"$TMP/second.log" 2>&1
nt_assert_eq $? 1 "same control socket: exit 1"
nt_assert_true "it says another batond is listening" \
	grep -q "another batond is listening" "$TMP/second.log"
sed "s|control_socket: .*|control_socket: $TMP/other.sock|" "$CFG" \
	>"$TMP/other.yaml"
timeout 10 nsenter --net="/run/netns/$NS" "$BATOND" -c "$TMP/other.yaml" \
	>"$TMP/third.log" 2>&1
nt_assert_eq $? 1 "same pin dir, other socket: exit 1"
nt_assert_true "it says the pin dir is in use" \
	grep -q "in use by another batond" "$TMP/third.log"
nt_assert_eq "$(ctl --json status | jq .interfaces[0].tc_prog_id)" "$PROG1" \
	"the running batond's tc program is still attached"
nt_assert_eq "$(nat_dump)" "$NAT1" "nat_v4_map untouched"
nt_assert_true "first batond's socket still there" test -S "$SOCK"

# ---- batonctl -----------------------------------------------------------------

nt_step "batonctl: add, list, remove"
ctl service add 10.0.0.100:443/tcp mode fullnat algo lc snat 10.1.0.10
nt_assert_eq $? 0 "service add 10.0.0.100:443/tcp"
ctl backend add 10.0.0.100:443/tcp 10.1.0.11:8443 weight 3
nt_assert_eq $? 0 "backend add 10.1.0.11:8443 weight 3"
ctl backend add 10.0.0.100:443/tcp 10.1.0.12
nt_assert_eq $? 0 "backend add 10.1.0.12 (service port)"
nt_assert_eq "$(ctl --json service list |
	jq -c '.[] | select(.port == 443)')" \
	'{"vip":"10.0.0.100","port":443,"proto":"tcp","mode":"fullnat","algo":"lc","snat":"10.1.0.10","backends":2}' \
	"service list shows the new service"
nt_assert_eq "$(ctl --json backend list 10.0.0.100:443/tcp |
	jq -r '.[] | "\(.address):\(.port)/\(.weight)"' | tr '\n' ' ')" \
	"10.1.0.11:8443/3 10.1.0.12:443/1 " "backend list shows both backends"
nt_assert_true "nat_v4_map has 10.0.0.100:443/6" \
	grep -q "^10.0.0.100:443/6 " <(nat_dump)
nt_assert_eq "$(snat_dump)" "10.1.0.10 " \
	"snat_v4_map has the fullNAT source address"
ctl backend weight 10.0.0.100:443/tcp 10.1.0.12:443 0
nt_assert_eq $? 0 "backend weight ... 0 (drain)"
nt_assert_eq "$(ctl --json backend list 10.0.0.100:443/tcp |
	jq -r '.[1].weight')" 0 "weight is 0"
ctl backend remove 10.0.0.100:443/tcp 10.1.0.12:443
nt_assert_eq $? 0 "backend remove"
nt_assert_eq "$(ctl --json backend list 10.0.0.100:443/tcp | jq length)" 1 \
	"one backend left"
ctl service remove 10.0.0.100:443/tcp
nt_assert_eq $? 0 "service remove"
nt_assert_false "nat_v4_map no longer has :443" \
	grep -q "^10.0.0.100:443/" <(nat_dump)
nt_assert_eq "$(snat_dump)" "" \
	"snat_v4_map lost the address with its last fullNAT service"
nt_assert_eq "$(ctl --json ct count | jq -c .)" '{"entries":0,"max":4096}' \
	"ct count"
nt_assert_eq "$(ctl --json stats | jq -r '.counters | has("tc_rx")'),$(
	ctl --json stats | jq -r '.drops | has("ct_full")')" true,true \
	"stats names counters and drops"

nt_step "wrong commands change nothing"
BEFORE=$(nat_dump)
OUT=$(ctl backend remove 10.0.0.100:80/tcp 10.1.0.9:8080 2>&1)
nt_assert_eq $? 1 "removing an unknown backend is refused (exit 1)"
nt_assert_eq "$OUT" \
	"batonctl: backend 10.1.0.9:8080 not in service 10.0.0.100:80/tcp" \
	"the error says what is wrong"
ctl service add 10.0.0.100:80/tcp 2>/dev/null
nt_assert_eq $? 1 "adding an existing service is refused"
ctl service add 10.0.0.101:80/tcp mode fullnat 2>/dev/null
nt_assert_eq $? 1 "fullnat without snat is refused (validation)"
ctl backend add 10.0.0.100/icmp 10.1.0.12:80 2>/dev/null
nt_assert_eq $? 1 "an icmp backend with a port is refused"
ctl service add 10.0.0.100:80/sctp 2>/dev/null
nt_assert_eq $? 2 "unknown protocol is a usage error (exit 2)"
ctl backend frob 2>/dev/null
nt_assert_eq $? 2 "unknown subcommand is a usage error"
"$BATONCTL" -s "$TMP/nobody.sock" status 2>/dev/null
nt_assert_eq $? 3 "no daemon: exit 3"
nt_assert_eq "$(nat_dump)" "$BEFORE" "nat_v4_map unchanged"

# ---- reload -------------------------------------------------------------------

nt_step "SIGHUP with a broken file: old services kept, FILE:LINE logged"
cp "$CFG" "$TMP/good.yaml"
BEFORE=$(nat_dump)
LIST_BEFORE=$(ctl --json service list)
write_config false generic yes "  - vip: 10.0.0.100
    port: 8080
    protocol: tcp
    mode: bogus"
BAD_LINE=$(grep -n "mode: bogus" "$CFG" | cut -d: -f1)
kill -HUP "$BATOND_PID"
nt_wait 5 "reload failure logged" grep -q "reload failed" "$BATOND_LOG"
nt_assert_true "the log names $CFG:$BAD_LINE" \
	grep -q "reload failed.*$CFG:$BAD_LINE:" "$BATOND_LOG"
nt_assert_eq "$(ctl --json service list)" "$LIST_BEFORE" "services unchanged"
nt_assert_eq "$(nat_dump)" "$BEFORE" "nat_v4_map unchanged"
nt_assert_true "batond still running" kill -0 "$BATOND_PID"

nt_step "SIGHUP with a good changed file: applied"
write_config false off no "  - vip: 10.0.0.102
    port: 53
    protocol: udp
    algorithm: wrr
    backends:
      - address: 10.1.0.13
        port: 5353"
kill -HUP "$BATOND_PID"
nt_wait 5 "reload logged" grep -q "reloaded $CFG" "$BATOND_LOG"
nt_assert_eq "$(ctl --json service list | jq -r '.[] | "\(.vip):\(.port)/\(.proto)"' |
	sort | tr '\n' ' ')" "10.0.0.100:80/tcp 10.0.0.102:53/udp " \
	"services are the file's"
nt_assert_true "nat_v4_map has 10.0.0.102:53/17" \
	grep -q "^10.0.0.102:53/17 " <(nat_dump)
nt_assert_false "nat_v4_map lost the icmp service" \
	grep -q "^10.0.0.100:0/1 " <(nat_dump)
nt_assert_eq "$(xdp_mode v1)" none "XDP off on v1 after reload"
nt_assert_eq "$(xdp_mode v0)" xdp "XDP still native on v0"

nt_step "SIGTERM: everything detached and removed"
batond_stop TERM
nt_assert_eq $? 0 "batond exited 0"
nt_assert_false "no tc filter on v0" tc_attached v0
nt_assert_false "no tc filter on v1" tc_attached v1
nt_assert_eq "$(xdp_mode v0)" none "no XDP on v0"
nt_assert_false "pin dir removed" test -e "$PIN"
nt_assert_false "control socket removed" test -e "$SOCK"

# ---- keep_datapath ------------------------------------------------------------

nt_step "keep_datapath: programs and maps survive a restart"
write_config true generic yes
batond_start run2
# A weight change moves 10.0.0.100:80/tcp to slot 1, gen 2: a restart that
# forgot the pinned state would write slot 0, gen 1 again.
W2=2
write_config true generic yes
kill -HUP "$BATOND_PID"
nt_wait 5 "reload" grep -q "reloaded $CFG" "$BATOND_LOG"
nt_assert_true "weight change flipped to slot 1, gen 2" \
	grep -q "^10.0.0.100:80/6 id=0 slot=1 gen=2$" <(nat_dump)
"$GCCHECK" insert "$PIN" || nt_fail "insert conntrack entries"
CT_BEFORE=$(ctl --json ct count | jq .entries)
nt_assert_ge "$CT_BEFORE" 10 "conntrack entries present"
NAT_BEFORE=$(nat_dump)
LB_BEFORE=$(lb_active_sum)
IDS_BEFORE="$(map_id ct_v4_map) $(map_id nat_v4_map) $(map_id lb_v4_map)"
PROG_BEFORE=$(ctl --json status | jq .interfaces[0].tc_prog_id)
batond_stop TERM
nt_assert_true "tc filter still on v0" tc_attached v0
nt_assert_eq "$(xdp_mode v0)" xdp "XDP still on v0"
nt_assert_true "maps still pinned" test -e "$PIN/nat_v4_map"

# The fixture's stale entries expire at the new batond's first GC pass;
# compare conntrack before it can run.
batond_start run3
CT_AFTER=$(ctl --json ct count | jq .entries)
nt_assert_eq "$(map_id ct_v4_map) $(map_id nat_v4_map) $(map_id lb_v4_map)" \
	"$IDS_BEFORE" "same map ids (maps reused)"
nt_assert_eq "$(ctl --json status | jq .maps_reused)" true "status: reused"
nt_assert_eq "$(nat_dump)" "$NAT_BEFORE" \
	"nat_v4_map not rewritten (same ids, slots, generations)"
nt_assert_eq "$(lb_active_sum)" "$LB_BEFORE" \
	"active lb_v4_map slot unchanged"
nt_assert_true "restart recovered the services" \
	grep -q "recovered 2 services" "$BATOND_LOG"
nt_assert_false "restart wrote no service" \
	grep -q "services: \(added\|updated\)" "$BATOND_LOG"
nt_assert_ge "$CT_AFTER" "$CT_BEFORE" "conntrack entries kept"
PROG_AFTER=$(ctl --json status | jq .interfaces[0].tc_prog_id)
nt_assert_true "the new batond's program replaced the old one" \
	test "$PROG_AFTER" != "$PROG_BEFORE" -a "$PROG_AFTER" != 0
nt_assert_eq "$(ctl --json status | jq -r .interfaces[0].tc)" attached \
	"status: v0 tc attached (ours)"

nt_step "--keep-datapath overrides keep_datapath: false"
write_config false generic yes
kill -HUP "$BATOND_PID"
nt_wait 5 "reload" grep -q "reloaded $CFG" "$BATOND_LOG"
batond_stop TERM
batond_start run4 --keep-datapath
batond_stop TERM
nt_assert_true "--keep-datapath: tc filter stays" tc_attached v0
nt_assert_true "--keep-datapath: maps stay" test -e "$PIN/nat_v4_map"

nt_step "final stop without keep removes everything"
batond_start run5
batond_stop TERM
nt_assert_false "no tc filter on v0" tc_attached v0
nt_assert_false "pin dir removed" test -e "$PIN"

nt_finish
