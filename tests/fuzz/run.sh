#!/usr/bin/env bash
# Run one libFuzzer target of tests/fuzz for SECONDS, starting from its seed
# corpus (tests/fuzz/corpus/TARGET, read only) and the inputs it found on
# earlier runs (WORK/TARGET). Prints executions and coverage; exits non-zero
# on a finding, leaving the input in WORK/crashes/.
#   tests/fuzz/run.sh TARGET SECONDS [extra libFuzzer flags]
# Environment: MESHSIM_FUZZ_BIN_DIR (default build/fuzz/tests/fuzz),
#              MESHSIM_FUZZ_WORK    (default build/fuzz/fuzz-work).
# Build first: cmake --preset fuzz && cmake --build --preset fuzz -j2
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 2 ] || { echo "usage: $0 TARGET SECONDS [libFuzzer flags]" >&2; exit 2; }
target=$1 seconds=$2
shift 2
bin_dir=${MESHSIM_FUZZ_BIN_DIR:-$root/build/fuzz/tests/fuzz}
work=${MESHSIM_FUZZ_WORK:-$root/build/fuzz/fuzz-work}
bin=$bin_dir/$target
[ -x "$bin" ] || { echo "$0: $bin not built (cmake --preset fuzz && cmake --build --preset fuzz)" >&2; exit 2; }
seeds=$here/corpus/$target
mkdir -p "$work/$target" "$work/crashes"
dict=()
[ -f "$here/$target.dict" ] && dict=(-dict="$here/$target.dict")
log=$work/$target.log
# GLib warnings (a GError set twice, a failed g_return_if_fail) are findings.
export G_DEBUG=${G_DEBUG:-fatal-warnings}
echo "fuzz: $target for ${seconds}s (log $log)"
set +e
"$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
  -print_final_stats=1 -artifact_prefix="$work/crashes/$target-" "${dict[@]}" "$@" \
  "$work/$target" "$seeds" >"$log" 2>&1
rc=$?
set -e
grep -E '^#[0-9]+.*(cov|DONE)' "$log" | tail -1 || true
grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" || true
if [ $rc -ne 0 ]; then
  echo "fuzz: $target FAILED (exit $rc); the end of its log:" >&2
  tail -60 "$log" >&2
fi
exit $rc
