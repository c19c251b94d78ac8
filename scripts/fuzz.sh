#!/usr/bin/env bash
# Fuzzes the scan-opt front end (parser, verifier, pass pipelines) with
# libFuzzer under ASan+UBSan for a bounded time.
# Usage: scripts/fuzz.sh [seconds, default 600]
# Seeds come from test/ and examples/ (split at `// -----`), including the
# regression corpus test/Fuzz/Inputs/corpus/. Crashing, timing-out and
# out-of-memory inputs land in build-fuzz/artifacts/; once fixed, add them to
# that corpus, which test/Fuzz/corpus.test replays through scan-opt. Fails
# when the fuzzer did not run or a finding is in scan-mlir's code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds="${1:-600}"
build="${SCAN_FUZZ_BUILD_DIR:-$root/build-fuzz}"

"$root/scripts/deps.sh"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSCAN_ENABLE_FUZZER=ON -DSCAN_ENABLE_SANITIZERS=ON
fi
cmake --build "$build" --target scan-fuzz

corpus="$build/corpus"
mkdir -p "$corpus" "$build/artifacts"
# One seed per split-input-file case.
find "$root/test" "$root/examples" -name '*.mlir' | while read -r file; do
  awk -v prefix="$corpus/$(basename "$file" .mlir)" '
    /^\/\/ -----/ { n++; next }
    { print > (prefix "." n ".mlir") }' n=0 "$file"
done

export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="halt_on_error=1:${UBSAN_OPTIONS:-}"
# Source locations in the stacks, which the triage attributes by file.
export ASAN_SYMBOLIZER_PATH="${ASAN_SYMBOLIZER_PATH:-/usr/lib/llvm-22/bin/llvm-symbolizer}"
# The limits of the run, under which the triage replays every finding.
limits=(-timeout=20 -rss_limit_mb=4096)
# Fork mode keeps going after a crash, a timeout or an out-of-memory, so one
# upstream parser crash does not end the run; every such input is kept in
# the artifacts folder (crash-*, timeout-*, oom-*) and triaged below.
status=0
"$build/bin/scan-fuzz" "$corpus" \
  -dict="$root/tools/scan-fuzz/scan.dict" \
  -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" "${limits[@]}" \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 \
  >"$build/fuzz.log" 2>&1 || status=$?
grep -E "^#[0-9]+: cov|INFO: fuzzed" "$build/fuzz.log" | tail -n 2 || true

# Did it run, and whose are the findings (scripts/fuzz-triage.sh says how
# they are attributed)?
exec "$root/scripts/fuzz-triage.sh" "$build/bin/scan-fuzz" "$build/artifacts" \
  "$build/fuzz.log" "$status" "${limits[@]}"
