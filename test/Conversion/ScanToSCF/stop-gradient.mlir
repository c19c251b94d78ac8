// RUN: scan-opt %s --convert-scan-to-scf | FileCheck %s

// A program that is not differentiated keeps its stop-gradient markers
// until the lowering, which replaces each by its operand.
// CHECK-LABEL: func.func @stop
//  CHECK-SAME:     (%[[X:.+]]: tensor<4xf32>, %[[S:.+]]: f32)
//   CHECK-NOT:   scan.stop_gradient
//       CHECK:   %[[M:.+]] = arith.mulf %[[X]], %[[X]]
//       CHECK:   return %[[M]], %[[S]]
func.func @stop(%x: tensor<4xf32>, %s: f32) -> (tensor<4xf32>, f32) {
  %y = scan.stop_gradient %x : tensor<4xf32>
  %m = arith.mulf %x, %y : tensor<4xf32>
  %t = scan.stop_gradient %s : f32
  return %m, %t : tensor<4xf32>, f32
}
