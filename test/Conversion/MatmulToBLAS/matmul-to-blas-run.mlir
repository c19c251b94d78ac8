// Every transposed form of linalg.matmul, lowered by scan-lower-to-cpu to
// ScanRuntime BLAS calls, computes the right numbers. With
// A = [[1, 2, 3], [4, 5, 6]] and B = [[1, -1], [2, 0], [0, 3]],
// A B = [[5, 8], [14, 14]].
//
// RUN: scan-opt %s --scan-lower-to-cpu | FileCheck %s --check-prefix=IR
// RUN: scan-opt %s --scan-lower-to-cpu \
// RUN: | mlir-runner -e main -entry-point-result=void -O3 \
// RUN:   -shared-libs=%scan_runtime,%mlir_c_runner_utils,%mlir_runner_utils \
// RUN: | FileCheck %s

// IR-LABEL: llvm.func @main
// IR-COUNT-8: llvm.call @scanrt_sgemm
// IR-NOT: llvm.call @scanrt_sgemm
// IR-COUNT-1: llvm.call @scanrt_dgemm

#mk = affine_map<(m, n, k) -> (m, k)>
#km = affine_map<(m, n, k) -> (k, m)>
#kn = affine_map<(m, n, k) -> (k, n)>
#nk = affine_map<(m, n, k) -> (n, k)>
#mn = affine_map<(m, n, k) -> (m, n)>
#nm = affine_map<(m, n, k) -> (n, m)>

func.func private @printMemrefF32(memref<*xf32>)
func.func private @printMemrefF64(memref<*xf64>)

func.func @print(%t: tensor<2x2xf32>) {
  %m = bufferization.to_buffer %t : tensor<2x2xf32> to memref<2x2xf32>
  %u = memref.cast %m : memref<2x2xf32> to memref<*xf32>
  call @printMemrefF32(%u) : (memref<*xf32>) -> ()
  return
}

func.func @main() {
  %a = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %at = arith.constant dense<[[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]> : tensor<3x2xf32>
  %b = arith.constant dense<[[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]]> : tensor<3x2xf32>
  %bt = arith.constant dense<[[1.0, 2.0, 0.0], [-1.0, 0.0, 3.0]]> : tensor<2x3xf32>
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f32
  %ones = arith.constant dense<1.0> : tensor<2x2xf32>
  %e = tensor.empty() : tensor<2x2xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>
  %h = linalg.fill ins(%half : f32) outs(%e : tensor<2x2xf32>) -> tensor<2x2xf32>

  // Accumulates into a non-zero output: 1 + A B.
  // CHECK: [6,   9]
  // CHECK-NEXT: [15,   15]
  %r0 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>)
                      outs(%ones : tensor<2x2xf32>) -> tensor<2x2xf32>
  call @print(%r0) : (tensor<2x2xf32>) -> ()

  // A^T B from a stored A^T, into a zero fill.
  // CHECK: [5,   8]
  // CHECK-NEXT: [14,   14]
  %r1 = linalg.matmul indexing_maps = [#km, #kn, #mn]
                      ins(%at, %b : tensor<3x2xf32>, tensor<3x2xf32>)
                      outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  call @print(%r1) : (tensor<2x2xf32>) -> ()

  // A B^T from a stored B^T, accumulating into 0.5.
  // CHECK: [5.5,   8.5]
  // CHECK-NEXT: [14.5,   14.5]
  %r2 = linalg.matmul indexing_maps = [#mk, #nk, #mn]
                      ins(%a, %bt : tensor<2x3xf32>, tensor<2x3xf32>)
                      outs(%h : tensor<2x2xf32>) -> tensor<2x2xf32>
  call @print(%r2) : (tensor<2x2xf32>) -> ()

  // A^T B^T.
  // CHECK: [5,   8]
  // CHECK-NEXT: [14,   14]
  %r3 = linalg.matmul indexing_maps = [#km, #nk, #mn]
                      ins(%at, %bt : tensor<3x2xf32>, tensor<2x3xf32>)
                      outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  call @print(%r3) : (tensor<2x2xf32>) -> ()

  // The output stored transposed: (A B)^T.
  // CHECK: [5,   14]
  // CHECK-NEXT: [8,   14]
  %r4 = linalg.matmul indexing_maps = [#mk, #kn, #nm]
                      ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>)
                      outs(%z : tensor<2x2xf32>) -> tensor<2x2xf32>
  call @print(%r4) : (tensor<2x2xf32>) -> ()

  // A chained product reads the previous result: (A B) (A B) + 0.5.
  // CHECK: [137.5,   152.5]
  // CHECK-NEXT: [266.5,   308.5]
  %r5 = linalg.matmul ins(%r1, %r3 : tensor<2x2xf32>, tensor<2x2xf32>)
                      outs(%h : tensor<2x2xf32>) -> tensor<2x2xf32>
  call @print(%r5) : (tensor<2x2xf32>) -> ()

  // One GEMM over every step of stacked operands: collapse (T, B, D) to
  // (T*B, D) and contract over T*B, as after hoisting a weight gradient out
  // of a loop. The reshape must not turn the matmul into a generic loop nest.
  // CHECK: [24,   30,   19]
  // CHECK-NEXT: [28,   34,   22]
  %sa = arith.constant dense<[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]],
                              [[9.0, 10.0], [11.0, 12.0]]]> : tensor<3x2x2xf32>
  %sb = arith.constant dense<[[[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]], [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                              [[2.0, 0.0, 0.0], [0.0, 2.0, 1.0]]]> : tensor<3x2x3xf32>
  %ca = tensor.collapse_shape %sa [[0, 1], [2]] : tensor<3x2x2xf32> into tensor<6x2xf32>
  %cb = tensor.collapse_shape %sb [[0, 1], [2]] : tensor<3x2x3xf32> into tensor<6x3xf32>
  %e3 = tensor.empty() : tensor<2x3xf32>
  %z3 = linalg.fill ins(%zero : f32) outs(%e3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %r7 = linalg.matmul indexing_maps = [#km, #kn, #mn]
                      ins(%ca, %cb : tensor<6x2xf32>, tensor<6x3xf32>)
                      outs(%z3 : tensor<2x3xf32>) -> tensor<2x3xf32>
  %m7 = bufferization.to_buffer %r7 : tensor<2x3xf32> to memref<2x3xf32>
  %u7 = memref.cast %m7 : memref<2x3xf32> to memref<*xf32>
  call @printMemrefF32(%u7) : (memref<*xf32>) -> ()

  // A merged matmul A [B 2B] over concatenated weights; the concatenation
  // copies into column blocks (strided copies lowered to loops).
  // CHECK: [5,   8,   10,   16]
  // CHECK-NEXT: [14,   14,   28,   28]
  %b2 = arith.addf %b, %b : tensor<3x2xf32>
  %bb = tensor.concat dim(1) %b, %b2 : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x4xf32>
  %e8 = tensor.empty() : tensor<2x4xf32>
  %z8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %r8 = linalg.matmul ins(%a, %bb : tensor<2x3xf32>, tensor<3x4xf32>)
                      outs(%z8 : tensor<2x4xf32>) -> tensor<2x4xf32>
  %m8 = bufferization.to_buffer %r8 : tensor<2x4xf32> to memref<2x4xf32>
  %u8 = memref.cast %m8 : memref<2x4xf32> to memref<*xf32>
  call @printMemrefF32(%u8) : (memref<*xf32>) -> ()

  // f64 goes through scanrt_dgemm.
  // CHECK: [5,   8]
  // CHECK-NEXT: [14,   14]
  %ad = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf64>
  %bd = arith.constant dense<[[1.0, -1.0], [2.0, 0.0], [0.0, 3.0]]> : tensor<3x2xf64>
  %zd = arith.constant 0.0 : f64
  %ed = tensor.empty() : tensor<2x2xf64>
  %fd = linalg.fill ins(%zd : f64) outs(%ed : tensor<2x2xf64>) -> tensor<2x2xf64>
  %r6 = linalg.matmul ins(%ad, %bd : tensor<2x3xf64>, tensor<3x2xf64>)
                      outs(%fd : tensor<2x2xf64>) -> tensor<2x2xf64>
  %m6 = bufferization.to_buffer %r6 : tensor<2x2xf64> to memref<2x2xf64>
  %u6 = memref.cast %m6 : memref<2x2xf64> to memref<*xf64>
  call @printMemrefF64(%u6) : (memref<*xf64>) -> ()
  return
}
