// RUN: scan-opt %s --split-input-file --scan-forward-call-results | FileCheck %s

// An entry point returning a private function's result (after
// buffer-results-to-out-params): the call writes into the entry's
// out-param; the temporary and the copy go away.
// CHECK-LABEL: func.func @entry
//  CHECK-SAME:   %[[X:.*]]: memref<4x4xf32>, %[[OUT:.*]]: memref<4x4xf32>
//   CHECK-NOT:   memref.alloc
//       CHECK:   call @grad(%[[X]], %[[OUT]])
//   CHECK-NOT:   memref.copy
//       CHECK:   return
func.func @entry(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  %tmp = memref.alloc() : memref<4x4xf32>
  %c = arith.constant 1 : index
  call @grad(%x, %tmp) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  %d = arith.addi %c, %c : index
  memref.copy %tmp, %out : memref<4x4xf32> to memref<4x4xf32>
  return
}
func.func private @grad(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  memref.copy %x, %out : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// Into a local allocation, with a constant global as another operand.
// CHECK-LABEL: func.func @into_local
//       CHECK:   %[[BUF:.*]] = memref.alloc() : memref<4x4xf32>
//   CHECK-NOT:   memref.alloc
//       CHECK:   call @grad(%{{.*}}, %[[BUF]])
//   CHECK-NOT:   memref.copy
//       CHECK:   return
memref.global "private" constant @w : memref<4x4xf32> = dense<1.0>
func.func @into_local() -> memref<4x4xf32> {
  %buf = memref.alloc() : memref<4x4xf32>
  %w = memref.get_global @w : memref<4x4xf32>
  %tmp = memref.alloc() : memref<4x4xf32>
  call @grad(%w, %tmp) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  memref.copy %tmp, %buf : memref<4x4xf32> to memref<4x4xf32>
  return %buf : memref<4x4xf32>
}
func.func private @grad(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  memref.copy %x, %out : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// Not forwarded: the destination is also an input of the call (the callee
// would read what it writes), the temporary has another use, something
// with memory effects comes between the call and the copy, or the
// destination is a strided view (another type).
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: memref.copy %alloc{{[_0-9]*}}, %arg1 :
//       CHECK: memref.copy %alloc{{[_0-9]*}}, %subview
func.func @kept(%x: memref<4x4xf32>, %out: memref<4x4xf32>, %wide: memref<4x8xf32>) {
  %t0 = memref.alloc() : memref<4x4xf32>
  call @grad(%out, %t0) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  memref.copy %t0, %out : memref<4x4xf32> to memref<4x4xf32>
  %t1 = memref.alloc() : memref<4x4xf32>
  call @grad(%x, %t1) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  %c0 = arith.constant 0 : index
  %v = memref.load %t1[%c0, %c0] : memref<4x4xf32>
  memref.copy %t1, %out : memref<4x4xf32> to memref<4x4xf32>
  %t2 = memref.alloc() : memref<4x4xf32>
  call @grad(%x, %t2) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  memref.store %v, %out[%c0, %c0] : memref<4x4xf32>
  memref.copy %t2, %out : memref<4x4xf32> to memref<4x4xf32>
  %t3 = memref.alloc() : memref<4x4xf32>
  call @grad(%x, %t3) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  %half = memref.subview %wide[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
  memref.copy %t3, %half : memref<4x4xf32> to memref<4x4xf32, strided<[8, 1]>>
  return
}
func.func private @grad(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  memref.copy %x, %out : memref<4x4xf32> to memref<4x4xf32>
  return
}

// -----

// Not forwarded into a function argument when the module has a mutable
// global, which the callee could reach and the caller's caller could pass.
// CHECK-LABEL: func.func @mutable_global
//       CHECK:   %[[TMP:.*]] = memref.alloc
//       CHECK:   call @grad(%{{.*}}, %[[TMP]])
//       CHECK:   memref.copy %[[TMP]], %arg1
memref.global "private" @state : memref<4x4xf32> = dense<0.0>
func.func private @grad(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  %s = memref.get_global @state : memref<4x4xf32>
  memref.copy %s, %out : memref<4x4xf32> to memref<4x4xf32>
  return
}
func.func @mutable_global(%x: memref<4x4xf32>, %out: memref<4x4xf32>) {
  %tmp = memref.alloc() : memref<4x4xf32>
  call @grad(%x, %tmp) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
  memref.copy %tmp, %out : memref<4x4xf32> to memref<4x4xf32>
  return
}
