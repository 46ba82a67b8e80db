#!/usr/bin/env bash
# Run every libFuzzer target of tests/fuzz for SECONDS each, JOBS at a time
# (default 2), e.g. a long session: tests/fuzz/run-all.sh 600 2
# ctest runs the same targets briefly: ctest --preset fuzz.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
seconds=${1:-600} jobs=${2:-2}
targets=(fuzz_scenario fuzz_world fuzz_trace_csv fuzz_trace_og fuzz_cache fuzz_tracker)
printf '%s\n' "${targets[@]}" |
  xargs -P "$jobs" -I{} "$here/run.sh" {} "$seconds" -jobs=1
