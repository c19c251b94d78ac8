#!/usr/bin/env bash
# Side-by-side gradient benchmark of scan-mlir and its peers (JAX, PyTensor,
# PyTorch, hand-optimised NumPy) on this machine, in one run, on the same
# inputs, with the gradients checked to agree. See bench/README.md.
#
# Usage: bench/peers.sh [--smoke | --selftest] [--threads=N] [--no-build]
#                       [harness options: --workloads, --shape, --repeat, ...]
#   (no option)  full run, results in bench/results/ (about 25-30 minutes)
#   --smoke      tiny shape, NumPy and scan-mlir only, needs only numpy; exits
#                non-zero if any gradient disagrees
#   --selftest   checks the checker: a stand-in scan-run must pass, and
#                perturbed gradients must fail
#   --threads=N  threads for every system (default 2)
#   --no-build   do not run scripts/build.sh
#   --realtime   run every system under SCHED_FIFO (priority 10, needs root):
#                on a busy machine the timed processes then preempt the rest;
#                the kernel's real-time throttling is off for the run
#                (restored at exit)
#   --help       every harness option
set -euo pipefail
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
build="${SCAN_BUILD_DIR:-$root/build}"
venv="$bench/.venv"

mode=full
do_build=1
realtime=0
threads=2
args=()
for a in "$@"; do
  case "$a" in
    --smoke) mode=smoke; args+=("$a") ;;
    --selftest) mode=selftest ;;
    --no-build) do_build=0 ;;
    --realtime) realtime=1 ;;
    --threads=*) threads="${a#--threads=}" ;;
    -h|--help) mode=help ;;
    *) args+=("$a") ;;
  esac
done

# --- Python environment (bench/.venv; never needed by the build or tests) ---
pin() { sed -n "s/^\($1\(\[[a-z]*\]\)\?==[^ ]*\).*/\1/p" "$bench/requirements.txt"; }
# scripts/python-env.sh makes it (SCAN_BENCH_PYTHON: the interpreter); a
# full run installs every pinned peer, other modes only NumPy.
make_venv() { SCAN_PYTHON="${SCAN_BENCH_PYTHON:-${SCAN_PYTHON:-python3}}" "$root/scripts/python-env.sh" "$venv" "$@"; }
py="$venv/bin/python"
if [ "$mode" = full ]; then
  make_venv "$bench/requirements.txt"
else
  make_venv
  numpy_pin=$(pin numpy)
  if ! "$py" -c "import numpy, sys; sys.exit(numpy.__version__ != '${numpy_pin#numpy==}')" 2>/dev/null; then
    echo "peers: installing $numpy_pin"
    "$py" -m pip install -q "$numpy_pin"
  fi
fi

# --- scan-mlir (scan-run and the passes; their rows are skipped if absent) ---
if [ "$do_build" = 1 ] && [ "$mode" != help ] && [ "$mode" != selftest ]; then
  if [ ! -f "$build/build.ninja" ]; then
    "$root/scripts/build.sh" scan-opt
  fi
  targets=(scan-opt)
  known=$(ninja -C "$build" -t targets all 2>/dev/null | cut -d: -f1)
  for t in scan-run ScanRuntime; do
    if grep -qx "$t" <<<"$known"; then targets+=("$t"); fi
  done
  "$root/scripts/build.sh" "${targets[@]}"
fi

# --- Threads: the same count for every system ---
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads"
export MKL_NUM_THREADS="$threads" SCAN_BENCH_THREADS="$threads"
# XLA's CPU thread pool is sized by the CPUs this process may run on; the
# flag below is XLA's default, stated for the record.
export XLA_FLAGS="--xla_cpu_multi_thread_eigen=true"
# --- Memory: one allocation policy for every system ---
# Code lowered by scan-mlir keeps its large buffers between calls, on
# transparent huge pages (ScanRuntime's buffer cache), so repeated calls do
# not fault in fresh zeroed pages. The Python peers get the same through
# glibc's tunables: freed memory stays in the process, and its heap is
# madvised for huge pages.
export GLIBC_TUNABLES="${GLIBC_TUNABLES:-glibc.malloc.hugetlb=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647}"
pin_cpus=()
if [ "$(nproc)" -gt "$threads" ] && command -v taskset >/dev/null; then
  pin_cpus=(taskset -c "0-$((threads - 1))")
fi

# OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, where the machine sets them, slow the
# OpenBLAS that current numpy bundles: the Python processes run without both,
# and the harness gives scan-run (system OpenBLAS) the machine's values back.
unset_env=()
for v in OPENBLAS_CORETYPE OPENBLAS_L2_SIZE; do
  if [ -n "${!v+x}" ]; then
    export "SCAN_BENCH_SAVED_$v=${!v}"
    unset_env+=(-u "$v")
  fi
done
sched=()
if [ "$realtime" = 1 ]; then
  if ! chrt -f 10 true 2>/dev/null; then
    echo "peers: --realtime needs chrt and the right to set SCHED_FIFO (root)" >&2
    exit 2
  fi
  # The harness runs one priority above the timed processes it starts
  # (SCAN_BENCH_CHILD_PRIORITY), so that its timeouts still fire should one
  # of them spin forever: the kernel's real-time throttling, which would
  # otherwise keep the machine alive, is off for the run (restored at exit).
  # It stops every SCHED_FIFO task for the rest of each second once they
  # have run 950 ms of it on both cores: a timed call that spans that pause
  # is 50 ms longer, which made the medians of calls over a few hundred ms
  # bimodal (even a 1 ms pause a second costs a slow call in seven).
  sched=(chrt -f 11)
  export SCAN_BENCH_CHILD_PRIORITY=10
  rt_knob=/proc/sys/kernel/sched_rt_runtime_us
  rt_saved=$(cat "$rt_knob" 2>/dev/null || echo -1)
  if [ "$rt_saved" != -1 ]; then
    if echo -1 >"$rt_knob" 2>/dev/null; then
      trap 'echo "$rt_saved" >"$rt_knob"' EXIT
    else
      echo "peers: cannot write $rt_knob; timed calls may pause for real-time throttling" >&2
    fi
  fi
fi
run() { env "${unset_env[@]}" "${pin_cpus[@]}" "${sched[@]}" "$py" "$bench/harness.py" "$@"; }

case "$mode" in
  help) run --help ;;
  selftest)
    fake=(--smoke --scan-run="$bench/selftest/fake-scan-run"
          --scan-opt="$bench/selftest/fake-scan-opt")
    status=0
    log=$(mktemp)
    echo "selftest 1/4: stand-in scan-run with correct gradients must pass"
    if ! run "${fake[@]}" >"$log" 2>&1; then
      cat "$log"; echo "selftest 1/4 FAILED"; status=1
    fi
    echo "selftest 2/4: a 1% error in scan-mlir's optimized gradient must fail"
    if FAKE_SCAN_RUN_PERTURB=optimized run "${fake[@]}" >"$log" 2>&1 ||
       ! grep -q "FAIL scan-opt: gradient differs" "$log"; then
      cat "$log"; echo "selftest 2/4 FAILED"; status=1
    fi
    echo "selftest 3/4: a 1% error in NumPy's gradient must fail"
    if run --smoke --systems=numpy --perturb=numpy >"$log" 2>&1 ||
       ! grep -q "FAIL numpy: gradient differs" "$log"; then
      cat "$log"; echo "selftest 3/4 FAILED"; status=1
    fi
    echo "selftest 4/4: a smoke run without scan-run must fail"
    if run --smoke --scan-run="$bench/selftest/no-such-scan-run" \
           --scan-opt="$bench/selftest/fake-scan-opt" >"$log" 2>&1 ||
       ! grep -q "FAIL .*: scan-plain did not run" "$log"; then
      cat "$log"; echo "selftest 4/4 FAILED"; status=1
    fi
    rm -f "$log"
    [ "$status" = 0 ] && echo "selftest: 4 passed, 0 failed"
    exit "$status" ;;
  *) run "${args[@]}" ;;
esac
