// RUN: scan-opt %s | scan-opt | FileCheck %s
// RUN: scan-opt %s --mlir-print-op-generic | scan-opt | FileCheck %s

// The example of the scan.scan description: an Elman RNN keeping its states.
// CHECK-LABEL: func.func @elman_rnn
//  CHECK-SAME:   (%[[X:.*]]: tensor<5x2x4xf32>, %[[H0:.*]]: tensor<2x4xf32>, %[[W:.*]]: tensor<4x4xf32>)
//       CHECK:   %[[R:.*]]:2 = scan.scan carries(%[[H:.*]] = %[[H0]] : tensor<2x4xf32>) sequences(%[[XT:.*]] = %[[X]] : tensor<5x2x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
//       CHECK:     %[[HW:.*]] = linalg.matmul ins(%[[H]], %[[W]] :
//       CHECK:     %[[PRE:.*]] = arith.addf %[[XT]], %[[HW]]
//       CHECK:     %[[HN:.*]] = math.tanh %[[PRE]]
//       CHECK:     scan.yield %[[HN]], %[[HN]] : tensor<2x4xf32>, tensor<2x4xf32>
//       CHECK:   return %[[R]]#0, %[[R]]#1
func.func @elman_rnn(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>,
                     %W: tensor<4x4xf32>) -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
  %zero = arith.constant dense<0.0> : tensor<2x4xf32>
  %hT, %hs = scan.scan carries(%h = %h0 : tensor<2x4xf32>)
                       sequences(%xt = %x : tensor<5x2x4xf32>)
                       -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
    %hw = linalg.matmul ins(%h, %W : tensor<2x4xf32>, tensor<4x4xf32>)
                        outs(%zero : tensor<2x4xf32>) -> tensor<2x4xf32>
    %pre = arith.addf %xt, %hw : tensor<2x4xf32>
    %hn = math.tanh %pre : tensor<2x4xf32>
    scan.yield %hn, %hn : tensor<2x4xf32>, tensor<2x4xf32>
  }
  return %hT, %hs : tensor<2x4xf32>, tensor<5x2x4xf32>
}

// A reverse scan with two carries and two sequences, one of rank 1 (its
// slices are rank 0), and a discardable attribute.
// CHECK-LABEL: func.func @reverse_two_carries
//       CHECK:   scan.scan reverse carries(%{{.*}} = %{{.*}} : tensor<3xf64>, %{{.*}} = %{{.*}} : tensor<f64>) sequences(%{{.*}} = %{{.*}} : tensor<7x3xf64>, %[[S:.*]] = %{{.*}} : tensor<7xf64>) -> (tensor<3xf64>, tensor<f64>) {
//       CHECK:     arith.addf %{{.*}}, %[[S]] : tensor<f64>
//       CHE2>) -> (tensor<2x4xf32>, tensor<4x4xf32>)
func.func @cost(%x: tensor<2x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}
func.func @grad_request(%x: tensor<5x2x4xf32>, %h0: tensor<2x4xf32>, %W: tensor<4x4xf32>)
    -> (tensor<2x4xf32>, tensor<4x4xf32>) {
  %dh0, %dW = scan.grad @cost(%x, %h0, %W) wrt [1, 2]
      : (tensor<5x2x4xf32>, tensor<2x4xf32>, tensor<4x4xf32>)
      -> (tensor<2x4xf32>, tensor<4x4xf32>)
  return %dh0, %dW : tensor<2x4xf32>, tensor<4x4xf32>
}

// scan.grad of a function returning a rank-0 tensor, w.r.t. a scalar.
// CHECK-LABEL: func.func @grad_rank0_cost
//       CHECK:   scan.grad @cost0(%{{.*}}) wrt [0] : (f64) -> f64
func.func @cost0(%a: f64) -> tensor<f64> {
  %t = tensor.from_elements %a : tensor<f64>
  return %t : tensor<f64>
}
func.func @grad_rank0_cost(%a: f64) -> f64 {
  %g = scan.grad @cost0(%a) wrt [0] : (f64) -> f64
  return %g : f64
}
