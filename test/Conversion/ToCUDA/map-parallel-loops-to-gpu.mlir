// RUN: scan-opt %s --split-input-file --scan-map-parallel-loops-to-gpu | FileCheck %s
// RUN: scan-opt %s --split-input-file --scan-map-parallel-loops-to-gpu --convert-parallel-loops-to-gpu --canonicalize | FileCheck %s --check-prefix=LAUNCH

// An 80x1000 elementwise loop: 256 threads along the inner dimension, a grid
// of 4 x 80 blocks; the tail of the last block is guarded.
// CHECK-LABEL: func.func @elementwise_2d
//       CHECK:   scf.parallel
//       CHECK:     scf.parallel
//       CHECK:       scf.if
//       CHECK:         memref.store
//       CHECK:     } {mapping = [#gpu.loop_dim_map<processor = thread_y, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = thread_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
//       CHECK:   } {mapping = [#gpu.loop_dim_map<processor = block_y, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
// LAUNCH-LABEL: func.func @elementwise_2d
//   LAUNCH-DAG:   %[[C1:.*]] = arith.constant 1 : index
//   LAUNCH-DAG:   %[[C256:.*]] = arith.constant 256 : index
//   LAUNCH-DAG:   %[[C4:.*]] = arith.constant 4 : index
//   LAUNCH-DAG:   %[[C80:.*]] = arith.constant 80 : index
//       LAUNCH:   gpu.launch blocks({{.*}}) in ({{.*}} = %[[C4]], {{.*}} = %[[C80]], {{.*}} = %[[C1]]) threads({{.*}}) in ({{.*}} = %[[C256]], {{.*}} = %[[C1]], {{.*}} = %[[C1]])
func.func @elementwise_2d(%a: memref<80x1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c80 = arith.constant 80 : index
  %c1000 = arith.constant 1000 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c80, %c1000) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<80x1000xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i, %j] : memref<80x1000xf32>
  }
  return
}

// -----

// A narrow inner dimension (8) leaves 32 threads for the next one.
// LAUNCH-LABEL: func.func @narrow_inner
//   LAUNCH-DAG:   %[[TX:.*]] = arith.constant 8 : index
//   LAUNCH-DAG:   %[[TY:.*]] = arith.constant 32 : index
//   LAUNCH-DAG:   %[[ONE:.*]] = arith.constant 1 : index
//   LAUNCH-DAG:   %[[GY:.*]] = arith.constant 2 : index
//       LAUNCH:   gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[GY]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[TX]], {{.*}} = %[[TY]], {{.*}})
func.func @narrow_inner(%a: memref<64x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c64, %c8) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<64x8xf32>
    memref.store %v, %a[%i, %j] : memref<64x8xf32>
  }
  return
}

// -----

// A full reduction has no parallel loop: the nest runs as one GPU thread, so
// no host code reads device memory.
// CHECK-LABEL: func.func @serial_reduction
//       CHECK:   gpu.launch blocks({{.*}}) in ({{.*}} = %[[ONE:[a-z0-9_]+]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]]) threads({{.*}}) in ({{.*}} = %[[ONE]], {{.*}} = %[[ONE]], {{.*}} = %[[ONE]])
//  CHECK-NEXT:     scf.for
//       CHECK:       scf.for
//       CHECK:         memref.load
//       CHECK:     gpu.terminator
func.func @serial_reduction(%a: memref<8x16xf32>, %out: memref<f32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      %v = memref.load %a[%i, %j] : memref<8x16xf32>
      %s = memref.load %out[] : memref<f32>
      %n = arith.addf %v, %s : f32
      memref.store %n, %out[] : memref<f32>
    }
  }
  return
}

// -----

// The time loop of a scan calls cuBLAS: it stays on the host and only its
// body's parallel loop becomes a kernel.
// CHECK-LABEL: func.func @negative_host_time_loop
//       CHECK:   scf.for
//   CHECK-NOT:   gpu.launch
//       CHECK:     call @gemm
//       CHECK:     scf.parallel
//       CHECK:       scf.parallel
//       CHECK:       mapping = [#gpu.loop_dim_map<processor = thread_x
//       CHECK:     mapping = [#gpu.loop_dim_map<processor = block_x
func.func private @gemm()
func.func @negative_host_time_loop(%a: memref<16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  scf.for %t = %c0 to %c16 step %c1 {
    func.call @gemm() : () -> ()
    scf.parallel (%i) = (%c0) to (%c16) step (%c1) {
      %v = memref.load %a[%i] : memref<16xf32>
      memref.store %v, %a[%i] : memref<16xf32>
    }
  }
  return
}

// -----

// A reduction over the outer dimension (a bias gradient, 4000x1000 ->
// 1000): the sequential loop over the 4000 rows moves inside the parallel
// loop, so one kernel runs (each thread sums its column) instead of one
// kernel per row.
// CHECK-LABEL: func.func @outer_reduction
//   CHECK-NOT:   scf.for
//       CHECK:   scf.parallel
//       CHECK:     scf.parallel
//       CHECK:       scf.if
//       CHECK:         scf.for %{{.*}} = %c0 to %c4000
//       CHECK:           memref.load %arg0[%{{.*}}, %[[J:.*]]] : memref<4000x1000xf32>
//       CHECK:           memref.load %arg1[%[[J]]]
//       CHECK:           memref.store %{{.*}}, %arg1[%[[J]]]
//       CHECK:     } {mapping = [#gpu.loop_dim_map<processor = thread_x
//       CHECK:   } {mapping = [#gpu.loop_dim_map<processor = block_x
// LAUNCH-LABEL: func.func @outer_reduction
//       LAUNCH:   gpu.launch
//   LAUNCH-NOT:   gpu.launch
func.func @outer_reduction(%e: memref<4000x1000xf32>, %b: memref<1000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %c4000 = arith.constant 4000 : index
  scf.for %i = %c0 to %c4000 step %c1 {
    scf.parallel (%j) = (%c0) to (%c1000) step (%c1) {
      %x = memref.load %e[%i, %j] : memref<4000x1000xf32>
      %acc = memref.load %b[%j] : memref<1000xf32>
      %s = arith.addf %x, %acc : f32
      memref.store %s, %b[%j] : memref<1000xf32>
    }
  }
  return
}

// -----

// Not interchanged: iteration j reads b[j + 1], which iteration j + 1
// writes, so the order of the rows matters across columns.
// CHECK-LABEL: func.func @neighbour_read
// LAUNCH-LABEL: func.func @neighbour_read
//       CHECK:   scf.for
//       CHECK:     scf.parallel
func.func @neighbour_read(%e: memref<4000x1000xf32>, %b: memref<1001xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %c4000 = arith.constant 4000 : index
  scf.for %i = %c0 to %c4000 step %c1 {
    scf.parallel (%j) = (%c0) to (%c1000) step (%c1) {
      %j1 = arith.addi %j, %c1 : index
      %x = memref.load %e[%i, %j] : memref<4000x1000xf32>
      %acc = memref.load %b[%j1] : memref<1001xf32>
      %s = arith.addf %x, %acc : f32
      memref.store %s, %b[%j] : memref<1001xf32>
    }
  }
  return
}

// -----

// Not interchanged: each row is stored to its own place (a scan along the
// rows), and the sequential loop holds more than the parallel one.
// CHECK-LABEL: func.func @row_stores
//       CHECK:   scf.for
//       CHECK:     memref.store
//       CHECK:     scf.parallel
func.func @row_stores(%e: memref<4000x1000xf32>, %c: memref<4000xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c1000 = arith.constant 1000 : index
  %c4000 = arith.constant 4000 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4000 step %c1 {
    memref.store %zero, %c[%i] : memref<4000xf32>
    scf.parallel (%j) = (%c0) to (%c1000) step (%c1) {
      %x = memref.load %e[%i, %j] : memref<4000x1000xf32>
      %y = arith.addf %x, %x : f32
      memref.store %y, %e[%i, %j] : memref<4000x1000xf32>
    }
  }
  return
}

// -----

// A grid dimension beyond CUDA's 65535 blocks in y (10^7 rows in tiles of
// 64: 156250 blocks) stays a loop inside the
// kernel; x takes up to 2^31 - 1 blocks.
// CHECK-LABEL: func.func @tall_grid
//       CHECK:   } {mapping = [#gpu.loop_dim_map<processor = sequential, map = (d0) -> (d0), bound = (d0) -> (d0)>, #gpu.loop_dim_map<processor = block_x, map = (d0) -> (d0), bound = (d0) -> (d0)>]}
func.func @tall_grid(%a: memref<10000000x4xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c10000000 = arith.constant 10000000 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%c10000000, %c4) step (%c1, %c1) {
    %v = memref.load %a[%i, %j] : memref<10000000x4xf32>
    %w = arith.addf %v, %v : f32
    memref.store %w, %a[%i, %j] : memref<10000000x4xf32>
  }
  return
}
