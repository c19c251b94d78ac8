#!/usr/bin/env bash
# Installs what scan-mlir needs, builds it, and runs every test: lit, then
# the JAX front end's pytest suite (python/tests, in the pinned environment
# python/.venv that scripts/python-env.sh creates) against this build's
# lib/libScanRunner.so.
# Usage: scripts/test.sh [extra lit arguments, e.g. --param cuda=1]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"

"$root/scripts/deps.sh"
"$root/scripts/build.sh" scan-opt mlir-doc
cmake --build "$build" --target all

log=$(mktemp)
pytest_log=$(mktemp)
trap 'rm -f "$log" "$pytest_log"' EXIT
status=0
/usr/lib/llvm-22/bin/lit -sv "$@" "$build/test" 2>&1 | tee "$log" || status=$?

"$root/scripts/python-env.sh"
(cd "$root/python" &&
 SCAN_MLIR_BUILD="$build" .venv/bin/python -m pytest -p no:cacheprovider -rfEs tests) 2>&1 |
  tee "$pytest_log" || status=$?

# One plain summary line for tools that read the closing line of a run; it
# counts every result kind of both suites, and an XPASS, a missing result or
# a pytest failure fails the run even where lit's own exit status does not.
"$root/scripts/lit-summary.sh" "$log" "$pytest_log" || status=1
exit $status
