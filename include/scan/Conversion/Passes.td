//===- Passes.td - scan conversion passes -------------------*- tablegen -*-===//
//
// Lowerings of the scan dialect: to scf, and on to CPU (BLAS) and CUDA code.
// Each conversion lives in lib/Conversion/<From>To<To>/.
//
//===----------------------------------------------------------------------===//

#ifndef SCAN_CONVERSION_PASSES_TD
#define SCAN_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// CUDA lowering (lib/Conversion/ToCUDA)
//===----------------------------------------------------------------------===//

def ConvertLinalgMatmulToCUBLASPass
    : Pass<"convert-linalg-matmul-to-cublas", "mlir::ModuleOp"> {
  let summary = "Turn linalg.matmul on device buffers into cuBLAS GEMM calls";
  let description = [{
    Rewrites every `linalg.matmul` with buffer semantics whose operands are
    f32 (or f64) memrefs with unit inner stride into a call to
    `scancuda_sgemm` (`scancuda_dgemm`) of the CUDA runtime. The call takes
    exactly the arguments of `cublasSgemm`, which is column-major: a row-major
    `C(MxN) += op(A)(MxK) op(B)(KxN)` is the column-major product
    `C^T = op(B)^T op(A)^T`, so the call passes B before A, swaps M and N, and
    uses each operand's row stride as its leading dimension. Transposed
    operands (`indexing_maps` with `(d2, d0)` for A or `(d1, d2)` for B) only
    flip the corresponding transpose flag; no data is moved. `beta` is 1
    because `linalg.matmul` accumulates into its `outs` operand.

    Pointers and leading dimensions are passed as `index` values (device
    addresses, element offset included). A matmul that does not fit (other
    element types, broadcast maps, a non-unit inner stride) is left alone
    with a remark and later becomes a plain GPU kernel.

    ```mlir
    linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>)
                  outs(%c : memref<8x32xf32>)
    // becomes (N=32, M=8, K=16; ldb=32, lda=16, ldc=32)
    func.call @scancuda_sgemm(%false, %false, %c32, %c8, %c16, %one,
                              %pb, %c32, %pa, %c16, %one, %pc, %c32)
    ```
  }];
  let dependentDialects = ["mlir::arith::ArithDialect",
                           "mlir::func::FuncDialect",
                           "mlir::memref::MemRefDialect"];
  let statistics = [Statistic<"numConverted", "num-converted",
                              "Matmuls turned into cuBLAS calls">];
}

def GPUDeviceMemoryPass : Pass<"scan-gpu-device-memory", "mlir::ModuleOp"> {
  let summary = "Place every buffer of host functions in GPU memory";
  let description = [{
    Device-resident convention of the CUDA target: every memref that a host
    function receives, allocates or returns lives in GPU global memory.
    This pass makes that true after bufferization:
    - `memref.alloc`/`memref.dealloc` become `gpu.alloc`/`gpu.dealloc`;
    - `memref.copy` between contiguous identity-layout buffers becomes a
      device-to-device `gpu.memcpy`, any other copy a `linalg.copy` (which
      later becomes a kernel);
    - `memref.get_global` (a constant in host memory) becomes a fresh device
      buffer filled by a host-to-device `gpu.memcpy`.
    Code in `gpu.module`s and `gpu.launch` bodies is not touched. A
    `memref.alloca` in host code is rejected with an error, since kernels
    cannot read the host stack.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect",
                           "mlir::linalg::LinalgDialect",
                           "mlir::memref::MemRefDialect"];
}

def MapParallelLoopsToGPUPass
    : Pass<"scan-map-parallel-loops-to-gpu", "mlir::func::FuncOp"> {
  let summary = "Tile and map host loops to GPU blocks and threads";
  let description = [{
    Prepares the loops that `convert-linalg-to-parallel-loops` produced for
    `convert-parallel-loops-to-gpu`:
    - every outermost `scf.parallel` is tiled so that its inner loop covers
      `block-size` iterations (the innermost dimension first), without
      min/max bounds (the tail is guarded by `scf.if`); the outer loop is
      mapped to the grid (innermost dimension to x) and the inner one to
      threads; dimensions beyond three stay sequential;
    - any other host loop nest that reads or writes memory (a reduction
      with no parallel dimension, for instance) is wrapped into a
      `gpu.launch` of one thread, so no host code touches device memory.
    Loops that contain calls or GPU operations (the time loop of a scan)
    are host control flow and are only looked into.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect",
                           "mlir::scf::SCFDialect",
                           "mlir::affine::AffineDialect"];
  let options = [Option<"blockSize", "block-size", "int64_t", "256",
                        "Threads per block of the generated kernels">];
  let statistics = [
    Statistic<"numMapped", "num-mapped", "Parallel loops mapped to GPU">,
    Statistic<"numSerial", "num-serial",
              "Loop nests wrapped into one-thread kernels">
  ];
}

def GPUSingleStreamPass : Pass<"scan-gpu-single-stream", "mlir::func::FuncOp"> {
  let summary = "Order every GPU operation of a function on one stream";
  let description = [{
    Makes every `gpu.alloc`, `gpu.dealloc`, `gpu.memcpy`, `gpu.memset` and
    `gpu.launch_func` of a host function asynchronous, all depending on one
    token created at function entry (`gpu.wait async`, i.e.
    `mgpuStreamCreate`). Since all of them then run on one in-order stream
    (with the runtime's cuBLAS calls, which use the same stream), no host
    synchronisation is needed between them, not even inside loops. Before
    each `func.return` a `gpu.wait [%token]` waits for the stream.

    Scalar reads and writes of device buffers left in host code (a
    `memref.load` or `memref.store` on a buffer with one element and identity
    layout, as in `tensor.extract %sum[]`) become copies through a host
    stack slot; a read waits for the stream first. Any other host access to
    a memref is an error.

    Unlike upstream `gpu-async-region`, this pass does not synchronise before
    each call or at the end of each loop iteration. It relies on the CUDA
    runtime of this project, whose `mgpuStreamCreate` returns its single
    stream and whose `mgpuStreamDestroy` leaves that stream alive.
  }];
  let dependentDialects = ["mlir::gpu::GPUDialect",
                           "mlir::memref::MemRefDialect"];
}

#endif // SCAN_CONVERSION_PASSES_TD
