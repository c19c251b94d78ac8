#!/usr/bin/env bash
# The small f64 cases that bench/gpu-check.sh runs on the GPU, and the CPU's
# results for them, kept in bench/inputs/gpu so that a GPU machine needs no
# CPU build to check against. The programs are the examples at T=6, B=4,
# D=32 in f64; the inputs are scan-run's random normals (seed 0) at a normal
# scale (weights 0.2 ~ 1/sqrt(D)), so that no gradient underflows.
#
# Usage: bench/gpu-references.sh [DIR]        writes DIR (default bench/inputs/gpu)
#        bench/gpu-references.sh --programs DIR   writes only the programs
# test/Bench/gpu-references.test checks that the committed files are what
# this script makes with the current code.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
programs_only=0
if [ "${1:-}" = "--programs" ]; then programs_only=1; shift; fi
dir="${1:-$root/bench/inputs/gpu}"
run="${SCAN_RUN:-${SCAN_BUILD_DIR:-$root/build}/bin/scan-run}"
mkdir -p "$dir"

# Random-input scales per cell: sequences and states 0.5, weights 0.2.
declare -A scales=(
  [rnn]=0.5,0.5,0.2
  [gru]=0.5,0.5,0.5,0.5,0.2,0.2,0.2
  [lstm]=0.5,0.5,0.5,0.2,0.2,0.2,0.2,0.2,0.2,0.2,0.2
)
for cell in rnn gru lstm; do
  sed 's/50x80x1000/6x4x32/g; s/80x1000/4x32/g; s/1000x1000/32x32/g; s/f32/f64/g' \
    "$root/examples/$cell.mlir" > "$dir/$cell-f64.mlir"
  echo "${scales[$cell]}" > "$dir/$cell.scales"
  [ $programs_only -eq 1 ] && continue
  for entry in ${cell}_cost ${cell}_grad; do
    "$run" "$dir/$cell-f64.mlir" --entry=$entry --random-scale="${scales[$cell]}" \
      --output-dir="$dir" > /dev/null
  done
done
