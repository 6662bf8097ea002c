#!/usr/bin/env bash
# test_health.sh - backend health checks end to end, in the single-node lab
# with health: on every service (LAB_HEALTH=1: TCP connect, UDP datagram,
# HTTP GET on the fullNAT service; probes every LAB_HC_INTERVAL ms, rise 2,
# fall 2):
#
#  1. be2's servers stop: within fall x interval (+ one probe timeout and
#     some slack) batonctl shows it down on every service, and no new
#     connection or datagram goes to it (all succeed on be1); long-lived
#     streams to be1 run on untouched.
#     Control: the same traffic with health checks reloaded away reaches
#     the stopped be2 and fails - the check does see a dead backend.
#  2. A reload with a broken health section is refused with FILE:LINE; the
#     running services and every backend's state stay as they were.
#  3. be2 starts again: within rise x interval it is up and takes new flows.
#     The metrics endpoint, scraped and parsed, says the same (every line
#     valid exposition format; be2's baton_backend_up 0, then 1; be1's
#     flows, packets and bytes counted).
#  4. on_down: reset: be2 stops passing its probe (SYNs to 8080 dropped)
#     while its established streams could go on: they are reset, be1's
#     streams are not. Control: on_down: keep, same fault: be2's streams
#     go on - it is the reset that ends them.
#  5. batonctl changes saved back: a backend added and a weight changed
#     live, `batonctl config save` rewrites the file's services: section
#     (the rest, comments included, stays); a SIGHUP of the saved file
#     then changes nothing. A save to a directory that does not exist is
#     refused and writes nothing.
#
# Environment: BATON_BUILD, BATON_LAB_PREFIX (default unique).

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

nt_require_netns
nt_require_cmd jq awk nft nsenter setsid
. "$NT_SRC/deploy/lab/lib.sh"
lab_init "$(nt_prefix hc)" || nt_fatal "bad prefix"
nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"

export LAB_HEALTH=1 LAB_HC_INTERVAL=${LAB_HC_INTERVAL:-300} LAB_HC_ON_DOWN=keep
HC_TIMEOUT=$((LAB_HC_INTERVAL * 3 / 5))
N=200
TMPD=$(mktemp -d /tmp/nt-health.XXXXXX)
STREAM_PIDS=()
STREAM_PID=
CONFIG_OVERRIDE=

diagnostics() {
	nt_log "diagnostics:"
	lab_ctl backend list 2>&1 | sed 's/^/  backends: /'
	lab_ctl stats 2>&1 | grep -v ' 0$' | sed 's/^/  stats: /'
	tail -n 25 "$LAB_STATE/batond.log" 2>/dev/null |
		sed 's/^/  batond.log: /'
}

cleanup() {
	local pid
	for pid in "${STREAM_PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	[ "$NT_FAILS" -gt 0 ] && diagnostics
	lab_down
	rm -rf "$TMPD"
}
nt_cleanup cleanup

# ---- helpers -------------------------------------------------------------------

# health SERVICE ADDR:PORT: that backend's health state ("up"/"down").
health() {
	lab_ctl --json backend list "$1" 2>/dev/null |
		jq -r --arg ep "$2" '.[] | select("\(.address):\(.port)" == $ep
			or .address == $ep) | .health.state'
}

health_is() {			# health_is SERVICE ENDPOINT STATE
	[ "$(health "$1" "$2")" = "$3" ]
}

# be2_states: "SERVICE=STATE ..." for be2 on every service.
be2_states() {
	lab_ctl --json backend list 2>/dev/null | jq -r '[.[] |
		select(.address == "10.1.0.12") |
		"\(.service)=\(.health.state)"] | join(" ")'
}

# all_be2 STATE [N]: be2 is STATE on N services (default all 5).
all_be2() {
	[ "$(be2_states | tr ' ' '\n' | grep -c "=$1\$")" = "${2:-5}" ]
}

# wait_be2 STATE [N]: poll (10 s at most) until be2 is STATE on N services
# (default all 5); print the ms it took, -1 if it did not happen.
wait_be2() {
	local t0 i
	t0=$(nt_ms)
	for ((i = 0; i < 400; i++)); do
		if all_be2 "$1" "${2:-5}"; then
			echo $(($(nt_ms) - t0))
			return 0
		fi
		sleep 0.025
	done
	echo -1
}

# reload [ok|failed]: rewrite the config from the LAB_* variables (or copy
# $CONFIG_OVERRIDE over it; "keep": leave it), SIGHUP, and wait until
# batond counts the reload (ok or failed, as $1 says).
reload() {
	local want=${1:-ok} before i
	before=$(lab_ctl --json status | jq ".reloads.$want")
	case $CONFIG_OVERRIDE in
	"") lab_write_config ;;
	keep) ;;			# the file as it is
	*) cp "$CONFIG_OVERRIDE" "$LAB_CONFIG" ;;
	esac
	kill -HUP "$(lab_pid_of batond)"
	for ((i = 0; i < 50; i++)); do
		[ "$(lab_ctl --json status | jq ".reloads.$want")" -gt \
			"$before" ] 2>/dev/null && return 0
		sleep 0.1
	done
	nt_fail "reload ($want) not counted"
}

JSON=
run() {				# run WHAT ARGS...: a client run, JSON kept
	local what=$1
	shift
	JSON=$(lab_client "$@" 2>&1)
	echo "  $what: $(echo "$JSON" | jq -c '{ok, failed, refused, reset,
		timeout, backends}' 2>/dev/null || echo "$JSON")"
}
jget() { echo "$JSON" | jq -r "$1" 2>/dev/null; }

# be1_only WHAT: every flow of the last run ok, all on be1.
be1_only() {
	nt_assert_eq "$(jget .failed)" 0 "$1: failed"
	nt_assert_eq "$(jget '.backends | keys | join(",")')" be1 \
		"$1: backends that served"
}

# streams NAME SECONDS: 20 long-lived streams to the DNAT VIP in the
# background, a line per flow in $TMPD/NAME.flows.
streams() {
	lab_ns "$LAB_NS_C" "$LAB_TRAFFIC" client --tcp "$LAB_VIP_DNAT:80" \
		--streams 20 --duration "$2" --flows-out "$TMPD/$1.flows" \
		>"$TMPD/$1.json" 2>&1 &
	STREAM_PIDS+=($!)
	STREAM_PID=$!
}

# stream_count NAME BACKEND RESULT: streams of NAME on BACKEND that ended
# with RESULT ("!ok": any other).
stream_count() {
	awk -v be="$2" -v r="$3" '$7 == be && ((r == "!ok" && $3 != "ok") ||
		$3 == r) { n++ } END { print n + 0 }' "$TMPD/$1.flows"
}

# block_probe on|off: be2 drops new TCP connections to 8080 (its
# established ones go on), so its DNAT and ICMP probes fail.
block_probe() {
	if [ "$1" = on ]; then
		ip netns exec "${LAB_P}b2" nft -f - <<EOF
table inet ${LAB_P}hc {
	chain input {
		type filter hook input priority 0;
		tcp dport 8080 tcp flags & (syn | ack) == syn drop
	}
}
EOF
	else
		ip netns exec "${LAB_P}b2" nft delete table inet "${LAB_P}hc"
	fi
}

# ---- up --------------------------------------------------------------------------

nt_step "lab up with health checks every ${LAB_HC_INTERVAL} ms (prefix $LAB_P)"
lab_up || nt_fatal "lab up failed"
nt_wait 10 "every backend up" all_be2 up
nt_assert_eq "$(health "$LAB_VIP_DNAT:80/tcp" 10.1.0.11:8080)" up \
	"be1 up on the DNAT service"

# ---- 1. a backend's servers stop -------------------------------------------------

nt_step "1. be2's servers stop"
streams a 12
sleep 1.5
lab_server_stop 2
t_down=$(wait_be2 down)
nt_log "be2 down on every service after $t_down ms"
nt_assert_ge "$t_down" 0 "be2 was taken out"
nt_assert_le "$t_down" $((2 * LAB_HC_INTERVAL + HC_TIMEOUT + 500)) \
	"ms to take be2 out (fall x interval + timeout + 500 ms)"
T_DOWN=$t_down
grep -q "backend 10.1.0.12:8080 is down: 2 probes failed in a row, the last: connect: connection refused" \
	"$LAB_STATE/batond.log" &&
	nt_pass "the log names the backend and why" ||
	nt_fail "no 'is down' line with the reason in batond.log"

run "dnat $N" --tcp "$LAB_VIP_DNAT:80" --conns $N --parallel 20
be1_only "dnat (be2 down)"
run "fullnat $N" --tcp "$LAB_VIP_FULLNAT:80" --conns $N --parallel 20
be1_only "fullnat/lc (be2 down)"
run "dsr $N" --tcp "$LAB_VIP_DSR:80" --conns $N --parallel 20
be1_only "dsr (be2 down)"
run "udp $N" --udp "$LAB_VIP_DNAT:53" --count $N --parallel 20
be1_only "udp/wrr (be2 down)"

# scrape NAME: the metrics body into $TMPD/NAME.prom; checks its format.
scrape() {
	local f=$TMPD/$1.prom bad
	nt_scrape "$LAB_NS_LB" >"$f.http" || nt_fail "$1: scrape failed"
	nt_assert_eq "$(head -n 1 "$f.http" | tr -d '\r')" "HTTP/1.0 200 OK" \
		"$1: metrics status line"
	sed '1,/^\r*$/d' "$f.http" >"$f"
	bad=$(grep -v '^#' "$f" | grep -cvE \
		'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-z_]+="[^"]*",?)*\})? -?[0-9][0-9.e+-]*$')
	nt_assert_eq "$bad" 0 "$1: sample lines not in exposition format"
	nt_assert_ge "$(grep -vc '^#' "$f")" 100 "$1: samples"
}
m() { nt_metric "$TMPD/$1.prom" "$2"; }
BE2_UP='baton_backend_up{service="10.0.0.100:80/tcp",backend="10.1.0.12:8080"}'
BE1='{service="10.0.0.100:80/tcp",backend="10.1.0.11:8080"}'

nt_step "1. metrics: scraped and parsed"
scrape down
nt_assert_eq "$(m down "$BE2_UP")" 0 "metrics: be2 down"
nt_assert_eq "$(m down baton_conntrack_capacity)" 65536 \
	"metrics: conntrack capacity"
nt_assert_ge "$(m down "baton_backend_flows_total$BE1")" $N \
	"metrics: be1's flows"
nt_assert_ge "$(m down "baton_backend_packets_total$BE1")" $((N * 4)) \
	"metrics: be1's packets"
nt_assert_ge "$(m down "baton_backend_bytes_total$BE1")" $((N * 200)) \
	"metrics: be1's bytes"
nt_assert_eq "$(m down 'baton_health_backends{state="down"}')" 5 \
	"metrics: backends down"
nt_assert_ge "$(m down 'baton_conntrack_entries')" 1 "metrics: entries"
nt_assert_eq "$(m down 'baton_datapath_drops_total{reason="ct_full"}')" 0 \
	"metrics: a drop reason"
nt_assert_eq "$(nt_scrape "$LAB_NS_LB" /nothing | head -n 1 | tr -d '\r')" \
	"HTTP/1.0 404 Not Found" "metrics: another path is 404"

nt_step "1. control: the same without health checks reaches the dead be2"
LAB_HEALTH=0 reload ok
nt_assert_eq "$(health "$LAB_VIP_DNAT:80/tcp" 10.1.0.12:8080)" null \
	"no health state without checks"
run "dnat $N, no checks" --tcp "$LAB_VIP_DNAT:80" --conns $N --parallel 20 \
	--timeout-ms 2000
nt_assert_ge "$(jget .failed)" 1 "control: connections to the dead be2 fail"
reload ok
nt_assert_eq "$(wait_be2 down | awk '{print ($1 >= 0)}')" 1 \
	"checks back: the dead be2 is out again"

# ---- 2. a broken reload ----------------------------------------------------------

nt_step "2. reload with a broken health section"
before=$(be2_states)
CONFIG_OVERRIDE=$TMPD/bad.yaml
sed 's/^      interval_ms: .*/      interval_ms: 5/' "$LAB_CONFIG" >"$CONFIG_OVERRIDE"
good=$(cat "$LAB_CONFIG")
reload failed
CONFIG_OVERRIDE=
bad_line=$(grep -n 'interval_ms: 5$' "$TMPD/bad.yaml" | head -n 1 | cut -d: -f1)
grep -q "reload failed, running configuration kept: $LAB_CONFIG:$bad_line: services\[0\].health.interval_ms: expected a number in 100..3600000, got '5'" \
	"$LAB_STATE/batond.log" &&
	nt_pass "the error names $LAB_CONFIG:$bad_line and the key" ||
	nt_fail "no FILE:LINE error for the broken reload in batond.log"
echo "$good" >"$LAB_CONFIG"
nt_assert_eq "$(be2_states)" "$before" "backend states unchanged"
run "dnat $N after the broken reload" --tcp "$LAB_VIP_DNAT:80" --conns $N \
	--parallel 20
be1_only "dnat after the broken reload"

# ---- 3. the backend returns ------------------------------------------------------

nt_step "3. be2's servers start again"
lab_servers_start 2 || nt_fatal "be2 did not start"
t_up=$(wait_be2 up)
nt_log "be2 up on every service after $t_up ms"
nt_assert_ge "$t_up" 0 "be2 came back"
nt_assert_le "$t_up" $((2 * LAB_HC_INTERVAL + 500)) \
	"ms to bring be2 back (rise x interval + 500 ms)"
T_UP=$t_up
scrape up
nt_assert_eq "$(m up "$BE2_UP")" 1 "metrics: be2 up again"
nt_assert_ge "$(m up "baton_backend_health_changes_total{service=\"10.0.0.100:80/tcp\",backend=\"10.1.0.12:8080\"}")" 2 \
	"metrics: be2's state changes"
run "dnat $N" --tcp "$LAB_VIP_DNAT:80" --conns $N --parallel 20
nt_assert_eq "$(jget .failed)" 0 "dnat (be2 back): failed"
nt_assert_eq "$(jget '.backends | keys | join(",")')" be1,be2 \
	"dnat (be2 back): both backends serve"

wait "$STREAM_PID"
nt_assert_ge "$(stream_count a be1 ok)" 1 "streams on be1 during all this"
nt_assert_eq "$(stream_count a be1 '!ok')" 0 \
	"streams on be1 that did not survive be2's fall and return"
nt_log "streams on be2 (its servers were killed): $(stream_count a be2 '!ok') ended"

# ---- 4. on_down: reset, and keep as its control -----------------------------------

# policy_run POLICY: streams; be2's probe blocked 1.5 s in; its streams
# and be1's counted by result; be2 back up after.
policy_run() {
	LAB_HC_ON_DOWN=$1 reload ok
	streams "$1" 5
	sleep 1.5
	block_probe on
	# DNAT and ICMP probe 8080; the other three services' probes pass
	nt_assert_ge "$(wait_be2 down 2)" 0 \
		"$1: be2 out of the DNAT and ICMP services once its probe failed"
	wait "$STREAM_PID"
	block_probe off
	nt_wait 10 "be2 up again" all_be2 up
	nt_assert_ge $(($(stream_count "$1" be2 ok) + \
			$(stream_count "$1" be2 '!ok'))) 1 \
		"$1: streams that were on be2"
}

nt_step "4. on_down: reset - be2 fails its probe, its streams are reset"
policy_run reset
nt_assert_eq "$(stream_count reset be2 ok)" 0 "reset: be2's streams that went on"
nt_assert_ge "$(stream_count reset be2 reset)" 1 "reset: be2's streams reset"
nt_assert_eq "$(stream_count reset be1 '!ok')" 0 "reset: be1's streams that ended"
RESET_BE2=$(stream_count reset be2 reset)
nt_assert_ge "$(lab_ctl --json stats | jq '.drops.ct_reset // 0')" 1 \
	"segments of reset flows counted (drop ct_reset)"

nt_step "4. control: on_down: keep - the same fault, be2's streams go on"
policy_run keep
nt_assert_eq "$(stream_count keep be2 '!ok')" 0 "keep: be2's streams that ended"
nt_assert_eq "$(stream_count keep be1 '!ok')" 0 "keep: be1's streams that ended"

# ---- 5. config save -------------------------------------------------------------

nt_step "5. batonctl changes saved to the config file"
lab_ctl backend add "$LAB_VIP_DNAT:80/tcp" 10.1.0.13:8080 weight 0 ||
	nt_fail "backend add"
# Nothing listens there: its first probe takes it out, which rebuilds the
# service's table - before the reload below, not during it.
nt_wait 5 "the added backend's first verdict" health_is \
	"$LAB_VIP_DNAT:80/tcp" 10.1.0.13:8080 down
lab_ctl backend weight "$LAB_VIP_DNAT:53/udp" 10.1.0.12:5353 7 ||
	nt_fail "backend weight"
cp "$LAB_CONFIG" "$TMPD/before.yaml"
nt_assert_true "config save" lab_ctl config save
nt_assert_eq "$(head -n 1 "$LAB_CONFIG")" "$(head -n 1 "$TMPD/before.yaml")" \
	"the file's first comment line stays"
nt_assert_eq "$(sed -n '/^services:/q;p' "$LAB_CONFIG" | md5sum)" \
	"$(sed -n '/^services:/q;p' "$TMPD/before.yaml" | md5sum)" \
	"everything before services: stays byte for byte"
nt_assert_eq "$(grep -c 'address: 10.1.0.13' "$LAB_CONFIG")" 1 \
	"the added backend is in the file"
updates=$(grep -c 'services: updated' "$LAB_STATE/batond.log")
CONFIG_OVERRIDE=keep reload ok
nt_assert_eq "$(grep -c 'services: updated' "$LAB_STATE/batond.log")" \
	"$updates" "a reload of the saved file changes no service"
nt_assert_eq "$(lab_ctl --json backend list "$LAB_VIP_DNAT:53/udp" |
	jq '.[] | select(.address == "10.1.0.12") | .weight')" 7 \
	"the weight is still 7 after the reload"
cp "$LAB_CONFIG" "$TMPD/saved.yaml"
nt_assert_false "a save into a missing directory is refused" \
	lab_ctl config save /nonexistent-$LAB_P/baton.yaml
nt_assert_eq "$(md5sum <"$LAB_CONFIG")" "$(md5sum <"$TMPD/saved.yaml")" \
	"and changes nothing"

nt_log "figures: be2 out after $T_DOWN ms, back after $T_UP ms (interval $LAB_HC_INTERVAL ms, rise 2, fall 2); reset $RESET_BE2 streams of be2"
nt_finish
