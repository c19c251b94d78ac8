// RUN: scan-opt %s --scan-lower-strided-copies | FileCheck %s

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

