#!/usr/bin/env bash
# Packs what bench/gpu-check.sh needs to run on a GPU machine that has the
# driver and Python but no MLIR 22 to build against (a bare device machine
# with no network): a scan-run linked statically against MLIR and LLVM (no
# libMLIR.so/libLLVM.so/libz3/ICU to carry along), the CUDA runtime library,
# and nothing else. The CPU results that the GPU's are checked against are in
# the repository (bench/inputs/gpu), so the bundle needs no CPU runtime.
#
# Usage: bench/gpu-bundle.sh [OUT.tar.xz]   (default .gpu-bundle/scan-mlir-gpu.tar.xz)
# Then, on the GPU machine: bench/gpu-check.sh --bundle=OUT.tar.xz
#
# The static link takes every archive of /usr/lib/llvm-22/lib in one group
# and keeps what scan-run references, so it follows whatever the dynamic
# build links without a second list of libraries to maintain.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="${SCAN_BUILD_DIR:-$root/build}"
out="${1:-$root/.gpu-bundle/scan-mlir-gpu.tar.xz}"
llvm_lib=/usr/lib/llvm-22/lib

"$root/scripts/build.sh" scan-run ScanCUDARuntime
if [ ! -f "$build/lib/libScanCUDARuntime.so" ]; then
  echo "gpu-bundle: no $build/lib/libScanCUDARuntime.so (CUDA toolkit not found by CMake)" >&2
  exit 1
fi
objects=("$build"/tools/scan-run/CMakeFiles/scan-run.dir/*.o)
archives=()
for a in "$llvm_lib"/libMLIR*.a "$llvm_lib"/libLLVM*.a; do
  case "$(basename "$a")" in
    # C API, test and *Main libraries define main() or duplicate symbols.
    libMLIRCAPI*|*Main.a|*TestLib*.a) ;;
    *) archives+=("$a") ;;
  esac
done

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib"
echo "gpu-bundle: linking a static scan-run (${#archives[@]} archives)"
g++ -fuse-ld=lld -O2 -o "$stage/bin/scan-run" "${objects[@]}" \
  -Wl,--start-group "$build"/lib/libScan*.a "${archives[@]}" -Wl,--end-group \
  -static-libstdc++ -static-libgcc -l:libz.so.1 -l:libzstd.so.1 -ldl \
  -lpthread -lrt -lm -Wl,--gc-sections -s
cp "$build/lib/libScanCUDARuntime.so" "$stage/lib/"
# The bundled scan-run must run here too, before it travels.
"$stage/bin/scan-run" --version > /dev/null
git -C "$root" rev-parse HEAD > "$stage/COMMIT" 2>/dev/null || echo unknown > "$stage/COMMIT"
mkdir -p "$(dirname "$out")"
echo "gpu-bundle: compressing"
tar -C "$stage" -cf - bin lib COMMIT | xz -T0 -8 > "$out"
echo "gpu-bundle: wrote $out ($(du -h "$out" | cut -f1)); its dependencies:"
ldd "$stage/bin/scan-run" "$stage/lib/libScanCUDARuntime.so" | sed 's/ (0x.*//'
