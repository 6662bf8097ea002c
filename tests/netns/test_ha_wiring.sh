#!/bin/bash
# test_ha_wiring.sh - batond's keepalived wiring (ha/ha.c), without
# keepalived: lines written into the notify FIFO with printf, then
# `batonctl --json ha status` and the track file are checked against what
# the role machine (ha/role.h) says.
#   - without an ha: section, `ha status` says "ha: not configured";
#   - batond creates the FIFO (0600); datapath attached and no sync peers:
#     ready, track 0;
#   - BACKUP / MASTER / FAULT lines change keepalived's state and count role
#     changes; lines about other objects, VS lines, garbage and an over-long
#     line are counted and change nothing; a line split over two writes is
#     one line; writers closing the FIFO do not make batond spin;
#   - a sync peer never reached blocks readiness for grace_ms (track -253,
#     MASTER pushed out), then the node is presumed alone (track 0);
#   - the FIFO removed or replaced under batond: reopened within 1 s, and
#     the lines written to the new one are read;
#   - SIGTERM without keep_datapath: track -254 (FAULT) before the datapath
#     goes; the file is replaced atomically, never removed;
#   - with a real sync peer (a second batond on v1, no ha: section) and
#     grace_ms: forever, the peer's complete resync (sync's peer hook) makes
#     the node ready; a peer that leaves after one stays counted (gone); a
#     ready MASTER stays at track 0 (incumbent) while the peer rejoins.
#
# Exit: 0 pass, 1 fail, 77 skip.

. "$(dirname "$0")/lib.sh"

nt_require_root
nt_require_cmd ip nsenter jq timeout
nt_require_netns

nt_daemon_init ha
FIFO=$TMP/notify.fifo
TRACK=$TMP/track
PIN2=/sys/fs/bpf/baton-test-ha2-$$
SOCK2=$TMP/batond2.sock
CFG2=$TMP/baton2.yaml
PID2=

cleanup() {
	[ -n "$PID2" ] && kill -KILL "$PID2" 2>/dev/null && wait "$PID2"
	[ -d "$PIN2" ] && rm -rf "$PIN2"
	nt_daemon_cleanup
}
nt_cleanup cleanup

# write_config HA_YAML [SYNC_YAML]
write_config() {
	cat >"$CFG" <<EOF
node:
  id: 1
  pin_path: $PIN
  control_socket: $SOCK
  log_level: debug
interfaces:
  - name: v0
    xdp: off
${2:-}
$1
services:
  - vip: 10.0.0.100
    port: 80
    protocol: tcp
    backends:
      - address: 10.1.0.11
EOF
}

ha_yaml() {		# ha_yaml [GRACE_MS]
	cat <<EOF
ha:
  notify_fifo: $FIFO
  track_file: $TRACK
  follow: "VI_1"
  follow_type: instance
  grace_ms: ${1:-30000}
EOF
}

# notify TEXT: write to the FIFO, bounded (a dead reader must not hang us).
notify() {
	timeout 5 bash -c 'printf "%s" "$1" >"$2"' _ "$1" "$FIFO" ||
		nt_fail "write to $FIFO timed out"
}

hs() {			# hs JQ_FILTER: on `batonctl --json ha status`
	ctl --json ha status | jq -r "$1"
}

hs_is() {		# hs_is JQ_FILTER VALUE (for nt_wait)
	[ "$(hs "$1")" = "$2" ]
}

track_is() {
	[ "$(cat "$TRACK" 2>/dev/null)" = "$1" ]
}

# wait_hs JQ VALUE WHAT: bounded wait, then the assertion.
wait_hs() {
	nt_wait 5 "$3" hs_is "$1" "$2"
	nt_assert_eq "$(hs "$1")" "$2" "$3"
}

nt_step "namespace $NS with veth v0 <-> v1"
ip netns add "$NS" || nt_fatal "ip netns add $NS"
ip -n "$NS" link add v0 type veth peer name v1 || nt_fatal "veth"
ip -n "$NS" link set v0 up && ip -n "$NS" link set v1 up &&
	ip -n "$NS" link set lo up || nt_fatal "links up"
# An address other than loopback: nng resolves with AI_ADDRCONFIG.
ip -n "$NS" addr add 10.77.0.1/24 dev v0 || nt_fatal "address on v0"

# ---- no ha: section -----------------------------------------------------------

nt_step "without an ha: section"
write_config ""
batond_start run0
nt_assert_eq "$(ctl ha status)" "ha: not configured" "ha status (human)"
nt_assert_eq "$(hs .enabled)" false "ha status (json): enabled false"
nt_assert_false "no track file written" test -e "$TRACK"
nt_assert_false "stats carry no ha metrics" \
	bash -c "$(printf '%q ' "$BATONCTL") -s $SOCK --json stats | jq -e .ha"
batond_stop TERM

# ---- alone: ready at once ----------------------------------------------------

nt_step "ha, no sync peers: datapath attached -> ready -> track 0"
write_config "$(ha_yaml)"
batond_start run1
nt_assert_true "FIFO created" test -p "$FIFO"
nt_assert_eq "$(stat -c %a "$FIFO")" 600 "FIFO mode 0600"
nt_wait 5 "track file 0" track_is 0
nt_assert_eq "$(cat "$TRACK")" 0 "track file holds 0"
nt_assert_false "no temporary left" test -e "$TRACK.tmp"
nt_assert_eq "$(hs .ready)" true "ready"
nt_assert_eq "$(hs .datapath)" attached "datapath attached"
nt_assert_eq "$(hs .keepalived_state)" UNKNOWN "keepalived state UNKNOWN"
nt_assert_eq "$(hs .role)" unknown "role unknown"
nt_assert_eq "$(hs .track_written)" 0 "status: track 0 written"
nt_assert_eq "$(hs .role_changes)" 0 "no role change yet"
nt_assert_eq "$(hs .last_change)" null "no last change yet"
nt_assert_eq "$(hs .follow)" VI_1 "follows VI_1"

nt_step "BACKUP, then MASTER"
notify $'INSTANCE "VI_1" BACKUP 100\n'
wait_hs .keepalived_state BACKUP "keepalived state BACKUP"
nt_assert_eq "$(hs .priority)" 100 "priority 100"
nt_assert_eq "$(hs .role_changes)" 1 "1 role change"
nt_assert_eq "$(hs .last_change_from)" UNKNOWN "from UNKNOWN"
nt_assert_true "last change time set" \
	test "$(hs .last_change)" -ge "$(($(date +%s) - 60))"
notify $'INSTANCE "VI_1" MASTER 150\n'
wait_hs .keepalived_state MASTER "keepalived state MASTER"
nt_assert_eq "$(hs .role)" master "role master"
nt_assert_eq "$(hs .incumbent)" true "incumbent"
nt_assert_eq "$(hs .role_changes)" 2 "2 role changes"
nt_assert_eq "$(cat "$TRACK")" 0 "track still 0"
nt_assert_true "role change logged" \
	grep -q 'VI_1: BACKUP -> MASTER (priority 150)' "$BATOND_LOG"

nt_step "lines that carry nothing for VI_1"
notify $'INSTANCE "VI_2" FAULT 0\nGROUP "VI_1" FAULT 0\n'
notify $'VS [10.0.0.100]:tcp:80 UP\nthis is not keepalived\n'
LONG=$(head -c 1100 /dev/zero | tr '\0' x)
notify "INSTANCE \"$LONG\" BACKUP 100"$'\n'
wait_hs .counters.overlong_lines 1 "over-long line counted"
nt_assert_eq "$(hs .counters.ignored)" 2 "other instance and group ignored"
nt_assert_eq "$(hs .counters.no_role_lines)" 1 "VS line: no role"
nt_assert_eq "$(hs .counters.bad_lines)" 1 "garbage counted"
nt_assert_eq "$(hs .keepalived_state)" MASTER "still MASTER"
nt_assert_eq "$(hs .role_changes)" 2 "still 2 role changes"

nt_step "a line split over two writes; many writers closing"
notify 'INSTANCE "VI_1" BA'
sleep 0.3
nt_assert_eq "$(hs .keepalived_state)" MASTER "half a line changes nothing"
notify $'CKUP 100\n'
wait_hs .keepalived_state BACKUP "the whole line: BACKUP"
for i in $(seq 20); do notify $'INSTANCE "VI_1" BACKUP_PRIORITY 100\n'; done
T0=$(awk '{print $14 + $15}' "/proc/$BATOND_PID/stat")
sleep 1
T1=$(awk '{print $14 + $15}' "/proc/$BATOND_PID/stat")
nt_assert_le $((T1 - T0)) 20 "batond idle after writers closed (CPU ticks in 1 s)"
nt_assert_eq "$(hs .counters.lines)" 27 "every line read"

nt_step "FAULT, then MASTER again"
notify $'INSTANCE "VI_1" FAULT 0\n'
wait_hs .keepalived_state FAULT "keepalived state FAULT"
nt_assert_eq "$(hs .role)" fault "role fault"
nt_assert_eq "$(cat "$TRACK")" 0 "ready node: track stays 0 in FAULT"
notify $'INSTANCE "VI_1" MASTER 150\n'
wait_hs .keepalived_state MASTER "MASTER again"
nt_assert_eq "$(hs .role_changes)" 5 "5 role changes"
nt_assert_true "human ha status" \
	bash -c "$(printf '%q ' "$BATONCTL") -s $SOCK ha status |
		grep -q 'keepalived state MASTER (priority 150), role master'"
nt_assert_eq "$(ctl --json stats | jq .ha.state_MASTER)" 1 \
	"stats: ha.state_MASTER 1"
nt_assert_eq "$(ctl --json stats | jq .ha.role_changes)" 5 \
	"stats: ha.role_changes 5"

nt_step "the FIFO removed, or replaced by another, under batond"
rm -f "$FIFO"
wait_hs .counters.fifo_reopens 1 "removed: reopened (made anew) within 1 s"
nt_assert_true "a FIFO at the path again" test -p "$FIFO"
notify $'INSTANCE "VI_1" BACKUP 100\n'
wait_hs .keepalived_state BACKUP "a line in the new FIFO is read"
rm -f "$FIFO" && mkfifo -m 0600 "$FIFO"
wait_hs .counters.fifo_reopens 2 "replaced (keepalived made its own): reopened"
notify $'INSTANCE "VI_1" MASTER 150\n'
wait_hs .keepalived_state MASTER "a line in the replacement is read"
nt_assert_eq "$(hs .counters.fifo_errors)" 0 "no FIFO errors"

nt_step "a FIFO others may write is refused; a good one taken again"
rm -f "$FIFO" && mkfifo -m 0622 "$FIFO"
fifo_refused() { [ "$(hs .counters.fifo_errors)" -ge 1 ]; }
nt_wait 5 "refused, retried" fifo_refused
grep -q "others could write keepalived's lines" "$BATOND_LOG"
nt_assert_eq $? 0 "batond says why (mode 622)"
nt_assert_eq "$(hs .counters.fifo_reopens)" 2 "not reopened"
rm -f "$FIFO" && mkfifo -m 0600 "$FIFO"
wait_hs .counters.fifo_reopens 3 "a FIFO of mode 0600 in its place: reopened"
notify $'INSTANCE "VI_1" BACKUP 100\n'
wait_hs .keepalived_state BACKUP "a line in it is read"
notify $'INSTANCE "VI_1" MASTER 150\n'
wait_hs .keepalived_state MASTER "and MASTER again"

nt_step "SIGTERM without keep_datapath: track FAULT before detaching"
batond_stop TERM
nt_assert_eq "$(cat "$TRACK")" -254 "track file -254"
nt_assert_false "no temporary left" test -e "$TRACK.tmp"

# ---- a sync peer never reached: grace ----------------------------------------

nt_step "an unreachable sync peer blocks readiness for grace_ms"
write_config "$(ha_yaml 3000)" "sync:
  listen: tcp://10.77.0.1:17401
  peers:
    - id: 2
      address: tcp://10.77.0.2:17402"
T0=$(nt_ms)
batond_start run2
nt_wait 5 "track -253" track_is -253
nt_assert_eq "$(cat "$TRACK")" -253 "track -253 (demote) while waiting"
nt_assert_eq "$(hs .ready)" false "not ready"
nt_assert_eq "$(hs .wait)" peer_unseen "waiting for an unseen peer"
nt_assert_eq "$(hs .wait_peer)" 2 "peer 2"
nt_assert_eq "$(hs '.peers[0].state')" unseen "peer 2 unseen"
notify $'INSTANCE "VI_1" MASTER 150\n'
wait_hs .keepalived_state MASTER "MASTER while not ready"
nt_assert_eq "$(hs .role)" master_demoting "not incumbent: demoting"
nt_assert_eq "$(cat "$TRACK")" -253 "track still -253"
# Ready once the grace is over - and MASTER since before, with peer 2
# never reached: a takeover with a peer lost, which outranks that peer
# until it holds our flows (ha/role.h, Takeover): 253, not 0.
nt_wait 10 "grace over: track 253" track_is 253
nt_assert_eq "$(cat "$TRACK")" 253 "track 253 (ready, took over) after grace_ms"
nt_assert_eq "$(hs .took_over_boost)" true "took over, peer 2 lost: boost"
nt_assert_ge $(($(nt_ms) - T0)) 2500 "not before grace_ms"
nt_assert_eq "$(hs .ready)" true "ready (presumed alone)"
nt_assert_eq "$(hs .role)" master "role master"
nt_assert_eq "$(hs .incumbent)" true "now incumbent"
batond_stop TERM
nt_assert_eq "$(cat "$TRACK")" -254 "stop: track -254"

# ---- a real sync peer --------------------------------------------------------

# Node 2: sync only, on v1 (its own pins and socket).
node2_start() {
	nsenter --net="/run/netns/$NS" "$BATOND" -c "$CFG2" </dev/null \
		>"$TMP/node2-$1.log" 2>&1 &
	PID2=$!
	nt_wait 30 "node 2 answers on $SOCK2" "$BATONCTL" -s "$SOCK2" status ||
		nt_fatal "node 2 did not start"
}

node2_stop() {
	kill -TERM "$PID2" 2>/dev/null
	timeout 10 tail --pid="$PID2" -f /dev/null
	kill -KILL "$PID2" 2>/dev/null
	wait "$PID2" 2>/dev/null
	PID2=
}

peer2_connected() {
	[ "$(ctl --json sync status | jq -r '.peers[0].connected')" = true ]
}

nt_step "a sync peer's complete resync makes the node ready"
cat >"$CFG2" <<EOF
node:
  id: 2
  pin_path: $PIN2
  control_socket: $SOCK2
  metrics: 127.0.0.1:9478     # node 1 has the default port in this netns
interfaces:
  - name: v1
    xdp: off
sync:
  listen: tcp://10.77.0.2:17402
  peers:
    - id: 1
      address: tcp://10.77.0.1:17401
EOF
ip -n "$NS" addr add 10.77.0.2/24 dev v1 || nt_fatal "address on v1"
write_config "$(ha_yaml forever)" "sync:
  listen: tcp://10.77.0.1:17401
  peers:
    - id: 2
      address: tcp://10.77.0.2:17402"
batond_start run3
nt_wait 5 "track -253" track_is -253
nt_assert_eq "$(hs .wait)" peer_unseen "grace forever: waits for peer 2"
nt_assert_eq "$(hs .grace_ms)" forever "grace_ms forever"
node2_start a
wait_hs '.peers[0].state' complete "peer 2: complete copy"
nt_wait 5 "track 0" track_is 0
nt_assert_eq "$(cat "$TRACK")" 0 "ready: track 0"
nt_assert_eq "$(hs .ready)" true "ready"

nt_step "MASTER while ready: incumbent through the peer's restart"
notify $'INSTANCE "VI_1" MASTER 150\n'
wait_hs .incumbent true "incumbent MASTER"
# Its takeover confirmed (peer 2 stayed connected 5 s): a peer leaving
# later is no takeover of ours to outrank (ha/role.h).
nt_wait 10 "takeover confirmed" hs_is .took_over false
nt_assert_eq "$(hs .took_over)" false "takeover confirmed"
# Our own connection to peer 2 (its stream to us may be complete first):
# only a connected peer can be seen leaving.
nt_wait 10 "node 1 connected to peer 2" peer2_connected
node2_stop
wait_hs '.peers[0].state' gone "peer 2 gone (its copy complete)"
nt_assert_eq "$(hs .ready)" true "a gone peer still counts: ready"
node2_start b
wait_hs '.peers[0].state' complete "peer 2 complete again"
nt_assert_eq "$(cat "$TRACK")" 0 "incumbent: track 0 throughout"
nt_assert_false "track never left 0 while MASTER" \
	grep -q "track 0 -> -253" "$BATOND_LOG"
node2_stop
batond_stop TERM

nt_finish

