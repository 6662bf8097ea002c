#!/usr/bin/env bash
# deploy/setup.sh - make this Debian 12 machine ready to build, run and test
# Baton, then build it into <repo>/build.
#
#   deploy/setup.sh            run it (root), or
#   . deploy/setup.sh          source it: sets BATON_REPO and BATON_BUILD
#
# Idempotent and quiet: it installs only missing packages, mounts bpffs only
# if /sys/fs/bpf is not one, and rebuilds only what changed. It prints
# nothing unless something fails, and then the log of the failed step.
#
# Environment: BATON_SETUP_NO_BUILD=1 skips the build step.

# Build dependencies, then runtime and test tools.
BATON_BUILD_PKGS="cmake make gcc libc6-dev clang llvm libclang-rt-14-dev pkg-config libbpf-dev \
libelf-dev zlib1g-dev libuv1-dev libnng-dev libyaml-dev libjansson-dev \
libcmocka-dev bpftool dpkg-dev groff-base libnetfilter-conntrack-dev"
BATON_RUN_PKGS="iproute2 nftables keepalived bird2 gnuplot-nox socat \
iputils-ping iputils-arping openssl procps jq tcpdump util-linux \
conntrack conntrackd ethtool"

baton_setup_log() {
	# Runs "$@" with its output in a log; shows the log only on failure.
	local what=$1 log rc
	shift
	log=$(mktemp /tmp/baton-setup.XXXXXX) || return 1
	"$@" >"$log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "setup.sh: $what failed (exit $rc):" >&2
		tail -n 60 "$log" >&2
	fi
	rm -f "$log"
	return "$rc"
}

baton_setup_packages() {
	local missing=() p
	for p in $BATON_BUILD_PKGS $BATON_RUN_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: missing packages (${missing[*]}); run as root" >&2
		return 1
	fi
	baton_setup_log "apt-get update" \
		env DEBIAN_FRONTEND=noninteractive apt-get update -q ||
		return 1
	baton_setup_log "apt-get install ${missing[*]}" \
		env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
}

baton_setup_bpffs() {
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup.sh: /sys/fs/bpf is not a bpffs; run as root" >&2
		return 1
	fi
	mkdir -p /sys/fs/bpf 2>/dev/null
	baton_setup_log "mounting bpffs on /sys/fs/bpf" \
		mount -t bpf bpf /sys/fs/bpf
}

baton_setup_build() {
	local gen=()
	# Keep whatever generator an existing build dir was made with.
	[ -f "$BATON_BUILD/CMakeCache.txt" ] || gen=(-G "Unix Makefiles")
	# clang builds user space too, so the libFuzzer targets (sync decoder,
	# config parser) are built and run by the test suite.
	baton_setup_log "cmake configure" \
		env CC=clang cmake -S "$BATON_REPO" -B "$BATON_BUILD" \
		"${gen[@]}" -DBATON_FUZZ=ON || return 1
	baton_setup_log "build" cmake --build "$BATON_BUILD" -j2
}

baton_setup() {
	BATON_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) || return 1
	BATON_BUILD=${BATON_BUILD:-$BATON_REPO/build}
	export BATON_REPO BATON_BUILD
	baton_setup_packages || return 1
	baton_setup_bpffs || return 1
	[ "${BATON_SETUP_NO_BUILD:-0}" = 1 ] && return 0
	baton_setup_build
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	baton_setup
	exit $?
else
	baton_setup
fi
