// RUN: scan-opt %s --split-input-file --verify-diagnostics --scan-gpu-single-stream | FileCheck %s

// Every GPU operation depends on the one token made at entry, including
// those in the loop; only the return waits.
// CHECK-LABEL: func.func @one_stream
//       CHECK:   %[[S:.*]] = gpu.wait async
//       CHECK:   %[[BUF:.*]], %{{.*}} = gpu.alloc async [%[[S]]] () : memref<16xf32>
//       CHECK:   scf.for
//       CHECK:     gpu.memcpy async [%[[S]]] %[[BUF]]
//       CHECK:     call @gemm
//   CHECK-NOT:     gpu.wait
//       CHECK:     gpu.launch_func async [%[[S]]] @kernels::@k
//       CHECK:   }
//       CHECK:   gpu.dealloc async [%[[S]]] %[[BUF]]
//       CHECK:   gpu.wait [%[[S]]]
//  CHECK-NEXT:   return
module attributes {gpu.container_module} {
  gpu.module @kernels {
    gpu.func @k(%a: memref<16xf32>) kernel {
      gpu.return
    }
  }
  func.func private @gemm()
  func.func @one_stream(%x: memref<16xf32>) {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %buf = gpu.alloc () : memref<16xf32>
    scf.for %t = %c0 to %c4 step %c1 {
      gpu.memcpy %buf, %x : memref<16xf32>, memref<16xf32>
      func.call @gemm() : () -> ()
      gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%buf : memref<16xf32>)
    }
    gpu.dealloc %buf : memref<16xf32>
    return
  }
}

// -----

// A scalar read of a device buffer copies it to a host slot after waiting
// for the stream; a scalar write copies from a host slot.
// CHECK-LABEL: func.func @scalars
//  CHECK-SAME:   %[[IN:[a-z0-9]+]]: memref<f32>, %[[OUT:[a-z0-9]+]]: memref<1xf32>
//       CHECK:   %[[S:.*]] = gpu.wait async
//   CHECK-DAG:   %[[RSLOT:.*]] = memref.alloca() : memref<f32>
//   CHECK-DAG:   %[[WSLOT:.*]] = memref.alloca() : memref<1xf32>
//       CHECK:   gpu.memcpy async [%[[S]]] %[[RSLOT]], %[[IN]]
//  CHECK-NEXT:   gpu.wait [%[[S]]]
//  CHECK-NEXT:   %[[V:.*]] = memref.load %[[RSLOT]][]
//       CHECK:   memref.store %{{.*}}, %[[WSLOT]][%{{.*}}]
//  CHECK-NEXT:   gpu.memcpy async [%[[S]]] %[[OUT]], %[[WSLOT]]
//       CHECK:   gpu.wait [%[[S]]]
//  CHECK-NEXT:   return %[[V]]
func.func @scalars(%in: memref<f32>, %out: memref<1xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %v = memref.load %in[] : memref<f32>
  %w = arith.addf %v, %v : f32
  memref.store %w, %out[%c0] : memref<1xf32>
  return %v : f32
}

// -----

// A device scalar stored unchanged into another device buffer (a scalar
// result written to its out-parameter) is one device-to-device copy: no host
// slot, no wait before the return's.
// CHECK-LABEL: func.func @scalar_forwarded
//  CHECK-SAME:   %[[IN:[a-z0-9]+]]: memref<f32>, %[[OUT:[a-z0-9]+]]: memref<f32>
//       CHECK:   %[[S:.*]] = gpu.wait async
//   CHECK-NOT:   memref.alloca
//       CHECK:   gpu.memcpy async [%[[S]]] %[[OUT]], %[[IN]]
//  CHECK-NEXT:   gpu.wait [%[[S]]]
//  CHECK-NEXT:   return
func.func @scalar_forwarded(%in: memref<f32>, %out: memref<f32>) {
  %v = memref.load %in[] : memref<f32>
  memref.store %v, %out[] : memref<f32>
  return
}

// -----

// Not forwarded: the value is also used on the host, or a store to memory
// comes between the load and the store.
// CHECK-LABEL: func.func @scalar_not_forwarded
//       CHECK:   gpu.memcpy async [%{{.*}}] %{{.*}}, %arg0
//  CHECK-NEXT:   gpu.wait
//       CHECK:   gpu.memcpy async [%{{.*}}] %{{.*}}, %arg2
//  CHECK-NEXT:   gpu.wait
//       CHECK:   return
func.func @scalar_not_forwarded(%a: memref<f32>, %b: memref<f32>, %c: memref<f32>) -> f32 {
  %v = memref.load %a[] : memref<f32>
  memref.store %v, %b[] : memref<f32>
  %w = memref.load %c[] : memref<f32>
  memref.store %v, %c[] : memref<f32>
  memref.store %w, %b[] : memref<f32>
  return %v : f32
}

// -----

// A function without GPU work or buffers is left alone.
// CHECK-LABEL: func.func @negative_no_gpu_work
//   CHECK-NOT:   gpu.wait
//       CHECK:   return
func.func @negative_no_gpu_work(%x: f32) -> f32 {
  %y = arith.addf %x, %x : f32
  return %y : f32
}

// -----

// Element-wise host loops over device buffers cannot be copied one scalar at
// a time: they must have become kernels before.
func.func @host_loop_over_buffer(%a: memref<16xf32>, %i: index) -> f32 {
  // expected-error @below {{host code accesses a device buffer of type 'memref<16xf32>'; only single-element buffers can be copied}}
  %v = memref.load %a[%i] : memref<16xf32>
  return %v : f32
}
