#!/usr/bin/env bash
# tests/bench/run.sh - datapath micro-benchmark. Prints figures, never
# passes or fails on them (it is not a ctest test).
#
# What it measures, with BPF_PROG_TEST_RUN in a private network namespace
# (root): ns per packet of an empty TC program (the floor), of the
# established fast path, of a new flow (SYN through the slow path), of
# non-VIP pass-through, each with its ratio to the floor, and how long
# bpf_map_lookup_batch takes to read 1M conntrack entries. The method
# (repeat=1 per call, kernel-reported durations, median of rounds) is
# printed with the results; see tests/bench/baton-bench.c.
#
#   tests/bench/run.sh [-n calls] [-r rounds] [-e scan_entries]
#
# Builds first if needed: deploy/setup.sh when present (packages, bpffs,
# build), else cmake. BATON_BUILD picks the build directory (default
# <repo>/build).
set -u

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=${BATON_BUILD:-$repo/build}
bench=$build/tests/bench/baton-bench

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (BPF_PROG_TEST_RUN, network namespace)" >&2
	exit 1
fi

if [ -x "$repo/deploy/setup.sh" ]; then
	# Builds the whole tree; if another part of it does not build right
	# now, the benchmark alone may still.
	BATON_BUILD=$build "$repo/deploy/setup.sh" ||
		echo "run.sh: deploy/setup.sh failed; building the benchmark" \
			"alone" >&2
fi
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$repo" -B "$build" >/dev/null || exit 1
fi
cmake --build "$build" --target baton-bench -j2 >/dev/null || {
	echo "run.sh: cannot build baton-bench" >&2
	exit 1
}

exec "$bench" "$@"
