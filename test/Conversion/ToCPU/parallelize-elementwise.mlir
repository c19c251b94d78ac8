// RUN: scan-opt %s --scan-parallelize-elementwise --split-input-file | FileCheck %s
// RUN: scan-opt %s '--scan-parallelize-elementwise=min-elements=100000' \
// RUN:   --split-input-file | FileCheck %s --check-prefix=HIGH

// 80 x 1000: one tile per row, the rows shared out between the threads
// ([80 t / n, 80 (t + 1) / n) for thread t of n); the row stays a linalg op
// on a subview. With a threshold of 100000 iterations it stays serial.
// CHECK-DAG: func.func private @omp_get_thread_num() -> i32
// CHECK-DAG: func.func private @omp_get_num_threads() -> i32
// CHECK-LABEL: func.func @rows
//       CHECK:   omp.parallel {
//       CHECK:     %[[T32:.*]] = func.call @omp_get_thread_num() : () -> i32
//       CHECK:     %[[T:.*]] = arith.index_cast %[[T32]] : i32 to index
//       CHECK:     %[[N32:.*]] = func.call @omp_get_num_threads() : () -> i32
//       CHECK:     %[[N:.*]] = arith.index_cast %[[N32]] : i32 to index
//       CHECK:     %[[C80:.*]] = arith.constant 80 : index
//       CHECK:     %[[B0:.*]] = arith.muli %[[C80]], %[[T]] : index
//       CHECK:     %[[B:.*]] = arith.divui %[[B0]], %[[N]] : index
//       CHECK:     %[[T1:.*]] = arith.addi %[[T]], %{{.*}} : index
//       CHECK:     %[[E0:.*]] = arith.muli %[[C80]], %[[T1]] : index
//       CHECK:     %[[E:.*]] = arith.divui %[[E0]], %[[N]] : index
//       CHECK:     scf.for %[[I:.*]] = %[[B]] to %[[E]] step
//       CHECK:       %[[A:.*]] = memref.subview %{{.*}}[%[[I]], 0] [1, 1000] [1, 1]
//       CHECK:       %[[O:.*]] = memref.subview %{{.*}}[%[[I]], 0] [1, 1000] [1, 1]
//       CHECK:       linalg.generic {{.*}} ins(%[[A]] : memref<1x1000xf32, strided<[1000, 1], offset: ?>>) outs(%[[O]] : memref<1x1000xf32, strided<[1000, 1], offset: ?>>)
//       CHECK:         math.tanh
//       CHECK:     omp.terminator
// HIGH-LABEL: func.func @rows
//   HIGH-NOT:   omp.parallel
//       HIGH:   linalg.generic {{.*}} ins(%{{.*}} : memref<80x1000xf32>)
func.func @rows(%a: memref<80x1000xf32>, %b: memref<80x1000xf32>) {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a : memref<80x1000xf32>) outs(%b : memref<80x1000xf32>) {
  ^bb0(%x: f32, %y: f32):
    %t = math.tanh %x : f32
    linalg.yield %t : f32
  }
  return
}

// -----

// A leading loop of 4 is too few tiles: the first two loops (4 x 80 = 320
// tiles) are linearised, and each tile's indices recovered by / and % 80.
// CHECK-LABEL: func.func @two_leading_loops
//       CHECK:   omp.parallel {
//       CHECK:     scf.for %[[Q:.*]] = %{{.*}} to %{{.*}} step
//       CHECK:       %[[I:.*]] = arith.divui %[[Q]], %{{.*}} : index
//       CHECK:       %[[J:.*]] = arith.remui %[[Q]], %{{.*}} : index
//       CHECK:       %[[S:.*]] = memref.subview %{{.*}}[%[[I]], %[[J]], 0] [1, 1, 100] [1, 1, 1]
//       CHECK:       linalg.fill ins(%{{.*}} : f32) outs(%[[S]] : memref<1x1x100xf32, strided<[8000, 100, 1], offset: ?>>)
func.func @two_leading_loops(%a: memref<4x80x100xf32>) {
  %c = arith.constant 1.0 : f32
  linalg.fill ins(%c : f32) outs(%a : memref<4x80x100xf32>)
  return
}

// -----

// Rank 1, 20000 iterations: tiles of ceil(20000 / 64) = 313 rounded up to
// 320, 63 of them (the last one partial).
// CHECK-LABEL: func.func @rank_one
//       CHECK:   omp.parallel {
//       CHECK:     %[[C63:.*]] = arith.constant 63 : index
//       CHECK:     arith.muli %[[C63]], %{{.*}} : index
//       CHECK:     scf.for %[[Q:.*]] = %{{.*}} to %{{.*}} step
//       CHECK:       %[[OFF:.*]] = arith.muli %[[Q]], %{{.*}} : index
//       CHECK:       %[[SIZE:.*]] = affine.min #{{.*}}(%[[OFF]])
//       CHECK:       memref.subview %{{.*}}[%[[OFF]]] [%[[SIZE]]] [1]
//       CHECK:       linalg.copy
func.func @rank_one(%a: memref<20000xf32>, %b: memref<20000xf32>) {
  linalg.copy ins(%a : memref<20000xf32>) outs(%b : memref<20000xf32>)
  return
}

// -----

// Two rows of 10000: too few rows to share out, so each row is cut into
// chunks of ceil(2 * 10000 / 64) = 313 rounded up to 320 (32 per row, the
// last partial): 64 tiles, row q / 32, chunk q % 32.
// CHECK-LABEL: func.func @few_rows
//       CHECK:   omp.parallel {
//       CHECK:     %[[C64:.*]] = arith.constant 64 : index
//       CHECK:     arith.muli %[[C64]], %{{.*}} : index
//       CHECK:     scf.for %[[Q:.*]] = %{{.*}} to %{{.*}} step
//       CHECK:       %[[C32:.*]] = arith.constant 32 : index
//       CHECK:       %[[I:.*]] = arith.divui %[[Q]], %[[C32]] : index
//       CHECK:       %[[J:.*]] = arith.remui %[[Q]], %{{.*}} : index
//       CHECK:       %[[C320:.*]] = arith.constant 320 : index
//       CHECK:       %[[OFF:.*]] = arith.muli %[[J]], %[[C320]] : index
//       CHECK:       %[[SIZE:.*]] = affine.min #{{.*}}(%[[OFF]])
//       CHECK:       %[[S:.*]] = memref.subview %{{.*}}[%[[I]], %[[OFF]]] [1, %[[SIZE]]] [1, 1]
//       CHECK:       linalg.fill ins(%{{.*}} : f32) outs(%[[S]] :
func.func @few_rows(%a: memref<2x10000xf32>) {
  %c = arith.constant 1.0 : f32
  linalg.fill ins(%c : f32) outs(%a : memref<2x10000xf32>)
  return
}

// -----

// Stay serial: fewer than 16384 iterations, a reduction, a dynamic shape, an
// op on tensors. No libomp function is declared when nothing runs in
// parallel.
// CHECK-NOT: omp_get_thread_num
// CHECK-LABEL: func.func @negative_serial
//   CHECK-NOT:   omp.parallel
//       CHECK:   linalg.generic {{.*}} ins(%{{.*}} : memref<100x100xf32>)
//       CHECK:   linalg.reduce ins(%{{.*}} : memref<80x1000xf32>)
//       CHECK:   linalg.copy ins(%{{.*}} : memref<?x1000xf32>)
//       CHECK:   linalg.fill {{.*}} -> tensor<80x1000xf32>
func.func @negative_serial(%small: memref<100x100xf32>, %big: memref<80x1000xf32>,
                           %row: memref<1000xf32>, %dyn: memref<?x1000xf32>,
                           %dyn2: memref<?x1000xf32>) -> tensor<80x1000xf32> {
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%small : memref<100x100xf32>) {
  ^bb0(%x: f32):
    linalg.yield
  }
  linalg.reduce ins(%big : memref<80x1000xf32>) outs(%row : memref<1000xf32>) dimensions = [0]
    (%in: f32, %acc: f32) {
      %s = arith.addf %in, %acc : f32
      linalg.yield %s : f32
    }
  linalg.copy ins(%dyn : memref<?x1000xf32>) outs(%dyn2 : memref<?x1000xf32>)
  %c = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<80x1000xf32>
  %f = linalg.fill ins(%c : f32) outs(%e : tensor<80x1000xf32>) -> tensor<80x1000xf32>
  return %f : tensor<80x1000xf32>
}

// -----

// A memref.copy of at least min-elements elements (static shape, here a
// carry stored into its stack slice) becomes a linalg.copy run in parallel;
// a smaller one, or one of dynamic size, stays a memref.copy (a memcpy).
// With a threshold of 100000 every copy stays.
// CHECK-LABEL: func.func @copies
//       CHECK:   omp.parallel {
//       CHECK:     linalg.copy ins(%{{.*}} : memref<1x1000xf32, strided<[1000, 1], offset: ?>>) outs(%{{.*}} : memref<1x1000xf32, strided<[1000, 1], offset: ?>>)
//       CHECK:     omp.terminator
//       CHECK:   memref.copy %{{.*}}, %{{.*}} : memref<2x8xf32> to memref<2x8xf32>
//       CHECK:   memref.copy %{{.*}}, %{{.*}} : memref<?x8xf32> to memref<?x8xf32>
//   CHECK-NOT:   omp.parallel
// HIGH-LABEL: func.func @copies
//   HIGH-NOT:   omp.parallel
//       HIGH:   memref.copy %{{.*}}, %{{.*}} : memref<80x1000xf32> to memref<80x1000xf32, strided<[1000, 1], offset: ?>>
func.func @copies(%h: memref<80x1000xf32>, %stack: memref<5x80x1000xf32>, %i: index,
                  %a: memref<2x8xf32>, %b: memref<2x8xf32>,
                  %d0: memref<?x8xf32>, %d1: memref<?x8xf32>) {
  %s = memref.subview %stack[%i, 0, 0] [1, 80, 1000] [1, 1, 1]
      : memref<5x80x1000xf32> to memref<80x1000xf32, strided<[1000, 1], offset: ?>>
  memref.copy %h, %s : memref<80x1000xf32> to memref<80x1000xf32, strided<[1000, 1], offset: ?>>
  memref.copy %a, %b : memref<2x8xf32> to memref<2x8xf32>
  memref.copy %d0, %d1 : memref<?x8xf32> to memref<?x8xf32>
  return
}
