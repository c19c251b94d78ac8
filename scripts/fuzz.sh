#!/usr/bin/env bash
# Fuzzes the scan-opt front end (parser, verifier, pass pipelines) with
# libFuzzer under ASan+UBSan for a bounded time.
# Usage: scripts/fuzz.sh [seconds, default 600]
# Seeds come from test/ and examples/ (split at `// -----`), including the
# regression corpus test/Fuzz/Inputs/corpus/. Crashing inputs land in
# build-fuzz/artifacts/; once fixed, add them to that corpus, which
# test/Fuzz/corpus.test replays through scan-opt.
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
# Fork mode keeps going after a crash, so one upstream parser crash does not
# end the run; every crashing input is kept and triaged below.
"$build/bin/scan-fuzz" "$corpus" \
  -dict="$root/tools/scan-fuzz/scan.dict" \
  -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
  -artifact_prefix="$build/artifacts/" -print_final_stats=1 2>&1 |
  tee "$build/fuzz.log" | grep -E "^#[0-9]+: cov|INFO: fuzzed" | tail -n 2 || true

# Triage: a crash whose innermost frame, past the frames of the report
# itself (sanitizer, libFuzzer's deadly-signal handler, libc's abort/raise,
# report_fatal_error, llvm_unreachable), lies in libMLIR.so/libLLVM.so is an
# upstream bug (the same input crashes mlir-opt); anything else is ours.
# Inputs that no longer crash (fixed, or now skipped by the harness as a
# known upstream crash) are counted apart.
ours=0; upstream=0; gone=0
for crash in "$build"/artifacts/crash-* "$build"/artifacts/timeout-*; do
  [ -e "$crash" ] || continue
  if "$build/bin/scan-fuzz" "$crash" >/dev/null 2>&1; then
    gone=$((gone + 1)); continue
  fi
  frame0=$("$build/bin/scan-fuzz" "$crash" 2>&1 | grep -E '^ *#[0-9]+ ' |
    grep -v -E '__sanitizer|__asan|__ubsan|fuzzer::|libc\.so\.6|abort|raise|pthread_kill|report_fatal_error|llvm_unreachable_internal' |
    head -n 1 || true)
  if echo "$frame0" | grep -qE 'libMLIR\.so|libLLVM\.so'; then
    upstream=$((upstream + 1))
  else
    ours=$((ours + 1)); echo "fuzz: OUR CRASH: $crash"; echo "  $frame0"
  fi
done
echo "fuzz: crashing inputs in scan-mlir code: $ours, in upstream MLIR: $upstream (no longer crashing: $gone)"
[ "$ours" -eq 0 ]
