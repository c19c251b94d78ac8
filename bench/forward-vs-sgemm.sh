#!/usr/bin/env bash
# The forward simple RNN at the headline shape (examples/rnn.mlir, @rnn_cost)
# next to its 50 sgemm calls alone (bench/inputs/sgemm-steps.mlir), both
# through scan-run on the same inputs, alternating in one run. Prints each
# median and the forward pass's GFLOP/s as a fraction of the sgemm's.
# (--variant=plain expands the scan.grad of the example's gradient entry,
# which @rnn_cost does not use.)
# Usage: bench/forward-vs-sgemm.sh [rounds, default 3]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
run="$root/build/bin/scan-run"
rounds="${1:-3}"
"$root/scripts/build.sh" scan-run ScanRuntime >/dev/null

median() { # file.mlir entry -> median ms and GFLOP of one timed scan-run
  "$run" "$1" --entry="$2" --variant=plain --warmup=2 --repeat=7 --json |
    python3 -c 'import json,sys; v=json.load(sys.stdin)["variants"][0]; print(v["time_s"]["median"]*1e3, v["gflop"])'
}
printf '%-6s %14s %14s %10s\n' round "rnn_cost ms" "sgemm ms" fraction
for i in $(seq "$rounds"); do
  read -r fwd_ms fwd_gflop < <(median "$root/examples/rnn.mlir" rnn_cost)
  read -r mm_ms mm_gflop < <(median "$root/bench/inputs/sgemm-steps.mlir" sgemm_steps)
  # GFLOP/s of the forward pass over GFLOP/s of its sgemm calls alone.
  frac=$(python3 -c "print(f'{($fwd_gflop/$fwd_ms)/($mm_gflop/$mm_ms):.3f}')")
  printf '%-6s %14.1f %14.1f %10s\n' "$i" "$fwd_ms" "$mm_ms" "$frac"
done
