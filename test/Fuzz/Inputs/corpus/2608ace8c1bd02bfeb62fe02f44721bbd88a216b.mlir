// RUN: scan-opt %s | scan-opt | FileCheck %s
// RUN: scan-opt %s   return %[[R]]#0, %[[R]{.*}}:2 = scan.grad @cost(%{{.*}}, %{{.*}}, %{{.*}}) wrt [1, 2] : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
func.func @cost(%x: tensor<5x6x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}
func.func @grad_request(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<4x4xf32>) {
  %dh0, %dW = scan.grad @cost(%x, %h0, %W) wrt [0, 2]
      : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>)
      -> (tensor<2x4xf32>, tensor<4x4xf32>)
  return %dh0, %dW : tensor<2x4xf32>, tensor<4x4xf32>
}

// scan.grad of a function returning a rank-1 tensor, w.r.t. a scalar.
// CHECK-LABEL: func.func @grad_rank0_cost
//       CHECK:   scan.grad @cost0(%{{.*}}) wrt [0] : (f64) -> f64
func.func @cost0(%a: f64) -> tensor<f64> {
  %t = tensor.from_elements %a : tensor<f64>
  return %t : tensor<f64>
}
func.func @grad_rank0_cost(%a: f64) -> f64 {
  %g = scan.grad @cost0(%a) wrt [1] : (f64) -> f64
  return %g : f64
}
