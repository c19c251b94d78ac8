// Lowered code allocates its heap buffers through ScanRuntime's buffer
// cache: a function called three times needs new memory for its 2 MiB
// (huge-page) and 512 KiB temporaries once and reuses them twice; small
// buffers bypass the cache; with SCANRT_BUFFER_CACHE=0 nothing is cached,
// and the numbers stay the same. The products go to OpenBLAS
// (SCANRT_GEMM_KERNEL=0) so that the counts are those of the function's own
// buffers, not of the GEMM kernel's packed operands. Without the variable
// the cache is on, except in a build with AddressSanitizer (the `asan`
// feature, set by the build's configuration), where ASan must see every
// block.
//
// RUN: scan-opt %s --scan-lower-to-cpu | FileCheck %s --check-prefix=IR
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | env SCANRT_BUFFER_CACHE=1 SCANRT_GEMM_KERNEL=0 mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s --check-prefix=CACHED
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | env -u SCANRT_BUFFER_CACHE SCANRT_GEMM_KERNEL=0 mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s --check-prefix=%if asan %{OFF%} %else %{CACHED%}
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | env SCANRT_BUFFER_CACHE=0 SCANRT_GEMM_KERNEL=0 mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s --check-prefix=OFF

// IR-NOT: llvm.call @malloc
// IR-NOT: llvm.call @free
// IR: llvm.call @_mlir_memref_to_llvm_aligned_alloc
// IR: llvm.call @_mlir_memref_to_llvm_free

func.func private @printI64(i64)
func.func private @printF32(f32)
func.func private @printNewline()
func.func private @scanrt_buffer_cache_hits() -> i64
func.func private @scanrt_buffer_cache_misses() -> i64
func.func private @scanrt_buffer_cache_idle_bytes() -> i64

// sum(exp(x) w) + sum(exp(y) w) with x 512 x 1024 (2 MiB) and y 128 x 1024
// (512 KiB); the matmuls keep exp(x) and exp(y) as buffers, the 512 x 4
// product is small.
func.func @work(%x: tensor<512x1024xf32>, %y: tensor<128x1024xf32>,
                %w: tensor<1024x4xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %big = math.exp %x : tensor<512x1024xf32>
  %mid = math.exp %y : tensor<128x1024xf32>
  %e = tensor.empty() : tensor<512x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<512x4xf32>) -> tensor<512x4xf32>
  %p0 = linalg.matmul ins(%big, %w : tensor<512x1024xf32>, tensor<1024x4xf32>)
                      outs(%z : tensor<512x4xf32>) -> tensor<512x4xf32>
  // Rows 0..127 of the product accumulate exp(y) w as well.
  %top = tensor.extract_slice %p0[0, 0] [128, 4] [1, 1] : tensor<512x4xf32> to tensor<128x4xf32>
  %top2 = linalg.matmul ins(%mid, %w : tensor<128x1024xf32>, tensor<1024x4xf32>)
                        outs(%top : tensor<128x4xf32>) -> tensor<128x4xf32>
  %p = tensor.insert_slice %top2 into %p0[0, 0] [128, 4] [1, 1] : tensor<128x4xf32> into tensor<512x4xf32>
  %s0 = tensor.empty() : tensor<f32>
  %s = linalg.fill ins(%zero : f32) outs(%s0 : tensor<f32>) -> tensor<f32>
  %r = linalg.reduce ins(%p : tensor<512x4xf32>) outs(%s : tensor<f32>) dimensions = [0, 1]
    (%a: f32, %b: f32) {
      %c = arith.addf %a, %b : f32
      linalg.yield %c : f32
    }
  %v = tensor.extract %r[] : tensor<f32>
  return %v : f32
}

func.func @main() {
  %x = arith.constant dense<0.0> : tensor<512x1024xf32>
  %y = arith.constant dense<0.0> : tensor<128x1024xf32>
  %w = arith.constant dense<0.25> : tensor<1024x4xf32>
  // Each call: (512 + 128) * 4 * (1024 * exp(0) * 0.25) = 655360.
  // CACHED-COUNT-3: 655360
  // OFF-COUNT-3: 655360
  %c0 = arith.constant 0 : index
  %c3 = arith.constant 3 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %c3 step %c1 {
    %v = func.call @work(%x, %y, %w)
        : (tensor<512x1024xf32>, tensor<128x1024xf32>, tensor<1024x4xf32>) -> f32
    func.call @printF32(%v) : (f32) -> ()
    func.call @printNewline() : () -> ()
  }
  // CACHED-NEXT: 4
  // CACHED-NEXT: 2
  // CACHED-NEXT: 2621440
  // OFF-NEXT: 0
  // OFF-NEXT: 0
  // OFF-NEXT: 0
  %hits = func.call @scanrt_buffer_cache_hits() : () -> i64
  func.call @printI64(%hits) : (i64) -> ()
  func.call @printNewline() : () -> ()
  %misses = func.call @scanrt_buffer_cache_misses() : () -> i64
  func.call @printI64(%misses) : (i64) -> ()
  func.call @printNewline() : () -> ()
  %idle = func.call @scanrt_buffer_cache_idle_bytes() : () -> i64
  func.call @printI64(%idle) : (i64) -> ()
  func.call @printNewline() : () -> ()
  return
}
