// RUN: scan-opt %s --split-input-file --scan-differentiate | FileCheck %s

// scan.stop_gradient: d(sum(x * stop(x)) * stop(s)) is s * stop(x) for x
// (one product term, not two) and zero for s; the markers are gone after
// the pass, in the gradient and in the primal.
// CHECK-LABEL: func.func @stop_cost(
//   CHECK-NOT:   scan.stop_gradient
//       CHECK:   return
// CHECK-LABEL: func.func private @stop_cost_grad_0_1(
//  CHECK-SAME:     %[[X:[^:]+]]: tensor<5xf64>, %[[S:[^:]+]]: f64)
//   CHECK-NOT:   scan.stop_gradient
//       CHECK:   %[[ONE:.+]] = arith.constant {{.*}}1.0{{.*}} : f64
//       CHECK:   %[[DC:.+]] = arith.mulf %[[ONE]], %[[S]] : f64
//       CHECK:   %[[DCT:.+]] = linalg.fill ins(%[[DC]] : f64)
//       CHECK:   %[[B:.+]] = linalg.broadcast ins(%[[DCT]]
//       CHECK:   %[[DX:.+]] = arith.mulf %[[B]], %[[X]] : tensor<5xf64>
//   CHECK-NOT:   arith.mulf
//       CHECK:   %[[DS:.+]] = arith.constant 0.0{{.*}} : f64
//       CHECK:   return %[[DX]], %[[DS]]
func.func @stop_cost(%x: tensor<5xf64>, %s: f64) -> f64 {
  %zero = arith.constant 0.0 : f64
  %sx = scan.stop_gradient %x : tensor<5xf64>
  %xx = arith.mulf %x, %sx : tensor<5xf64>
  %ie = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%ie : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%xx : tensor<5xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %c = tensor.extract %sum[] : tensor<f64>
  %ss = scan.stop_gradient %s : f64
  %cs = arith.mulf %c, %ss : f64
  return %cs : f64
}
func.func @stop_grad(%x: tensor<5xf64>, %s: f64) -> (tensor<5xf64>, f64) {
  %0:2 = scan.grad @stop_cost(%x, %s) wrt [0, 1] : (tensor<5xf64>, f64) -> (tensor<5xf64>, f64)
  return %0#0, %0#1 : tensor<5xf64>, f64
}
