#!/usr/bin/env bash
# Checks the CUDA target on a machine with an NVIDIA GPU, within 8 minutes:
#   1. detects the GPU (nvidia-smi, else the driver library through Python);
#   2. installs the build dependencies (scripts/deps.sh) and builds;
#   3. runs the CUDA integration tests: lit --param cuda=1 build/test/Integration/CUDA;
#   4. runs the headline benchmark: the forward GRU of examples/gru.mlir
#      (B=80, T=50, D=1000, f32) and its gradient, with
#      `scan-run --target=cuda` once scan-run has CUDA support; until then
#      through test/Integration/CUDA/Inputs/run-lowered.py (scan-opt
#      --scan-lower-to-cuda, mlir-translate, llc, cc, CUDA-event timing).
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

# 4. Headline benchmark.
run="$build/bin/scan-run"
if [ -x "$run" ] && "$run" --help 2>&1 | grep -q -- "--target"; then
  for entry in gru_cost gru_grad; do
    step "benchmark: $entry B=80 T=50 D=1000 on CUDA (scan-run)" "$run" \
      "$root/examples/gru.mlir" --entry=$entry --target=cuda \
      --random-seed=1 --random-scale=0.01 --warmup=3 --repeat=20
  done
else
  say "scan-run has no --target=cuda yet: timing through run-lowered.py"
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  tools=/usr/lib/llvm-22/bin
  step "lower examples/gru.mlir for CUDA" sh -c \
    "'$build/bin/scan-opt' '$root/examples/gru.mlir' --scan-differentiate \
       --llvm-request-c-wrappers --scan-lower-to-cuda \
     | '$tools/mlir-translate' --mlir-to-llvmir -o '$work/gru.ll' &&
     '$tools/llc' -O2 -relocation-model=pic -filetype=obj '$work/gru.ll' -o '$work/gru.o' &&
     cc -shared '$work/gru.o' -o '$work/gru.so'"
  inputs=50x80x1000,50x80x1000,50x80x1000,80x1000,1000x1000,1000x1000,1000x1000
  # One forward call: 50 steps x 3 GEMMs of 2*80*1000*1000 flops.
  step "benchmark: gru_cost B=80 T=50 D=1000 on CUDA" python3 \
    "$root/test/Integration/CUDA/Inputs/run-lowered.py" \
    "$build/lib/libScanCUDARuntime.so" "$work/gru.so" gru_cost "$inputs" f32 \
    --scale 0.01 --warmup 3 --repeat 20 --gflop 24
  step "benchmark: gru_grad B=80 T=50 D=1000 on CUDA" python3 \
    "$root/test/Integration/CUDA/Inputs/run-lowered.py" \
    "$build/lib/libScanCUDARuntime.so" "$work/gru.so" gru_grad "$inputs" \
    1000x1000,1000x1000,1000x1000 --scale 0.01 --warmup 3 --repeat 20
fi
say "all steps passed in ${SECONDS}s"
exit 0
