// RUN: scan-opt %s --split-input-file --scan-approximate-math | FileCheck %s

// f32 tanh and exp, scalar or vector, become arithmetic only (no calls left
// for the loop vectoriser to trip on).
// CHECK-LABEL: func.func @f32_ops
//   CHECK-NOT:   math.tanh
//   CHECK-NOT:   math.exp
//       CHECK:   math.fma
//   CHECK-NOT:   math.tanh
//   CHECK-NOT:   math.exp
//       CHECK:   return
func.func @f32_ops(%x: f32, %v: vector<8xf32>) -> (f32, vector<8xf32>) {
  %t = math.tanh %x : f32
  %e = math.exp %v : vector<8xf32>
  return %t, %e : f32, vector<8xf32>
}

// -----

// f64 is left to the libm calls of the LLVM lowering.
// CHECK-LABEL: func.func @negative_f64
//  CHECK-NEXT:   math.tanh
//  CHECK-NEXT:   math.exp
func.func @negative_f64(%x: f64) -> (f64, f64) {
  %t = math.tanh %x : f64
  %e = math.exp %x : f64
  return %t, %e : f64, f64
}
