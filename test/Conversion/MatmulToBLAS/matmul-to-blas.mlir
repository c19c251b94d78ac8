// RUN: scan-opt %s --split-input-file --convert-linalg-matmul-to-blas | FileCheck %s

// Call arguments: (transA, transB, M, N, K, alpha, A, offA, lda, B, offB, ldb,
// beta, C, offC, ldc), all row-major.

// A plain matmul: no transposes, leading dimensions are the row lengths, and
// beta = 1 since linalg.matmul accumulates into its output. Pointers are the
// aligned base pointers of the memrefs.
// CHECK: func.func private @scanrt_sgemm(i32, i32, i64, i64, i64, f32, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, f32, !llvm.ptr, i64, i64)
// CHECK-LABEL: func.func @plain
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<4x8xf32>, %[[B:[a-z0-9]+]]: memref<8x16xf32>, %[[C:[a-z0-9]+]]: memref<4x16xf32>)
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   %[[AX:.*]] = memref.extract_aligned_pointer_as_index %[[A]]
//       CHECK:   %[[AI:.*]] = arith.index_cast %[[AX]] : index to i64
//       CHECK:   %[[AP:.*]] = llvm.inttoptr %[[AI]] : i64 to !llvm.ptr
//       CHECK:   %[[BX:.*]] = memref.extract_aligned_pointer_as_index %[[B]]
//       CHECK:   %[[BI:.*]] = arith.index_cast %[[BX]] : index to i64
//       CHECK:   %[[BP:.*]] = llvm.inttoptr %[[BI]] : i64 to !llvm.ptr
//       CHECK:   %[[CX:.*]] = memref.extract_aligned_pointer_as_index %[[C]]
//       CHECK:   %[[CI:.*]] = arith.index_cast %[[CX]] : index to i64
//       CHECK:   %[[CP:.*]] = llvm.inttoptr %[[CI]] : i64 to !llvm.ptr
//       CHECK:   call @scanrt_sgemm(%[[N]], %[[N]], %[[I4]], %[[I16]], %[[I8]], %[[ONE]], %[[AP]], %[[I0]], %[[I8]], %[[BP]], %[[I0]], %[[I16]], %[[ONE]], %[[CP]], %[[I0]], %[[I16]])
//   CHECK-NOT:   linalg.matmul
func.func @plain(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// A^T B: A is stored K x M, so transA = 1 and lda = M.
// CHECK-LABEL: func.func @transpose_a
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   call @scanrt_sgemm(%[[T]], %[[N]], %[[I4]], %[[I16]], %[[I8]], %[[ONE]], %{{[^,]+}}, %[[I0]], %[[I4]], %{{[^,]+}}, %[[I0]], %[[I16]], %[[ONE]], %{{[^,]+}}, %[[I0]], %[[I16]])
//   CHECK-NOT:   linalg.matmul
func.func @transpose_a(%a: memref<8x4xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                 affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%a, %b : memref<8x4xf32>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// A B^T: B is stored N x K, so transB = 1 and ldb = K.
// CHECK-LABEL: func.func @transpose_b
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//       CHECK:   call @scanrt_sgemm(%[[N]], %[[T]], %[[I4]], %[[I16]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I8]], %{{[^,]+}}, %[[I0]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I16]])
func.func @transpose_b(%a: memref<4x8xf32>, %b: memref<16x8xf32>, %c: memref<4x16xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%a, %b : memref<4x8xf32>, memref<16x8xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// A^T B^T: both flags, lda = M, ldb = K.
// CHECK-LABEL: func.func @transpose_both
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//       CHECK:   call @scanrt_sgemm(%[[T]], %[[T]], %[[I4]], %[[I16]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I4]], %{{[^,]+}}, %[[I0]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I16]])
func.func @transpose_both(%a: memref<8x4xf32>, %b: memref<16x8xf32>, %c: memref<4x16xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k, m)>,
                                 affine_map<(m, n, k) -> (n, k)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%a, %b : memref<8x4xf32>, memref<16x8xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// An output indexed (n, m) is computed as C^T = B^T A^T: M and N swap, B
// (stored K x N) is the transposed left operand, A the transposed right one.
// CHECK-LABEL: func.func @transpose_c
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<4x8xf32>, %[[B:[a-z0-9]+]]: memref<8x16xf32>, %[[C:[a-z0-9]+]]: memref<16x4xf32>)
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//       CHECK:   memref.extract_aligned_pointer_as_index %[[B]]
//       CHECK:   memref.extract_aligned_pointer_as_index %[[A]]
//       CHECK:   memref.extract_aligned_pointer_as_index %[[C]]
//       CHECK:   call @scanrt_sgemm(%[[T]], %[[T]], %[[I16]], %[[I4]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I16]], %{{[^,]+}}, %[[I0]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I4]])
func.func @transpose_c(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<16x4xf32>) {
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                 affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (n, m)>]
                ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%c : memref<16x4xf32>)
  return
}

// -----

// A column-major A (unit stride on the outer dimension) is a row-major A^T:
// transA = 1 with lda = its column stride, and no copy.
// CHECK-LABEL: func.func @column_major_a
//   CHECK-DAG:   %[[N:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I5:.*]] = arith.constant 5 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//   CHECK-NOT:   memref.copy
//       CHECK:   call @scanrt_sgemm(%[[T]], %[[N]], %{{[^,]+}}, %[[I16]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I5]], %{{[^,]+}}, %[[I0]], %[[I16]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I16]])
func.func @column_major_a(%a: memref<4x8xf32, strided<[1, 5]>>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[1, 5]>>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// One step of a stacked operand: the subview's dynamic offset is passed as
// is, with the base pointer of the whole buffer; the leading dimension is
// static. A dynamic leading dimension is read from the strided metadata.
// CHECK-LABEL: func.func @views
//  CHECK-SAME:   (%[[X:[a-z0-9]+]]: memref<5x4x8xf32>, %[[I:[a-z0-9]+]]: index, %[[B:[a-z0-9]+]]: memref<8x16xf32, strided<[?, 1], offset: ?>>
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//       CHECK:   %[[S:.*]] = memref.subview %[[X]][%[[I]], 0, 0]
//       CHECK:   memref.extract_aligned_pointer_as_index %[[S]]
//       CHECK:   %{{.*}}, %[[OFF:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[S]]
//       CHECK:   %[[OFFA:.*]] = arith.index_cast %[[OFF]] : index to i64
//       CHECK:   memref.extract_aligned_pointer_as_index %[[B]]
//       CHECK:   %{{.*}}, %[[OFFB:.*]], %{{.*}}:2, %[[STRB:.*]]:2 = memref.extract_strided_metadata %[[B]]
//       CHECK:   %[[OFFBI:.*]] = arith.index_cast %[[OFFB]] : index to i64
//       CHECK:   %[[LDB:.*]] = arith.index_cast %[[STRB]]#0 : index to i64
//       CHECK:   call @scanrt_sgemm(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[OFFA]], %[[I8]], %{{[^,]+}}, %[[OFFBI]], %[[LDB]],
func.func @views(%x: memref<5x4x8xf32>, %i: index,
                 %b: memref<8x16xf32, strided<[?, 1], offset: ?>>,
                 %c: memref<4x16xf32>) {
  %s = memref.subview %x[%i, 0, 0] [1, 4, 8] [1, 1, 1]
      : memref<5x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
  linalg.matmul ins(%s, %b : memref<4x8xf32, strided<[8, 1], offset: ?>>,
                             memref<8x16xf32, strided<[?, 1], offset: ?>>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// Dynamic sizes are read with memref.dim; f64 calls scanrt_dgemm.
// CHECK: func.func private @scanrt_dgemm(i32, i32, i64, i64, i64, f64, !llvm.ptr, i64, i64, !llvm.ptr, i64, i64, f64, !llvm.ptr, i64, i64)
// CHECK-LABEL: func.func @dynamic_f64
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<?x?xf64>, %[[B:[a-z0-9]+]]: memref<?x?xf64>, %[[C:[a-z0-9]+]]: memref<?x?xf64>)
//   CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
//   CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
//   CHECK-DAG:   %[[M:.*]] = memref.dim %[[C]], %[[C0]]
//   CHECK-DAG:   %[[N:.*]] = memref.dim %[[C]], %[[C1]]
//   CHECK-DAG:   %[[K:.*]] = memref.dim %[[A]], %[[C1]]
//   CHECK-DAG:   %[[MI:.*]] = arith.index_cast %[[M]] : index to i64
//   CHECK-DAG:   %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
//   CHECK-DAG:   %[[KI:.*]] = arith.index_cast %[[K]] : index to i64
//       CHECK:   call @scanrt_dgemm(%{{[^,]+}}, %{{[^,]+}}, %[[MI]], %[[NI]], %[[KI]], {{.*}}) : (i32, i32, i64, i64, i64, f64,
func.func @dynamic_f64(%a: memref<?x?xf64>, %b: memref<?x?xf64>, %c: memref<?x?xf64>) {
  linalg.matmul ins(%a, %b : memref<?x?xf64>, memref<?x?xf64>)
                outs(%c : memref<?x?xf64>)
  return
}

// -----

// A zero fill of a fresh allocation right before the matmul folds into
// beta = 0 and disappears.
// CHECK-LABEL: func.func @zero_fill_folds
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//   CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
//   CHECK-NOT:   linalg.fill
//       CHECK:   call @scanrt_sgemm(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ZERO]],
func.func @zero_fill_folds(%a: memref<4x8xf32>, %b: memref<8x16xf32>) -> memref<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return %c : memref<4x16xf32>
}

// -----

// The output is a function argument, which an input could alias: the fill
// stays and the call accumulates (beta = 1).
// CHECK-LABEL: func.func @negative_fill_of_argument
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   linalg.fill
//       CHECK:   call @scanrt_sgemm(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})
func.func @negative_fill_of_argument(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// The input A is a view of the buffer the fill zeroes: A must read zeros, so
// the fill stays and beta = 1.
// CHECK-LABEL: func.func @negative_fill_aliases_input
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   linalg.fill
//       CHECK:   call @scanrt_sgemm(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})
func.func @negative_fill_aliases_input(%b: memref<16x16xf32>) -> memref<16x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c = memref.alloc() : memref<16x16xf32>
  linalg.fill ins(%zero : f32) outs(%c : memref<16x16xf32>)
  linalg.matmul ins(%c, %b : memref<16x16xf32>, memref<16x16xf32>)
                outs(%c : memref<16x16xf32>)
  return %c : memref<16x16xf32>
}

// -----

// A loop-carried input may be the very buffer the fill zeroes (here it is,
// from the second iteration on): the fill stays and beta = 1. (The weight %b
// is packed before the loop, see matmul-to-blas-prepack.mlir; the packed
// call takes beta as its tenth argument.)
// CHECK-LABEL: func.func @negative_fill_input_loop_carried
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   scf.for
//       CHECK:     linalg.fill
//       CHECK:     call @scanrt_sgemm_packed(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})
func.func @negative_fill_input_loop_carried(%a0: memref<4x4xf32>, %b: memref<4x4xf32>) -> memref<4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c = memref.alloc() : memref<4x4xf32>
  %r = scf.for %i = %c0 to %c3 step %c1 iter_args(%a = %a0) -> memref<4x4xf32> {
    linalg.fill ins(%zero : f32) outs(%c : memref<4x4xf32>)
    linalg.matmul ins(%a, %b : memref<4x4xf32>, memref<4x4xf32>)
                  outs(%c : memref<4x4xf32>)
    scf.yield %c : memref<4x4xf32>
  }
  return %r : memref<4x4xf32>
}

// -----

// A fill with a non-zero value, or one separated from the matmul by a write,
// is kept and the call accumulates.
// CHECK-LABEL: func.func @negative_fill_not_zero_or_not_adjacent
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//       CHECK:   linalg.fill ins(%{{.*}} : f32)
//       CHECK:   call @scanrt_sgemm(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})
//       CHECK:   linalg.fill ins(%{{.*}} : f32)
//       CHECK:   memref.store
//       CHECK:   call @scanrt_sgemm(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}})
func.func @negative_fill_not_zero_or_not_adjacent(%a: memref<4x8xf32>, %b: memref<8x16xf32>)
    -> (memref<4x16xf32>, memref<4x16xf32>) {
  %one = arith.constant 1.0 : f32
  %zero = arith.constant 0.0 : f32
  %i = arith.constant 0 : index
  %c = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%one : f32) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  %d = memref.alloc() : memref<4x16xf32>
  linalg.fill ins(%zero : f32) outs(%d : memref<4x16xf32>)
  memref.store %one, %d[%i, %i] : memref<4x16xf32>
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%d : memref<4x16xf32>)
  return %c, %d : memref<4x16xf32>, memref<4x16xf32>
}

// -----

// No stride is statically one: BLAS cannot be told the layout, so the
// matmul stays (and lowers to loops later).
// CHECK-LABEL: func.func @negative_dynamic_strides
//   CHECK-NOT:   call
//       CHECK:   linalg.matmul
func.func @negative_dynamic_strides(%a: memref<4x8xf32, strided<[?, ?], offset: ?>>,
                                    %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[?, ?], offset: ?>>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// Rows that overlap (leading dimension 4 < 8 columns) are not a BLAS view.
// CHECK-LABEL: func.func @negative_overlapping_rows
//   CHECK-NOT:   call
//       CHECK:   linalg.matmul
func.func @negative_overlapping_rows(%a: memref<4x8xf32, strided<[4, 1]>>,
                                     %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[4, 1]>>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}

// -----

// Integer, mixed-precision, broadcast and tensor matmuls are left alone.
// CHECK-LABEL: func.func @negative_unsupported
//   CHECK-NOT:   call
//       CHECK:   linalg.matmul {{.*}} memref<4x8xi32>
//       CHECK:   linalg.matmul {{.*}} memref<4x8xf16>
//       CHECK:   linalg.matmul {{.*}} memref<8xf32>
//       CHECK:   linalg.matmul {{.*}} tensor<4x8xf32>
func.func @negative_unsupported(%ai: memref<4x8xi32>, %bi: memref<8x16xi32>, %ci: memref<4x16xi32>,
                                %ah: memref<4x8xf16>, %bh: memref<8x16xf16>, %c: memref<4x16xf32>,
                                %v: memref<8xf32>, %b: memref<8x16xf32>,
                                %ta: tensor<4x8xf32>, %tb: tensor<8x16xf32>, %tc: tensor<4x16xf32>)
    -> tensor<4x16xf32> {
  linalg.matmul ins(%ai, %bi : memref<4x8xi32>, memref<8x16xi32>) outs(%ci : memref<4x16xi32>)
  linalg.matmul ins(%ah, %bh : memref<4x8xf16>, memref<8x16xf16>) outs(%c : memref<4x16xf32>)
  linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (k)>,
                                 affine_map<(m, n, k) -> (k, n)>,
                                 affine_map<(m, n, k) -> (m, n)>]
                ins(%v, %b : memref<8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  %r = linalg.matmul ins(%ta, %tb : tensor<4x8xf32>, tensor<8x16xf32>)
                     outs(%tc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A function named like the runtime entry with another type blocks the
// rewrite instead of producing an ill-typed call.
// CHECK-LABEL: func.func private @scanrt_sgemm(i32)
// CHECK-LABEL: func.func @negative_symbol_clash
//       CHECK:   linalg.matmul
func.func private @scanrt_sgemm(i32)
func.func @negative_symbol_clash(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>)
                outs(%c : memref<4x16xf32>)
  return
}
