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

// -----

// A step of a carry kept in its stack of T + 1 slices: slice t is copied into
// a temporary that a matmul and the op writing slice t + 1 read. Slices t and
// t + 1 cannot overlap, so both read slice t; the temporary and the copy go
// away.
// CHECK-LABEL: func.func @reads_copied_slice
//  CHECK-SAME:   %[[W:.*]]: memref<4x4xf32>, %[[T:.*]]: index
//   CHECK-NOT:   memref.alloc() : memref<2x4xf32>
//       CHECK:   %[[STACK:.*]] = memref.alloc() : memref<6x2x4xf32>
//       CHECK:   %[[OLD:.*]] = memref.subview %[[STACK]][%[[T]], 0, 0]
//   CHECK-NOT:   memref.copy
//       CHECK:   linalg.matmul ins(%[[OLD]], %[[W]] :
//       CHECK:   %[[NEW:.*]] = memref.subview %[[STACK]][%{{.*}}, 0, 0]
//       CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %[[OLD]] : {{.*}}) outs(%[[NEW]] :
//   CHECK-NOT:   memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @reads_copied_slice(%w: memref<4x4xf32>, %t: index) -> memref<6x2x4xf32> {
  %c1 = arith.constant 1 : index
  %stack = memref.alloc() : memref<6x2x4xf32>
  %acc = memref.alloc() : memref<2x4xf32>
  %old = memref.subview %stack[%t, 0, 0] [1, 2, 4] [1, 1, 1] : memref<6x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
  %h = memref.alloc() : memref<2x4xf32>
  memref.copy %old, %h : memref<2x4xf32, strided<[4, 1], offset: ?>> to memref<2x4xf32>
  linalg.matmul ins(%h, %w : memref<2x4xf32>, memref<4x4xf32>) outs(%acc : memref<2x4xf32>)
  %next = arith.addi %t, %c1 : index
  %new = memref.subview %stack[%next, 0, 0] [1, 2, 4] [1, 1, 1] : memref<6x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%acc, %h : memref<2x4xf32>, memref<2x4xf32>) outs(%new : memref<2x4xf32, strided<[4, 1], offset: ?>>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return %stack : memref<6x2x4xf32>
}

// -----

// Not forwarded: the op that reads the temporary writes a view of the same
// buffer that may overlap the copied slice (slice u, u unknown), which
// would change what a later element reads.
// CHECK-LABEL: func.func @source_may_be_written
//       CHECK:   memref.alloc() : memref<2x4xf32>
//       CHECK:   memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @source_may_be_written(%t: index, %u: index) -> memref<6x2x4xf32> {
  %stack = memref.alloc() : memref<6x2x4xf32>
  %old = memref.subview %stack[%t, 0, 0] [1, 2, 4] [1, 1, 1] : memref<6x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
  %h = memref.alloc() : memref<2x4xf32>
  memref.copy %old, %h : memref<2x4xf32, strided<[4, 1], offset: ?>> to memref<2x4xf32>
  %new = memref.subview %stack[%u, 0, 0] [1, 2, 4] [1, 1, 1] : memref<6x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : memref<2x4xf32>) outs(%new : memref<2x4xf32, strided<[4, 1], offset: ?>>) {
  ^bb0(%b: f32, %o: f32):
    %s = arith.mulf %b, %b : f32
    linalg.yield %s : f32
  }
  return %stack : memref<6x2x4xf32>
}

// -----

// Not forwarded: a function argument may be another argument's memory, which
// the call between the copy and the read may write; and a temporary that an
// op writes is not a copy to forward.
// CHECK-LABEL: func.func @not_a_read_only_copy
//   CHECK-COUNT-2:   memref.copy
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func private @touch(memref<2x4xf32>)
func.func @not_a_read_only_copy(%arg: memref<2x4xf32>, %other: memref<2x4xf32>,
                                %out: memref<2x4xf32>) {
  %h = memref.alloc() : memref<2x4xf32>
  memref.copy %arg, %h : memref<2x4xf32> to memref<2x4xf32>
  func.call @touch(%other) : (memref<2x4xf32>) -> ()
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%h : memref<2x4xf32>) outs(%out : memref<2x4xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  }
  %stack = memref.alloc() : memref<3x2x4xf32>
  %slice = memref.subview %stack[1, 0, 0] [1, 2, 4] [1, 1, 1] : memref<3x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: 8>>
  %g = memref.alloc() : memref<2x4xf32>
  memref.copy %slice, %g : memref<2x4xf32, strided<[4, 1], offset: 8>> to memref<2x4xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%out : memref<2x4xf32>) outs(%g : memref<2x4xf32>) {
  ^bb0(%b: f32, %o: f32):
    %s = arith.addf %b, %o : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g : memref<2x4xf32>) outs(%out : memref<2x4xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  }
  return
}
