#!/usr/bin/env bash
# The long concurrency campaign: racing appends with expected versions,
# readers and a live subscription, over many more appends than CI's 20,000.
# `scripts/concurrency-soak.sh [APPENDS]` (default 1,000,000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export SILVERLEDGER_CONCURRENCY_APPENDS="${1:-1000000}"
swift build --build-tests
swift test --skip-build --filter ConcurrencyCampaignTests
