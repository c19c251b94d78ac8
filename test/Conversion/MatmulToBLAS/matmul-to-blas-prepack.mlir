// RUN: scan-opt %s --split-input-file --convert-linalg-matmul-to-blas | FileCheck %s
// RUN: scan-opt %s --split-input-file --convert-linalg-matmul-to-blas="prepack-weights=false" \
// RUN: | FileCheck %s --check-prefix=OFF --implicit-check-not=gemm_packed \
// RUN:   --implicit-check-not=gemm_pack_free --implicit-check-not="call @scanrt_sgemm_pack_b"

// Right operands (BLAS's B) that a loop neither defines nor writes are packed
// once before the loop: scanrt_?gemm_pack_b(transB, N, K, B, offB, ldb)
// returns a handle, each matmul in the loop calls
// scanrt_?gemm_packed(transA, M, N, K, alpha, A, offA, lda, packed, beta, C,
// offC, ldc), and scanrt_gemm_pack_free(packed) follows the loop.

// With the option off, no matmul in this file uses a packed operand; the
// matmuls of the first cases get plain calls.
// OFF-LABEL: func.func @packs_argument_weight
//       OFF:   scf.for
//       OFF:     call @scanrt_sgemm(
// OFF-LABEL: func.func @two_matmuls_share_pack
//       OFF:     call @scanrt_sgemm(
//       OFF:     call @scanrt_sgemm(
// OFF-LABEL: func.func @f64_weight
//       OFF:     call @scanrt_dgemm(

// A per-step matmul with a weight passed as a function argument. Writing
// other arguments and local buffers in the loop does not block the pack.
// CHECK-DAG: func.func private @scanrt_sgemm_pack_b(i32, i64, i64, !llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK-DAG: func.func private @scanrt_sgemm_packed(i32, i64, i64, i64, f32, !llvm.ptr, i64, i64, !llvm.ptr, f32, !llvm.ptr, i64, i64)
// CHECK-DAG: func.func private @scanrt_gemm_pack_free(!llvm.ptr)
// CHECK-LABEL: func.func @packs_argument_weight
//  CHECK-SAME:   (%[[X:[a-z0-9]+]]: memref<5x4x8xf32>, %[[W:[a-z0-9]+]]: memref<8x16xf32>, %[[Y:[a-z0-9]+]]: memref<5x4x16xf32>)
//   CHECK-DAG:   %[[F:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//   CHECK-DAG:   %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
//   CHECK-DAG:   %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
//       CHECK:   %[[WX:.*]] = memref.extract_aligned_pointer_as_index %[[W]]
//       CHECK:   %[[WI:.*]] = arith.index_cast %[[WX]] : index to i64
//       CHECK:   %[[WP:.*]] = llvm.inttoptr %[[WI]] : i64 to !llvm.ptr
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(%[[F]], %[[I16]], %[[I8]], %[[WP]], %[[I0]], %[[I16]])
//  CHECK-NEXT:   scf.for
//   CHECK-NOT:     linalg.matmul
//       CHECK:     func.call @scanrt_sgemm_packed(%[[F]], %[[I4]], %[[I16]], %[[I8]], %[[ONE]], %{{[^,]+}}, %{{[^,]+}}, %[[I8]], %[[P]], %[[ZERO]], %{{[^,]+}}, %[[I0]], %[[I16]])
//       CHECK:     linalg.generic
//       CHECK:     memref.copy
//       CHECK:   }
//  CHECK-NEXT:   call @scanrt_gemm_pack_free(%[[P]]) : (!llvm.ptr) -> ()
//  CHECK-NEXT:   memref.dealloc
//   CHECK-NOT:   scanrt_sgemm(
func.func @packs_argument_weight(%x: memref<5x4x8xf32>, %w: memref<8x16xf32>,
                                 %y: memref<5x4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloc() : memref<4x16xf32>
  scf.for %i = %c0 to %c5 step %c1 {
    %xi = memref.subview %x[%i, 0, 0] [1, 4, 8] [1, 1, 1]
        : memref<5x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%acc : memref<4x16xf32>)
    linalg.matmul ins(%xi, %w : memref<4x8xf32, strided<[8, 1], offset: ?>>, memref<8x16xf32>)
                  outs(%acc : memref<4x16xf32>)
    linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                    iterator_types = ["parallel", "parallel"]}
        ins(%acc : memref<4x16xf32>) outs(%acc : memref<4x16xf32>) {
      ^bb0(%in: f32, %out: f32):
        %t = math.tanh %in : f32
        linalg.yield %t : f32
    }
    %yi = memref.subview %y[%i, 0, 0] [1, 4, 16] [1, 1, 1]
        : memref<5x4x16xf32> to memref<4x16xf32, strided<[16, 1], offset: ?>>
    memref.copy %acc, %yi : memref<4x16xf32> to memref<4x16xf32, strided<[16, 1], offset: ?>>
  }
  memref.dealloc %acc : memref<4x16xf32>
  return
}

// -----

// Two matmuls in one loop read the same weight with the same transpose
// flag: one pack serves both.
// CHECK-LABEL: func.func @two_matmuls_share_pack
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<4x8xf32>, %[[B:[a-z0-9]+]]: memref<4x8xf32>, %[[W:[a-z0-9]+]]: memref<8x16xf32>
//       CHECK:   memref.extract_aligned_pointer_as_index %[[W]]
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     memref.extract_aligned_pointer_as_index %[[A]]
//       CHECK:     func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
//       CHECK:     memref.extract_aligned_pointer_as_index %[[B]]
//       CHECK:     func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
//       CHECK:   }
//  CHECK-NEXT:   call @scanrt_gemm_pack_free(%[[P]])
//   CHECK-NOT:   scanrt_gemm_pack_free
//       CHECK:   return
func.func @two_matmuls_share_pack(%a: memref<4x8xf32>, %b: memref<4x8xf32>, %w: memref<8x16xf32>,
                                  %c: memref<4x16xf32>, %d: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    linalg.matmul ins(%b, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%d : memref<4x16xf32>)
  }
  return
}

// -----

// A weight read transposed (indexing map (n, k)) and one read plainly are two
// packs, with transB = 1 and ldb = K for the first.
// CHECK-LABEL: func.func @transposed_weight
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<4x8xf32>, %[[WT:[a-z0-9]+]]: memref<16x8xf32>, %[[W:[a-z0-9]+]]: memref<8x16xf32>
//   CHECK-DAG:   %[[F:.*]] = arith.constant 0 : i32
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//       CHECK:   %[[PT:.*]] = call @scanrt_sgemm_pack_b(%[[T]], %[[I16]], %[[I8]], %{{[^,]+}}, %[[I0]], %[[I8]])
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(%[[F]], %[[I16]], %[[I8]], %{{[^,]+}}, %[[I0]], %[[I16]])
//       CHECK:   scf.for
//       CHECK:     func.call @scanrt_sgemm_packed(%[[F]], %[[I4]], %[[I16]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I8]], %[[PT]],
//       CHECK:     func.call @scanrt_sgemm_packed(%[[F]], %[[I4]], %[[I16]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I8]], %[[P]],
//       CHECK:   }
//   CHECK-DAG:   call @scanrt_gemm_pack_free(%[[PT]])
//   CHECK-DAG:   call @scanrt_gemm_pack_free(%[[P]])
func.func @transposed_weight(%a: memref<4x8xf32>, %wt: memref<16x8xf32>, %w: memref<8x16xf32>,
                             %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (n, k)>,
                                   affine_map<(m, n, k) -> (m, n)>]
                  ins(%a, %wt : memref<4x8xf32>, memref<16x8xf32>) outs(%c : memref<4x16xf32>)
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  }
  return
}

// -----

// An output indexed (n, m) is computed as C^T = B^T A^T, so BLAS's B is the
// matmul's A (stored M x K, read as op(B) = A^T: transB = 1, N = 4, K = 8,
// ldb = 8). It is A that must stay unchanged in the loop, and it is packed;
// the matmul's B, rewritten each step, is BLAS's A.
// CHECK-LABEL: func.func @transposed_output_packs_a
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<4x8xf32>, %[[B:[a-z0-9]+]]: memref<8x16xf32>
//   CHECK-DAG:   %[[T:.*]] = arith.constant 1 : i32
//   CHECK-DAG:   %[[I0:.*]] = arith.constant 0 : i64
//   CHECK-DAG:   %[[I4:.*]] = arith.constant 4 : i64
//   CHECK-DAG:   %[[I8:.*]] = arith.constant 8 : i64
//   CHECK-DAG:   %[[I16:.*]] = arith.constant 16 : i64
//       CHECK:   memref.extract_aligned_pointer_as_index %[[A]]
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(%[[T]], %[[I4]], %[[I8]], %{{[^,]+}}, %[[I0]], %[[I8]])
//       CHECK:   scf.for
//       CHECK:     linalg.fill
//       CHECK:     memref.extract_aligned_pointer_as_index %[[B]]
//       CHECK:     func.call @scanrt_sgemm_packed(%[[T]], %[[I16]], %[[I4]], %[[I8]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I16]], %[[P]], %{{[^,]+}}, %{{[^,]+}}, %[[I0]], %[[I4]])
//       CHECK:   call @scanrt_gemm_pack_free(%[[P]])
func.func @transposed_output_packs_a(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<16x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.fill ins(%one : f32) outs(%b : memref<8x16xf32>)
    linalg.matmul indexing_maps = [affine_map<(m, n, k) -> (m, k)>,
                                   affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (n, m)>]
                  ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<16x4xf32>)
  }
  return
}

// -----

// f64 calls the d-variants; the free function is shared.
// CHECK-DAG: func.func private @scanrt_dgemm_pack_b(i32, i64, i64, !llvm.ptr, i64, i64) -> !llvm.ptr
// CHECK-DAG: func.func private @scanrt_dgemm_packed(i32, i64, i64, i64, f64, !llvm.ptr, i64, i64, !llvm.ptr, f64, !llvm.ptr, i64, i64)
// CHECK-DAG: func.func private @scanrt_gemm_pack_free(!llvm.ptr)
// CHECK-LABEL: func.func @f64_weight
//       CHECK:   %[[P:.*]] = call @scanrt_dgemm_pack_b(
//       CHECK:   scf.for
//       CHECK:     func.call @scanrt_dgemm_packed({{.*}}, %[[P]], {{.*}}) : (i32, i64, i64, i64, f64, !llvm.ptr, i64, i64, !llvm.ptr, f64, !llvm.ptr, i64, i64) -> ()
//       CHECK:   call @scanrt_gemm_pack_free(%[[P]])
func.func @f64_weight(%a: memref<4x8xf64>, %w: memref<8x16xf64>, %c: memref<4x16xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf64>, memref<8x16xf64>) outs(%c : memref<4x16xf64>)
  }
  return
}

// -----

// Dynamic sizes and a dynamic leading dimension of the weight are read
// before the loop.
// CHECK-LABEL: func.func @dynamic_weight
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<?x?xf32>, %[[W:[a-z0-9]+]]: memref<?x?xf32, strided<[?, 1], offset: ?>>
//   CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
//   CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
//   CHECK-DAG:   %[[N:.*]] = memref.dim %[[W]], %[[C1]]
//   CHECK-DAG:   %[[K:.*]] = memref.dim %[[W]], %[[C0]]
//   CHECK-DAG:   %[[NI:.*]] = arith.index_cast %[[N]] : index to i64
//   CHECK-DAG:   %[[KI:.*]] = arith.index_cast %[[K]] : index to i64
//       CHECK:   %{{.*}}, %[[BOFF:.*]], %{{.*}}:2, %[[STR:.*]]:2 = memref.extract_strided_metadata %[[W]]
//   CHECK-DAG:   %[[OFFI:.*]] = arith.index_cast %[[BOFF]] : index to i64
//   CHECK-DAG:   %[[LDI:.*]] = arith.index_cast %[[STR]]#0 : index to i64
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(%{{[^,]+}}, %[[NI]], %[[KI]], %{{[^,]+}}, %[[OFFI]], %[[LDI]])
//  CHECK-NEXT:   scf.for
//       CHECK:     func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
func.func @dynamic_weight(%a: memref<?x?xf32>, %w: memref<?x?xf32, strided<[?, 1], offset: ?>>,
                          %c: memref<?x?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    linalg.matmul ins(%a, %w : memref<?x?xf32>, memref<?x?xf32, strided<[?, 1], offset: ?>>)
                  outs(%c : memref<?x?xf32>)
  }
  return
}

// -----

// Nested loops that both leave the weight alone: the pack goes before the
// outer one. A view of a weight taken in the outer loop is packed before the
// inner loop, once per outer step. A matmul under scf.if is packed too.
// CHECK-LABEL: func.func @nested_loops
//  CHECK-SAME:   (%[[A:[a-z0-9]+]]: memref<4x8xf32>, %[[W:[a-z0-9]+]]: memref<8x16xf32>, %[[WS:[a-z0-9]+]]: memref<3x8x16xf32>
//       CHECK:   memref.extract_aligned_pointer_as_index %[[W]]
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(
//  CHECK-NEXT:   scf.for
//       CHECK:     %[[V:.*]] = memref.subview %[[WS]]
//       CHECK:     memref.extract_aligned_pointer_as_index %[[V]]
//       CHECK:     %[[Q:.*]] = func.call @scanrt_sgemm_pack_b(
//  CHECK-NEXT:     scf.for
//       CHECK:       scf.if
//       CHECK:         func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
//       CHECK:       func.call @scanrt_sgemm_packed({{.*}}, %[[Q]],
//       CHECK:     }
//  CHECK-NEXT:     func.call @scanrt_gemm_pack_free(%[[Q]])
//  CHECK-NEXT:   }
//  CHECK-NEXT:   call @scanrt_gemm_pack_free(%[[P]])
func.func @nested_loops(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %ws: memref<3x8x16xf32>,
                        %c: memref<4x16xf32>, %cond: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  scf.for %j = %c0 to %c3 step %c1 {
    %v = memref.subview %ws[%j, 0, 0] [1, 8, 16] [1, 1, 1]
        : memref<3x8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    scf.for %i = %c0 to %c5 step %c1 {
      scf.if %cond {
        linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
      }
      linalg.matmul ins(%a, %v : memref<4x8xf32>, memref<8x16xf32, strided<[16, 1], offset: ?>>)
                    outs(%c : memref<4x16xf32>)
    }
  }
  return
}

// -----

// Buffers allocated, written and freed inside the loop (what bufferization
// makes of per-step temporaries) are fresh memory, never the weight.
// CHECK-LABEL: func.func @loop_local_temporaries
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(
//  CHECK-NEXT:   scf.for
//       CHECK:     memref.alloc
//       CHECK:     func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
//       CHECK:     memref.dealloc
//       CHECK:   }
//  CHECK-NEXT:   call @scanrt_gemm_pack_free(%[[P]])
func.func @loop_local_temporaries(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c5 step %c1 {
    %t = memref.alloc() : memref<4x16xf32>
    linalg.fill ins(%zero : f32) outs(%t : memref<4x16xf32>)
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%t : memref<4x16xf32>)
    memref.copy %t, %c : memref<4x16xf32> to memref<4x16xf32>
    memref.dealloc %t : memref<4x16xf32>
  }
  return
}

// -----

// A constant global weight is never written, whatever the loop writes.
// CHECK-LABEL: func.func @constant_global_weight
//       CHECK:   %[[G:.*]] = memref.get_global @weight
//       CHECK:   memref.extract_aligned_pointer_as_index %[[G]]
//       CHECK:   %[[P:.*]] = call @scanrt_sgemm_pack_b(
//       CHECK:   scf.for
//       CHECK:     func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
memref.global "private" constant @weight : memref<8x16xf32> = dense<1.0>
func.func @constant_global_weight(%a: memref<4x8xf32>, %c: memref<4x16xf32>, %z: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %zero = arith.constant 0.0 : f32
  %w = memref.get_global @weight : memref<8x16xf32>
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.fill ins(%zero : f32) outs(%z : memref<8x16xf32>)
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  }
  return
}

// -----

// The weight is filled inside the loop: it changes from step to step.
// CHECK-LABEL: func.func @negative_weight_filled
//   CHECK-NOT:   scanrt_sgemm_pack_b
//   CHECK-NOT:   scanrt_sgemm_packed
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
//       CHECK:     linalg.fill
func.func @negative_weight_filled(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    linalg.fill ins(%one : f32) outs(%w : memref<8x16xf32>)
  }
  return
}

// -----

// A copy into a subview of the weight, nested in an scf.if, writes it.
// CHECK-LABEL: func.func @negative_copy_into_weight_view
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
func.func @negative_copy_into_weight_view(%a: memref<4x8xf32>, %w: memref<8x16xf32>,
                                          %c: memref<4x16xf32>, %r: memref<1x16xf32>, %cond: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    scf.if %cond {
      %row = memref.subview %w[2, 0] [1, 16] [1, 1]
          : memref<8x16xf32> to memref<1x16xf32, strided<[16, 1], offset: 32>>
      memref.copy %r, %row : memref<1x16xf32> to memref<1x16xf32, strided<[16, 1], offset: 32>>
    }
  }
  return
}

// -----

// The matmul's own output is a view of the weight's buffer.
// CHECK-LABEL: func.func @negative_output_overlaps_weight
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
func.func @negative_output_overlaps_weight(%a: memref<4x8xf32>, %buf: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %w = memref.subview %buf[0, 0] [8, 16] [1, 1] : memref<16x16xf32> to memref<8x16xf32, strided<[16, 1]>>
  %c = memref.subview %buf[8, 0] [4, 16] [1, 1] : memref<16x16xf32> to memref<4x16xf32, strided<[16, 1], offset: 128>>
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32, strided<[16, 1]>>)
                  outs(%c : memref<4x16xf32, strided<[16, 1], offset: 128>>)
  }
  return
}

// -----

// The weight is a step of a stacked buffer, taken inside the loop.
// CHECK-LABEL: func.func @negative_weight_defined_in_loop
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     memref.subview
//       CHECK:     call @scanrt_sgemm(
func.func @negative_weight_defined_in_loop(%a: memref<4x8xf32>, %ws: memref<5x8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    %w = memref.subview %ws[%i, 0, 0] [1, 8, 16] [1, 1, 1]
        : memref<5x8x16xf32> to memref<8x16xf32, strided<[16, 1], offset: ?>>
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32, strided<[16, 1], offset: ?>>)
                  outs(%c : memref<4x16xf32>)
  }
  return
}

// -----

// A call may write anything.
// CHECK-LABEL: func.func @negative_call_in_loop
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
//       CHECK:     call @opaque
func.func private @opaque(memref<4x16xf32>)
func.func @negative_call_in_loop(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    func.call @opaque(%c) : (memref<4x16xf32>) -> ()
  }
  return
}

// -----

// A loop-carried buffer may be the weight: writing it blocks the pack.
// CHECK-LABEL: func.func @negative_write_to_iter_arg
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
func.func @negative_write_to_iter_arg(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>)
    -> memref<8x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %one = arith.constant 1.0 : f32
  %r = scf.for %i = %c0 to %c5 step %c1 iter_args(%m = %w) -> memref<8x16xf32> {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    linalg.fill ins(%one : f32) outs(%m : memref<8x16xf32>)
    scf.yield %m : memref<8x16xf32>
  }
  return %r : memref<8x16xf32>
}

// -----

// A mutable global may be the buffer passed as the weight argument.
// CHECK-LABEL: func.func @negative_write_to_mutable_global
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
memref.global "private" @state : memref<8x16xf32> = dense<0.0>
func.func @negative_write_to_mutable_global(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %one = arith.constant 1.0 : f32
  %g = memref.get_global @state : memref<8x16xf32>
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    linalg.fill ins(%one : f32) outs(%g : memref<8x16xf32>)
  }
  return
}

// -----

// Freeing the weight in the loop blocks the pack.
// CHECK-LABEL: func.func @negative_weight_freed
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   scf.for
//       CHECK:     call @scanrt_sgemm(
func.func @negative_weight_freed(%a: memref<4x8xf32>, %c: memref<4x16xf32>, %cond: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %w = memref.alloc() : memref<8x16xf32>
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    %last = arith.cmpi eq, %i, %c0 : index
    scf.if %last {
      memref.dealloc %w : memref<8x16xf32>
    }
  }
  return
}

// -----

// The weight is written in the outer loop only: it is packed before the
// inner loop, once per outer step.
// CHECK-LABEL: func.func @written_in_outer_loop
//       CHECK:   scf.for
//       CHECK:     linalg.fill
//       CHECK:     %[[P:.*]] = func.call @scanrt_sgemm_pack_b(
//  CHECK-NEXT:     scf.for
//       CHECK:       func.call @scanrt_sgemm_packed({{.*}}, %[[P]],
//       CHECK:     }
//  CHECK-NEXT:     func.call @scanrt_gemm_pack_free(%[[P]])
func.func @written_in_outer_loop(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %one = arith.constant 1.0 : f32
  scf.for %j = %c0 to %c5 step %c1 {
    linalg.fill ins(%one : f32) outs(%w : memref<8x16xf32>)
    scf.for %i = %c0 to %c5 step %c1 {
      linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
    }
  }
  return
}

// -----

// A matmul outside any loop gets the plain call.
// CHECK-LABEL: func.func @negative_not_in_loop
//   CHECK-NOT:   scanrt_sgemm_pack_b
//       CHECK:   call @scanrt_sgemm(
func.func @negative_not_in_loop(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// A function named like a packing entry point with another type makes the
// matmul fall back to the plain call.
// CHECK-LABEL: func.func private @scanrt_sgemm_pack_b(i32)
// CHECK-LABEL: func.func @negative_symbol_clash
//   CHECK-NOT:   scanrt_sgemm_packed
//       CHECK:   call @scanrt_sgemm(
func.func private @scanrt_sgemm_pack_b(i32)
func.func @negative_symbol_clash(%a: memref<4x8xf32>, %w: memref<8x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c5 step %c1 {
    linalg.matmul ins(%a, %w : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  }
  return
}
