#!/usr/bin/env bash
# Builds scan-mlir with AddressSanitizer + UndefinedBehaviorSanitizer into
# ./build-asan and runs the whole lit suite under it, twice: with the
# runtime's buffer cache off (its default in this build, so that ASan sees
# every block, the large ones the kernels work on included), then once with
# it on (SCANRT_BUFFER_CACHE=1), the configuration of release builds. Any
# report fails a test (ASan aborts; UBSan is built with
# -fno-sanitize-recover). LeakSanitizer checks the processes that are ours
# (scan-opt, scan-run, scanrt-gemm-check: test/lit.cfg.py turns it on for
# them).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export SCAN_BUILD_DIR="${SCAN_ASAN_BUILD_DIR:-$root/build-asan}"
export SCAN_BUILD_TYPE=RelWithDebInfo
export SCAN_CMAKE_ARGS="-DSCAN_ENABLE_SANITIZERS=ON"

"$root/scripts/deps.sh"
"$root/scripts/build.sh" all mlir-doc
# libMLIR.so is not instrumented: container-overflow checks on std::vector
# shared with it would be unreliable. Uninstrumented host programs (python3,
# mlir-runner) dlopen our instrumented runtimes, so the sanitizer runtimes are
# preloaded into every process; leak checks are off by default, since those
# programs would report their own leaks, and on for our tools.
export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
status=0
echo "sanitize: lit with the buffer cache off"
SCANRT_BUFFER_CACHE=0 /usr/lib/llvm-22/bin/lit -sv "$@" "$SCAN_BUILD_DIR/test" || status=1
echo "sanitize: lit with the buffer cache on"
SCANRT_BUFFER_CACHE=1 /usr/lib/llvm-22/bin/lit -sv "$@" "$SCAN_BUILD_DIR/test" || status=1
exit $status
