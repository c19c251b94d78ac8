#!/usr/bin/env bash
# Time and memory of checkpointed gradients under a memory budget
# (scan-optimize{memory-budget-mib=N}) against the plain and the unbounded
# optimised gradient. Usage: bench/memory-budget.sh [--quick] [--no-t1000]
#   --quick     the GRU at the headline shape only (a few minutes)
#   --no-t1000  skip the LSTM at T = 1000 (the longest part, ~10 GiB peak)
# Results: bench/results/memory-budget-<date>.{md,json} (+ .png with
# matplotlib from bench/.venv, if present).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
python=python3
if [ -x "$root/bench/.venv/bin/python" ]; then
  python="$root/bench/.venv/bin/python"
fi
exec "$python" "$root/bench/memory_budget.py" --root "$root" "$@"
