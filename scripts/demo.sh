#!/usr/bin/env bash
# The main job: builds the `silverledger` tool and runs its demo (a fresh store,
# a generated province, the day's commands, the main reports, a verification).
# Arguments go to the demo: scripts/demo.sh --cadres 3000
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product silverledger
.build/debug/silverledger demo "$@"
