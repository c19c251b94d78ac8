#!/usr/bin/env bash
# The JAX front end's bench row (bench/jax-frontend.py): the study's GRU in
# JAX through scan_mlir.jax.grad against examples/gru.mlir through scan-run
# and jax.jit(jax.grad), in one run; the Python path's per-call overhead and
# the first-call time of a new shape. Results: bench/results/jax-frontend.json.
#
# Usage: bench/jax-frontend.sh [--threads=N] [jax-frontend.py options: --shape, --repeat, ...]
#   SCAN_MLIR_BUILD: the build holding lib/libScanRunner.so and bin/scan-run
#   (default: build/, which must be built: cmake --build build)
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
threads=2
args=()
for a in "$@"; do
  case "$a" in
    --threads=*) threads="${a#--threads=}" ;;
    *) args+=("$a") ;;
  esac
done
"$root/scripts/python-env.sh"
# The same thread count for scan-mlir's runtime, OpenBLAS and XLA, as
# bench/peers.sh sets it.
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
export SCAN_MLIR_BUILD="${SCAN_MLIR_BUILD:-$root/build}"
pin_cpus=()
if [ "$(nproc)" -gt "$threads" ] && command -v taskset >/dev/null; then
  pin_cpus=(taskset -c "0-$((threads - 1))")
fi
exec "${pin_cpus[@]}" "$root/python/.venv/bin/python" "$bench/jax-frontend.py" "${args[@]}"
