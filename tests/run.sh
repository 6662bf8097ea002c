#!/usr/bin/env bash
# tests/run.sh - the whole test suite: set the machine up and build
# (deploy/setup.sh), then run every ctest test. Arguments go to ctest, e.g.
#   tests/run.sh -L unit        only one tier (unit | bpf | netns | deploy)
#   tests/run.sh -R e2e         tests whose name matches
# Exit status: non-zero if setup, the build or any test failed.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "tests/run.sh: run as root (bpf and netns tests need it)" >&2
	exit 1
fi

BATON_BUILD="$repo/build" "$repo/deploy/setup.sh"
exec ctest --test-dir "$repo/build" --output-on-failure --timeout 600 "$@"
