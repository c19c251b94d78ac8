// RUN: scan-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(scan-forward-temporary-copies))" | FileCheck %s

// The second of two results written side by side into one buffer: computed
// into a temporary, then copied next to the first. It is computed in place
// (its view moves before the op); the temporary and the copy go away.
// CHECK-LABEL: func.func @side_by_side
//  CHECK-SAME:   %[[X:.*]]: memref<2x4xf32>, %[[OUT:.*]]: memref<2x8xf32>
//   CHECK-NOT:   memref.alloc
//   CHECK-DAG:   %[[LO:.*]] = memref.subview %[[OUT]][0, 0] [2, 4] [1, 1]
//   CHECK-DAG:   %[[HI:.*]] = memref.subview %[[OUT]][0, 4] [2, 4] [1, 1]
//       CHECK:   linalg.generic {{.*}} outs(%[[LO]], %[[HI]] :
//   CHECK-NOT:   memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @side_by_side(%x: memref<2x4xf32>, %out: memref<2x8xf32>) {
  %tmp = memref.alloc() : memref<2x4xf32>
  %lo = memref.subview %out[0, 0] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1]>>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x4xf32>) outs(%lo, %tmp : memref<2x4xf32, strided<[8, 1]>>, memref<2x4xf32>) {
  ^bb0(%a: f32, %o0: f32, %o1: f32):
    %s = arith.addf %a, %a : f32
    %m = arith.mulf %a, %a : f32
    linalg.yield %s, %m : f32, f32
  }
  %hi = memref.subview %out[0, 4] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  memref.copy %tmp, %hi : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  return
}

// -----

// Not forwarded: the op reads the buffer it would then write (x is a view
// of out), so computing in place could change what it reads.
// CHECK-LABEL: func.func @reads_destination
//       CHECK:   memref.alloc
//       CHECK:   memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @reads_destination(%out: memref<2x8xf32>) {
  %tmp = memref.alloc() : memref<2x4xf32>
  %x = memref.subview %out[0, 1] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 1>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x4xf32, strided<[8, 1], offset: 1>>) outs(%tmp : memref<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  }
  %hi = memref.subview %out[0, 4] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  memref.copy %tmp, %hi : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  return
}

// -----

// Not forwarded: the two results' places overlap (columns 2..5 and 4..7),
// and between the op and the copy something reads the destination.
// CHECK-LABEL: func.func @overlapping
//       CHECK:   memref.alloc
//       CHECK:   memref.copy
// CHECK-LABEL: func.func @read_in_between
//       CHECK:   memref.alloc
//       CHECK:   memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @overlapping(%x: memref<2x4xf32>, %out: memref<2x8xf32>) {
  %tmp = memref.alloc() : memref<2x4xf32>
  %lo = memref.subview %out[0, 2] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 2>>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x4xf32>) outs(%lo, %tmp : memref<2x4xf32, strided<[8, 1], offset: 2>>, memref<2x4xf32>) {
  ^bb0(%a: f32, %o0: f32, %o1: f32):
    %s = arith.addf %a, %a : f32
    %m = arith.mulf %a, %a : f32
    linalg.yield %s, %m : f32, f32
  }
  %hi = memref.subview %out[0, 4] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  memref.copy %tmp, %hi : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  return
}
func.func @read_in_between(%x: memref<2x4xf32>, %out: memref<2x8xf32>, %keep: memref<2x8xf32>) {
  %tmp = memref.alloc() : memref<2x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<2x4xf32>) outs(%tmp : memref<2x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  }
  memref.copy %out, %keep : memref<2x8xf32> to memref<2x8xf32>
  %hi = memref.subview %out[0, 4] [2, 4] [1, 1] : memref<2x8xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  memref.copy %tmp, %hi : memref<2x4xf32> to memref<2x4xf32, strided<[8, 1], offset: 4>>
  return
}
