#!/usr/bin/env bash
# The main job: installs what scan-mlir needs, builds it, and shows the scan
# dialect at work on the gated RNN of the study (parse, verify, canonicalise,
# hoist loop invariants).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"

"$root/scripts/deps.sh"
"$root/scripts/build.sh" scan-opt

"$build/bin/scan-opt" "$root/examples/gru.mlir" \
  --canonicalize --loop-invariant-code-motion
