#!/usr/bin/env bash
# Installs what scan-mlir needs, builds it, and runs every test (lit).
# Usage: scripts/test.sh [extra lit arguments, e.g. --param cuda=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"

"$root/scripts/deps.sh"
"$root/scripts/build.sh" scan-opt mlir-doc
cmake --build "$build" --target all

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$@" "$build/test" 2>&1 | tee "$log" || status=$?

# One plain summary line for tools that read the closing line of a run; it
# counts every result kind, and an XPASS or a missing result fails the run
# even where lit's own exit status does not.
"$root/scripts/lit-summary.sh" "$log" || status=1
exit $status
