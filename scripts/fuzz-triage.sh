#!/usr/bin/env bash
# Checks that a libFuzzer run happened and sorts what it found.
# Usage: scripts/fuzz-triage.sh FUZZER ARTIFACT_DIR LOG STATUS [OPTION...]
#   FUZZER        the fuzzer binary, used to replay each finding
#   ARTIFACT_DIR  where the run left its crash-*, timeout-*, oom-* and leak-*
#                 inputs
#   LOG           the run's output
#   STATUS        the run's exit status (reported only)
#   OPTION...     the run's -timeout= and -rss_limit_mb= options: findings are
#                 replayed under the same limits, so a timeout stays a timeout
#
# A run whose log shows no executed input, or not the fuzzer's own end,
# fails (a fuzzer that dies at start-up leaves no artifacts); its exit status
# is only reported. Every finding is
# replayed: one that no longer fails is listed as not reproduced (its input
# stays in ARTIFACT_DIR); one that fails is attributed by its stack, past the
# frames of the report itself (sanitizer, libFuzzer, libc's abort/raise,
# report_fatal_error, llvm_unreachable): to scan-mlir when its innermost frame
# lies in this repository, or when any frame below it lies in scan-mlir's
# code outside the fuzz harness (a crash inside libMLIR.so reached from one
# of our passes or patterns is ours), other than a custom parser (ours only
# hands its regions and attributes to upstream's parser, so a crash inside
# an upstream op's parser reached through it is upstream's); to upstream
# MLIR/LLVM otherwise. Paths are compared with `dir/../` folded, as the
# sanitizer prints them relative to the build folder. A
# finding without a stack (an out-of-memory seen by libFuzzer's RSS thread)
# counts as ours. Exits 1 when the run did not happen or when a finding is
# ours.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fuzzer="$1" artifacts="$2" log="$3" status="$4"
shift 4
replay_options=("$@")

# In fork mode libFuzzer exits with the status of its last job, which is
# non-zero when that job found something: the run counts as done when its log
# shows progress and the fuzzer's own end ("INFO: exiting:" in fork mode,
# "DONE" otherwise), whatever the status.
if ! grep -qE '^#[0-9]+(: cov:|[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE))' "$log" ||
   ! grep -qE '^INFO: exiting: |^#[0-9]+[[:space:]]+DONE' "$log"; then
  why=$(grep -v '^[[:space:]]*$' "$log" | tail -n 1 || true)
  echo "fuzz: the fuzzer did not run to its end (exit status $status): ${why:-no output}"
  exit 1
fi

report_frames='__sanitizer|__asan|__ubsan|__interceptor|fuzzer::|libc\.so\.6|abort|raise|pthread_kill|report_fatal_error|llvm_unreachable_internal|llvm::sys::|SignalHandler'
ours=0; upstream=0; gone=0
# Frames at a source line of this repository (not the fuzzer binary, which
# also lies under it, named as a module).
source_frames() { grep -F "$root/" | grep -E ':[0-9]+(:[0-9]+)?$' || true; }
for finding in "$artifacts"/crash-* "$artifacts"/timeout-* "$artifacts"/oom-* \
               "$artifacts"/leak-*; do
  [ -e "$finding" ] || continue
  kind=$(basename "$finding"); kind=${kind%%-*}
  if output=$("$fuzzer" "${replay_options[@]}" "$finding" 2>&1); then
    gone=$((gone + 1))
    echo "fuzz: not reproduced ($kind): $finding"
    continue
  fi
  frames=$(grep -E '^ *#[0-9]+ ' <<<"$output" | grep -vE "$report_frames" |
           sed -E ':fold; s#/[^/ ]+/\.\./#/#; t fold' || true)
  innermost=$(head -n 1 <<<"$frames")
  where=""
  if [ -z "$innermost" ]; then
    where="no stack"
  elif source_frames <<<"$innermost" | grep -q .; then
    where="$innermost"
  else
    where=$(source_frames <<<"$frames" | grep -vF "$root/tools/scan-fuzz/" |
            grep -vF '::parse(mlir::OpAsmParser&' | head -n 1 || true)
  fi
  if [ -n "$where" ]; then
    ours=$((ours + 1))
    echo "fuzz: OUR $(tr a-z A-Z <<<"$kind"): $finding"
    echo "  $(sed 's/^ *//' <<<"$where")"
  else
    upstream=$((upstream + 1))
    echo "fuzz: upstream $kind: $finding"
    echo "  $(sed 's/^ *//' <<<"$innermost")"
  fi
done
echo "fuzz: findings in scan-mlir code: $ours, in upstream MLIR: $upstream (not reproduced: $gone)"
[ "$ours" -eq 0 ]
