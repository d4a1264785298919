#!/usr/bin/env bash
# The test suite under AddressSanitizer and ThreadSanitizer, each in a build
# directory of its own (.build-asan, .build-tsan): `scripts/sanitizers.sh
# [address|thread]` (default both). Extra arguments go to `swift test`.
#
# LeakSanitizer is off: Swift keeps enum tags in the spare bits of pointers,
# so objects reachable only through such a pointer (lazily built globals, for
# instance) look leaked to it, and it fails processes that did nothing wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
which=${1:-both}
[ $# -gt 0 ] && shift
run() {
    local sanitizer=$1 scratch=$2
    shift 2
    echo "sanitizers: building the tests with --sanitize=$sanitizer"
    swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
    echo "sanitizers: running them"
    ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=halt_on_error=1 \
        swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" "$@"
}
case "$which" in
    address) run address .build-asan "$@" ;;
    thread) run thread .build-tsan "$@" ;;
    both) run address .build-asan "$@"; run thread .build-tsan "$@" ;;
    *) echo "usage: scripts/sanitizers.sh [address|thread|both] [swift test arguments]" >&2; exit 64 ;;
esac
