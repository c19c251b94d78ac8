#!/usr/bin/env bash
# Creates a pinned Python environment, or brings it up to date. Idempotent:
# pip runs only when the requirements' hash differs from the one stamped in
# the environment by the last install. The C++ build and lit never use one.
# Usage: scripts/python-env.sh [VENV [REQUIREMENTS]]
#   no arguments: python/.venv from python/requirements.txt, the JAX front
#   end and its tests; VENV alone: create VENV without installing anything
#   (bench/peers.sh's smoke mode installs what it needs itself).
#   SCAN_PYTHON: the Python 3 to create it with (default python3).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
  set -- "$root/python/.venv" "$root/python/requirements.txt"
fi
venv="$1"
requirements="${2:-}"

if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv"
  if ! "${SCAN_PYTHON:-python3}" -m venv "$venv"; then
    rm -rf "$venv"
    echo "python-env: cannot create a virtual environment: on Debian install python3-venv" \
         "(scripts/deps.sh does), or point SCAN_PYTHON at a Python 3.11 that has venv" >&2
    exit 1
  fi
fi
[ -n "$requirements" ] || exit 0
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-env: installing the pinned packages ($requirements)"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
