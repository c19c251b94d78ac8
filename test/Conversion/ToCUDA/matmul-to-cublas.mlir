// RUN: scan-opt %s --split-input-file --verify-diagnostics --convert-linalg-matmul-to-cublas | FileCheck %s

// Row-major C(8x32) += A(8x16) B(16x32) is column-major C^T = B^T A^T:
// B goes first, M and N swap, and each leading dimension is a row stride.
// CHECK-LABEL: func.func @plain
//  CHECK-SAME:   %[[A:[a-z0-9]+]]: memref<8x16xf32>, %[[B:[a-z0-9]+]]: memref<16x32xf32>, %[[C:[a-z0-9]+]]: memref<8x32xf32>
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//   CHECK-DAG:   %[[C8:.*]] = arith.constant 8 : index
//   CHECK-DAG:   %[[C16:.*]] = arith.constant 16 : index
//   CHECK-DAG:   %[[C32:.*]] = arith.constant 32 : index
//   CHECK-DAG:   %[[PA:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
//   CHECK-DAG:   %[[PB:.*]] = memref.extract_aligned_pointer_as_index %[[B]]
//   CHECK-DAG:   %[[PC:.*]] = memref.extract_aligned_pointer_as_index %[[C]]
//       CHECK:   call @scancuda_sgemm(%[[N]], %[[N]], %[[C32]], %[[C8]], %[[C16]], %[[ONE]], %[[PB]], %[[C32]], %[[PA]], %[[C16]], %[[ONE]], %[[PC]], %[[C32]])
//   CHECK-NOT:   linalg.matmul
// CHECK-LABEL: func.func private @scancuda_sgemm(i32, i32, index, index, index, f32, index, index, index, index, f32, index, index)
func.func @plain(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// A^T B with A stored as K x M (16x8): only A's flag (cuBLAS's second
// operand) is set, and its leading dimension is its row length M = 8.
// CHECK-LABEL: func.func @transposed_a
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[C8:.*]] = arith.constant 8 : index
//   CHECK-DAG:   %[[C16:.*]] = arith.constant 16 : index
//   CHECK-DAG:   %[[C32:.*]] = arith.constant 32 : index
//       CHECK:   call @scancuda_sgemm(%[[N]], %[[T]], %[[C32]], %[[C8]], %[[C16]], %{{.*}}, %{{.*}}, %[[C32]], %{{.*}}, %[[C8]], %{{.*}}, %{{.*}}, %[[C32]])
func.func @transposed_a(%a: memref<16x8xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                 affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<16x8xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// A B^T with B stored as N x K (32x16): B's flag (cuBLAS's first operand) is
// set and its leading dimension is K = 16.
// CHECK-LABEL: func.func @transposed_b
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[C8:.*]] = arith.constant 8 : index
//   CHECK-DAG:   %[[C16:.*]] = arith.constant 16 : index
//   CHECK-DAG:   %[[C32:.*]] = arith.constant 32 : index
//       CHECK:   call @scancuda_sgemm(%[[T]], %[[N]], %[[C32]], %[[C8]], %[[C16]], %{{.*}}, %{{.*}}, %[[C16]], %{{.*}}, %[[C16]], %{{.*}}, %{{.*}}, %[[C32]])
func.func @transposed_b(%a: memref<8x16xf32>, %b: memref<32x16xf32>, %c: memref<8x32xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<8x16xf32>, memref<32x16xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// Both transposed, in f64: dgemm with both flags set.
// CHECK-LABEL: func.func @transposed_both_f64
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f64
//       CHECK:   call @scancuda_dgemm(%[[T]], %[[T]], %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], {{.*}}, %[[ONE]], {{.*}})
// CHECK-LABEL: func.func private @scancuda_dgemm(i32, i32, index, index, index, f64, index, index, index, index, f64, index, index)
func.func @transposed_both_f64(%a: memref<16x8xf64>, %b: memref<32x16xf64>, %c: memref<8x32xf64>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<16x8xf64>, memref<32x16xf64>) outs(%c : memref<8x32xf64>)
  return
}

// -----

// A step of a sequence (a strided view with an offset): its address includes
// offset * 4 bytes; its leading dimension is its static row stride.
// CHECK-LABEL: func.func @strided_view
//       CHECK:   %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[VIEW:[a-z0-9_]+]]
//       CHECK:   %{{.*}}, %[[OFF:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[VIEW]] :
//       CHECK:   %[[C4:.*]] = arith.constant 4 : index
//       CHECK:   %[[BYTES:.*]] = arith.muli %[[OFF]], %[[C4]] : index
//       CHECK:   %[[ADDR:.*]] = arith.addi %[[P]], %[[BYTES]]
//       CHECK:   %[[C16:.*]] = arith.constant 16 : index
//       CHECK:   call @scancuda_sgemm({{.*}}, %[[ADDR]], %[[C16]], %{{.*}}, %{{.*}}, %{{.*}})
func.func @strided_view(%x: memref<5x8x16xf32>, %t: index, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  %a = memref.subview %x[%t, 0, 0] [1, 8, 16] [1, 1, 1] : memref<5x8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
  linalg.matmul ins(%a, %b : memref<8x16xf32, strided<[16, 1], offset: ?>>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// A column of a matrix is not a row-major operand: left alone.
// CHECK-LABEL: func.func @negative_inner_stride
//       CHECK:   linalg.matmul
//   CHECK-NOT:   scancuda_sgemm
func.func @negative_inner_stride(%a: memref<8x16xf32, strided<[1, 8]>>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  // expected-remark @below {{not converted to cuBLAS: operand rows are not contiguous}}
  linalg.matmul ins(%a, %b : memref<8x16xf32, strided<[1, 8]>>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// Integer matmuls have no cuBLAS GEMM here: left alone.
// CHECK-LABEL: func.func @negative_integer
//       CHECK:   linalg.matmul
//   CHECK-NOT:   call
func.func @negative_integer(%a: memref<8x16xi32>, %b: memref<16x32xi32>, %c: memref<8x32xi32>) {
  // expected-remark @below {{not converted to cuBLAS: element types are not all f32 or all f64}}
  linalg.matmul ins(%a, %b : memref<8x16xi32>, memref<16x32xi32>) outs(%c : memref<8x32xi32>)
  return
}

// -----

// Before bufferization there is no device pointer to pass: left alone.
// CHECK-LABEL: func.func @negative_tensors
//       CHECK:   linalg.matmul
//   CHECK-NOT:   call
func.func @negative_tensors(%a: tensor<8x16xf32>, %b: tensor<16x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  // expected-remark @below {{not converted to cuBLAS: operands are not buffers}}
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// A broadcast operand is not a matrix product cuBLAS can do: left alone.
// CHECK-LABEL: func.func @negative_broadcast
//       CHECK:   linalg.matmul
//   CHECK-NOT:   call
func.func @negative_broadcast(%a: memref<16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  // expected-remark @below {{not converted to cuBLAS: indexing maps are not a plain or transposed matmul}}
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k)>,
                                 affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (m, n)>]
    ins(%a, %b : memref<16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// A zero fill right before the matmul becomes beta = 0: cuBLAS overwrites C,
// a buffer of this function that no input can share.
// CHECK-LABEL: func.func @zero_fill_folds_into_beta
//       CHECK:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
//   CHECK-NOT:   linalg.fill
//       CHECK:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   call @scancuda_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ZERO]], %{{.*}}, %{{.*}})
//   CHECK-NOT:   linalg.fill
func.func @zero_fill_folds_into_beta(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %out: memref<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<8x32xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  memref.copy %c, %out : memref<8x32xf32> to memref<8x32xf32>
  return
}

// -----

// C is an argument: a caller may pass the same buffer as A, which the fill
// zeroes before the matmul reads it, so the fill stays (beta = 1). The
// lowering to BLAS keeps such a fill for the same reason.
// CHECK-LABEL: func.func @negative_fill_of_argument
//       CHECK:   linalg.fill
//       CHECK:   call @scancuda_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE:[a-z0-9_]+]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}}, %{{.*}})
func.func @negative_fill_of_argument(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// An input rooted in a loop-carried value may be the zeroed buffer itself.
// CHECK-LABEL: func.func @negative_fill_input_may_alias
//       CHECK:   linalg.fill
//       CHECK:   call @scancuda_sgemm
func.func @negative_fill_input_may_alias(%b: memref<16x16xf32>, %n: index) {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c = memref.alloc() : memref<16x16xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%prev = %c) -> (memref<16x16xf32>) {
    linalg.fill ins(%zero : f32) outs(%c : memref<16x16xf32>)
    linalg.matmul ins(%prev, %b : memref<16x16xf32>, memref<16x16xf32>) outs(%c : memref<16x16xf32>)
    scf.yield %c : memref<16x16xf32>
  }
  return
}

// -----

// A fill with another value, or one separated from the matmul by a write,
// stays, and the GEMM accumulates (beta = 1).
// CHECK-LABEL: func.func @negative_fill_not_zero_or_not_adjacent
//       CHECK:   linalg.fill
//       CHECK:   call @scancuda_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE:[a-z0-9_]+]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE]], %{{.*}}, %{{.*}})
//       CHECK:   linalg.fill
//       CHECK:   memref.store
//       CHECK:   call @scancuda_sgemm(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE2:[a-z0-9_]+]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[ONE2]], %{{.*}}, %{{.*}})
func.func @negative_fill_not_zero_or_not_adjacent(%a: memref<8x16xf32>, %b: memref<16x32xf32>, %c: memref<8x32xf32>, %i: index) {
  %two = arith.constant 2.0 : f32
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%two : f32) outs(%c : memref<8x32xf32>)
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  linalg.fill ins(%zero : f32) outs(%c : memref<8x32xf32>)
  memref.store %two, %c[%i, %i] : memref<8x32xf32>
  linalg.matmul ins(%a, %b : memref<8x16xf32>, memref<16x32xf32>) outs(%c : memref<8x32xf32>)
  return
}

// -----

// An input that reads the zeroed buffer keeps the fill.
// CHECK-LABEL: func.func @negative_fill_read_by_input
//       CHECK:   linalg.fill
//       CHECK:   call @scancuda_sgemm
func.func @negative_fill_read_by_input(%b: memref<16x16xf32>, %c: memref<16x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<16x16xf32>)
  linalg.matmul ins(%c, %b : memref<16x16xf32>, memref<16x16xf32>) outs(%c : memref<16x16xf32>)
  return
}
