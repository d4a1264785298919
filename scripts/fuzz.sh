#!/usr/bin/env bash
# The fuzz campaign (docs/RELIABILITY.md): builds the libFuzzer targets in Fuzz/
# with -sanitize=fuzzer,address and runs each for a set time.
#
#   scripts/fuzz.sh                 every target, 60 s each
#   scripts/fuzz.sh 3600            every target, an hour each (the soak)
#   scripts/fuzz.sh 30 codec        one target (batches, codec or commands)
#   FUZZ_RUNS=10000000 scripts/fuzz.sh 7200 commands
#                                   stops at 10 million executions, or after 2 hours
#
# Each target starts from its seeds and kept inputs in Tests/FuzzCorpus/<target>/
# (copied to .build-fuzz/corpus/, which grows as libFuzzer finds new paths; the
# committed corpus is not changed). An input that crashes a target is written to
# .build-fuzz/crashes/<target>/ and the script fails: copy it into
# Tests/FuzzCorpus/<target>/ so that FuzzRegressionTests keeps running it.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(batches codec commands)
bash scripts/setup.sh >/dev/null
export ASAN_OPTIONS="detect_leaks=0:${ASAN_OPTIONS:-}"   # Swift's tagged pointers look like leaks to LeakSanitizer
status=0
for target in "${targets[@]}"; do
  swift build -c release --scratch-path .build-fuzz --product "fuzz-$target" \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING >/dev/null
  corpus=".build-fuzz/corpus/$target" crashes=".build-fuzz/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  cp -n "Tests/FuzzCorpus/$target/"* "$corpus/" 2>/dev/null || true
  log=".build-fuzz/fuzz-$target.log"
  if ".build-fuzz/release/fuzz-$target" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -print_final_stats=1 -detect_leaks=0 \
       -artifact_prefix="$crashes/" -timeout=10 -rss_limit_mb=4096 "$corpus" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    took=$(grep -o 'Done [0-9]* runs in [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
    echo "fuzz-$target: $runs executions in ${took:-$seconds} s, no crash (corpus $(ls "$corpus" | wc -l) inputs)"
  else
    echo "fuzz-$target: FAILED; see $log and $crashes/" >&2
    grep -E "ERROR|SUMMARY|Test unit written|Fatal error|Precondition failed" "$log" | head -5 >&2 || true
    status=1
  fi
done
exit $status
