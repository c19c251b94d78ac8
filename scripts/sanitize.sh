#!/usr/bin/env bash
# Builds scan-mlir with AddressSanitizer + UndefinedBehaviorSanitizer into
# ./build-asan and runs the whole lit suite under it. Any report fails a test
# (ASan aborts; UBSan is built with -fno-sanitize-recover).
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
# preloaded into every process; LeakSanitizer is off, since those programs
# would report their own leaks.
export ASAN_OPTIONS="detect_container_overflow=0:detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
export LD_PRELOAD="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
/usr/lib/llvm-22/bin/lit -sv "$@" "$SCAN_BUILD_DIR/test"
