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

# One plain summary line for tools that read the closing line of a run.
count() { sed -n "s/^ *$1 *: *\([0-9]*\).*/\1/p" "$log" | tail -n 1; }
passed=$(count Passed); failed=$(count Failed); unsupported=$(count Unsupported)
xfailed=$(count "Expectedly Failed"); unresolved=$(count Unresolved)
failed=$(( ${failed:-0} + ${unresolved:-0} ))
echo "lit: $(( ${passed:-0} + ${xfailed:-0} )) passed, $failed failed, ${unsupported:-0} skipped"
exit $status
