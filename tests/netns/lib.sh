# tests/netns/lib.sh - helpers for the namespace tests (tests/netns/test_*.sh).
#
# Sourced at the top of a test, which then runs with `set -u` (not -e: the
# assertions report and count failures, and the test decides what is fatal).
#
#   nt_skip REASON          exit 77 (ctest: skipped), saying why
#   nt_require_root / nt_require_cmd CMD... / nt_require_file FILE...
#   nt_prefix [TAG]         a unique prefix (BATON_LAB_PREFIX if set), <= 8
#   nt_cleanup CMD...       run CMD at exit (LIFO), also on failure or signal
#   nt_wait SECONDS WHAT CMD...   poll CMD until it succeeds, or fail
#   nt_assert_eq ACTUAL EXPECTED WHAT, nt_assert_ge, nt_assert_le,
#   nt_assert_true WHAT CMD..., nt_assert_false WHAT CMD...
#                           print "ok" or "FAIL" lines, count failures and
#                           return 1 on failure so a step can stop early
#   nt_fail WHAT            record a failure
#   nt_fatal WHAT           record a failure and exit now (cleanup runs)
#   nt_step WHAT            print a step header
#   nt_finish               exit 1 if any assertion failed, else 0
#
# Exit codes: 0 pass, 1 fail, 77 skipped (SKIP_RETURN_CODE in CMake).

set -u

NT_NAME=$(basename "${0%.sh}")
NT_FAILS=0
NT_CHECKS=0
NT_CLEANUPS=()
NT_T0=$SECONDS
NT_SRC=${BATON_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NT_BUILD=${BATON_BUILD:-$NT_SRC/build}
export BATON_BUILD=$NT_BUILD

nt_log() {
	echo "[$NT_NAME +$((SECONDS - NT_T0))s] $*"
}

nt_step() {
	echo
	nt_log "== $*"
}

nt_skip() {
	echo "SKIP: $NT_NAME: $*"
	exit 77
}

nt_require_root() {
	[ "$(id -u)" -eq 0 ] || nt_skip "needs root"
}

nt_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 ||
			nt_skip "command '$c' not installed (deploy/setup.sh)"
	done
}

nt_require_file() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || nt_skip "$f missing (not built?)"
	done
}

nt_require_netns() {
	nt_require_root
	nt_require_cmd ip
	local ns=ntchk$$
	ip netns add "$ns" 2>/dev/null ||
		nt_skip "cannot create network namespaces"
	ip netns del "$ns"
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] ||
		nt_skip "/sys/fs/bpf is not a bpffs (deploy/setup.sh mounts it)"
}

# A prefix no other run uses at the same time: TAG (<= 2 chars) + pid.
nt_prefix() {
	if [ -n "${BATON_LAB_PREFIX:-}" ]; then
		echo "$BATON_LAB_PREFIX"
	else
		echo "${1:-bt}$(($$ % 1000000))"
	fi
}

nt_run_cleanups() {
	local i
	trap - EXIT INT TERM HUP
	for ((i = ${#NT_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${NT_CLEANUPS[$i]}" || true
	done
	NT_CLEANUPS=()
}

nt_cleanup() {
	NT_CLEANUPS+=("$*")
}

trap 'rc=$?; nt_run_cleanups; exit $rc' EXIT
trap 'echo "$NT_NAME: interrupted"; exit 130' INT TERM HUP

nt_fail() {
	NT_FAILS=$((NT_FAILS + 1))
	echo "FAIL: $*"
	return 1
}

nt_fatal() {
	nt_fail "$*"
	nt_log "fatal, stopping ($NT_FAILS failure(s))"
	exit 1
}

nt_pass() {
	echo "ok: $*"
}

nt_assert_eq() {
	NT_CHECKS=$((NT_CHECKS + 1))
	if [ "$1" = "$2" ]; then
		nt_pass "$3 ($1)"
	else
		nt_fail "$3: expected '$2', got '$1'"
	fi
}

nt_assert_ge() {
	NT_CHECKS=$((NT_CHECKS + 1))
	if [[ $1 =~ ^-?[0-9]+$ ]] && [ "$1" -ge "$2" ]; then
		nt_pass "$3 ($1 >= $2)"
	else
		nt_fail "$3: expected >= $2, got '$1'"
	fi
}

nt_assert_le() {
	NT_CHECKS=$((NT_CHECKS + 1))
	if [[ $1 =~ ^-?[0-9]+$ ]] && [ "$1" -le "$2" ]; then
		nt_pass "$3 ($1 <= $2)"
	else
		nt_fail "$3: expected <= $2, got '$1'"
	fi
}

nt_assert_true() {
	local what=$1
	shift
	NT_CHECKS=$((NT_CHECKS + 1))
	if "$@"; then
		nt_pass "$what"
	else
		nt_fail "$what (command failed: $*)"
	fi
}

nt_assert_false() {
	local what=$1
	shift
	NT_CHECKS=$((NT_CHECKS + 1))
	if "$@"; then
		nt_fail "$what (command unexpectedly succeeded: $*)"
	else
		nt_pass "$what"
	fi
}

nt_wait() {
	local t=$1 what=$2 i
	shift 2
	for ((i = 0; i < t * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	nt_fail "timed out after ${t}s waiting for: $what"
}

# ---- one batond per test, in a namespace ------------------------------------
# The caller sets NS, CFG, SOCK, TMP, BATOND and BATONCTL. batond is entered
# with nsenter --net, not `ip netns exec`, which would remount /sys and hide
# the shared bpffs (pins then vanish with the daemon).

ctl() {
	"$BATONCTL" -s "$SOCK" "$@"
}

# nt_daemon_init TAG: the set-up of a test that runs its own batond in a
# namespace NS: BATOND, BATONCTL, P, NS, PIN (a pin dir of its own), TMP,
# SOCK and CFG. The test creates NS and the config; nt_daemon_cleanup
# (register it, or call it from the test's own cleanup) removes it all.
nt_daemon_init() {
	BATOND=$NT_BUILD/node/batond
	BATONCTL=$NT_BUILD/node/batonctl
	nt_require_file "$BATOND" "$BATONCTL"
	P=$(nt_prefix "$1")
	NS=${P}n
	PIN=/sys/fs/bpf/baton-test-$1-$$
	TMP=$(mktemp -d "/tmp/nt-$1.XXXXXX")
	SOCK=$TMP/batond.sock
	CFG=$TMP/baton.yaml
	BATOND_PID=
}

nt_daemon_cleanup() {
	batond_kill
	ip netns del "$NS" 2>/dev/null
	# Unlinking pins on a bpffs releases the maps.
	[ -d "$PIN" ] && rm -rf "$PIN"
	rm -rf "$TMP"
}

# batond_start NAME [ARGS...]: start batond, log to $TMP/NAME.log, wait
# (bounded) until it answers on the control socket.
batond_start() {
	local log=$TMP/$1.log
	shift
	nsenter --net="/run/netns/$NS" "$BATOND" -c "$CFG" "$@" \
		</dev/null >"$log" 2>&1 &
	BATOND_PID=$!
	BATOND_LOG=$log
	if ! nt_wait 30 "batond answers on $SOCK" ctl status; then
		sed 's/^/  batond: /' "$log"
		nt_fatal "batond did not start"
	fi
}

# batond_stop [SIG]: signal our batond (default TERM), wait (bounded) for it
# to exit and return its exit status.
batond_stop() {
	local sig=${1:-TERM} i rc
	[ -n "${BATOND_PID:-}" ] || return 0
	kill -"$sig" "$BATOND_PID" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		kill -0 "$BATOND_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$BATOND_PID" 2>/dev/null; then
		kill -KILL "$BATOND_PID" 2>/dev/null
		nt_fail "batond did not exit within 10 s of SIG$sig"
	fi
	wait "$BATOND_PID"
	rc=$?
	BATOND_PID=
	return $rc
}

# For cleanup traps: kill our batond if it still runs.
batond_kill() {
	[ -n "${BATOND_PID:-}" ] && kill -KILL "$BATOND_PID" 2>/dev/null &&
		wait "$BATOND_PID" 2>/dev/null
	BATOND_PID=
}

# ---- tests on the lab (deploy/lab/lib.sh) -----------------------------------
# The caller sets TMP (a directory of its own) and PIDS=() and registers
# nt_lab_cleanup with nt_cleanup.

# Stop our clients (only those: the lab's daemons are children of this
# shell too, and lab_down stops them), tear the lab down, remove TMP.
nt_lab_cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	lab_down
	rm -rf "$TMP"
}

# bg_client NAME ARGS...: baton-traffic client in the client namespace, in
# the background; its JSON summary in $TMP/NAME.json, its pid in $BG_PID.
bg_client() {
	local name=$1
	shift
	ip netns exec "$LAB_NS_C" "$LAB_TRAFFIC" client "$@" \
		>"$TMP/$name.json" 2>&1 &
	BG_PID=$!
	PIDS+=("$BG_PID")
}

# client_ok WHAT JSON_OR_FILE: every flow of a client run succeeded.
client_ok() {
	local what=$1 j=$2
	[ -f "$j" ] && j=$(cat "$j")
	echo "  $what: $(echo "$j" | jq -c '{total, ok, failed, max_pause_ms}
		| with_entries(select(.value != null))' 2>/dev/null ||
		echo "$j" | head -c 300)"
	nt_assert_eq "$(echo "$j" | jq -r .failed 2>/dev/null)" 0 \
		"$what: flows failed"
}

nt_finish() {
	echo
	if [ "$NT_FAILS" -gt 0 ]; then
		nt_log "FAILED: $NT_FAILS of $NT_CHECKS checks failed"
		exit 1
	fi
	nt_log "PASSED: $NT_CHECKS checks"
	exit 0
}

# ---- conntrack sync, N-node lab ---------------------------------------------
# For tests that run deploy/lab/lib.sh's N-node lab (LAB_NODES >= 2, lab_init
# done): compare node copies with tests/tools/ct-compare, read sync status.
#
#   nt_require_sync              skip unless batonctl has "sync status"
#   nt_ms                        monotonic-ish milliseconds (for durations)
#   nt_sync_json K               `batonctl --json sync status` of lbK
#   nt_sync_peer K PEER FILTER   jq FILTER on lbK's entry for PEER ("" if none)
#   nt_copy_check A B            one comparison: is B's copy of A's flows
#                                exact? (output in $NT_COPY_OUT)
#   nt_copy_poll SECONDS A B     repeat nt_copy_check until it holds or
#                                SECONDS pass; $NT_COPY_MS = time taken
#   nt_assert_copy SECONDS A B WHAT  the same as an assertion (prints the
#                                differences when it fails)
#   nt_sync_diag K...            sync status, ct count and log tail of nodes

NT_CT_COMPARE=$NT_SRC/tests/tools/ct-compare

nt_require_sync() {
	"$LAB_BATONCTL" --help 2>&1 | grep -q "sync status" ||
		nt_skip "batonctl has no 'sync status' (sync not built)"
	nt_require_file "$NT_CT_COMPARE"
}

# nt_scrape NS [PATH] [ADDR:PORT]: GET PATH (default /metrics) from
# batond's metrics endpoint (default 127.0.0.1:9477) in namespace NS; the
# whole answer, status line and headers included, within 5 s.
nt_scrape() {
	local hp=${3:-127.0.0.1:9477}
	timeout 5 ip netns exec "$1" bash -c 'exec 3<>"/dev/tcp/$1/$2" &&
		printf "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" "$3" "$1" >&3 &&
		cat <&3' _ "${hp%:*}" "${hp##*:}" "${2:-/metrics}"
}

# nt_metric FILE NAME{LABELS}: the value of that sample in a scrape.
nt_metric() {
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$1"
}

nt_ms() {
	echo $(($(date +%s%N) / 1000000))
}

nt_sync_json() {
	lab_node_ctl "$1" --json sync status 2>/dev/null
}

nt_sync_peer() {
	nt_sync_json "$1" | jq -r --argjson id "$2" \
		".peers[]? | select(.id == \$id) | $3" 2>/dev/null
}

NT_COPY_OUT=
NT_COPY_MS=

# nt_copy_check A B: B's replicated entries vs A's own (ct-compare). A's
# table may change while the two are read (its GC, a late close), so A is
# read twice, before and after B (the first time at the same time as B):
# B is an exact copy if it equals A as it was at either read. The report
# in $NT_COPY_OUT is against A's second read.
nt_copy_check() {
	local rc
	lab_copy_check "$1" "$2"
	rc=$?
	NT_COPY_OUT=$LAB_COPY_OUT
	return $rc
}

nt_copy_poll() {
	local t=$1 a=$2 b=$3 t0 now
	t0=$(nt_ms)
	while :; do
		if nt_copy_check "$a" "$b"; then
			NT_COPY_MS=$(($(nt_ms) - t0))
			return 0
		fi
		now=$(nt_ms)
		if [ $((now - t0)) -ge $((t * 1000)) ]; then
			NT_COPY_MS=$((now - t0))
			return 1
		fi
		sleep 0.05
	done
}

nt_assert_copy() {
	local t=$1 a=$2 b=$3 what=$4
	NT_CHECKS=$((NT_CHECKS + 1))
	if nt_copy_poll "$t" "$a" "$b"; then
		nt_pass "$what: lb$b holds an exact copy of lb$a's flows" \
			"after ${NT_COPY_MS} ms ($(echo "$NT_COPY_OUT" |
			tail -n 1 | sed 's/^ct-compare: owner [0-9]*: //'))"
	else
		echo "$NT_COPY_OUT" | sed 's/^/  /'
		nt_fail "$what: lb$b is no exact copy of lb$a's flows within" \
			"${t}s"
		# For the report: how much longer it took, if it converged.
		local late=$NT_COPY_MS
		if nt_copy_poll 10 "$a" "$b"; then
			nt_log "  ($what: exact copy $((late + NT_COPY_MS)) ms" \
				"after the check began)"
		else
			nt_log "  ($what: still no exact copy 10 s later:" \
				"$(echo "$NT_COPY_OUT" | tail -n 1))"
		fi
	fi
}

nt_sync_diag() {
	local k
	for k in "$@"; do
		echo "  -- lb$k: sync status"
		nt_sync_json "$k" | jq -c . 2>/dev/null | sed 's/^/  /'
		echo "  -- lb$k: $(lab_node_ctl "$k" ct count 2>&1)"
		tail -n 15 "$(lab_node_log "$k")" 2>/dev/null |
			sed "s/^/  lb$k.log: /"
	done
}

# ---- the HA pair (deploy/lab: lab.sh up --nodes 2 --ha) -----------------------
#
#   nt_ha_init TAG     requirements, lab_init with a unique prefix (exported
#                      for drill.sh), TMP, teardown registered
#   nt_ecmp_init TAG   the same for the ECMP lab
#   nt_drill PHASE     deploy/lab/drill.sh PHASE --out $TMP, output indented;
#                      its exit status, its report in $TMP/PHASE.json

nt_ha_init() {
	nt_require_cmd keepalived
	export LAB_NODES=2 LAB_HA=1
	nt_drill_init "$1"
	nt_require_file "$LAB_KACONF"
}

# nt_ecmp_init TAG: the same for the ECMP lab (lab.sh up --ecmp: 4 nodes,
# lb4 the spare) with real bird2.
nt_ecmp_init() {
	nt_require_cmd bird
	export LAB_NODES=4 LAB_ECMP=1 LAB_SPARE=1
	nt_drill_init "$1"
	nt_require_file "$LAB_BIRDGEN"
}

nt_drill_init() {
	nt_require_netns
	nt_require_cmd jq ping awk nsenter setsid
	. "$NT_SRC/deploy/lab/lib.sh"
	export BATON_LAB_PREFIX
	BATON_LAB_PREFIX=$(nt_prefix "$1")
	lab_init "$BATON_LAB_PREFIX" || nt_fatal "bad prefix"
	nt_require_file "$LAB_TRAFFIC" "$LAB_BATOND" "$LAB_BATONCTL"
	TMP=$(mktemp -d "/tmp/nt-$1.XXXXXX")
	PIDS=()
	nt_cleanup nt_lab_cleanup
}

nt_drill() {
	DRILL_QUIET=${DRILL_QUIET:-0} "$NT_SRC/deploy/lab/drill.sh" "$1" \
		--out "${2:-$TMP}" 2>&1 | sed 's/^/  | /'
	return "${PIPESTATUS[0]}"
}
