#!/usr/bin/env bash
# tests/sanitize/run.sh - the namespace tests against an ASan+UBSan build.
#
# Configures and builds a sanitized tree (cmake -DBATON_SANITIZE=ON, clang
# as deploy/setup.sh uses it; the BPF object is compiled apart, without the
# sanitizers), then runs netns tests with BATON_BUILD pointing at it, so
# batond, batonctl, baton-traffic, baton-keepalived and the other tools the
# tests start are all the sanitized ones. Each test gets a directory of its
# own that every one of those processes writes its sanitizer reports into
# (log_path); after the test, any file there, or a report in the test's
# output (a process that lost our environment reports on its stderr, which
# the tests print when they fail), fails the run. LeakSanitizer runs when
# a process exits normally: batond on SIGTERM (clean shutdown), every
# batonctl on each command. UBSan reports and lets the test go on (one run
# shows them all), the report check fails it; ASan stops the process.
# A leak check that ran leaves its mark (LSan's log_threads lines, not a
# report), so a test in which no batond exited cleanly fails too: its leak
# check would otherwise be lost without a word. The summary counts the
# leak-checked batond and batonctl processes of each test.
#
#   tests/sanitize/run.sh                the CI subset (ctest netns.sanitized),
#                                        3.5 min on 2 cores, build included
#   tests/sanitize/run.sh --all          the whole netns suite, about 17 min
#   tests/sanitize/run.sh test_health test_sync_tls    just these
#
# Options: --build DIR (default <repo>/build-asan), --out DIR (reports and
# each test's output; default DIR/sanitize-out), --no-build (use DIR as it
# is). Needs root. Environment: CC (default clang).
#
# Before the tests a control proves the check can fail: a planted leak, a
# heap overflow and a signed overflow, run the way batond is (nsenter into
# a namespace, our environment), must each be caught.
#
# Leak suppressions: none is needed (batond, batonctl and the tools free
# everything, nng's, libuv's and libbpf's allocations included). Should a
# leak inside a third-party library ever need one, it goes in
# tests/sanitize/lsan.supp (read when present), with the reason; a leak in
# our code is fixed, never suppressed.
#
# Exit: 0 every test passed (or skipped) with no report, 1 a failure or a
# report, 77 skipped (not root, no namespaces, or every test skipped).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$repo/tests/sanitize

# The CI subset (ctest netns.sanitized): the tests that run the most daemon
# code per second. The daemon's life cycle (reloads good and bad, services
# through batonctl, keep_datapath and map reuse) and its conntrack GC;
# restarts under traffic (program swap on pinned maps, kill -9, a refused
# takeover, --detach-all: ten batond exits, each leak-checked); the
# single-node lab's modes and algorithms; the HA wiring (notify FIFO, track
# file, readiness, a sync peer's resync); health checks with the metrics
# endpoint, on_down reset and config save; sync among three nodes and over
# TLS; an HA pair's batond killed -9 under load and restarted (resync of
# what no event reported), then a power-off (takeover, nudge). About 3
# minutes with the build on 2 idle cores; the rest runs with --all.
# (test_sync_two_nodes runs with --all: under ASan's timing its step 6
# control once found lb2 holding a copy it had logged as refused - a
# race of the test's own to look into, no sanitizer report.)
CI_TESTS=(test_daemon_lifecycle test_daemon_gc test_e2e_single_node
	test_restart test_ha_wiring test_health test_sync_tls
	test_sync_three_nodes test_ha_kill9)

build=$repo/build-asan
out=
do_build=1
tests=()
while [ $# -gt 0 ]; do
	case $1 in
	--build) build=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--no-build) do_build=0; shift ;;
	--all) tests=(all); shift ;;
	-h | --help) sed -n '2,/^set -/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) tests+=("${1%.sh}"); shift ;;
	esac
done
build=$(mkdir -p "$build" && cd "$build" && pwd) || exit 1
out=${out:-$build/sanitize-out}

say() {
	echo "[sanitize +$((SECONDS))s] $*"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: sanitize: needs root (netns tests)"
	exit 77
fi

# test name -> script (tests/netns, and baton-traffic's own in tests/tools)
script_of() {
	local s
	for s in "$repo/tests/netns/$1.sh" "$repo/tests/tools/$1.sh"; do
		[ -f "$s" ] && { echo "$s"; return 0; }
	done
	return 1
}

if [ ${#tests[@]} -eq 0 ]; then
	tests=("${CI_TESTS[@]}")
elif [ "${tests[0]}" = all ]; then
	tests=()
	for s in "$repo"/tests/netns/test_*.sh \
		"$repo"/tests/tools/test_baton_traffic.sh; do
		tests+=("$(basename "${s%.sh}")")
	done
fi
for t in "${tests[@]}"; do
	script_of "$t" >/dev/null || { echo "run.sh: no test $t" >&2; exit 2; }
done

# ---- build ------------------------------------------------------------------

build_tree() {
	local gen=() log
	log=$(mktemp /tmp/baton-sanitize-build.XXXXXX) || return 1
	[ -f "$build/CMakeCache.txt" ] || gen=(-G "Unix Makefiles")
	if ! env CC="${CC:-clang}" cmake -S "$repo" -B "$build" "${gen[@]}" \
		-DBATON_SANITIZE=ON -DBATON_FUZZ=OFF >"$log" 2>&1 ||
		! cmake --build "$build" -j2 >>"$log" 2>&1; then
		tail -n 60 "$log"
		rm -f "$log"
		return 1
	fi
	rm -f "$log"
}

t0=$SECONDS
if [ "$do_build" = 1 ]; then
	say "building $build (CC=${CC:-clang}, BATON_SANITIZE=ON)"
	build_tree || { say "FAIL: the sanitized build failed"; exit 1; }
	say "built in $((SECONDS - t0)) s"
fi
grep -q '^BATON_SANITIZE:BOOL=ON$' "$build/CMakeCache.txt" 2>/dev/null || {
	say "FAIL: $build is not a BATON_SANITIZE=ON tree"
	exit 1
}

# ---- the sanitizers' settings -------------------------------------------------

# sanitize_env DIR: the options for processes whose reports go to DIR
# (DIR/san.EXE.PID). log_path is a common flag: the same in both.
sanitize_env() {
	local lp="log_path=$1/san:log_exe_name=1"
	export ASAN_OPTIONS="$lp:detect_leaks=1:halt_on_error=1:abort_on_error=0:detect_stack_use_after_return=1"
	export UBSAN_OPTIONS="$lp:print_stacktrace=1:halt_on_error=0"
	# log_threads: a leak check that ran leaves its mark (see reports).
	LSAN_OPTIONS="print_suppressions=0:log_threads=1"
	[ -f "$here/lsan.supp" ] &&
		LSAN_OPTIONS="$LSAN_OPTIONS:suppressions=$here/lsan.supp"
	export LSAN_OPTIONS
}

# What a sanitizer prints, for outputs that are not log_path files.
SAN_RE='ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error: |SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer'
# What log_threads writes while a leak check runs: the proof that it ran,
# no report.
LSAN_RAN_RE='^==([^=]+==)?[0-9]+==(Processing thread [0-9]+\.|Stack at |TLS at )'

# reports DIR OUTPUT: print the reports of one run; true if there are any.
# Any line in a log_path file but the leak check's own is a report.
reports() {
	local dir=$1 output=$2 f found=1
	for f in "$dir"/san.*; do
		[ -f "$f" ] || continue
		grep -Evq "$LSAN_RAN_RE" "$f" || continue
		found=0
		echo "---- $(basename "$f") ----"
		grep -Ev "$LSAN_RAN_RE" "$f"
	done
	if grep -Eq "$SAN_RE" "$output" 2>/dev/null; then
		found=0
		echo "---- in the output ----"
		grep -E -B2 -A25 "$SAN_RE" "$output" | head -n 200
	fi
	return $found
}

# leak_checks DIR EXE: how many EXE processes ran their leak check at exit.
leak_checks() {
	local f n=0
	for f in "$1/san.$2".*; do
		grep -Eq "$LSAN_RAN_RE" "$f" 2>/dev/null && n=$((n + 1))
	done
	echo $n
}

# ---- control: the check catches what it is for --------------------------------

control() {
	local d=$out/control ns=sz$(($$ % 1000000))c case rc=0 bin
	rm -rf "$d" && mkdir -p "$d/bin"
	cat >"$d/bin/planted.c" <<-'EOF'
	#include <limits.h>
	#include <stdlib.h>
	#include <string.h>
	int main(int argc, char **argv)
	{
		volatile int n = INT_MAX;
		char *p = malloc(16);

		if (!strcmp(argv[1], "leak")) {
			p = NULL;
			return 0;
		}
		if (!strcmp(argv[1], "overflow"))
			p[16] = 1;
		if (!strcmp(argv[1], "ub"))
			n += argc;
		free(p);
		return n == 0;
	}
	EOF
	bin=$d/bin/planted
	"${CC:-clang}" -g -O0 -fsanitize=address,undefined \
		-fno-omit-frame-pointer "$d/bin/planted.c" -o "$bin" ||
		{ say "FAIL: control: cannot compile the planted bugs"; return 1; }
	ip netns add "$ns" || { say "SKIP: cannot create namespaces"; return 77; }
	ctl_ns=$ns
	for case in none leak overflow ub; do
		rm -rf "$d/$case" && mkdir -m 1777 "$d/$case"
		(sanitize_env "$d/$case"
		 setsid nsenter --net="/run/netns/$ns" "$bin" "$case" \
			</dev/null >"$d/$case.out" 2>&1)
		if reports "$d/$case" "$d/$case.out" >/dev/null; then
			[ "$case" = none ] && { say "FAIL: control: a report" \
				"without a bug"; rc=1; }
		elif [ "$case" = none ]; then
			[ "$(leak_checks "$d/$case" planted)" = 1 ] || {
				say "FAIL: control: no sign of the leak check"
				rc=1; }
		else
			say "FAIL: control: planted $case not caught"
			rc=1
		fi
	done
	ip netns del "$ns"
	ctl_ns=
	[ $rc -eq 0 ] && say "control: planted leak, heap overflow and UB" \
		"caught; no report without a bug, and its leak check seen"
	return $rc
}

# ---- the tests ----------------------------------------------------------------

# Interrupted (Ctrl-C, a TERM): the running test gets a TERM (through
# timeout), tears its namespaces down, and only then does this script end.
ctl_ns=
child=
interrupted=0
on_signal() {
	interrupted=1
	[ -n "$child" ] && kill -TERM "$child" 2>/dev/null
}
trap on_signal INT TERM HUP
trap '[ -n "$ctl_ns" ] && ip netns del "$ctl_ns" 2>/dev/null' EXIT

mkdir -p "$out" || exit 1
control
rc=$?
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || exit 1

declare -A result secs checks
fails=0
passed=0
t_tests=$SECONDS
for t in "${tests[@]}"; do
	d=$out/$t
	rm -rf "$d" && mkdir -p "$d" || exit 1
	# A batond that drops privileges must still write its reports.
	mkdir -m 1777 "$d/reports"
	say "$t"
	ts=$SECONDS
	# 1.5 times the test's own ctest TIMEOUT (tests/netns/CMakeLists.txt)
	limit=450
	[ "$t" = test_ha_drill_repeat ] && limit=1350
	(
		sanitize_env "$d/reports"
		unset LAB_BUILD BATON_LAB_PREFIX
		export BATON_BUILD=$build BATON_SRC=$repo
		exec timeout -k 30 "$limit" bash "$(script_of "$t")"
	) </dev/null >"$d/output.log" 2>&1 &
	child=$!
	# A trapped signal ends the first wait early; the second waits for
	# the test's teardown.
	wait "$child"
	trc=$?
	if [ "$interrupted" = 1 ]; then
		wait "$child"
		say "interrupted during $t (its output: $d/output.log)"
		exit 130
	fi
	child=
	secs[$t]=$((SECONDS - ts))
	checks[$t]="$(leak_checks "$d/reports" batond)"
	checks[$t]+=" $(leak_checks "$d/reports" batonctl)"
	if reports "$d/reports" "$d/output.log" >"$d/reports.txt"; then
		result[$t]="REPORT (exit $trc)"
		fails=$((fails + 1))
		say "FAIL: $t: sanitizer report(s) ($d/reports.txt):"
		head -n 150 "$d/reports.txt"
	elif [ $trc -eq 77 ]; then
		result[$t]=skipped
		say "$t: $(grep -m1 '^SKIP' "$d/output.log")"
	elif [ $trc -ne 0 ]; then
		result[$t]="FAIL (exit $trc)"
		fails=$((fails + 1))
		say "FAIL: $t exited $trc; its output ($d/output.log) ends:"
		tail -n 40 "$d/output.log"
	elif [ "${checks[$t]%% *}" = 0 ] &&
		[ "$(script_of "$t")" = "$repo/tests/netns/$t.sh" ]; then
		# Every namespace test stops a batond with SIGTERM at least
		# at its teardown: none that ran its leak check means the
		# leak check was lost (a SIGKILL, a hang at stop).
		result[$t]="FAIL (no leak check)"
		fails=$((fails + 1))
		say "FAIL: $t: no batond ran its leak check (none exited" \
			"cleanly)"
	else
		result[$t]=passed
		passed=$((passed + 1))
	fi
	say "$t: ${result[$t]} in ${secs[$t]} s"
done

echo
echo "sanitized netns run ($build):"
printf '  %-28s %-20s %6s  %s\n' test result time \
	"leak checks: batond batonctl"
for t in "${tests[@]}"; do
	printf '  %-28s %-20s %4d s  %19s %8s\n' "$t" "${result[$t]}" \
		"${secs[$t]}" ${checks[$t]}
done
echo "  tests $((SECONDS - t_tests)) s, total $((SECONDS - t0)) s;" \
	"reports and outputs in $out"
[ $fails -gt 0 ] && exit 1
[ $passed -eq 0 ] && exit 77
exit 0
