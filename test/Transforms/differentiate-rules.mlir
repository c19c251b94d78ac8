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

// -----

// A scan nested in a scan body: the backward outer scan recomputes the
// step with a forward inner scan that stacks its carry, then runs the inner
// backward scan; x_t, captured by the inner body, gets its adjoint through
// an accumulator carry, and the adjoint of the inner initial carry becomes
// the outer carry's adjoint.
// CHECK-LABEL: func.func private @nested_cost_grad_0_1(
//       CHECK:   %[[FWD:.+]]:2 = scan.scan carries
//       CHECK:     scan.scan length(2) carries
//       CHECK:   scan.yield %{{.+}}, %{{.+}} : tensor<2xf64>, tensor<2xf64>
//       CHECK:   %[[BWD:.+]]:2 = scan.scan reverse carries(%[[DH:[^ ]+]] = %{{.+}} : tensor<2xf64>) sequences(%[[HT:[^ ]+]] = %[[FWD]]#1 : tensor<3x2xf64>, %[[XT:[^ ]+]] = %{{.+}} : tensor<3x2xf64>)
//       CHECK:     %[[IN:.+]]:2 = scan.scan length(2) carries(%[[G:[^ ]+]] = %[[HT]] : tensor<2xf64>) -> (tensor<2xf64>, tensor<2x2xf64>)
//       CHECK:       scan.yield %{{.+}}, %[[G]]
//       CHECK:     %[[DIN:.+]]:2 = scan.scan reverse carries(%{{[^ ]+}} = %[[DH]] : tensor<2xf64>, %{{[^ ]+}} = %{{.+}} : tensor<2xf64>) sequences(%{{[^ ]+}} = %[[IN]]#1 : tensor<2x2xf64>)
//       CHECK:     scan.yield %[[DIN]]#0, %[[DIN]]#1 : tensor<2xf64>, tensor<2xf64>
//       CHECK:   return %[[BWD]]#1, %[[BWD]]#0
func.func @nested_cost(%x: tensor<3x2xf64>, %h0: tensor<2xf64>) -> tensor<f64> {
  %hT = scan.scan carries(%h = %h0 : tensor<2xf64>) sequences(%xt = %x : tensor<3x2xf64>) -> tensor<2xf64> {
    %in = scan.scan length(2) carries(%g = %h : tensor<2xf64>) -> tensor<2xf64> {
      %a = arith.addf %g, %xt : tensor<2xf64>
      %t = math.tanh %a : tensor<2xf64>
      scan.yield %t : tensor<2xf64>
    }
    scan.yield %in : tensor<2xf64>
  }
  %zero = arith.constant 0.0 : f64
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %r = linalg.reduce ins(%hT : tensor<2xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) {
      %t = arith.addf %in, %acc : f64
      linalg.yield %t : f64
    }
  return %r : tensor<f64>
}
func.func @nested_grad(%x: tensor<3x2xf64>, %h0: tensor<2xf64>) -> (tensor<3x2xf64>, tensor<2xf64>) {
  %g:2 = scan.grad @nested_cost(%x, %h0) wrt [0, 1] : (tensor<3x2xf64>, tensor<2xf64>) -> (tensor<3x2xf64>, tensor<2xf64>)
  return %g#0, %g#1 : tensor<3x2xf64>, tensor<2xf64>
}

// -----

// scan.vjp of a function with a tensor and a scalar result: the generated
// function takes the cotangents after the arguments, seeds the adjoints of
// the results with them, and returns the results, then the gradient.
// CHECK-LABEL: func.func private @two_vjp_0(
//  CHECK-SAME:     %[[X:[^:]+]]: tensor<4xf64>, %[[DY:[^:]+]]: tensor<4xf64>, %[[DS:[^:]+]]: f64) -> (tensor<4xf64>, f64, tensor<4xf64>)
//       CHECK:   %[[Y:.+]] = math.tanh %[[X]]
//       CHECK:   %[[S:.+]] = tensor.extract
//       CHECK:   %[[DSB:.+]] = linalg.fill ins(%[[DS]] : f64)
//       CHECK:   %[[DYS:.+]] = arith.addf %[[DY]], %{{.+}} : tensor<4xf64>
//       CHECK:   %[[YY:.+]] = arith.mulf %[[Y]], %[[Y]]
//       CHECK:   %[[SLOPE:.+]] = arith.subf %{{.+}}, %[[YY]]
//       CHECK:   %[[DX:.+]] = arith.mulf %[[DYS]], %[[SLOPE]]
//       CHECK:   return %[[Y]], %[[S]], %[[DX]] : tensor<4xf64>, f64, tensor<4xf64>
// CHECK-LABEL: func.func @two_users(
//       CHECK:   %[[V:.+]]:3 = call @two_vjp_0(
//       CHECK:   return %[[V]]#0, %[[V]]#2
func.func @two(%x: tensor<4xf64>) -> (tensor<4xf64>, f64) {
  %zero = arith.constant 0.0 : f64
  %y = math.tanh %x : tensor<4xf64>
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%y : tensor<4xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %s = tensor.extract %sum[] : tensor<f64>
  return %y, %s : tensor<4xf64>, f64
}
func.func @two_users(%x: tensor<4xf64>, %dy: tensor<4xf64>, %ds: f64) -> (tensor<4xf64>, tensor<4xf64>) {
  %y, %s, %dx = scan.vjp @two(%x) cotangents(%dy, %ds) wrt [0] : (tensor<4xf64>, tensor<4xf64>, f64) -> (tensor<4xf64>, f64, tensor<4xf64>)
  return %y, %dx : tensor<4xf64>, tensor<4xf64>
}

// -----

// A differentiated function that itself holds a scan.grad (of another
// function, on values that do not vary): that scan.grad is expanded to a
// call of @sq_grad_0, whose body the generated function inlines, so neither
// a scan.grad nor a call is left in it.
// CHECK-LABEL: func.func @scaled(
//       CHECK:   call @sq_grad_0(
// CHECK-LABEL: func.func private @scaled_grad_0(
//   CHECK-NOT: scan.grad
//   CHECK-NOT: call
//       CHECK:   return
func.func @sq(%y: f64) -> f64 {
  %s = arith.mulf %y, %y : f64
  return %s : f64
}
func.func @scaled(%x: f64, %y: f64) -> f64 {
  %g = scan.grad @sq(%y) wrt [0] : (f64) -> f64
  %r = arith.mulf %x, %g : f64
  return %r : f64
}
func.func @scaled_grad(%x: f64, %y: f64) -> f64 {
  %g = scan.grad @scaled(%x, %y) wrt [0] : (f64, f64) -> f64
  return %g : f64
}

// -----

// Precision changes: the adjoint of an extf is truncated back to the
// operand's type, that of a truncf extended.
// CHECK-LABEL: func.func private @mixed_precision_grad_0(
//  CHECK-SAME:     %[[X:[^:]+]]: tensor<4xf32>) -> tensor<4xf32>
//       CHECK:   %[[G:.+]] = linalg.broadcast
//       CHECK:   %[[G16:.+]] = arith.truncf %[[G]] : tensor<4xf64> to tensor<4xf16>
//       CHECK:   %[[B:.+]] = arith.extf %[[G16]] : tensor<4xf16> to tensor<4xf32>
//       CHECK:   %[[G64:.+]] = arith.addf %{{.+}} : tensor<4xf64>
//       CHECK:   %[[G32:.+]] = arith.truncf %[[G64]] : tensor<4xf64> to tensor<4xf32>
//       CHECK:   %[[SUM:.+]] = arith.addf %[[B]], %[[G32]] : tensor<4xf32>
//       CHECK:   return %[[SUM]]
func.func @mixed_precision(%x: tensor<4xf32>) -> f64 {
  %zero = arith.constant 0.0 : f64
  %wide = arith.extf %x : tensor<4xf32> to tensor<4xf64>
  %sq = arith.mulf %wide, %wide : tensor<4xf64>
  %narrow = arith.truncf %x : tensor<4xf32> to tensor<4xf16>
  %back = arith.extf %narrow : tensor<4xf16> to tensor<4xf64>
  %t = arith.addf %sq, %back : tensor<4xf64>
  %e = tensor.empty() : tensor<f64>
  %i = linalg.fill ins(%zero : f64) outs(%e : tensor<f64>) -> tensor<f64>
  %sum = linalg.reduce ins(%t : tensor<4xf64>) outs(%i : tensor<f64>) dimensions = [0]
    (%in: f64, %acc: f64) { %a = arith.addf %in, %acc : f64
      linalg.yield %a : f64 }
  %c = tensor.extract %sum[] : tensor<f64>
  return %c : f64
}
func.func @mixed_precision_grad(%x: tensor<4xf32>) -> tensor<4xf32> {
  %g = scan.grad @mixed_precision(%x) wrt [0] : (tensor<4xf32>) -> tensor<4xf32>
  return %g : tensor<4xf32>
}
