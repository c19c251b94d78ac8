#!/usr/bin/env bash
# Checks the CUDA target on a machine with an NVIDIA GPU, within 8 minutes:
#   1. detects the GPU (nvidia-smi, else the driver library through Python);
#   2. installs the build dependencies (scripts/deps.sh) and builds;
#   3. runs the CUDA integration tests: lit --param cuda=1 build/test/Integration/CUDA;
#   4. runs the headline benchmark with `scan-run --target=cuda` (CUDA-event
#      timing): examples/rnn.mlir and examples/gru.mlir at B=80, T=50,
#      D=1000, f32, the forward cost and the gradient
#      (`--compare=plain,optimized`), then prints a summary: median and min
#      times, GFLOP/s, optimized vs plain and gradient vs forward ratios;
#   5. checks CUDA against the CPU on a small f64 case
#      (test/Integration/CUDA/Inputs/rnn-f64.mlir, forward and gradients,
#      plain and optimized): the CPU's results are written first, the CUDA
#      run must match them within rtol 1e-9, atol 1e-12.
#
# Usage: bench/gpu-check.sh [--detect-only]
#   --detect-only   stop after step 1 (exit 0 with a GPU, 3 without).
# Environment: NVIDIA_SMI (default nvidia-smi), SCAN_LIBCUDA (default
#   libcuda.so.1), SCAN_BUILD_DIR (default ./build), SCAN_GPU_CHECK_BUDGET
#   (seconds, default 480).
#
# Exit status:
#   0  every step passed, benchmark included
#   1  a step failed (its output says which)
#   3  no NVIDIA GPU or driver found: nothing was installed or built
#   4  no CUDA toolkit (ptxas) at /usr/local/cuda
#   124 the time budget ran out
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"
budget="${SCAN_GPU_CHECK_BUDGET:-480}"
nvidia_smi="${NVIDIA_SMI:-nvidia-smi}"
libcuda="${SCAN_LIBCUDA:-libcuda.so.1}"
cuda_home="${CUDA_HOME:-/usr/local/cuda}"
detect_only=0
for arg in "$@"; do
  case "$arg" in
    --detect-only) detect_only=1 ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument '$arg'" >&2; exit 1 ;;
  esac
done

say() { echo "gpu-check: $*"; }
left() { echo $(( budget - SECONDS )); }
# Runs a step under what is left of the budget.
step() {
  local name=$1; shift
  local remaining; remaining=$(left)
  if [ "$remaining" -le 0 ]; then
    say "out of time before: $name"; exit 124
  fi
  say "== $name (${remaining}s left)"
  timeout "$remaining" "$@"
  local status=$?
  if [ $status -eq 124 ]; then say "out of time in: $name"; exit 124; fi
  if [ $status -ne 0 ]; then say "FAILED: $name (exit $status)"; exit 1; fi
}

# 1. A GPU, seen by nvidia-smi or by the driver itself.
gpu=""
if command -v "$nvidia_smi" >/dev/null 2>&1; then
  gpu=$("$nvidia_smi" -L 2>/dev/null | head -n 1)
fi
if [ -z "$gpu" ]; then
  gpu=$(python3 - "$libcuda" <<'PY' 2>/dev/null
import ctypes, sys
try:
    cuda = ctypes.CDLL(sys.argv[1])
except OSError:
    sys.exit(0)
count = ctypes.c_int(0)
if cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 \
        and count.value > 0:
    name = ctypes.create_string_buffer(256)
    device = ctypes.c_int(0)
    cuda.cuDeviceGet(ctypes.byref(device), 0)
    cuda.cuDeviceGetName(name, 256, device)
    print("GPU 0: %s (driver API)" % name.value.decode())
PY
)
fi
if [ -z "$gpu" ]; then
  say "no NVIDIA GPU found (no device from '$nvidia_smi -L', '$libcuda' absent or without devices); nothing to check"
  exit 3
fi
say "found $gpu"
if [ $detect_only -eq 1 ]; then exit 0; fi

if [ ! -x "$cuda_home/bin/ptxas" ]; then
  say "no CUDA toolkit: $cuda_home/bin/ptxas is missing (CUDA 13 expected at $cuda_home)"
  exit 4
fi

# 2. Dependencies and build (all cores: this machine is not shared).
step "dependencies" "$root/scripts/deps.sh"
step "build" env SCAN_BUILD_DIR="$build" "$root/scripts/build.sh" -j"$(nproc)"
if [ ! -f "$build/lib/libScanCUDARuntime.so" ]; then
  say "FAILED: the build made no libScanCUDARuntime.so (CUDA toolkit not found by CMake?)"
  exit 1
fi

# 3. CUDA integration tests.
step "CUDA integration tests" /usr/lib/llvm-22/bin/lit -sv --param cuda=1 \
  "$build/test/Integration/CUDA"

# 4. Headline benchmark: scan-run --target=cuda, one JSON report per run.
run="$build/bin/scan-run"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
timing=(--random-seed=1 --random-scale=0.01 --warmup=3 --repeat=20)
# `json_to FILE CMD...` runs CMD --json with stdout to FILE.
json_to=(sh -c 'out=$1; shift; exec "$@" --json > "$out"' json_to)
for cell in rnn gru; do
  step "benchmark: ${cell}_cost B=80 T=50 D=1000 f32 on CUDA" "${json_to[@]}" \
    "$work/$cell.forward.json" "$run" "$root/examples/$cell.mlir" \
    --entry=${cell}_cost --target=cuda "${timing[@]}"
  step "benchmark: ${cell}_grad (plain, optimized) B=80 T=50 D=1000 f32 on CUDA" \
    "${json_to[@]}" "$work/$cell.grad.json" "$run" "$root/examples/$cell.mlir" \
    --entry=${cell}_grad --target=cuda --compare=plain,optimized "${timing[@]}"
done
step "benchmark summary" python3 - "$work" <<'PY'
import json, os, sys
work = sys.argv[1]
first = json.load(open(os.path.join(work, "rnn.forward.json")))
print("device: %s; B=80 T=50 D=1000 f32; %d warm-up + %d timed calls, CUDA events"
      % (first.get("device", "?"), first["warmup"], first["repeat"]))
print("%-4s %-15s %10s %10s %8s %9s %10s %10s" % (
    "cell", "run", "median ms", "min ms", "GFLOP", "GFLOP/s", "vs plain",
    "vs forward"))
for cell in ("rnn", "gru"):
    fwd = json.load(open(os.path.join(work, cell + ".forward.json")))
    grad = json.load(open(os.path.join(work, cell + ".grad.json")))
    fwd_ms = fwd["variants"][0]["time_s"]["median"] * 1e3
    rows = [("forward", fwd["variants"][0], None)]
    plain_ms = grad["variants"][0]["time_s"]["median"] * 1e3
    for v in grad["variants"]:
        rows.append(("grad " + v["name"], v, plain_ms))
    for name, v, ref in rows:
        med = v["time_s"]["median"] * 1e3
        print("%-4s %-15s %10.3f %10.3f %8.3f %9.1f %10s %10s" % (
            cell, name, med, v["time_s"]["min"] * 1e3, v["gflop"],
            v["gflop"] / (med * 1e-3),
            "%.3fx" % (ref / med) if ref else "",
            "%.2fx" % (med / fwd_ms) if ref else ""))
PY

# 5. CUDA against the CPU on a small f64 case.
small="$root/test/Integration/CUDA/Inputs/rnn-f64.mlir"
for entry in rnn_cost rnn_grad; do
  step "CPU reference: $entry (f64, T=6 B=4 D=32)" "$run" "$small" --entry=$entry \
    --random-scale=0.5,0.5,0.2 --output-dir="$work/cpu"
  expects=()
  for f in "$work/cpu/$entry".*.npy; do expects+=(--expect="$f"); done
  step "CUDA vs CPU: $entry (f64), plain and optimized within rtol 1e-9" "$run" "$small" \
    --entry=$entry --random-scale=0.5,0.5,0.2 --target=cuda --compare=plain,optimized \
    "${expects[@]}" --rtol=1e-9 --atol=1e-12
done
say "all steps passed in ${SECONDS}s"
exit 0
