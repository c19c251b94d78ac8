// RUN: scan-opt %s --scan-lower-strided-copies | FileCheck %s
// RUN: scan-opt %s --scan-lower-strided-copies="contiguous-min-elements=32" | FileCheck %s --check-prefix=LARGE

// A copy into a column block of a wider buffer (a concatenation) is not one
// memcpy: it becomes linalg.copy, lowered later to loops.
// CHECK-LABEL: func.func @column_block
//       CHECK:   %[[S:.*]] = memref.subview
//       CHECK:   linalg.copy ins(%{{.*}} : memref<2x3xf32>) outs(%[[S]] : memref<2x3xf32, strided<[6, 1], offset: 3>>)
//   CHECK-NOT:   memref.copy
func.func @column_block(%a: memref<2x3xf32>, %out: memref<2x6xf32>) {
  %s = memref.subview %out[0, 3] [2, 3] [1, 1]
      : memref<2x6xf32> to memref<2x3xf32, strided<[6, 1], offset: 3>>
  memref.copy %a, %s : memref<2x3xf32> to memref<2x3xf32, strided<[6, 1], offset: 3>>
  return
}

// A step slice of a stacked buffer is contiguous (a dynamic offset only), as
// are identity layouts, static or dynamic: those stay memcpy-able copies.
// CHECK-LABEL: func.func @negative_contiguous
//   CHECK-NOT:   linalg.copy
//       CHECK:   memref.copy %{{.*}}, %{{.*}} : memref<2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
//       CHECK:   memref.copy %{{.*}}, %{{.*}} : memref<?x4xf32> to memref<?x4xf32>
func.func @negative_contiguous(%h: memref<2x4xf32>, %stack: memref<5x2x4xf32>, %i: index,
                               %d0: memref<?x4xf32>, %d1: memref<?x4xf32>) {
  %s = memref.subview %stack[%i, 0, 0] [1, 2, 4] [1, 1, 1]
      : memref<5x2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
  memref.copy %h, %s : memref<2x4xf32> to memref<2x4xf32, strided<[4, 1], offset: ?>>
  memref.copy %d0, %d1 : memref<?x4xf32> to memref<?x4xf32>
  return
}

// With contiguous-min-elements=N, a contiguous copy of at least N elements
// becomes linalg.copy as well (scan-parallelize-elementwise then runs it on
// all threads); a smaller one, or one of dynamic size, stays a memcpy.
// LARGE-LABEL: func.func @large_contiguous
//       LARGE:   linalg.copy ins(%{{.*}} : memref<4x8xf32>) outs(%{{.*}} : memref<4x8xf32, strided<[8, 1], offset: ?>>)
//       LARGE:   memref.copy %{{.*}}, %{{.*}} : memref<2x8xf32> to memref<2x8xf32>
//       LARGE:   memref.copy %{{.*}}, %{{.*}} : memref<?x8xf32> to memref<?x8xf32>
//  LARGE-NOT:   linalg.copy
// CHECK-LABEL: func.func @large_contiguous
//   CHECK-NOT:   linalg.copy
func.func @large_contiguous(%h: memref<4x8xf32>, %stack: memref<5x4x8xf32>, %i: index,
                            %a: memref<2x8xf32>, %b: memref<2x8xf32>,
                            %d0: memref<?x8xf32>, %d1: memref<?x8xf32>) {
  %s = memref.subview %stack[%i, 0, 0] [1, 4, 8] [1, 1, 1]
      : memref<5x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
  memref.copy %h, %s : memref<4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: ?>>
  memref.copy %a, %b : memref<2x8xf32> to memref<2x8xf32>
  memref.copy %d0, %d1 : memref<?x8xf32> to memref<?x8xf32>
  return
}
