// RUN: scan-opt %s --split-input-file --verify-diagnostics --scan-gpu-device-memory | FileCheck %s

// Allocations, deallocations and contiguous copies of a host function use
// GPU memory; a copy into a strided view becomes linalg.copy (a kernel later).
// CHECK-LABEL: func.func @buffers
//  CHECK-SAME:   %[[X:[a-z0-9]+]]: memref<4x8xf32>, %[[Y:[a-z0-9]+]]: memref<2x4x8xf32>
//       CHECK:   %[[BUF:.*]] = gpu.alloc () : memref<4x8xf32>
//       CHECK:   gpu.memcpy %[[BUF]], %[[X]] : memref<4x8xf32>, memref<4x8xf32>
//       CHECK:   %[[VIEW:.*]] = memref.subview %[[Y]]
//       CHECK:   linalg.copy ins(%[[BUF]] : memref<4x8xf32>) outs(%[[VIEW]] : memref<4x8xf32, strided<[8, 1], offset: 32>>)
//       CHECK:   gpu.dealloc %[[BUF]] : memref<4x8xf32>
//   CHECK-NOT:   memref.alloc
//   CHECK-NOT:   memref.copy
//   CHECK-NOT:   memref.dealloc
func.func @buffers(%x: memref<4x8xf32>, %y: memref<2x4x8xf32>) {
  %buf = memref.alloc() : memref<4x8xf32>
  memref.copy %x, %buf : memref<4x8xf32> to memref<4x8xf32>
  %view = memref.subview %y[1, 0, 0] [1, 4, 8] [1, 1, 1] : memref<2x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  memref.copy %buf, %view : memref<4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  memref.dealloc %buf : memref<4x8xf32>
  return
}

// -----

// Dynamic sizes carry over to gpu.alloc.
// CHECK-LABEL: func.func @dynamic
//       CHECK:   %[[BUF:.*]] = gpu.alloc (%{{.*}}) : memref<?xf32>
//       CHECK:   gpu.dealloc %[[BUF]]
func.func @dynamic(%n: index) {
  %buf = memref.alloc(%n) : memref<?xf32>
  memref.dealloc %buf : memref<?xf32>
  return
}

// -----

// A constant lives in host memory: kernels get a device copy, freed before
// every return.
memref.global "private" constant @table : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
// CHECK-LABEL: func.func @constant
//       CHECK:   %[[HOST:.*]] = memref.get_global @table
//       CHECK:   %[[DEV:.*]] = gpu.alloc () : memref<4xf32>
//       CHECK:   gpu.memcpy %[[DEV]], %[[HOST]]
//       CHECK:   linalg.copy ins(%[[DEV]] : memref<4xf32>)
//       CHECK:   gpu.dealloc %[[DEV]]
//  CHECK-NEXT:   return
func.func @constant(%out: memref<4xf32, strided<[2]>>) {
  %t = memref.get_global @table : memref<4xf32>
  memref.copy %t, %out : memref<4xf32> to memref<4xf32, strided<[2]>>
  return
}

// -----

// Kernels are not host code: what is inside gpu.launch stays as it is.
// CHECK-LABEL: func.func @negative_inside_launch
//       CHECK:   gpu.launch
//       CHECK:     memref.alloca
//       CHECK:     memref.copy
func.func @negative_inside_launch(%x: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %tmp = memref.alloca() : memref<4xf32>
    memref.copy %x, %tmp : memref<4xf32> to memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// The host stack is out of reach of kernels.
func.func @alloca_on_host() {
  // expected-error @below {{stack buffers in host code are not supported by the CUDA target}}
  %tmp = memref.alloca() : memref<4xf32>
  return
}
