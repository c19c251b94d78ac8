// RUN: scan-opt %s --split-input-file --verify-diagnostics --scan-inline-outlined-loops | FileCheck %s

// The call is replaced by the body, with the call's operands for the
// arguments and the returned value for the result; the function is gone.
// CHECK-NOT: func.func private @f_nested_loop
// CHECK-LABEL: func.func @f
//  CHECK-SAME:     %[[A:[a-z0-9]+]]: memref<4xf32>, %[[B:[a-z0-9]+]]: memref<4xf32>
//   CHECK-NOT:   func.call
//       CHECK:   memref.copy %[[B]], %[[A]]
//       CHECK:   return %[[A]]
func.func private @f_nested_loop(%dst: memref<4xf32>, %src: memref<4xf32>) -> memref<4xf32>
    attributes {scan.outlined_loop} {
  memref.copy %src, %dst : memref<4xf32> to memref<4xf32>
  return %dst : memref<4xf32>
}
func.func @f(%a: memref<4xf32>, %b: memref<4xf32>) -> memref<4xf32> {
  %r = func.call @f_nested_loop(%a, %b) : (memref<4xf32>, memref<4xf32>) -> memref<4xf32>
  return %r : memref<4xf32>
}

// -----

// Functions without the marker are left alone.
// CHECK-LABEL: func.func private @negative_unmarked
// CHECK-LABEL: func.func @negative_g
//       CHECK:   call @negative_unmarked
func.func private @negative_unmarked(%dst: memref<4xf32>) -> memref<4xf32> {
  return %dst : memref<4xf32>
}
func.func @negative_g(%a: memref<4xf32>) -> memref<4xf32> {
  %r = func.call @negative_unmarked(%a) : (memref<4xf32>) -> memref<4xf32>
  return %r : memref<4xf32>
}

// -----

// expected-error @+1 {{outlined loop function must have exactly one call}}
func.func private @twice(%dst: memref<4xf32>) -> memref<4xf32>
    attributes {scan.outlined_loop} {
  return %dst : memref<4xf32>
}
func.func @h(%a: memref<4xf32>) -> memref<4xf32> {
  %r = func.call @twice(%a) : (memref<4xf32>) -> memref<4xf32>
  %s = func.call @twice(%r) : (memref<4xf32>) -> memref<4xf32>
  return %s : memref<4xf32>
}
