// The deallocation bookkeeping of bufferization (index and i1 buffers, and
// the private function over them) stays in host memory and host code, next to
// device buffers.
// RUN: scan-opt %s --split-input-file --scan-gpu-device-memory --scan-map-parallel-loops-to-gpu --scan-gpu-single-stream | FileCheck %s

// CHECK-LABEL: func.func private @update_flags
//   CHECK-NOT:   gpu.
//       CHECK:   scf.for
//       CHECK:     memref.load
//       CHECK:     memref.store
//   CHECK-NOT:   gpu.
//       CHECK:   return
func.func private @update_flags(%flags: memref<?xi1>, %out: memref<?xi1>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %flags, %c0 : memref<?xi1>
  scf.for %i = %c0 to %n step %c1 {
    %f = memref.load %flags[%i] : memref<?xi1>
    memref.store %f, %out[%i] : memref<?xi1>
  }
  return
}

// CHECK-LABEL: func.func @mixed
//       CHECK:   %[[S:.*]] = gpu.wait async
//       CHECK:   %[[DEV:.*]], %{{.*}} = gpu.alloc async [%[[S]]] () : memref<16xf32>
//       CHECK:   %[[FLAGS:.*]] = memref.alloc() : memref<2xi1>
//       CHECK:   memref.store %{{.*}}, %[[FLAGS]][%{{.*}}] : memref<2xi1>
//       CHECK:   call @update_flags
//       CHECK:   %[[F:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<2xi1>
//       CHECK:   scf.if %[[F]] {
//       CHECK:     gpu.dealloc async [%[[S]]] %[[DEV]]
//       CHECK:   memref.dealloc %[[FLAGS]] : memref<2xi1>
//       CHECK:   gpu.wait [%[[S]]]
func.func @mixed(%c: i1) {
  %c0 = arith.constant 0 : index
  %dev = memref.alloc() : memref<16xf32>
  %flags = memref.alloc() : memref<2xi1>
  %out = memref.alloc() : memref<2xi1>
  memref.store %c, %flags[%c0] : memref<2xi1>
  %f1 = memref.cast %flags : memref<2xi1> to memref<?xi1>
  %o1 = memref.cast %out : memref<2xi1> to memref<?xi1>
  func.call @update_flags(%f1, %o1) : (memref<?xi1>, memref<?xi1>) -> ()
  %f = memref.load %out[%c0] : memref<2xi1>
  scf.if %f {
    memref.dealloc %dev : memref<16xf32>
  }
  memref.dealloc %flags : memref<2xi1>
  memref.dealloc %out : memref<2xi1>
  return
}
