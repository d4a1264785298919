#!/usr/bin/env bash
# The long crash campaigns: CrashTests (the storage engine's writer) and
# LedgerCrashTests (the domain workload: a ledger, ticking writers through
# group commit, snapshots), each with many more SIGKILLs than CI's 20.
# `scripts/crash-soak.sh [ROUNDS]` (default 1000 each).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SILVERLEDGER_CRASH_ROUNDS="${1:-1000}"
export SILVERLEDGER_LEDGER_CRASH_ROUNDS="${1:-1000}"
swift build --build-tests
swift test --skip-build --filter "CrashTests|LedgerCrashTests"
