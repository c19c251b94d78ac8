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
#include "scan/Runtime/CUDARuntime.h"

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace scanrun {

struct VariantResult;

/// build/lib/libScanCUDARuntime.so: ../lib/ from the scan-run binary, like
/// libScanRuntime.so.
std::string cudaRuntimePath(const RunOptions &options);

/// The entry points of include/scan/Runtime/CUDARuntime.h that scan-run
/// calls, looked up in the library opened with dlopen: scan-run does not link
/// it, so it builds and runs where the CUDA toolkit is absent. Their types
/// come from the header's declarations.
struct CUDARuntime {
  decltype(&scancuda_init) init = nullptr;
  decltype(&scancuda_device_name) deviceName = nullptr;
  decltype(&scancuda_last_error) lastError = nullptr;
  decltype(&scancuda_alloc) alloc = nullptr;
  decltype(&scancuda_free) free = nullptr;
  decltype(&scancuda_copy_to_device) copyToDevice = nullptr;
  decltype(&scancuda_copy_to_host) copyToHost = nullptr;
  decltype(&scancuda_synchronize) synchronize = nullptr;
  decltype(&scancuda_event_create) eventCreate = nullptr;
  decltype(&scancuda_event_record) eventRecord = nullptr;
  decltype(&scancuda_event_elapsed_ms) eventElapsedMs = nullptr;
  decltype(&scancuda_event_destroy) eventDestroy = nullptr;
  decltype(&scancuda_clear_error) clearError = nullptr;
  decltype(&scancuda_capture_begin) captureBegin = nullptr;
  decltype(&scancuda_capture_end) captureEnd = nullptr;
  decltype(&scancuda_graph_launch) graphLaunch = nullptr;
  decltype(&scancuda_graph_destroy) graphDestroy = nullptr;
  decltype(&scancuda_gemm_log_begin) gemmLogBegin = nullptr;
  decltype(&scancuda_gemm_log_end) gemmLogEnd = nullptr;
  decltype(&scancuda_gemm_log_replay_ms) gemmLogReplayMs = nullptr;
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
