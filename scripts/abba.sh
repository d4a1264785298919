#!/usr/bin/env bash
# Runs two builds of a benchmark in ABBA order (A B B A, ROUNDS times) and
# prints each one's figures sorted, with their median. On a machine whose
# speed drifts, a fixed order (A then B) favours one side; ABBA does not.
#
#   scripts/abba.sh OLD_BINARY NEW_BINARY ROUNDS [benchmark arguments...]
#
# The figure is the first number after PATTERN in each run's output (default:
# domain-throughput's batched commands/s), e.g.
#   scripts/abba.sh /tmp/dt-old /tmp/dt-new 3 --cadres 10000 --years 3 --runs 1
#   PATTERN='rebuild [0-9.]* s, ' scripts/abba.sh /tmp/dt-old /tmp/dt-new 3 --rebuild-only /tmp/sl-30k
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: scripts/abba.sh OLD_BINARY NEW_BINARY ROUNDS [benchmark arguments...]" >&2
    exit 64
fi
a=$1 b=$2 rounds=$3
shift 3
pattern=${PATTERN:-'1000 per append: '}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
run() {
    local side=$1 binary=$2
    shift 2
    local figure
    figure=$("$binary" "$@" 2>&1 | grep -oE "${pattern}[0-9]+" | head -1 | grep -oE '[0-9]+$' || true)
    if [ -z "$figure" ]; then
        echo "abba: no figure after '${pattern}' in the output of $binary" >&2
        exit 1
    fi
    echo "$side $figure" >> "$results"
}
for _ in $(seq "$rounds"); do
    run A "$a" "$@"; run B "$b" "$@"; run B "$b" "$@"; run A "$a" "$@"
done
for side in A B; do
    binary=$a
    [ "$side" = B ] && binary=$b
    grep "^$side " "$results" | awk '{print $2}' | sort -n | awk -v name="$side ($binary)" '
        { v[NR] = $1 }
        END {
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            line = ""; for (i = 1; i <= NR; i++) line = line " " v[i]
            printf "%s: median %d (runs:%s)\n", name, m, line
        }'
done
