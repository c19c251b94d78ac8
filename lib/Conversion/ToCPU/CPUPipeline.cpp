//===- CPUPipeline.cpp - the scan-lower-to-cpu pipeline ---------*- C++ -*-===//
//
// Builds and registers the pipeline that lowers scan programs to the LLVM
// dialect for CPUs, and the bufferization the CUDA pipeline shares.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::scan::addScanBufferizationPasses(OpPassManager &pm) {
  // Carries computed in place, per-step outputs written into their stacked
  // buffer, identity layouts at function boundaries.
  // No function holds a loop nest deeper than a few levels while it is
  // bufferized: upstream's analysis and buffer types recurse through whole
  // nests (2^depth); scan-outline-nested-loops says why.
  pm.addPass(createOutlineNestedLoopsPass());
  pm.addPass(createPrepareBufferizationPass());
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferize.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  pm.addPass(createInlineOutlinedLoopsPass());
  // CSE makes the copy of a slice into itself (an output written in place)
  // a self-copy, which the second canonicalisation removes.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createForwardTemporaryCopiesPass());
  pm.addNestedPass<func::FuncOp>(bufferization::createBufferLoopHoistingPass());
  // Memref results become trailing out-params, also of public functions
  // (the callers' C interface expects them there).
  bufferization::BufferResultsToOutParamsPassOptions outParams;
  outParams.hoistStaticAllocs = true;
  outParams.modifyPublicFunctions = true;
  pm.addPass(bufferization::createBufferResultsToOutParamsPass(outParams));
  // A private function's result copied to its caller's out-param is
  // written there directly.
  pm.addPass(createForwardCallResultsPass());
  bufferization::buildBufferDeallocationPipeline(pm);
}

void mlir::scan::buildScanLowerToCPUPipeline(OpPassManager &pm) {
  buildScanLowerToCPUPipeline(pm, ScanLowerToCPUOptions());
}

void mlir::scan::buildScanLowerToCPUPipeline(
    OpPassManager &pm, const ScanLowerToCPUOptions &options) {
  // scan.scan -> scf.for over tensors; elementwise tensor ops -> one fused
  // linalg.generic per chain.
  pm.addPass(createConvertScanToSCFPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createFuseElementwisePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());

  addScanBufferizationPasses(pm);

  // Matmuls -> BLAS; everything else -> loops that LLVM vectorises, the
  // large elementwise ones as OpenMP loops on libomp's thread team (the
  // one libScanRuntime.so's GEMM kernel runs on).
  pm.addPass(createConvertLinalgMatmulToBLASPass());
  pm.addPass(createLowerStridedCopiesPass());
  if (options.parallelElementwise) {
    ParallelizeElementwisePassOptions parallel;
    parallel.minElements = options.parallelMinElements;
    pm.addPass(createParallelizeElementwisePass(parallel));
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createApproximateMathPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // To the LLVM dialect.
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  // Heap buffers through ScanRuntime's buffer cache (huge pages, reuse
  // across calls) instead of plain malloc/free.
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = true;
  memrefToLLVM.useAlignedAlloc = true;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  if (options.parallelElementwise)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::scan::registerLowerToCPUPipeline() {
  PassPipelineRegistration<ScanLowerToCPUOptions>(
      "scan-lower-to-cpu",
      "Lower a scan program to the LLVM dialect for CPUs: scan.scan to "
      "scf.for, fused elementwise loops (the large ones as OpenMP loops), "
      "matmuls as GEMM calls into ScanRuntime, heap buffers from its "
      "buffer cache, memref results as trailing out-params",
      [](OpPassManager &pm, const ScanLowerToCPUOptions &options) {
        buildScanLowerToCPUPipeline(pm, options);
      });
}
