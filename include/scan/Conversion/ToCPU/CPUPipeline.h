//===- CPUPipeline.h - the scan-lower-to-cpu pipeline -----------*- C++ -*-===//
//
// Options and builder of the pipeline that lowers a scan program on tensors
// to the LLVM dialect for CPUs, calling the CPU runtime
// (include/scan/Runtime/CPURuntime.h), and the bufferization it shares with
// the CUDA pipeline.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_TOCPU_CPUPIPELINE_H
#define SCAN_CONVERSION_TOCPU_CPUPIPELINE_H

#include "mlir/Pass/PassOptions.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::scan {

/// Options of the `scan-lower-to-cpu` pipeline.
struct ScanLowerToCPUOptions
    : public PassPipelineOptions<ScanLowerToCPUOptions> {
  PassOptions::Option<bool> parallelElementwise{
      *this, "parallel-elementwise",
      llvm::cl::desc("Run large elementwise loops in omp.parallel regions "
                     "on the runtime's thread team "
                     "(scan-parallelize-elementwise)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> parallelMinElements{
      *this, "parallel-min-elements",
      llvm::cl::desc("Iterations an elementwise loop needs to run in "
                     "parallel"),
      llvm::cl::init(16384)};
};

/// Appends the `scan-lower-to-cpu` pipeline (module level): scan.scan to
/// scf.for, elementwise ops fused, one-shot bufferization with identity
/// layouts at function boundaries and memref results turned into trailing
/// out-params, matmuls as ScanRuntime BLAS calls, large elementwise loops
/// as OpenMP loops, everything to LLVM.
void buildScanLowerToCPUPipeline(OpPassManager &pm,
                                 const ScanLowerToCPUOptions &options);
/// The same with the default options.
void buildScanLowerToCPUPipeline(OpPassManager &pm);

/// Adds the bufferization shared by the CPU and CUDA lowerings: in-place
/// loop carries and stacked outputs, identity-layout function boundaries,
/// memref results as trailing out-params, ownership-based deallocation.
void addScanBufferizationPasses(OpPassManager &pm);

/// Registers `scan-lower-to-cpu`.
void registerLowerToCPUPipeline();

} // namespace mlir::scan

#endif // SCAN_CONVERSION_TOCPU_CPUPIPELINE_H
