#!/usr/bin/env bash
# The main job: the study's experiment end to end on the CPU. Installs what
# scan-mlir needs, builds it, differentiates the gated RNN of the study
# (examples/gru.mlir, B=80, T=50, D=1000, f32), optimises the gradient, and
# runs the plain and the optimised gradient side by side on the same inputs,
# printing what was rewritten and the comparison table.
# Usage: scripts/main.sh [--cell=rnn|gru|lstm] [extra scan-run options]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"
cell=gru
if [ $# -gt 0 ] && [[ "$1" == --cell=* ]]; then cell="${1#--cell=}"; shift; fi

"$root/scripts/deps.sh"
"$root/scripts/build.sh" scan-opt scan-run ScanRuntime

echo "== What scan-optimize rewrites in the gradient of examples/$cell.mlir"
report=$("$build/bin/scan-opt" "$root/examples/$cell.mlir" --scan-differentiate \
  --scan-optimize=report --mlir-print-op-on-diagnostic=false -o /dev/null 2>&1)
sed -n 's/^.*remark: /  /p' <<<"$report"
echo
sed -n '/^scan-optimize report/,$p' <<<"$report"

echo
echo "== Plain vs optimised gradient (@${cell}_grad), CPU, inputs normal(0, 1e-4)"
echo "   Per result: max abs diff = max|opt - plain|; max rel diff = the largest"
echo "   element-wise |opt - plain| / |plain|, large where an element of the"
echo "   gradient is near zero; normwise diff = max|opt - plain| / max|plain|,"
echo "   the agreement relative to the size of the gradient: the figure to read,"
echo "   since the two variants sum the same products in different orders."
"$build/bin/scan-run" "$root/examples/$cell.mlir" --entry="${cell}_grad" \
  --compare=plain,optimized --warmup=1 --repeat=5 "$@"
