#!/usr/bin/env bash
# Configures (once) and builds scan-mlir into ./build with Ninja.
# Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE="${SCAN_BUILD_TYPE:-Release}" \
    ${SCAN_CMAKE_ARGS:-}
fi
cmake --build "$build" -- "$@"
