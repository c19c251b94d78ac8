#!/usr/bin/env bash
# The study's experiments reproduced one rewrite at a time, in one run:
#   - the simple RNN's gradient: plain, + accumulated-matmul hoisting,
#     + everything (scan-optimize);
#   - the gated RNN's gradient: plain, + hoisting, + matmul merging,
#     + recomputation elimination, + everything;
#   each row a scan-run --compare variant (a pipeline string), with its
#   matmuls per step and GFLOP, median and min of 50 calls, the study's time
#   beside it, and its agreement with plain (normwise, at the study's input
#   scale and at a normal scale; a disagreement fails the run);
#   - "dotspeed" (CPU only): two products against one merged product, and T
#     accumulated products against one hoisted GEMM, on the runtime's GEMM
#     kernel and on OpenBLAS.
# Writes <out>/study-<date>.md and .json (study-<date>-cuda.* with
# --target=cuda) and prints the tables.
#
# Usage: bench/study.sh [options]
#   --target=cpu|cuda   where the gradients run (default cpu); cuda skips dotspeed
#   --scan-run=PATH     use this scan-run and do not build (e.g. the static one
#                       of a bench/gpu-bundle.sh bundle)
#   --scan-opt=PATH     scan-opt for the matmul census (default: next to
#                       scan-run, else build/bin/scan-opt; none: counts omitted)
#   --out=DIR           where the report goes (default bench/results; with
#                       --smoke a temporary folder)
#   --repeat=N          timed calls per row (default 50, the study's count)
#   --rounds=N          the calls are made in N rounds (default 10), each a
#                       scan-run of every row in turn, so that the rows share
#                       the machine's changes in load alike
#   --warmup=N          untimed calls at the start of each round (default 1)
#   --shape=B,T,D       default 80,50,1000
#   --dot-T=LIST --dot-B=LIST   dotspeed grid (default 10,50,200 and 8,80)
#   --cells=LIST        default rnn,gru
#   --no-dotspeed       skip the dotspeed grid
#   --rtol=R            largest normwise disagreement with plain (default 1e-4)
#   --smoke             B=4 T=5 D=8, dotspeed T=3,6 B=2,4, 2 calls, 1 round: a check
#                       that the script works, no timing claims
#
# Exit status: 0 all rows ran and agree with plain; 1 a row failed or
# disagreed (named under FAILURES in the report); 2 bad arguments.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"
scan_run=""
scan_opt=""
out=""
smoke=0
py_args=()
for arg in "$@"; do
  case "$arg" in
    --scan-run=*) scan_run="${arg#--scan-run=}" ;;
    --scan-opt=*) scan_opt="${arg#--scan-opt=}" ;;
    --out=*) out="${arg#--out=}" ;;
    --smoke) smoke=1 ;;
    --target=*|--repeat=*|--rounds=*|--warmup=*|--shape=*|--dot-T=*|--dot-B=*|--cells=*|--rtol=*|--no-dotspeed)
      py_args+=("$arg") ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "study: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done

if [ -z "$scan_run" ]; then
  "$root/scripts/build.sh" scan-run scan-opt ScanRuntime >/dev/null
  scan_run="$build/bin/scan-run"
fi
if [ ! -x "$scan_run" ]; then echo "study: no scan-run at '$scan_run'" >&2; exit 2; fi
if [ -z "$scan_opt" ]; then
  for candidate in "$(dirname "$scan_run")/scan-opt" "$build/bin/scan-opt"; do
    if [ -x "$candidate" ]; then scan_opt="$candidate"; break; fi
  done
fi

if [ $smoke -eq 1 ]; then
  [ -n "$out" ] || out=$(mktemp -d)
  py_args=(--shape=4,5,8 --dot-T=3,6 --dot-B=2,4 --warmup=0 --repeat=2 --rounds=1 "${py_args[@]}")
fi
[ -n "$out" ] || out="$root/bench/results"

exec python3 "$root/bench/study.py" --scan-run="$scan_run" --scan-opt="$scan_opt" \
  --out="$out" --command="$(echo "bench/study.sh $*" | sed 's/ *$//')" "${py_args[@]}"
