#!/usr/bin/env bash
# The long crash campaign: the CrashTests suite with many more SIGKILLs than
# CI's 20. `scripts/crash-soak.sh [ROUNDS]` (default 500).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SILVERLEDGER_CRASH_ROUNDS="${1:-500}"
swift build --build-tests
swift test --skip-build --filter CrashTests
