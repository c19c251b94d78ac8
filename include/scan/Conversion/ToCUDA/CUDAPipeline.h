//===- CUDAPipeline.h - the scan-lower-to-cuda pipeline ---------*- C++ -*-===//
//
// Options and builder of the pipeline that lowers a scan program on tensors
// to LLVM dialect host code calling the CUDA runtime (lib/Runtime/CUDA), with
// the kernels embedded as PTX or cubin for an NVIDIA GPU.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_TOCUDA_CUDAPIPELINE_H
#define SCAN_CONVERSION_TOCUDA_CUDAPIPELINE_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class DialectRegistry;
class OpPassManager;
} // namespace mlir

namespace mlir::scan {

/// Options of `scan-lower-to-cuda`.
struct LowerToCUDAOptions : public PassPipelineOptions<LowerToCUDAOptions> {
  PassOptions::Option<std::string> chip{*this, "chip",
                                        llvm::cl::desc("GPU architecture"),
                                        llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX features (PTX ISA version)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary format: isa (PTX, JIT-compiled by the "
                     "driver when loaded), bin (cubin, runs ptxas) or fatbin"),
      llvm::cl::init("isa")};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit path for format=bin|fatbin (ptxas)"),
      llvm::cl::init("/usr/local/cuda")};
  PassOptions::Option<int> optLevel{*this, "opt-level",
                                    llvm::cl::desc("Kernel optimisation level"),
                                    llvm::cl::init(3)};
  PassOptions::Option<int64_t> blockSize{
      *this, "block-size",
      llvm::cl::desc("Threads per block of elementwise kernels"),
      llvm::cl::init(256)};
};

/// Lowers a module of scan functions on tensors to LLVM dialect: buffers in
/// device memory (function arguments and out-params are device pointers),
/// matmuls as cuBLAS calls, other linalg ops as GPU kernels, all on the
/// runtime's single stream, and a `gpu.binary` per kernel module.
void buildLowerToCUDAPipeline(OpPassManager &pm,
                              const LowerToCUDAOptions &options);

/// Adds what the pipeline needs beyond the dialects: the NVVM target
/// attribute's serialisation (gpu-module-to-binary) and the translations of
/// the builtin, LLVM, NVVM and GPU dialects to LLVM IR.
void registerLowerToCUDADependencies(DialectRegistry &registry);

/// Registers `scan-lower-to-cuda`.
void registerLowerToCUDAPipeline();

} // namespace mlir::scan

#endif // SCAN_CONVERSION_TOCUDA_CUDAPIPELINE_H
