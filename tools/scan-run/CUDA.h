//===- CUDA.h - running a variant on an NVIDIA GPU --------------*- C++ -*-===//
//
// --target=cuda: the CUDA runtime (libScanCUDARuntime.so, opened with dlopen
// so that scan-run builds and runs where the CUDA toolkit is absent), device
// buffers and events, and the timed calls of a variant on the device.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_RUN_CUDA_H
#define SCAN_RUN_CUDA_H

#include "Array.h"
#include "Options.h"

#include "scan/Runner/Compile.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace scanrun {

struct VariantResult;

/// build/lib/libScanCUDARuntime.so: ../lib/ from the scan-run binary, like
/// libScanRuntime.so.
std::string cudaRuntimePath(const RunOptions &options);

/// The entry points of lib/Runtime/CUDA/CUDARuntime.h that scan-run calls,
/// looked up in the library opened with dlopen: scan-run does not link it,
/// so it builds and runs where the CUDA toolkit is absent.
struct CUDARuntime {
  int (*init)(char *, size_t) = nullptr;
  const char *(*deviceName)() = nullptr;
  const char *(*lastError)() = nullptr;
  void *(*alloc)(int64_t) = nullptr;
  void (*free)(void *) = nullptr;
  int (*copyToDevice)(void *, const void *, int64_t) = nullptr;
  int (*copyToHost)(void *, const void *, int64_t) = nullptr;
  int (*synchronize)() = nullptr;
  void *(*eventCreate)() = nullptr;
  void (*eventRecord)(void *) = nullptr;
  float (*eventElapsedMs)(void *, void *) = nullptr;
  void (*eventDestroy)(void *) = nullptr;
  void (*clearError)() = nullptr;
  int (*captureBegin)(char *, size_t) = nullptr;
  void *(*captureEnd)(char *, size_t) = nullptr;
  int (*graphLaunch)(void *) = nullptr;
  void (*graphDestroy)(void *) = nullptr;
  void (*gemmLogBegin)() = nullptr;
  int (*gemmLogEnd)() = nullptr;
  float (*gemmLogReplayMs)(int) = nullptr;
  /// Name of the device, "" without one.
  std::string device;

  /// The first error the runtime recorded, "" if none.
  std::string error() const {
    const char *e = lastError();
    return e ? mlir::scan::runner::oneLine(e) : std::string();
  }
};

/// Opens the CUDA runtime and initialises the device; a failure to do so is
/// "no CUDA device: <reason>" (a warning only with
/// --cuda-continue-without-device).
llvm::Error openCUDARuntime(const RunOptions &options);

/// The runtime openCUDARuntime opened.
CUDARuntime &cudaRuntime();

/// Runs `fn` on the device: every input copied into a device buffer, every
/// output allocated there, the warm-up calls, then each timed call between
/// two CUDA events on the runtime's stream, the runtime's error checked after
/// each call. The outputs come back into `res.outputs` (host arrays of the
/// result shapes); the inputs come back too: code that wrote into them is
/// an error, as on the CPU, unless --allow-input-writes restores them before
/// every call.
llvm::Error runOnDevice(RunContext &ctx, void (*fn)(void **),
                        llvm::ArrayRef<Array> inputs, VariantResult &res,
                        llvm::StringRef what);

} // namespace scanrun

#endif // SCAN_RUN_CUDA_H
