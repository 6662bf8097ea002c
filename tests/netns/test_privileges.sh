#!/usr/bin/env bash
# test_privileges.sh - batond gives up the capabilities it no longer needs
# once started (node/privs.h), and still does its work without them; in
# the single-node lab, with a sync section (a peer that never answers) so
# that nng's threads run too:
#
#  1. Every thread of batond (/proc/PID/task/*/status): CapEff = CapPrm =
#     CapBnd = cap_net_admin alone, CapInh = CapAmb = 0, NoNewPrivs 1, uid
#     0; none of cap_sys_admin, cap_bpf, cap_perfmon, cap_net_raw,
#     cap_sys_resource, cap_setpcap, cap_sys_module, cap_sys_ptrace,
#     cap_setuid, ... held. The log line and `batonctl status` say the same.
#  2. After the drop: TCP (DNAT, fullNAT) and UDP flows through the VIPs;
#     a SIGHUP that adds a backend, a service and an interface (TC and XDP
#     attached to it) and one that removes the interface (detached);
#     `batonctl config save`; `batonctl ct list` and `ct flush`; the GC
#     expiring UDP entries. SIGTERM then detaches every program and removes
#     the pins.
#  3. sync.listen on a port below 1024: cap_net_bind_service is kept as
#     well, and the listener is bound after the drop.
#  4. Started without cap_setpcap (as by a unit whose bounding set lacks
#     it): the bounding set cannot be lowered - a warning - but the
#     effective and permitted sets are dropped all the same.
#  5. Control: node.drop_privileges: false - the same check of step 1
#     must fail (it sees the capabilities), or it could not catch a
#     batond that keeps them.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_cmd setpriv tc ss
nt_drill_init pv

N=40
SYNC_PORT=7400
# Short timeouts and a fast GC, so that step 2 sees entries expire.
export LAB_DNAT_BACKENDS=1 LAB_GC_MS=250
export LAB_CT_TIMEOUTS="udp: 2, udp_established: 2, tcp_time_wait: 2, tcp_closed: 2, icmp: 2"

NET_ADMIN=12
NET_BIND_SERVICE=10
SETPCAP=8
# What must be gone after the drop (bit:name).
GONE="0:chown 1:dac_override 2:dac_read_search 3:fowner 5:kill 6:setgid
7:setuid 8:setpcap 13:net_raw 16:sys_module 17:sys_rawio 19:sys_ptrace
21:sys_admin 22:sys_boot 24:sys_resource 27:mknod 31:setfcap 38:perfmon
39:bpf"

BATOND_LOG=$LAB_STATE/batond.log

diagnostics() {
	nt_log "diagnostics:"
	lab_ctl status 2>&1 | sed 's/^/  status: /'
	tail -n 25 "$BATOND_LOG" 2>/dev/null | sed 's/^/  batond.log: /'
}

# ---- helpers ----------------------------------------------------------------

hexmask() {			# hexmask BIT...: 16-digit hex of the bits
	local m=0 b
	for b in "$@"; do
		m=$((m | (1 << b)))
	done
	printf '%016x' "$m"
}

# write_config DROP SYNC_PORT [EXTRA_IFACE] [EXTRA_SERVICE_YAML]: the lab's
# config with node.drop_privileges DROP, a sync section listening on
# 127.0.0.1:SYNC_PORT (its one peer never answers), and optionally one
# more interface (xdp: generic) and service.
write_config() {
	local drop=$1 port=$2 iface=${3:-} svc=${4:-}
	{
		lab_config_yaml 1 "$LAB_PIN" "$LAB_SOCK" |
			sed "s/^  log_level: .*/&\n  drop_privileges: $drop/" |
			if [ -n "$iface" ]; then
				sed "s/^interfaces:\$/&\n  - name: $iface\n    xdp: generic/"
			else
				cat
			fi
		cat <<EOF
sync:
  listen: tcp://127.0.0.1:$port
  refresh_s: 1
  peers:
    - id: 2
      address: tcp://127.0.0.1:$((port + 1))

EOF
		lab_services_yaml
		[ -n "$svc" ] && echo "$svc"
	} >"$LAB_CONFIG"
}

# start_batond NAME [WRAPPER...]: batond on $LAB_CONFIG in the LB
# namespace (through WRAPPER, e.g. setpriv, if given), recorded in the
# lab's pid file so that lab_down stops it; waits until it answers.
start_batond() {
	local name=$1
	shift
	BATOND_LOG=$TMP/$name.log
	setsid nsenter --net="/run/netns/$LAB_NS_LB" "$@" "$LAB_BATOND" \
		-c "$LAB_CONFIG" </dev/null >"$BATOND_LOG" 2>&1 &
	echo "$! batond" >"$LAB_STATE/pids/batond"
	if ! nt_wait 15 "batond ($name) answers" lab_batond_ready; then
		sed 's/^/  batond: /' "$BATOND_LOG"
		nt_fatal "batond ($name) did not start"
	fi
}

stop_batond() {
	lab_batond_stop
}

BPID=
batond_pid() {
	BPID=$(lab_pid_of batond)
}

# priv_problems PID WANT_HEX [BOUNDING_HEX]: what in any thread of PID
# differs from a drop to WANT: effective = permitted = WANT, bounding =
# BOUNDING (default WANT), nothing inheritable or ambient, no_new_privs,
# uid 0, none of GONE held unless WANT has it. Prints nothing if all holds.
priv_problems() {
	local pid=$1 want=$((16#$2)) bnd=$((16#${3:-$2})) st t n=0
	local eff prm inh amb cbnd nnp uid g bit name
	for st in /proc/"$pid"/task/*/status; do
		[ -r "$st" ] || continue
		n=$((n + 1))
		t=$(basename "$(dirname "$st")")
		read -r eff prm inh amb cbnd nnp uid < <(awk '
			$1 == "CapEff:" { e = $2 } $1 == "CapPrm:" { p = $2 }
			$1 == "CapInh:" { i = $2 } $1 == "CapAmb:" { a = $2 }
			$1 == "CapBnd:" { b = $2 } $1 == "NoNewPrivs:" { n = $2 }
			$1 == "Uid:" { u = $2 }
			END { print e, p, i, a, b, n, u }' "$st")
		[ $((16#$eff)) -eq "$want" ] || echo "task $t: CapEff $eff"
		[ $((16#$prm)) -eq "$want" ] || echo "task $t: CapPrm $prm"
		[ $((16#$cbnd)) -eq "$bnd" ] || echo "task $t: CapBnd $cbnd"
		[ $((16#$inh)) -eq 0 ] || echo "task $t: CapInh $inh"
		[ $((16#$amb)) -eq 0 ] || echo "task $t: CapAmb $amb"
		[ "$nnp" = 1 ] || echo "task $t: NoNewPrivs $nnp"
		[ "$uid" = 0 ] || echo "task $t: uid $uid"
		for g in $GONE; do
			bit=${g%%:*}
			name=${g#*:}
			((want >> bit & 1)) && continue
			((16#$prm >> bit & 1)) &&
				echo "task $t: holds cap_$name"
		done
	done
	[ "$n" -gt 0 ] || echo "no thread of pid $pid readable"
}

# threads PID: how many
threads() {
	ls /proc/"$1"/task 2>/dev/null | wc -l
}

JSON=
run_client() {			# run_client WHAT ARGS...: JSON in $JSON
	local what=$1
	shift
	JSON=$(lab_client "$@" 2>&1)
	echo "  $what: $(echo "$JSON" | jq -c '{ok, failed, backends}' \
		2>/dev/null || echo "$JSON" | head -c 300)"
}

jget() {
	echo "$JSON" | jq -r "$1" 2>/dev/null
}

reloads_ok() {
	lab_ctl --json status | jq .reloads.ok
}

# reload WHAT: SIGHUP batond, wait until it counts one more good reload.
reload() {
	local before
	before=$(reloads_ok)
	kill -HUP "$BPID"
	if ! nt_wait 5 "$1: reload counted" \
		eval '[ "$(reloads_ok)" -gt "$before" ]'; then
		grep "reload failed" "$BATOND_LOG" | tail -n 2 | sed 's/^/  /'
		return 1
	fi
	nt_pass "$1: reloaded"
}

tc_on() {			# tc_on DEV: our filter at DEV's ingress
	tc -n "$LAB_NS_LB" filter show dev "$1" ingress 2>/dev/null |
		grep -q tc_packet_func
}

ct_count() {
	lab_ctl --json ct count | jq .entries
}

gc_expired() {
	lab_ctl --json status | jq .gc.expired
}

# ---- 1. the drop --------------------------------------------------------------

nt_step "lab up, batond with a sync section (prefix $LAB_P)"
lab_up --no-batond || nt_fatal "lab up failed"
ip -n "$LAB_NS_LB" link add pv0 type veth peer name pv1 &&
	ip -n "$LAB_NS_LB" link set pv0 up && ip -n "$LAB_NS_LB" link set pv1 up ||
	nt_fatal "veth pv0/pv1 in $LAB_NS_LB"
write_config true "$SYNC_PORT"
start_batond run1
batond_pid

nt_step "1. what batond holds after start"
WANT=$(hexmask $NET_ADMIN)
KEEP_BPF=0
# A kernel that wants CAP_BPF for bpf() on a map fd (before 5.19) keeps it.
if grep -q "refuses bpf() on a map" "$BATOND_LOG"; then
	KEEP_BPF=1
	WANT=$(hexmask $NET_ADMIN 39)
	nt_log "this kernel needs cap_bpf for map access: it is kept too"
fi
nt_assert_ge "$(threads "$BPID")" 2 "batond runs several threads (nng's)"
P=$(priv_problems "$BPID" "$WANT")
echo "$P" | sed '/^$/d; s/^/  /'
nt_assert_eq "$P" "" "every thread: only cap_net_admin, NoNewPrivs, uid 0"
grep -E '^(Cap|NoNewPrivs)' "/proc/$BPID/status" | sed 's/^/  /'
nt_assert_true "log names what is kept" grep -q \
	"privs: dropped: keeping cap_net_admin.* and bounding.*no_new_privs" \
	"$BATOND_LOG"
PJ=$(lab_ctl --json status | jq -c .privileges)
nt_log "status: $PJ"
if [ "$KEEP_BPF" = 0 ]; then
	nt_assert_eq "$PJ" \
		'{"drop":true,"dropped":true,"kept":["cap_net_admin"],"bounding":["cap_net_admin"],"no_new_privs":true,"uid":0}' \
		"batonctl status: privileges"
fi
nt_assert_true "batonctl status (text) shows them" eval \
	'lab_ctl status | grep -q "^privileges *cap_net_admin.*(dropped"'

# ---- 2. work after the drop ---------------------------------------------------

nt_step "2a. traffic through the VIPs"
run_client "tcp dnat :80" --tcp $LAB_VIP_DNAT:80 --conns $N --parallel 10 \
	--bytes 2048 --timeout-ms 15000
nt_assert_eq "$(jget .ok)" $N "tcp dnat: flows ok"
run_client "tcp fullnat :80" --tcp $LAB_VIP_FULLNAT:80 --conns $N \
	--parallel 10 --bytes 2048 --timeout-ms 15000
nt_assert_eq "$(jget .ok)" $N "tcp fullnat: flows ok"
run_client "udp dnat :53" --udp $LAB_VIP_DNAT:53 --count $N --parallel 10 \
	--timeout-ms 10000
nt_assert_eq "$(jget .ok)" $N "udp dnat: exchanges ok"

nt_step "2b. SIGHUP: a backend, a service and an interface added"
export LAB_DNAT_BACKENDS="1 2"
NEW_SVC="  - vip: $LAB_VIP_DNAT
    port: 8080
    protocol: tcp
    backends:
      - address: $LAB_B2
        port: 80"
write_config true "$SYNC_PORT" pv0 "$NEW_SVC"
reload "add" || nt_fail "reload adding a backend, a service and pv0"
nt_assert_eq "$(lab_ctl --json backend list $LAB_VIP_DNAT:80/tcp |
	jq length)" 2 "$LAB_VIP_DNAT:80/tcp has both backends"
nt_assert_eq "$(lab_ctl --json service list |
	jq '[.[] | select(.port == 8080)] | length')" 1 \
	"service $LAB_VIP_DNAT:8080/tcp added"
nt_assert_true "pv0: tc filter attached after the drop" tc_on pv0
nt_assert_eq "$(lab_ctl --json status |
	jq -r '.interfaces[] | select(.name == "pv0") | "\(.tc) \(.xdp)"')" \
	"attached generic" "status: pv0 tc and XDP (generic) attached"
run_client "tcp dnat :80, two backends" --tcp $LAB_VIP_DNAT:80 --conns $N \
	--parallel 10 --bytes 2048 --timeout-ms 15000
nt_assert_eq "$(jget .ok)" $N "tcp dnat: flows ok"
nt_assert_ge "$(jget '.backends.be2 // 0')" 1 "the added backend takes flows"
run_client "tcp dnat :8080 (new service)" --tcp $LAB_VIP_DNAT:8080 \
	--conns $N --parallel 10 --bytes 2048 --timeout-ms 15000
nt_assert_eq "$(jget .ok)" $N "new service: flows ok"
nt_assert_eq "$(jget '.backends.be2 // 0')" $N "new service: all to be2"

nt_step "2c. SIGHUP: the interface removed"
write_config true "$SYNC_PORT" "" "$NEW_SVC"
reload "remove pv0" || nt_fail "reload removing pv0"
nt_assert_false "pv0: tc filter detached after the drop" tc_on pv0
nt_assert_false "pv0: XDP detached" eval \
	'ip -n "$LAB_NS_LB" link show pv0 | grep -q "prog/xdp"'

nt_step "2d. batonctl config save, ct list, ct flush"
lab_ctl config save >/dev/null
nt_assert_eq $? 0 "config save (rewrites $LAB_CONFIG)"
nt_assert_true "the saved file has the new service" \
	grep -q "port: 8080" "$LAB_CONFIG"
CT=$(lab_ctl --json ct list 2>&1)
nt_assert_ge "$(echo "$CT" | jq length 2>/dev/null)" 2 "ct list: entries"
lab_ctl ct flush >/dev/null
nt_assert_eq $? 0 "ct flush"
nt_assert_eq "$(ct_count)" 0 "ct count after the flush"

nt_step "2e. the GC expires entries (udp timeouts 2 s, passes every 250 ms)"
EXP0=$(gc_expired)
run_client "udp dnat :53" --udp $LAB_VIP_DNAT:53 --count 20 --parallel 5 \
	--timeout-ms 10000
nt_assert_eq "$(jget .ok)" 20 "udp: exchanges ok"
nt_assert_ge "$(ct_count)" 2 "ct count: the UDP pairs are there"
nt_wait 15 "the GC empties the table" eval '[ "$(ct_count)" -eq 0 ]'
nt_assert_eq "$(ct_count)" 0 "ct count after the timeouts"
nt_assert_ge "$(gc_expired)" $((EXP0 + 20)) "status: gc.expired counts them"

nt_step "2f. still dropped after all that; SIGTERM removes the datapath"
nt_assert_eq "$(priv_problems "$BPID" "$WANT")" "" \
	"every thread: still only what was kept"
stop_batond
nt_assert_true "batond stopped" eval '! kill -0 "$BPID" 2>/dev/null'
nt_assert_false "eth0: tc filter detached at stop" tc_on eth0
nt_assert_false "eth0: XDP detached at stop" eval \
	'ip -n "$LAB_NS_LB" link show eth0 | grep -q "prog/xdp"'
nt_assert_false "pins removed ($LAB_PIN)" test -e "$LAB_PIN"
nt_assert_true "log: maps unpinned" grep -q "maps unpinned" "$BATOND_LOG"
nt_assert_false "log: no error" grep -q "ERROR" "$BATOND_LOG"

# ---- 3. a sync port below 1024 --------------------------------------------------

nt_step "3. sync.listen 127.0.0.1:740: cap_net_bind_service kept too"
write_config true 740
start_batond low-port
batond_pid
W3=$(hexmask $NET_ADMIN $NET_BIND_SERVICE $([ "$KEEP_BPF" = 1 ] && echo 39))
nt_assert_eq "$(priv_problems "$BPID" "$W3")" "" \
	"every thread: cap_net_admin and cap_net_bind_service"
nt_assert_true "the sync listener is bound (after the drop)" eval \
	'ip netns exec "$LAB_NS_LB" ss -Hltn "sport = :740" | grep -q 740'
stop_batond

# ---- 4. no cap_setpcap ------------------------------------------------------------

nt_step "4. started without cap_setpcap: bounding set kept, the rest dropped"
write_config true "$SYNC_PORT"
start_batond no-setpcap setpriv --bounding-set=-setpcap --
batond_pid
BND=$(awk '$1 == "CapBnd:" { print $2 }' "/proc/$BPID/status")
nt_log "CapBnd $BND"
nt_assert_eq "$((16#$BND >> SETPCAP & 1))" 0 "no cap_setpcap in the bounding set"
nt_assert_eq "$(priv_problems "$BPID" "$WANT" "$BND")" "" \
	"every thread: effective and permitted dropped all the same"
nt_assert_true "log: warns that the bounding set stays" \
	grep -q "WARN privs: the bounding set keeps .*cap_sys_admin" \
	"$BATOND_LOG"
nt_assert_eq "$(lab_ctl --json status | jq .privileges.dropped)" true \
	"status: dropped"
stop_batond

# ---- 5. control -----------------------------------------------------------------

nt_step "CONTROL: node.drop_privileges: false - the check must see it"
write_config false "$SYNC_PORT"
start_batond control
batond_pid
P=$(priv_problems "$BPID" "$WANT")
echo "$P" | head -n 4 | sed 's/^/  /'
nt_assert_true "control: the check reports capabilities held" \
	test -n "$P"
nt_assert_true "control: it names cap_sys_admin" \
	eval 'echo "$P" | grep -q "holds cap_sys_admin"'
nt_assert_eq "$(lab_ctl --json status | jq .privileges.dropped)" false \
	"control: status says not dropped"
nt_assert_true "control: the log warns" \
	grep -q "WARN privs: node.drop_privileges is false" "$BATOND_LOG"
stop_batond

[ "$NT_FAILS" -gt 0 ] && diagnostics
nt_finish
