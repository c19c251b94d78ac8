//===- CUDAPipeline.cpp - the scan-lower-to-cuda pipeline ------*- C++ -*-===//
//
// Builds and registers the pipeline that lowers scan programs to host code
// calling the CUDA runtime of lib/Runtime/CUDA, plus NVVM kernels.
//
//===----------------------------------------------------------------------===//

#include "scan/Conversion/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVM/NVVM/Target.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void scan::buildLowerToCUDAPipeline(OpPassManager &pm,
                                    const LowerToCUDAOptions &options) {
  // Tensor level: scan.scan -> scf.for, calls inlined, elementwise chains
  // fused into one linalg.generic each.
  pm.addPass(createConvertScanToSCFPass());
  pm.addPass(createInlinerPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createFuseElementwisePass());
  pm.addNestedPass<func::FuncOp>(scan::createSplitFullReductionsPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());

  // Buffers, with the same function boundary as the CPU target (identity
  // layouts, results as trailing out-params) and the same in-place
  // preparation of loop carries and stacked outputs.
  addScanBufferizationPasses(pm);
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Device code: cuBLAS for matmuls, kernels for the rest, one stream.
  pm.addPass(scan::createConvertLinalgMatmulToCUBLASPass());
  pm.addPass(scan::createGPUDeviceMemoryPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(scan::createMapParallelLoopsToGPUPass(
      scan::MapParallelLoopsToGPUPassOptions{options.blockSize}));
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addNestedPass<func::FuncOp>(scan::createGPUSingleStreamPass());

  // NVVM for the kernels, LLVM dialect for the host.
  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addNestedPass<gpu::GPUModuleOp>(createConvertGpuOpsToNVVMOps());
  pm.addNestedPass<gpu::GPUModuleOp>(createCanonicalizerPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createCSEPass());
  pm.addNestedPass<gpu::GPUModuleOp>(createReconcileUnrealizedCastsPass());
  pm.addPass(createGpuToLLVMConversionPass());
  GpuModuleToBinaryPassOptions binary;
  binary.compilationTarget = options.format;
  binary.toolkitPath = options.toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binary));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void scan::registerLowerToCUDADependencies(DialectRegistry &registry) {
  NVVM::registerNVVMTargetInterfaceExternalModels(registry);
  registerAllGPUToLLVMIRTranslations(registry);
}

void scan::registerLowerToCUDAPipeline() {
  PassPipelineRegistration<LowerToCUDAOptions>(
      "scan-lower-to-cuda",
      "Lower a scan program to host code on the CUDA runtime (cuBLAS for "
      "matmuls, NVVM kernels for the rest, buffers in device memory)",
      buildLowerToCUDAPipeline);
}
