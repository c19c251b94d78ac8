#!/usr/bin/env bash
# The GPU one-shot: everything the CUDA target must show on a real GPU, in
# one run of at most 6 minutes on a bare machine with no network. It
# installs nothing: what is missing is named and the check stops.
#   1. detects the GPU and the driver (nvidia-smi, else the driver library);
#   2. gets scan-run: from a bundle made by bench/gpu-bundle.sh on a build
#      machine (--bundle=FILE: no MLIR needed here), or else builds with
#      every core (needs cmake, ninja, g++ and MLIR 22 under /usr/lib/llvm-22);
#   3. with a build: the CUDA lit tests (lit --param cuda=1), which need the
#      CPU runtime too; a bundle skips them and says so;
#   4. correctness: rnn, gru and lstm at T=6 B=4 D=32 in f64 (the examples,
#      bench/inputs/gpu), cost and gradients, plain and optimised, on the GPU
#      against the CPU's results kept in bench/inputs/gpu, within rtol 1e-9;
#      the gradients with CUDA graphs and without;
#   5. timings of examples/rnn.mlir and examples/gru.mlir (B=80 T=50 D=1000
#      f32): the forward cost, the plain and optimised gradients, graphs on
#      and off, and the cuBLAS time of each gradient's GEMMs alone, measured
#      in the same run (scan-run --cuda-gemm-time);
#   6. the study's rows one rewrite at a time (bench/study.sh --target=cuda);
#   7. a summary table. Every report goes to bench/results/gpu/ (one JSON per
#      scan-run, the study's report, summary.md, check.log).
#
# Usage: bench/gpu-check.sh [--detect-only] [--bundle=FILE]
# Environment: NVIDIA_SMI (default nvidia-smi), SCAN_LIBCUDA (default
#   libcuda.so.1), SCAN_BUILD_DIR (default ./build), SCAN_GPU_CHECK_BUDGET
#   (seconds, default 360), SCAN_GPU_RESULTS (default bench/results/gpu),
#   SCAN_LLVM_DIR (where MLIR 22 is looked for, default /usr/lib/llvm-22).
#
# Exit status:
#   0  every step passed
#   1  a step failed (its output says which)
#   3  no NVIDIA GPU or driver found: nothing was built or run
#   5  something needed is missing (named in the output); nothing installed
#   124 the time budget ran out
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"
budget="${SCAN_GPU_CHECK_BUDGET:-360}"
nvidia_smi="${NVIDIA_SMI:-nvidia-smi}"
libcuda="${SCAN_LIBCUDA:-libcuda.so.1}"
results="${SCAN_GPU_RESULTS:-$root/bench/results/gpu}"
llvm_dir="${SCAN_LLVM_DIR:-/usr/lib/llvm-22}"
refs="$root/bench/inputs/gpu"
detect_only=0
bundle=""
for arg in "$@"; do
  case "$arg" in
    --detect-only) detect_only=1 ;;
    --bundle=*) bundle="${arg#--bundle=}" ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu-check: unknown argument '$arg'" >&2; exit 1 ;;
  esac
done

say() { echo "gpu-check: $*"; }
left() { echo $(( budget - SECONDS )); }
failures=0
# `step NAME SECONDS CMD...` runs CMD with at most SECONDS (and what is left
# of the whole budget); it prints the step's budget and the time it took.
# A failure is counted and the check goes on, so one run shows everything.
step() {
  local name=$1 limit=$2; shift 2
  local remaining; remaining=$(left)
  if [ "$remaining" -le 0 ]; then say "out of time before: $name"; exit 124; fi
  [ "$limit" -gt "$remaining" ] && limit=$remaining
  local t0=$SECONDS
  say "== $name (budget ${limit}s, ${remaining}s left in all)"
  timeout "$limit" "$@"
  local status=$?
  say "   took $(( SECONDS - t0 ))s"
  if [ $status -eq 124 ]; then say "OUT OF TIME: $name"; failures=$((failures + 1)); return 1; fi
  if [ $status -ne 0 ]; then say "FAILED: $name (exit $status)"; failures=$((failures + 1)); return 1; fi
  return 0
}

# 1. A GPU, seen by nvidia-smi or by the driver itself.
gpu=""
if command -v "$nvidia_smi" >/dev/null 2>&1; then
  gpu=$("$nvidia_smi" --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -n 1)
fi
if [ -z "$gpu" ]; then
  gpu=$(python3 - "$libcuda" <<'PY' 2>/dev/null
import ctypes, sys
try:
    cuda = ctypes.CDLL(sys.argv[1])
except OSError:
    sys.exit(0)
count, version = ctypes.c_int(0), ctypes.c_int(0)
if cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 \
        and count.value > 0:
    name = ctypes.create_string_buffer(256)
    device = ctypes.c_int(0)
    cuda.cuDeviceGet(ctypes.byref(device), 0)
    cuda.cuDeviceGetName(name, 256, device)
    cuda.cuDriverGetVersion(ctypes.byref(version))
    print("%s, CUDA driver %d.%d (driver API)" % (
        name.value.decode(), version.value // 1000, version.value % 1000 // 10))
PY
)
fi
if [ -z "$gpu" ]; then
  say "no NVIDIA GPU found (no device from '$nvidia_smi', '$libcuda' absent or without devices); nothing to check"
  exit 3
fi
if [ $detect_only -eq 1 ]; then say "found $gpu"; exit 0; fi
# Everything from here on also goes to check.log: the script runs again
# under tee, which it waits for.
if [ -z "${SCAN_GPU_CHECK_LOGGED:-}" ]; then
  mkdir -p "$results"
  SCAN_GPU_CHECK_LOGGED=1 "$BASH" "$0" "$@" 2>&1 | tee "$results/check.log"
  exit "${PIPESTATUS[0]}"
fi
say "found $gpu"
say "$(nproc) cores; started $(date -u +%Y-%m-%dT%H:%M:%SZ)"

# 2. scan-run: from the bundle, or built here.
have_lit=0
if [ -n "$bundle" ]; then
  if [ ! -f "$bundle" ]; then say "no bundle at '$bundle' (make one with bench/gpu-bundle.sh)"; exit 5; fi
  tools="$root/.gpu-bundle/unpacked"
  rm -rf "$tools"; mkdir -p "$tools"
  step "unpack the bundle $(basename "$bundle")" 60 \
    python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
    "$bundle" "$tools" || exit 1
  say "bundle built from commit $(cat "$tools/COMMIT")"
  run="$tools/bin/scan-run"
else
  missing=()
  for tool in cmake ninja g++ python3; do
    command -v $tool >/dev/null 2>&1 || missing+=("$tool")
  done
  [ -f "$llvm_dir/lib/cmake/mlir/MLIRConfig.cmake" ] || missing+=("MLIR 22 ($llvm_dir/lib/cmake/mlir)")
  [ -x "$llvm_dir/bin/lit" ] || missing+=("lit ($llvm_dir/bin/lit)")
  [ -f "${CUDA_HOME:-/usr/local/cuda}/include/cuda.h" ] || missing+=("the CUDA toolkit's headers (${CUDA_HOME:-/usr/local/cuda}/include)")
  if [ ${#missing[@]} -gt 0 ]; then
    say "cannot build here, missing: ${missing[*]}"
    say "make a bundle on a build machine (bench/gpu-bundle.sh) and pass --bundle=FILE"
    exit 5
  fi
  step "build (all $(nproc) cores)" 240 \
    env SCAN_BUILD_DIR="$build" "$root/scripts/build.sh" -j"$(nproc)" || exit 1
  run="$build/bin/scan-run"
  have_lit=1
fi
if ! "$run" --version >/dev/null 2>&1; then say "FAILED: $run does not run"; "$run" --version; exit 1; fi

# 3. CUDA lit tests (need the CPU runtime, so a build).
if [ $have_lit -eq 1 ]; then
  step "CUDA lit tests" 90 "$llvm_dir/bin/lit" -sv --param cuda=1 \
    "$build/test/Integration/CUDA" "$build/test/Runtime/CUDA"
else
  say "== CUDA lit tests: skipped (a bundle has no CPU runtime for their CPU halves; step 4 checks the same on the GPU)"
fi

# 4. GPU against the CPU's results, f64, small.
for cell in rnn gru lstm; do
  scales=$(cat "$refs/$cell.scales")
  for entry in ${cell}_cost ${cell}_grad; do
    expects=()
    for f in "$refs/$entry".*.npy; do expects+=(--expect="$f"); done
    step "GPU vs CPU: $entry f64 T=6 B=4 D=32, plain and optimised, rtol 1e-9" 40 \
      sh -c 'out=$1; shift; exec "$@" > "$out"' _ "$results/check-$entry.json" "$run" "$refs/$cell-f64.mlir" --entry=$entry --random-scale="$scales" \
      --target=cuda --compare=plain,optimized --warmup=1 --repeat=3 \
      "${expects[@]}" --rtol=1e-9 --atol=1e-12 --json
    if [ $entry = ${cell}_grad ]; then
      step "GPU vs CPU: $entry without CUDA graphs" 40 \
        sh -c 'out=$1; shift; exec "$@" > "$out"' _ "$results/check-$entry-nographs.json" "$run" "$refs/$cell-f64.mlir" --entry=$entry --random-scale="$scales" \
        --target=cuda --compare=plain,optimized --warmup=1 --repeat=3 \
        "${expects[@]}" --rtol=1e-9 --atol=1e-12 --cuda-graphs=false --json
    fi
  done
done

# 5. Timings at the study's shape.
timing=(--random-seed=1 --random-scale=0.01 --warmup=3 --repeat=20 --target=cuda --json)
for cell in rnn gru; do
  step "time ${cell}_cost B=80 T=50 D=1000 f32" 60 sh -c 'out=$1; shift; exec "$@" > "$out"' _ \
    "$results/time-${cell}_cost.json" "$run" "$root/examples/$cell.mlir" \
    --entry=${cell}_cost "${timing[@]}"
  for graphs in true false; do
    step "time ${cell}_grad plain, optimised (graphs $graphs, GEMMs alone)" 90 \
      sh -c 'out=$1; shift; exec "$@" > "$out"' _ \
      "$results/time-${cell}_grad-graphs-$graphs.json" "$run" "$root/examples/$cell.mlir" \
      --entry=${cell}_grad --compare=plain,optimized --cuda-graphs=$graphs \
      --cuda-gemm-time "${timing[@]}"
  done
done

# 6. The study's rows, one rewrite at a time, on the GPU (bench/study.sh;
#    the matmul counts come from scan-opt, which a bundle lacks: the CPU
#    report's apply, since they do not depend on the target).
step "study rows on the GPU (bench/study.sh)" 120 \
  "$root/bench/study.sh" --target=cuda --scan-run="$run" --out="$results" \
  --rounds=1 --warmup=3

# 7. Summary.
step "summary" 30 python3 - "$results" "$gpu" <<'PY'
import glob, json, os, sys
results, gpu = sys.argv[1], sys.argv[2]
lines = ["# GPU check: %s" % gpu, ""]


def reports(pattern):
    """(path, JSON report) for each file; a row saying so where unreadable."""
    for path in sorted(glob.glob(os.path.join(results, pattern))):
        try:
            yield path, json.load(open(path))
        except Exception as e:
            lines.append("| %s | unreadable: %s |" % (os.path.basename(path), e))


lines += ["## Correctness (f64, T=6 B=4 D=32, GPU vs the CPU's results, rtol 1e-9)", "",
          "| entry | graphs | variant | mode | expect: elements outside | max abs diff |",
          "|---|---|---|---|---|---|"]
for path, r in reports("check-*.json"):
    graphs = "off" if "nographs" in path else "on"
    for v in r.get("variants", []):
        outs = v.get("outputs", [])
        outside = sum(o.get("expect_elements_outside_tolerance", 0) for o in outs)
        diff = max([o.get("expect_max_abs_diff") or 0 for o in outs] or [0])
        lines.append("| %s | %s | %s | %s | %d | %.3g |" % (
            r.get("entry", "?"), graphs, v["name"], v.get("cuda", {}).get("mode", "?"),
            outside, diff))
lines += ["", "## Timings (f32, B=80 T=50 D=1000; medians of 20 calls after 3 warm-ups)", "",
          "latency: the call issued until the stream is idle (host clock); span: CUDA events "
          "around the call on the stream; GEMMs alone: the call's cuBLAS GEMMs replayed by "
          "themselves in the same run.", "",
          "| run | variant | mode | latency ms | span ms | vs plain | GEMMs | GEMMs alone ms | latency / GEMMs |",
          "|---|---|---|---|---|---|---|---|---|"]
for path, r in reports("time-*.json"):
    name = os.path.basename(path)[5:-5]
    plain = r["variants"][0]["time_s"]["median"]
    for v in r["variants"]:
        c = v.get("cuda", {})
        lat = v["time_s"]["median"]
        gem = c.get("gemms_alone_s")
        lines.append("| %s | %s | %s | %.3f | %.3f | %.2fx | %s | %s | %s |" % (
            name, v["name"], c.get("mode", "?") + (" (%s)" % c["direct_because"] if "direct_because" in c and c["direct_because"] != "--cuda-graphs=false" else ""),
            lat * 1e3, c.get("stream_span_s", {}).get("median", float("nan")) * 1e3,
            plain / lat, c.get("gemms", ""), "%.3f" % (gem * 1e3) if gem else "",
            "%.2f" % (lat / gem) if gem else ""))
text = "\n".join(lines) + "\n"
open(os.path.join(results, "summary.md"), "w").write(text)
print(text)
PY

say "$failures step(s) failed; ${SECONDS}s in all; reports in $results"
[ $failures -eq 0 ]
