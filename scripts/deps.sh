#!/usr/bin/env bash
# Installs every system package scan-mlir needs to build, test and run on
# Debian 12. Idempotent: packages already present are left alone.
set -euo pipefail

packages=(
  cmake ninja-build ccache g++ python3 python3-venv
  libmlir-22-dev mlir-22-tools llvm-22-dev llvm-22-tools
  libopenblas-dev
  # LLVM's OpenMP runtime (libomp): the runtime's thread team, and the
  # omp.parallel loops of lowered elementwise code.
  libomp-22-dev
  # scripts/fuzz.sh (libFuzzer needs clang; CI runs a short fuzz): clang-22
  # and its sanitizer/fuzzer runtimes. scripts/sanitize.sh needs only g++'s
  # libasan/libubsan (libgcc-12-dev, a dependency of g++).
  clang-22 libclang-rt-22-dev
)
# Optional extras (e.g. the fuzzing toolchain), named by the calling script.
# shellcheck disable=SC2206
packages+=(${SCAN_EXTRA_PACKAGES:-})

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  exit 0
fi

echo "deps: installing ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" != 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
