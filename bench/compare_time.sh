#!/usr/bin/env bash
# Two builds' times in one run, for a claim against a baseline: the span benchmarks four
# rounds and the end-to-end run three, the two builds alternating which goes first.
#
#   bench/compare_time.sh BASE_BUILD_DIR NEW_BUILD_DIR
#
# A baseline build: git worktree add /tmp/base <rev>; cmake -S /tmp/base -B /tmp/base/build
# -G Ninja; cmake --build /tmp/base/build --target litetrace_bench litetrace_e2e.
set -euo pipefail
base=$1
new=$2
filter='BM_Floor_TwoTickReads|BM_SpanStartEnd/|BM_SpanStartEnd2Attrs/|BM_SpanUnsampled|BM_GlobalSpanNoProvider'
order() { if [ $(($1 % 2)) = 1 ]; then echo "$base $new"; else echo "$new $base"; fi; }
for round in 1 2 3 4; do
  for build in $(order "$round"); do
    echo "### $build, round $round (the second time is CPU time)"
    "$build/bench/litetrace_bench" --benchmark_filter="$filter" --benchmark_repetitions=5 \
      --benchmark_report_aggregates_only=true 2>/dev/null | grep median
  done
done
for round in 1 2 3; do
  for build in $(order "$round"); do
    echo "### $build, end to end, round $round"
    "$build/bench/litetrace_e2e" --threads 1 --seconds 3 2>&1 | tail -1
  done
done
