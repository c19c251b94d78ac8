#!/usr/bin/env bash
# Creates python/.venv, the pinned environment of the JAX front end and its
# tests (python/requirements.txt), or brings it up to date. Idempotent: pip
# runs only when the requirements' hash differs from the one stamped in the
# environment by the last install. The C++ build and lit never use it.
# Usage: scripts/python-env.sh          (SCAN_PYTHON: the Python 3 to use)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/python/.venv"
requirements="$root/python/requirements.txt"

if [ ! -x "$venv/bin/python" ]; then
  echo "python-env: creating $venv"
  if ! "${SCAN_PYTHON:-python3}" -m venv "$venv"; then
    rm -rf "$venv"
    echo "python-env: cannot create a virtual environment: on Debian install python3-venv" \
         "(scripts/deps.sh does), or point SCAN_PYTHON at a Python 3.11 that has venv" >&2
    exit 1
  fi
fi
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "python-env: installing the pinned packages (python/requirements.txt)"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
